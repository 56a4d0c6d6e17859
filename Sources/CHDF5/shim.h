#ifndef NEUROPIPE_CHDF5_SHIM_H
#define NEUROPIPE_CHDF5_SHIM_H
#include <hdf5.h>
/* HDF5's constants are macros (often expanding to H5open() calls or global ids) that Swift cannot import. */
static inline unsigned neuropipe_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned neuropipe_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned neuropipe_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned neuropipe_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline hid_t neuropipe_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t neuropipe_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t neuropipe_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t neuropipe_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t neuropipe_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t neuropipe_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t neuropipe_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t neuropipe_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t neuropipe_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t neuropipe_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t neuropipe_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t neuropipe_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t neuropipe_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t neuropipe_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t neuropipe_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t neuropipe_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t neuropipe_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t neuropipe_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline size_t neuropipe_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t neuropipe_H5T_STD_REF_OBJ(void) { return H5T_STD_REF_OBJ; }
/* The path of the object an object reference points to (MATLAB v7.3 cell and struct-array fields are such
   references into /#refs#); returns the name length, or a negative value on failure. */
static inline ssize_t neuropipe_reference_name(hid_t loc, const hobj_ref_t *ref, char *name, size_t size) {
    return H5Rget_name(loc, H5R_OBJECT, ref, name, size);
}
/* Silence libhdf5's own stderr error printing; NeuroPipe turns the error stack into Swift errors. */
static inline herr_t neuropipe_H5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
