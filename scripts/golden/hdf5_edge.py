"""Writes HDF5 edge-case fixtures with h5py 3.16.0 (Tests/Fixtures/hdf5-edge) and one example file per
NeuroPipe HDF5 layout (data-schemas/examples). Deterministic: fixed seeds, no timestamps."""
import sys
from pathlib import Path

import h5py
import numpy as np

edge = Path(sys.argv[1])
examples = Path(sys.argv[2])
edge.mkdir(parents=True, exist_ok=True)
examples.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)


def new(path):
    return h5py.File(path, "w", track_order=False, libver="earliest")


with new(edge / "types_and_attributes.h5") as f:
    g = f.create_group("a/b/c")
    for t in ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8"]:
        f.create_dataset(f"a/typed_{t}", data=(np.arange(24).reshape(4, 6) - 5).astype(t) if t[0] != "u" else np.arange(24, dtype=t).reshape(4, 6))
    f.create_dataset("a/b/chunked_gzip_shuffle", data=rng.normal(size=(100, 7)), chunks=(10, 7), compression="gzip", compression_opts=4, shuffle=True)
    f.create_dataset("a/b/c/lzf", data=np.arange(50, dtype="f8"), compression="lzf")
    f.create_dataset("a/b/c/ok_after_lzf", data=np.arange(5, dtype="i4"))
    f.create_dataset("strings/vlen", data=["alpha", "βeta", ""], dtype=h5py.string_dtype("utf-8"))
    f.create_dataset("strings/fixed", data=np.array([b"abc", b"de"], dtype="S5"))
    f.create_dataset("scalar", data=3.25)
    # Attribute kinds users meet (h5py #2045): str (vlen utf-8), bytes (fixed ascii), numpy fixed S, arrays of each.
    f.attrs["vlen_str"] = "héllo"
    f.attrs["fixed_bytes"] = np.bytes_(b"fixed")
    f.attrs["fixed_S8_array"] = np.array([b"one", b"two"], dtype="S8")
    f.attrs["vlen_str_array"] = np.array(["x", "yz"], dtype=h5py.string_dtype())
    f.attrs["int_scalar"] = np.int32(-7)
    f.attrs["uint64_big"] = np.uint64(2**63 + 5)
    f.attrs["float_array"] = np.array([0.5, 1.5, np.nan])
    f.attrs["int_matrix"] = np.arange(6).reshape(2, 3)
    g.attrs["nested"] = "deep"

# Layout examples (what later stages write; the schemas in data-schemas/ describe them).
with new(examples / "epochs.h5") as f:
    f.attrs.update(layout="neuropipe.epochs", layout_version=1, sfreq=160.0, ch_names=np.array(["C3", "Cz", "C4"], dtype=h5py.string_dtype()))
    f["X"] = rng.normal(size=(4, 3, 32))
    f["y"] = np.array(["T1", "T2", "T1", "T2"], dtype=h5py.string_dtype())
    f["groups"] = np.array(["sub-01"] * 4, dtype=h5py.string_dtype())
with new(examples / "spectra.h5") as f:
    f.attrs.update(layout="neuropipe.spectra", layout_version=1, sfreq=160.0, method="welch", nperseg=256, noverlap=128,
                   window="hann", scaling="density", ch_names=np.array(["C3", "C4"], dtype=h5py.string_dtype()))
    f["freqs"] = np.linspace(0, 80, 129)
    f["psd"] = np.abs(rng.normal(size=(2, 129)))
with new(examples / "covariances.h5") as f:
    f.attrs.update(layout="neuropipe.covariances", layout_version=1, estimator="lwf", order=2, lag=1)
    a = rng.normal(size=(4, 6, 20))
    f["covariances"] = np.einsum("tis,tjs->tij", a, a) / 20
    f["y"] = np.array([0, 1, 0, 1], dtype="i8")
    f["mean"] = np.eye(6)
    f["tangent_vectors"] = rng.normal(size=(4, 21))
with new(examples / "srm.h5") as f:
    f.attrs.update(layout="neuropipe.srm", layout_version=1, model="srm", k=3, iterations=10, converged=False)
    f["shared"] = rng.normal(size=(3, 40))
    f["loglik"] = np.cumsum(rng.random(10))
    for s in ["sub-01", "sub-02"]:
        f[f"subjects/{s}/W"] = np.linalg.qr(rng.normal(size=(50, 3)))[0]
with new(examples / "features.h5") as f:
    f.attrs.update(layout="neuropipe.features", layout_version=1,
                   feature_names=np.array(["alpha_rel_O1", "theta_rel_Fz", "iapf_O1"], dtype=h5py.string_dtype()))
    f["X"] = rng.normal(size=(5, 3))
    f["sample_ids"] = np.array([f"sub-0{i}" for i in range(1, 6)], dtype=h5py.string_dtype())
print("hdf5 edge fixtures and layout examples written")
