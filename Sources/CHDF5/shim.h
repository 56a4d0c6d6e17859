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

/* ---- Structure check in a child process ------------------------------------------------------------------
   libhdf5 1.10 (Debian's) crashes on some corrupt files: fuzzing found a SEGV in H5A__close after a corrupt
   attribute table (uninitialised memory on libhdf5's error path, so whether it crashes depends on the heap) and a
   negative memcpy in H5HG_read. Before NeuroPipe opens a file it forks a child that walks the file the way NeuroPipe
   reads it: links, object headers, attributes with their values, dataset types, spaces, filters and chunk indexes,
   small datasets' values. The first error libhdf5 reports (or a crash, or a hang) makes the parent refuse the file,
   so the parent never enters libhdf5's error paths for file structure. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

enum { NEUROPIPE_PROBE_MAX_OBJECTS = 20000, NEUROPIPE_PROBE_MAX_DEPTH = 64, NEUROPIPE_PROBE_CORRUPT = 3, NEUROPIPE_PROBE_PATH = 2048 };
typedef struct {
    haddr_t seen[NEUROPIPE_PROBE_MAX_OBJECTS];
    int count;
    int fd;          /* where the first error goes */
    char *path;      /* the object being walked (NEUROPIPE_PROBE_PATH bytes shared with the parent, for crash reports) */
} neuropipe_probe_state;
extern void __asan_init(void) __attribute__((weak));
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static inline herr_t neuropipe_probe_error_walk(unsigned n, const H5E_error2_t *err, void *data) {
    char *out = (char *)data;
    size_t used = strlen(out);
    if (err && err->desc && used + strlen(err->desc) + 3 < 1024) { if (used) strcat(out, "; "); strcat(out, err->desc); }
    return 0;
}

/* Writes "object\tlibhdf5's messages" to the parent and exits: the file is refused. */
static inline void neuropipe_probe_fail(neuropipe_probe_state *state, const char *what) {
    char messages[1024] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, neuropipe_probe_error_walk, messages);
    char line[4096];
    int len = snprintf(line, sizeof line, "%s\t%s (%s)", state->path[0] ? state->path : "/", what, messages[0] ? messages : "libhdf5 reported an error");
    if (len > 0 && write(state->fd, line, (size_t)(len < (int)sizeof line ? len : (int)sizeof line - 1)) < 0) { /* the exit code still says it */ }
    _exit(NEUROPIPE_PROBE_CORRUPT);
}

/* Reads `n` values of file type `type` through H5Aread (attr >= 0) or H5Dread (dset >= 0) as NeuroPipe would.
   A failed read is fatal for attributes and variable-length strings (global heap); numeric dataset reads may fail
   for a missing filter plugin, which the parent reports when it reads that dataset. */
static inline void neuropipe_probe_values(neuropipe_probe_state *state, hid_t type, hssize_t n, hid_t attr, hid_t dset) {
    H5T_class_t cls = H5Tget_class(type);
    herr_t status = 0;
    if (cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM) {
        double *v = (double *)malloc((size_t)n * sizeof(double));
        if (!v) return;
        status = attr >= 0 ? H5Aread(attr, H5T_NATIVE_DOUBLE, v) : H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
        if (status < 0 && attr < 0) { H5Eclear2(H5E_DEFAULT); status = 0; }
    } else if (cls == H5T_STRING && H5Tis_variable_str(type) > 0) {
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(type));
        char **v = (char **)calloc((size_t)n, sizeof(char *));
        if (v) status = attr >= 0 ? H5Aread(attr, mem, v) : H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        H5Tclose(mem);  /* the child exits soon: the strings are not freed */
    } else if (cls == H5T_STRING) {
        size_t size = H5Tget_size(type);
        if (size == 0 || size >= (1u << 20) || (size_t)n > ((size_t)1 << 26) / size) return;
        char *v = (char *)malloc((size_t)n * size);
        if (!v) return;
        status = attr >= 0 ? H5Aread(attr, type, v) : H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
    } else if (cls == H5T_REFERENCE && H5Tget_size(type) == sizeof(hobj_ref_t) && dset >= 0) {
        hobj_ref_t *refs = (hobj_ref_t *)calloc((size_t)n, sizeof(hobj_ref_t));
        if (!refs) return;
        status = H5Dread(dset, H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs);
        char name[1024];
        for (hssize_t i = 0; status >= 0 && i < n && i < 100000; i++) if (refs[i] != 0) H5Rget_name(dset, H5R_OBJECT, &refs[i], name, sizeof name);
        H5Eclear2(H5E_DEFAULT);  /* dangling references are reported by the parent when it follows them */
        free(refs);
    }
    if (status < 0) {
        char what[64];
        snprintf(what, sizeof what, "cannot read the %s (class %d)", attr >= 0 ? "attribute" : "dataset", (int)cls);
        neuropipe_probe_fail(state, what);
    }
}

static inline void neuropipe_probe_attributes(neuropipe_probe_state *state, hid_t oid) {
    H5O_info_t info;
    if (H5Oget_info2(oid, &info, H5O_INFO_NUM_ATTRS) < 0) neuropipe_probe_fail(state, "cannot read the object header");
    for (hsize_t i = 0; i < info.num_attrs; i++) {
        hid_t aid = H5Aopen_by_idx(oid, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
        if (aid < 0) neuropipe_probe_fail(state, "cannot open attribute");
        char name[256];
        if (H5Aget_name(aid, sizeof name, name) < 0) neuropipe_probe_fail(state, "cannot read an attribute name");
        hid_t type = H5Aget_type(aid), space = H5Aget_space(aid);
        if (type < 0 || space < 0) neuropipe_probe_fail(state, "cannot read an attribute's type or shape");
        hssize_t n = H5Sget_simple_extent_npoints(space);
        size_t path_len = strlen(state->path);
        snprintf(state->path + path_len, NEUROPIPE_PROBE_PATH - path_len, "@%s", name);
        if (n > 0 && n <= (1 << 24)) neuropipe_probe_values(state, type, n, aid, -1);
        state->path[path_len] = 0;
        H5Tclose(type);
        H5Sclose(space);
        H5Aclose(aid);
    }
}

static inline void neuropipe_probe_dataset(neuropipe_probe_state *state, hid_t did) {
    neuropipe_probe_attributes(state, did);
    hid_t space = H5Dget_space(did), type = H5Dget_type(did), plist = H5Dget_create_plist(did);
    if (space < 0 || type < 0 || plist < 0) neuropipe_probe_fail(state, "cannot read the dataset's shape, type or layout");
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[H5S_MAX_RANK];
    if (rank < 0 || rank > H5S_MAX_RANK || H5Sget_simple_extent_dims(space, dims, NULL) < 0) neuropipe_probe_fail(state, "cannot read the dataset's shape");
    int all_filters = 1;
    for (int i = 0; i < H5Pget_nfilters(plist) && i < 32; i++) {
        unsigned flags = 0, config = 0, cd[8];
        size_t ncd = 8;
        char fname[64];
        H5Z_filter_t f = H5Pget_filter2(plist, (unsigned)i, &flags, &ncd, cd, sizeof fname, fname, &config);
        if (f < 0) neuropipe_probe_fail(state, "cannot read the dataset's filters");
        if (H5Zfilter_avail(f) <= 0) all_filters = 0;
    }
    H5Eclear2(H5E_DEFAULT);
    if (H5Pget_layout(plist) == H5D_CHUNKED) {
        hsize_t nchunks = 0;
        if (H5Dget_num_chunks(did, space, &nchunks) < 0) neuropipe_probe_fail(state, "cannot read the chunk index");
        hsize_t offset[H5S_MAX_RANK], size = 0;
        haddr_t addr = 0;
        unsigned mask = 0;
        /* Counting walked the whole index; each lookup by position walks it again, so only 64 spread positions. */
        hsize_t step = nchunks > 64 ? nchunks / 64 : 1;
        for (hsize_t c = 0; c < nchunks; c += step)
            if (H5Dget_chunk_info(did, space, c, offset, &mask, &addr, &size) < 0) neuropipe_probe_fail(state, "cannot read the chunk index");
    }
    hssize_t n = H5Sget_simple_extent_npoints(space);
    size_t element = H5Tget_size(type);
    /* Small datasets are read as NeuroPipe reads them (large ones are not read twice: their chunk index was walked). */
    if (all_filters && n > 0 && element > 0 && (size_t)n <= ((size_t)16 << 20) / (element > 8 ? element : 8))
        neuropipe_probe_values(state, type, n, -1, did);
    H5Sclose(space);
    H5Tclose(type);
    H5Pclose(plist);
}

static inline herr_t neuropipe_probe_link(hid_t group, const char *name, const H5L_info_t *info, void *data);

static inline void neuropipe_probe_group(neuropipe_probe_state *state, hid_t gid, int depth) {
    neuropipe_probe_attributes(state, gid);
    if (depth >= NEUROPIPE_PROBE_MAX_DEPTH) return;
    hsize_t idx = 0;
    void *args[2] = { state, &depth };
    if (H5Literate(gid, H5_INDEX_NAME, H5_ITER_INC, &idx, neuropipe_probe_link, args) < 0) neuropipe_probe_fail(state, "cannot list the group's members");
}

static inline herr_t neuropipe_probe_link(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    void **args = (void **)data;
    neuropipe_probe_state *state = (neuropipe_probe_state *)args[0];
    int depth = *(int *)args[1];
    if (state->count >= NEUROPIPE_PROBE_MAX_OBJECTS) return 1;
    size_t parent_len = strlen(state->path);
    snprintf(state->path + parent_len, NEUROPIPE_PROBE_PATH - parent_len, "/%s", name);
    hid_t oid = H5Oopen(group, name, H5P_DEFAULT);
    if (oid < 0) {
        if (info && info->type == H5L_TYPE_HARD) neuropipe_probe_fail(state, "cannot open the object");
        H5Eclear2(H5E_DEFAULT);  /* dangling soft or external link: NeuroPipe skips it */
        state->path[parent_len] = 0;
        return 0;
    }
    H5O_info_t oinfo;
    if (H5Oget_info2(oid, &oinfo, H5O_INFO_BASIC) < 0) neuropipe_probe_fail(state, "cannot read the object header");
    int seen = 0;
    for (int i = 0; i < state->count; i++) if (state->seen[i] == oinfo.addr) { seen = 1; break; }
    if (!seen) {
        state->seen[state->count++] = oinfo.addr;
        H5I_type_t kind = H5Iget_type(oid);
        if (kind == H5I_GROUP) neuropipe_probe_group(state, oid, depth + 1);
        else if (kind == H5I_DATASET) neuropipe_probe_dataset(state, oid);
    }
    H5Oclose(oid);
    state->path[parent_len] = 0;
    return 0;
}

/* Forks the child that walks `path`, writing its first error to `error_fd` and the object it is walking to
   `shared_path` (NEUROPIPE_PROBE_PATH bytes of memory shared with the parent); returns its pid (or -1). Call with
   NeuroPipe's libhdf5 lock held, so the child inherits a consistent library state (it runs only C: libhdf5 and
   libc). The child's address space is capped at its current size plus `max_bytes` (not under AddressSanitizer,
   whose shadow memory needs the address space). */
static inline pid_t neuropipe_hdf5_probe_fork(const char *path, size_t max_bytes, int error_fd, char *shared_path) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* The child dies with NeuroPipe (a walk stuck in libhdf5 must not outlive it). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
    for (unsigned i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) signal(crash_signals[i], SIG_DFL);
    /* Under the fuzzer, a sanitizer report in the child must not run libFuzzer's crash-artifact callback. */
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) { dup2(devnull, 2); dup2(devnull, 1); }
    if (&__asan_init == NULL) {
        long pages = 0;
        FILE *statm = fopen("/proc/self/statm", "r");
        if (statm) { if (fscanf(statm, "%ld", &pages) != 1) pages = 0; fclose(statm); }
        struct rlimit limit;
        limit.rlim_cur = limit.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (rlim_t)max_bytes;
        if (pages > 0) setrlimit(RLIMIT_AS, &limit);
    }
    /* libhdf5 1.10 reads uninitialised memory on some corrupt files (attribute tables, global heap object
       sizes); what it finds there decides whether it crashes. In the child every allocation is filled with a
       poison pattern (glibc's M_PERTURB) and libhdf5's free lists are emptied first, so such reads meet the pattern
       and fail or crash here, deterministically, instead of depending on what the parent's heap held. */
    mallopt(M_PERTURB, 0xA5);
    H5garbage_collect();
    static neuropipe_probe_state state;
    state.count = 0;
    state.fd = error_fd;
    state.path = shared_path;
    state.path[0] = 0;
    H5Eclear2(H5E_DEFAULT);
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) neuropipe_probe_fail(&state, "not a readable HDF5 file");
    hid_t root = H5Gopen2(fid, "/", H5P_DEFAULT);
    if (root < 0) neuropipe_probe_fail(&state, "cannot open the root group");
    neuropipe_probe_group(&state, root, 0);
    _exit(0);
}

/* Waits up to `timeout_ms` for the child: 0 = it finished, NEUROPIPE_PROBE_CORRUPT = it found an error (its
   message is in the pipe), 1000 + a signal number = it crashed with that signal, -1 = it was still running and was
   killed, -2 = waiting failed, other values = its exit code. */
static inline int neuropipe_hdf5_probe_wait(pid_t pid, long timeout_ms) {
    struct timespec start, now, pause = { 0, 1000000 };
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : WEXITSTATUS(status);
        if (r < 0) return -2;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms) { kill(pid, SIGKILL); waitpid(pid, &status, 0); return -1; }
        nanosleep(&pause, NULL);
        if (pause.tv_nsec < 20000000) pause.tv_nsec *= 2;
    }
}
#endif
