"""pyRiemann/MOABB side of scripts/bench/riemann (and the input generator).

usage: riemann_reference.py generate FILE TRIALS CHANNELS SAMPLES
       riemann_reference.py run FILE TRIALS CHANNELS SAMPLES ORDER LAG
Stages: ACM covariances ('cov'), Riemannian mean of all, MDM fit (5/6 of trials) + predict, ACM+TS+SVM fit + predict.
"""
import importlib.util
import os
import sys
import time

import numpy as np


def main():
    mode, path = sys.argv[1], sys.argv[2]
    trials, ch, n = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if mode == "generate":
        rng = np.random.default_rng(0)
        mix = rng.normal(size=(2, ch, ch))
        X = np.empty((trials, ch, n))
        for t in range(trials):
            s = rng.normal(size=(ch, n))
            s = np.cumsum(s, axis=1) * 0.1 + s  # some temporal structure for the embedding
            X[t] = mix[t % 2] @ s
        X.astype("<f8").tofile(path)
        print(f"generated {path}")
        return
    order, lag = int(sys.argv[6]), int(sys.argv[7])
    X = np.fromfile(path, dtype="<f8").reshape(trials, ch, n)
    y = np.array(["a", "b"] * (trials // 2))
    spec = importlib.util.find_spec("moabb")
    fspec = importlib.util.spec_from_file_location("f", os.path.join(spec.submodule_search_locations[0], "pipelines", "features.py"))
    features = importlib.util.module_from_spec(fspec)
    fspec.loader.exec_module(features)
    from pyriemann.classification import MDM
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace
    from pyriemann.utils.mean import mean_riemann
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC
    times = {}
    t0 = time.perf_counter()
    C = Covariances("cov").fit_transform(features.AugmentedDataset(order=order, lag=lag).fit_transform(X, y))
    times["acm_covariances"] = time.perf_counter() - t0
    t0 = time.perf_counter(); M = mean_riemann(C); times["riemann_mean"] = time.perf_counter() - t0
    split = trials * 5 // 6
    t0 = time.perf_counter()
    mdm = MDM().fit(C[:split], y[:split]); p1 = mdm.predict(C[split:])
    times["mdm_fit_predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    svm = make_pipeline(TangentSpace(), SVC(kernel="rbf", probability=True)).fit(C[:split], y[:split]); p2 = svm.predict(C[split:])
    times["ts_svm_fit_predict"] = time.perf_counter() - t0
    print("pyriemann " + " ".join(f"{k}={v:.3f}" for k, v in times.items()) + f" n={C.shape[1]} mdm_acc={np.mean(p1 == y[split:]):.3f} svm_acc={np.mean(p2 == y[split:]):.3f}")


if __name__ == "__main__":
    main()
