"""Golden fixture for NeuroLatent's GPFA: Elephant 1.2.1's EM (gpfa_core.em, exact inference, RBF kernels,
diagonal R) for 15 iterations from its own factor-analysis initialisation, log-likelihood every iteration.
Usage: gpfa_golden.py OUTDIR"""
import json
import sys
from pathlib import Path

import numpy as np
from elephant.gpfa import gpfa_core
from sklearn.decomposition import FactorAnalysis

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(2009)
q, k, T = 12, 2, 60
t = np.arange(T)
X = np.array([np.linalg.cholesky(np.exp(-(t[:, None] - t[None, :]) ** 2 / (2 * tau ** 2)) + 1e-6 * np.eye(T)) @ rng.normal(size=T)
              for tau in [3.0, 8.0]])
C = rng.normal(size=(q, k))
y = C @ X + 0.5 + rng.uniform(0.3, 1.0, size=(q, 1)) * rng.normal(size=(q, T))

seqs = np.empty(1, dtype=[("T", int), ("y", object)])
seqs[0]["T"] = T
seqs[0]["y"] = y
fa = FactorAnalysis(n_components=k, copy=True, noise_variance_init=np.diag(np.cov(y, bias=True)))
fa.fit(y.T)
init = {"covType": "rbf", "gamma": np.full(k, (1 / 5.0) ** 2), "eps": np.full(k, 1e-3), "d": y.mean(axis=1), "C": fa.components_.T,
        "R": np.diag(fa.noise_variance_), "notes": {"learnKernelParams": True, "learnGPNoise": False, "RforceDiagonal": True}}
init_json = {"C": init["C"].tolist(), "d": init["d"].tolist(), "R": np.diag(init["R"]).tolist(), "gamma": init["gamma"].tolist(), "eps": init["eps"].tolist()}
iterations = 15
params, latent, lls, _ = gpfa_core.em({**init, "C": init["C"].copy(), "R": init["R"].copy()}, seqs, max_iters=iterations, tol=-np.inf, freq_ll=1)
assert len(lls) == iterations, len(lls)
res = {"y": y.tolist(), "k": k, "iterations": iterations, "init": init_json, "log_likelihoods": list(map(float, lls)),
       "C": params["C"].tolist(), "d": params["d"].tolist(), "R": np.diag(params["R"]).tolist(), "gamma": params["gamma"].tolist(),
       "latents": latent[0]["latent_variable"].tolist(), "true_latents": X.tolist()}
(out / "gpfa.json").write_text(json.dumps(res) + "\n")
print("wrote", out / "gpfa.json")
