"""Golden fixtures for NeuroScreen: fastHDMI 1.25.26 (binning, FFT-KDE), KDEpy 1.1.12 (FFTKDE, bandwidth rules)
and scikit-learn 1.9 (KSG) scores on small synthetic data. Usage: screen_golden.py OUTDIR"""
import json
import sys
from pathlib import Path

import numpy as np
from KDEpy import FFTKDE
from KDEpy.bw_selection import improved_sheather_jones, scotts_rule, silvermans_rule
from fastHDMI import cython_fun
from fastHDMI.mi_estimation import mi_estimation as fmi
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.preprocessing import RobustScaler

assert fmi.CYTHON_AVAILABLE, "fastHDMI's Cython extension is needed (that is the code path users run)"
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261129)

n, p = 240, 36
z = rng.normal(size=n)
X = rng.normal(size=(n, p))
# Linear, quadratic, sinusoidal, heteroscedastic and step associations with z; the rest is noise.
X[:, 0] = z + 0.5 * rng.normal(size=n)
X[:, 1] = z ** 2 + 0.5 * rng.normal(size=n)
X[:, 2] = np.sin(2 * z) + 0.3 * rng.normal(size=n)
X[:, 3] = z * rng.normal(size=n)
X[:, 4] = (z > 0.3).astype(float) + 0.2 * rng.normal(size=n)
X[:, 5] = np.round(z * 2) / 2  # many ties
X[:, 6] = rng.exponential(size=n) ** 2  # heavy tail
X[:, 7] = -3 * z + rng.standard_t(3, size=n)
X[:, 8] = 1e6 + 1e3 * (z + rng.normal(size=n))  # large offset and scale
y_cont = z + 0.1 * rng.normal(size=n)
prob = 1 / (1 + np.exp(-2.5 * z))
y_bin = (rng.uniform(size=n) < prob).astype(float)
y_cat = np.digitize(z + 0.3 * rng.normal(size=n), [-0.5, 0.5]).astype(float)


def joint_to_mi(joint, a, b):
    return cython_fun.joint_to_mi_cython(np.ascontiguousarray(joint), a, b)


def robust(v):
    return RobustScaler().fit_transform(v.reshape(-1, 1)).ravel()


RULES = {"silverman": silvermans_rule, "scott": scotts_rule, "isj": improved_sheather_jones}


def kde_joint_mi(y, x, rule, grid=300):
    """Per-axis bandwidth: robust-scale, divide by the rule's bandwidth, FFTKDE(epa, norm 2, bw 1) on the autogrid."""
    cols = []
    for v in (y, x):
        r = robust(v)
        h = 1.0 if rule == "fixed1" else RULES[rule](r.reshape(-1, 1))
        cols.append(r / h)
    data = np.column_stack(cols)
    g, joint = FFTKDE(kernel="epa", norm=2, bw=1).fit(data).evaluate((grid, grid))
    joint = joint.reshape(grid, grid)
    joint[joint < 0] = 0
    a_step, b_step = g[grid, 0] - g[0, 0], g[1, 1] - g[0, 1]
    return joint_to_mi(joint, a_step, b_step)


def kde_class_mi(labels, x, rule, grid=500):
    r = robust(x)
    classes = np.unique(labels)
    bws = {}
    for c in classes:
        rc = r[labels == c]
        bws[c] = RULES[rule](rc.reshape(-1, 1)) if rule != "fixed1" else 1.0
    widest = max(bws.values())
    margin = max(0.05 * (r.max() - r.min()), np.sqrt(5) * widest)
    axis = np.linspace(r.min() - margin, r.max() + margin, grid)
    joint = np.zeros((grid, len(classes)))
    for i, c in enumerate(classes):
        rc = r[labels == c]
        dens = FFTKDE(kernel="epa", bw=bws[c]).fit(rc).evaluate(axis)
        joint[:, i] = dens * (len(rc) / len(r))
    joint[joint < 0] = 0
    return joint_to_mi(joint, axis[1] - axis[0], 1.0)


cols = [X[:, j].copy() for j in range(p)]
res = {
    "X": X.tolist(), "y_continuous": y_cont.tolist(), "y_binary": y_bin.tolist(), "y_categorical": y_cat.tolist(),
    "pearson_r": [float(np.corrcoef(y_cont, c)[0, 1]) for c in cols],
    "pearson_r_binary": [float(np.corrcoef(y_bin, c)[0, 1]) for c in cols],
    "binning_continuous": [cython_fun.binning_MI_cython(y_cont, c) for c in cols],
    "binning_binary": [cython_fun.binning_MI_discrete_cython(y_bin, c) for c in cols],
    "binning_categorical": [cython_fun.binning_MI_discrete_cython(y_cat, c) for c in cols],
    # fastHDMI's own FFT-KDE path (bandwidth 1 on robust-scaled data, since the computed bandwidth is never passed).
    "fasthdmi_fftkde_continuous": [fmi.MI_continuous_continuous(y_cont, c, bw_multiplier=1.0) for c in cols],
    "kdepy_fixed1_continuous": [kde_joint_mi(y_cont, c, "fixed1") for c in cols],
    "kdepy_silverman_continuous": [kde_joint_mi(y_cont, c, "silverman") for c in cols],
    "kdepy_scott_continuous": [kde_joint_mi(y_cont, c, "scott") for c in cols[:6]],
    "kdepy_isj_continuous": [kde_joint_mi(y_cont, c, "isj") for c in cols[:6]],
    "kdepy_silverman_binary": [kde_class_mi(y_bin, c, "silverman") for c in cols],
    "kdepy_silverman_categorical": [kde_class_mi(y_cat, c, "silverman") for c in cols],
    "ksg_continuous": mutual_info_regression(X, y_cont, n_neighbors=3, random_state=0).tolist(),
    "ksg_binary": mutual_info_classif(X, y_bin, n_neighbors=3, discrete_features=False, random_state=0).tolist(),
    "ksg_categorical": mutual_info_classif(X, y_cat, n_neighbors=3, discrete_features=False, random_state=0).tolist(),
    "bandwidths": {name: [float(f(robust(c).reshape(-1, 1))) for c in cols[:8]] for name, f in RULES.items()},
    "robust_columns": [robust(c).tolist() for c in cols[:8]],
}
(out / "screen.json").write_text(json.dumps(res) + "\n")
print("wrote", out / "screen.json")
