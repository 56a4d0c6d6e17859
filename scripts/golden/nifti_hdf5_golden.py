"""Golden values for NIfTI and HDF5 reading/writing, from nibabel 5.4.2 and h5py 3.16.0.

usage: nifti_hdf5_golden.py OUT_DIR FILE...   (.nii/.nii.gz/.hdr → nibabel; .h5/.mat/.nwb/.snirf/.set → h5py)
Writes OUT_DIR/<name>.json. Values are float64; voxel samples are taken in NIfTI (Fortran) order.
"""
import json
import math
import sys
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np


def finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def nifti(path):
    if path.name.endswith(".hdr") and not path.with_suffix(".img").exists():
        # Header-only pair (nibabel ships no .img): header fields only.
        raw = path.read_bytes()
        cls = nib.nifti2.Nifti2PairHeader if int.from_bytes(raw[:4], "little") == 540 or int.from_bytes(raw[:4], "big") == 540 else nib.nifti1.Nifti1PairHeader
        with open(path, "rb") as fh:
            hdr = cls.from_fileobj(fh)
        img = None
    else:
        # Explicit NIfTI classes: nib.load would hand .dconn.nii to the CIFTI-2 reader.
        try:
            img = nib.Nifti1Image.from_filename(str(path))
        except Exception:
            img = nib.Nifti2Image.from_filename(str(path))
        hdr = img.header
    out = {
        "version": 2 if isinstance(hdr, nib.Nifti2Header) else 1,
        "shape": [int(v) for v in hdr.get_data_shape()],
        "datatype": str(hdr.get_data_dtype().name),
        "byte_order": "little" if hdr.endianness == "<" else "big",
        "affine": (img.affine if img is not None else hdr.get_best_affine()).tolist(),
        "qform_code": int(hdr["qform_code"]), "sform_code": int(hdr["sform_code"]),
        "qform": hdr.get_qform().tolist(), "sform": hdr.get_sform().tolist(),
        "pixdim": [finite(v) for v in hdr["pixdim"]],
        "xyzt_units": int(hdr["xyzt_units"]), "intent_code": int(hdr["intent_code"]),
        "zooms": [float(z) for z in hdr.get_zooms()],
        # nibabel moves scl_slope/scl_inter from the header into the data proxy on load (header fields become nan).
        "scaling": [float(img.dataobj.slope), float(img.dataobj.inter)] if img is not None else None,
        "time_unit": hdr.get_xyzt_units()[1],
    }
    if img is None:
        out["data_error"] = "no .img beside the .hdr"
        return out
    data = img.get_fdata(dtype=np.float64)
    flat = data.reshape(-1, order="F")
    ok = flat[~np.isnan(flat)]
    out["stats"] = {"sum": float(math.fsum(ok)), "min": float(ok.min()), "max": float(ok.max()),
                    "mean": float(math.fsum(ok) / ok.size), "n_nan": int(np.isnan(flat).sum())}
    rng = np.random.default_rng(0)
    idx = sorted(set([0, flat.size - 1] + [int(i) for i in rng.integers(0, flat.size, 20)]))
    out["samples"] = {str(i): float(flat[i]) for i in idx}
    return out


def dtype_name(dt):
    """numpy-style name as NeuroPipe prints it: int8…uint64, float16/32/64, S<n>, str, reference, or a class."""
    if h5py.check_ref_dtype(dt) is not None:
        return "reference"
    sd = h5py.check_string_dtype(dt)
    if sd is not None:
        return "str" if sd.length is None else f"S{sd.length}"
    if dt.kind in "iuf":
        return dt.name
    if h5py.check_vlen_dtype(dt) is not None:
        return "vlen"
    return {"V": "compound", "b": "enum"}.get(dt.kind, "unknown")


def jsonable(v):
    if isinstance(v, np.ndarray) and v.dtype.kind == "O" and v.size and not isinstance(v.ravel()[0], (bytes, str)):
        return None  # vlen sequences / references: no JSON meaning
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "SO":
            return [jsonable(x) for x in v.ravel().tolist()]
        if v.dtype.kind in "iub":
            return [int(x) for x in v.ravel()] if v.ndim else int(v)
        if v.dtype.kind == "f":
            return [finite(x) for x in v.ravel()] if v.ndim else finite(v)
        return None
    if isinstance(v, (np.integer, np.bool_)):
        return int(v)
    if isinstance(v, np.floating):
        return finite(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return None  # references, compound: not compared


def hdf5(path):
    objects = []
    with h5py.File(path, "r") as f:
        def entry(name, obj):
            e = {"path": "/" + name if name else "/", "kind": "dataset" if isinstance(obj, h5py.Dataset) else "group",
                 "attributes": {k: jsonable(obj.attrs[k]) for k in sorted(obj.attrs.keys())}}
            if isinstance(obj, h5py.Dataset):
                e.update({"shape": list(obj.shape), "dtype": dtype_name(obj.dtype),
                          "chunks": list(obj.chunks) if obj.chunks else None, "compression": obj.compression})
                if obj.dtype.kind in "iuf" and obj.size > 0:
                    try:
                        x = obj[()].astype(np.float64).ravel()
                        ok = x[~np.isnan(x)]
                        e["stats"] = {"sum": float(math.fsum(ok)), "min": float(ok.min()), "max": float(ok.max()),
                                      "mean": float(math.fsum(ok) / ok.size)} if ok.size else None
                    except OSError as err:
                        e["read_error"] = str(err)
                elif obj.dtype.kind in "SO" and obj.size > 0 and h5py.check_string_dtype(obj.dtype):
                    v = obj[()]
                    e["strings"] = [jsonable(v)] if isinstance(v, bytes) else [jsonable(s) for s in v.ravel().tolist()][:50]
            objects.append(e)
        entry("", f)
        f.visititems(entry)
    objects.sort(key=lambda e: e["path"].split("/"))
    return {"objects": objects}


def main(out_dir, paths):
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in paths:
        name = p.name
        g = {"file": name, "versions": {"nibabel": nib.__version__, "h5py": h5py.__version__, "numpy": np.__version__}}
        try:
            g.update(nifti(p) if ".nii" in name or name.endswith(".hdr") else hdf5(p))
        except Exception as e:  # the reference refuses the file: record why
            g["error"] = f"{type(e).__name__}: {e}"
        (out_dir / (name + ".json")).write_text(json.dumps(g, indent=1) + "\n")
        print("golden:", name)


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
