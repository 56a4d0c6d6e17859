"""BrainIAK 0.12 side of scripts/bench/srm: fit SRM or DetSRM for N iterations on /subjects/<id>/data of an HDF5 file.
Usage: srm_reference.py srm|detsrm DATA.h5 K ITERATIONS"""
import json
import sys
import time

import h5py
import numpy as np
from brainiak.funcalign.srm import SRM, DetSRM

kind, path, k, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with h5py.File(path, "r") as f:
    ids = sorted(f["subjects"].keys())
    data = [f[f"subjects/{i}/data"][...] for i in ids]
t = time.perf_counter()
model = (SRM if kind == "srm" else DetSRM)(n_iter=iterations, features=k, rand_seed=0).fit(data)
print(json.dumps({"fit_s": time.perf_counter() - t, "shared_shape": list(model.s_.shape)}))
