"""Golden fixtures for NeuroLatent: BrainIAK 0.12 SRM and DetSRM (10 iterations, with their initial W exported),
and the BrainIAK SRM tutorial's time-segment matching. Usage: srm_golden.py OUTDIR"""
import json
import sys
from pathlib import Path

import numpy as np
from brainiak.funcalign.srm import SRM, DetSRM
from scipy import stats

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(495)
k, T, voxels = 4, 60, [30, 35, 40, 30]
t = np.arange(T)
latents = []
for tau in [2.0, 4.0, 8.0, 16.0]:
    K = np.exp(-(t[:, None] - t[None, :]) ** 2 / (2 * tau ** 2)) + 1e-6 * np.eye(T)
    latents.append(np.linalg.cholesky(K) @ rng.normal(size=T))
S = np.array(latents)
data = []
for v in voxels:
    W, _ = np.linalg.qr(rng.normal(size=(v, k)))
    x = W @ S * np.sqrt(v / k) + rng.uniform(0.5, 1.5, size=(v, 1)) * rng.normal(size=(v, T))
    data.append(x - x.mean(axis=1, keepdims=True))  # centred: BrainIAK's fit and transform then agree on centring


def time_segment_matching(data, win_size=10):
    """The BrainIAK SRM tutorial's classifier (leave one subject out)."""
    nsubjs = len(data)
    (ndim, nsample) = data[0].shape
    accu = np.zeros(shape=nsubjs)
    nseg = nsample - win_size
    trn_data = np.zeros((ndim * win_size, nseg), order='f')
    for m in range(nsubjs):
        for w in range(win_size):
            trn_data[w * ndim:(w + 1) * ndim, :] += data[m][:, w:(w + nseg)]
    for tst_subj in range(nsubjs):
        tst_data = np.zeros((ndim * win_size, nseg), order='f')
        for w in range(win_size):
            tst_data[w * ndim:(w + 1) * ndim, :] = data[tst_subj][:, w:(w + nseg)]
        A = np.nan_to_num(stats.zscore((trn_data - tst_data), axis=0, ddof=1))
        B = np.nan_to_num(stats.zscore(tst_data, axis=0, ddof=1))
        corr_mtx = np.corrcoef(B.T, A.T)[:nseg, nseg:]
        for i in range(nseg):
            for j in range(nseg):
                if abs(i - j) < win_size and i != j:
                    corr_mtx[i, j] = -np.inf
        max_idx = np.argmax(corr_mtx, axis=1)
        accu[tst_subj] = sum(max_idx == range(nseg)) / nseg
    return accu


res = {"data": [x.tolist() for x in data], "k": k, "iterations": 10}
for name, cls in [("srm", SRM), ("detsrm", DetSRM)]:
    w0 = cls(n_iter=0, features=k, rand_seed=0).fit(data).w_
    model = cls(n_iter=10, features=k, rand_seed=0).fit(data)
    res[name] = {"w0": [w.tolist() for w in w0], "w": [w.tolist() for w in model.w_], "s": model.s_.tolist()}
    if name == "srm":
        res[name]["sigma_s"] = model.sigma_s_.tolist()
        res[name]["rho2"] = model.rho2_.tolist()
    shared = model.transform(data)
    res[name]["transformed"] = [s.tolist() for s in shared]
    res[name]["tsm_window5"] = time_segment_matching(shared, 5).tolist()
(out / "srm.json").write_text(json.dumps(res) + "\n")
print("wrote", out / "srm.json")
