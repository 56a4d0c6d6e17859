"""Golden fixtures for the fMRI features: nilearn 0.14.1 (NiftiLabelsMasker region means, ConnectivityMeasure
partial correlation) and pyunicorn 1.0.0 (RecurrencePlot RQA) on small synthetic inputs. Usage: fmri_golden.py OUTDIR"""
import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from nilearn.connectome import ConnectivityMeasure
from nilearn.maskers import NiftiLabelsMasker
from pyunicorn.timeseries import RecurrencePlot

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261129)

# Region means: a 6×5×4 image of 30 volumes, an atlas with labels 0 (background), 2, 3, 7 and 9.
affine = np.diag([3.0, 3.0, 3.5, 1.0]); affine[:3, 3] = [-9, -6, -7]
data = rng.normal(size=(6, 5, 4, 30)).astype(np.float32) * 10 + 100
img = nib.Nifti1Image(data, affine); img.header.set_zooms((3.0, 3.0, 3.5, 2.0))
atlas = rng.choice([0, 2, 3, 7, 9], size=(6, 5, 4)).astype(np.int16)
nib.save(img, out / "image.nii.gz")
nib.save(nib.Nifti1Image(atlas, affine), out / "atlas.nii.gz")
masker = NiftiLabelsMasker(labels_img=str(out / "atlas.nii.gz"))
series = masker.fit_transform(str(out / "image.nii.gz"))
cases = {"labels": [2, 3, 7, 9], "region_means": series.T.tolist()}

# Partial correlation of correlated region series (T × R), two shapes.
pc = []
for t, r in [(120, 8), (60, 20)]:
    mix = rng.normal(size=(r, r)) * 0.4 + np.eye(r)
    x = rng.normal(size=(t, r)) @ mix
    m = ConnectivityMeasure(kind="partial correlation").fit_transform([x])[0]
    pc.append({"x": x.T.tolist(), "partial_correlation": m.tolist()})
cases["partial_correlation"] = pc

# RQA on series of multiples of 1/16 (exact in pyunicorn's float32), absolute thresholds off the 1/16 grid.
rqa = []
for n, dim, tau, thr, metric in [(150, 1, 1, 0.53, "supremum"), (150, 3, 2, 0.78, "supremum"), (120, 2, 3, 1.03, "manhattan"), (200, 4, 1, 0.91, "supremum")]:
    s = np.round(np.cumsum(rng.normal(size=n)) * 4) / 16   # a random walk: long recurrent structures
    s = np.clip(s, -60, 60)
    rp = RecurrencePlot(s, dim=dim, tau=tau, threshold=thr, metric=metric, silence_level=2)
    rqa.append({"series": s.tolist(), "dim": dim, "tau": tau, "threshold": thr, "metric": metric,
                "rr": float(rp.recurrence_rate()), "det": float(rp.determinism(2)), "l": float(rp.average_diaglength(2)),
                "lam": float(rp.laminarity(2)), "tt": float(rp.trapping_time(2))})
cases["rqa"] = rqa
(out / "fmri.json").write_text(json.dumps(cases))
