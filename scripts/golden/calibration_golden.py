"""Golden fixtures for NeuroLearn's probability calibration: scikit-learn 1.9's Platt scaling
(`calibration._sigmoid_calibration`) and `IsotonicRegression(out_of_bounds="clip")` on small score sets.
Usage: calibration_golden.py OUTDIR"""
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261129)
cases = []
for name, n, scale, ties in [("balanced", 60, 1.0, False), ("imbalanced", 45, 2.5, False), ("large-scores", 50, 40.0, False), ("ties", 40, 1.0, True)]:
    y = (rng.uniform(size=n) < (0.5 if name != "imbalanced" else 0.25)).astype(int)
    s = scale * (0.8 * (2 * y - 1) + rng.normal(size=n))
    if ties:
        s = np.round(s * 2) / 2
    a, b = _sigmoid_calibration(s, y)
    iso = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    query = np.linspace(s.min() - 1, s.max() + 1, 25)
    cases.append({"name": name, "scores": s.tolist(), "truth": y.tolist(), "platt_a": float(a), "platt_b": float(b),
                  "query": query.tolist(), "platt_probability": (1 / (1 + np.exp(a * query + b))).tolist(),
                  "isotonic_probability": iso.predict(query).tolist()})
(out / "calibration.json").write_text(json.dumps({"source": "scikit-learn 1.9.0", "cases": cases}))
