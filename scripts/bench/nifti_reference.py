"""nibabel side of scripts/bench/nifti, and the generator of its input.

usage: nifti_reference.py generate OUT_BASE MB     writes OUT_BASE.nii and OUT_BASE.nii.gz (4-D float32, seeded)
       nifti_reference.py nibabel FILE             get_fdata() → float64 [voxels × timepoints] view (volume-major memory)
       nifti_reference.py nibabel-rowmajor FILE    the same, made voxel-major contiguous (NeuroPipe's row-major layout)
"""
import sys
import time

import nibabel as nib
import numpy as np


def generate(base, megabytes):
    x, y, z = 64, 64, 40
    t = int(megabytes * 1e6 // (x * y * z * 4)) + 1
    rng = np.random.default_rng(0)
    # fMRI-like: a smooth baseline per voxel plus noise, so gzip compresses it as it does real data.
    baseline = (rng.random((x, y, z, 1)) * 1000).astype(np.float32)
    data = np.empty((x, y, z, t), dtype=np.float32)
    for k in range(0, t, 50):
        n = min(50, t - k)
        data[..., k:k + n] = baseline + np.round(rng.normal(0, 8, size=(x, y, z, n))).astype(np.float32)
    img = nib.Nifti1Image(data, np.diag([3.0, 3.0, 3.5, 1.0]))
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = 2.0
    nib.save(img, base + ".nii")
    nib.save(img, base + ".nii.gz")
    print(f"generated {base}.nii and .nii.gz: {x}x{y}x{z}x{t} float32")


def main():
    if sys.argv[1] == "generate":
        generate(sys.argv[2], float(sys.argv[3]))
        return
    t0 = time.perf_counter()
    img = nib.load(sys.argv[2])
    data = img.get_fdata()
    m = data.reshape(-1, data.shape[-1], order="F")  # [voxels × timepoints], no copy
    if sys.argv[1] == "nibabel-rowmajor":
        del data
        m = np.ascontiguousarray(m)  # each voxel's time series contiguous, as NeuroPipe returns it
    checksum = float(m.ravel(order="F")[::9973].sum())
    print(f"{sys.argv[1]} values={m.size} checksum={checksum} read_s={time.perf_counter() - t0}")


if __name__ == "__main__":
    main()
