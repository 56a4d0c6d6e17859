"""Reference screening tools for scripts/bench/screen, and the data generator.

  screen_reference.py make X.h5 participants.tsv N P [ACTIVE] [--float32]   synthetic data (paper design, continuous y)
  screen_reference.py TOOL X.h5 participants.tsv M                           score the first M features; prints JSON

TOOL: fasthdmi-fftkde | fasthdmi-binning | fasthdmi-pearson (fastHDMI 1.25.26, its multiprocessing dataframe
functions on all cores) | sklearn-ksg (mutual_info_regression, n_jobs=-1)."""
import json
import os
import sys
import time

import h5py
import numpy as np


def make(path, participants, n, p, active=40, float32=False):
    rng = np.random.default_rng(2026)
    z = rng.normal(size=n)
    dtype = "f4" if float32 else "f8"
    with h5py.File(path, "w") as f:
        d = f.create_dataset("X", shape=(n, p), dtype=dtype)
        f["sample_ids"] = np.array([f"sub-{i:05d}" for i in range(n)], dtype="S")
        block = 20000
        for start in range(0, p, block):
            stop = min(p, start + block)
            x = rng.normal(size=(n, stop - start))
            if start == 0:
                for j in range(min(active, stop)):  # half linear, half nonlinear associations
                    x[:, j] = (z if j % 2 == 0 else np.sin(2 * z) + z ** 2) * (0.6 + 0.01 * j) + rng.normal(size=n)
            d[:, start:stop] = x.astype(dtype)
    with open(participants, "w") as f:
        f.write("participant_id\tscore\n")
        for i in range(n):
            f.write(f"sub-{i:05d}\t{z[i] + 0.5 * rng.normal():.9f}\n")


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6].isdigit() else 40,
             "--float32" in sys.argv)
        return
    tool, path, participants, m = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        X = f["X"][:, :m].astype(np.float64)
    y = np.loadtxt(participants, skiprows=1, usecols=1, delimiter="\t")
    load = time.perf_counter() - t0
    cores = os.cpu_count()
    t1 = time.perf_counter()
    if tool == "sklearn-ksg":
        from sklearn.feature_selection import mutual_info_regression
        scores = mutual_info_regression(X, y, n_neighbors=3, random_state=0, n_jobs=-1)
    else:
        import pandas as pd
        from fastHDMI.screening import screening as s
        df = pd.DataFrame(np.column_stack([y, X]), columns=["y"] + [f"f{j}" for j in range(m)])
        fn = {"fasthdmi-fftkde": s.continuous_screening_dataframe_parallel,
              "fasthdmi-binning": s.binning_continuous_screening_dataframe_parallel,
              "fasthdmi-pearson": s.Pearson_screening_dataframe_parallel}[tool]
        scores = fn(dataframe=df, core_num=cores, verbose=0)
        if tool == "fasthdmi-pearson":
            scores = np.abs(scores)
    compute = time.perf_counter() - t1
    top = np.argsort(-np.asarray(scores))[:40].tolist()
    print(json.dumps({"tool": tool, "features": m, "load_s": load, "compute_s": compute, "top40": top}))


main()
