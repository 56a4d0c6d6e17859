"""The fastHDMI paper's simulation design for feature screening, run through `neuropipe screen` and fastHDMI 1.25.26.

n = 1000 samples, p = 5000 independent N(0, 1) features, 40 active. Outcomes:
  linear      eta = sum_j b_j x_j                       (b_j = +-1 alternating)
  nonlinear   eta = sum_j g_j(x_j), g cycling through sin(2x), x^2 - 1, |x| - 0.8, cos(2x)  (all ~zero Pearson r)
  continuous  y = c * eta + N(0, 1);  binary  y ~ Bernoulli(sigmoid(c * eta)), c setting the signal variance to 1.5.
Metrics per estimator: recovery@40 and recovery@400 (share of the 40 active features among the top k) and AUROC of
the scores for active vs inactive features; means over seeds. Usage: screen_simulation.py NEUROPIPE OUTDIR [SEEDS]"""
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from fastHDMI.screening import screening as fs
from sklearn.metrics import roc_auc_score

neuropipe, out = sys.argv[1], Path(sys.argv[2])
seeds = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "0,1,2").split(",")]
out.mkdir(parents=True, exist_ok=True)
n, p, k = 1000, 5000, 40
G = [lambda x: np.sin(2 * x), lambda x: x ** 2 - 1, lambda x: np.abs(x) - 0.8, lambda x: np.cos(2 * x)]


def simulate(seed, design, outcome):
    rng = np.random.default_rng(1000 * seed + (design == "nonlinear") * 10 + (outcome == "binary"))
    X = rng.normal(size=(n, p))
    active = rng.choice(p, size=k, replace=False)
    if design == "linear":
        eta = sum((1 if i % 2 == 0 else -1) * X[:, j] for i, j in enumerate(active))
    else:
        eta = sum(G[i % 4](X[:, j]) for i, j in enumerate(active))
    eta = eta / eta.std() * np.sqrt(1.5)
    y = eta + rng.normal(size=n) if outcome == "continuous" else (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, set(active.tolist())


def metrics(scores, active):
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    order = np.argsort(-scores, kind="stable")
    truth = np.array([j in active for j in range(p)])
    return {"recovery@40": len(set(order[:40].tolist()) & active) / k, "recovery@400": len(set(order[:400].tolist()) & active) / k,
            "auroc": float(roc_auc_score(truth, np.where(np.isfinite(scores), scores, -1e300)))}


def run_neuropipe(X, y, method, extra, tag):
    d = out / tag
    d.mkdir(exist_ok=True)
    with h5py.File(d / "X.h5", "w") as f:
        f["X"] = X
    with open(d / "y.tsv", "w") as f:
        f.write("y\n" + "".join(f"{float(v)!r}\n" for v in y))
    t = time.perf_counter()
    subprocess.run([neuropipe, "screen", "--features", str(d / "X.h5"), "--outcome", str(d / "y.tsv"), "--method", method, *extra,
                    "--out", str(d / "ranking.tsv")], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    scores = np.full(p, np.nan)
    with open(d / "ranking.tsv") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            scores[int(r["feature"].split("_")[1])] = float(r["score"]) if r["score"] != "n/a" else np.nan
    return scores, seconds


def run_fasthdmi(X, y, method, outcome):
    df = pd.DataFrame(np.column_stack([y, X]), columns=["y"] + [f"f{j}" for j in range(p)])
    fn = {("fftkde", "continuous"): fs.continuous_screening_dataframe_parallel,
          ("fftkde", "binary"): fs.binary_screening_dataframe_parallel,
          ("binning", "continuous"): fs.binning_continuous_screening_dataframe_parallel,
          ("binning", "binary"): fs.binning_binary_screening_dataframe_parallel,
          ("pearson", "continuous"): fs.Pearson_screening_dataframe_parallel,
          ("pearson", "binary"): fs.Pearson_screening_dataframe_parallel}[(method, outcome)]
    t = time.perf_counter()
    scores = np.asarray(fn(dataframe=df, core_num=2, verbose=0), dtype=float)
    return (np.abs(scores) if method == "pearson" else scores), time.perf_counter() - t


ESTIMATORS = [("NeuroPipe pearson", "np", "pearson", []), ("NeuroPipe binning", "np", "binning", []),
              ("NeuroPipe fftkde (Silverman per axis)", "np", "fftkde", []), ("NeuroPipe fftkde --bandwidth 1", "np", "fftkde", ["--bandwidth", "1"]),
              ("NeuroPipe ksg (k = 3)", "np", "ksg", []),
              ("fastHDMI Pearson", "fh", "pearson", []), ("fastHDMI binning", "fh", "binning", []), ("fastHDMI FFT-KDE", "fh", "fftkde", [])]
rows = []
for design in ["linear", "nonlinear"]:
    for outcome in ["continuous", "binary"]:
        acc = {name: [] for name, *_ in ESTIMATORS}
        secs = {name: [] for name, *_ in ESTIMATORS}
        for seed in seeds:
            X, y, active = simulate(seed, design, outcome)
            for name, tool, method, extra in ESTIMATORS:
                if tool == "np":
                    scores, s = run_neuropipe(X, y, method, extra + (["--outcome-type", "binary"] if outcome == "binary" else []), f"{design}-{outcome}-{seed}")
                else:
                    scores, s = run_fasthdmi(X, y, method, outcome)
                acc[name].append(metrics(scores, active))
                secs[name].append(s)
                print(f"{design} {outcome} seed {seed} {name}: {acc[name][-1]} {s:.1f} s", file=sys.stderr, flush=True)
        for name, *_ in ESTIMATORS:
            mean = {m: float(np.mean([a[m] for a in acc[name]])) for m in ["recovery@40", "recovery@400", "auroc"]}
            rows.append({"design": design, "outcome": outcome, "estimator": name, **mean, "seconds": float(np.mean(secs[name]))})
(out / "results.json").write_text(json.dumps({"n": n, "p": p, "active": k, "seeds": seeds, "rows": rows}, indent=1) + "\n")
print(f"| association | outcome | estimator | recovery@40 | recovery@400 | AUROC | seconds |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['design']} | {r['outcome']} | {r['estimator']} | {r['recovery@40']:.2f} | {r['recovery@400']:.2f} | {r['auroc']:.3f} | {r['seconds']:.1f} |")
