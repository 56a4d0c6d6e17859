"""Golden values for NeuroLearn/NeuroRiemann from pyRiemann 0.12, scikit-learn 1.9.0 and MOABB 1.7.2.

Input: EEGMMIDB S001 imagery runs 4, 8, 12 (left vs right fist), 8 sensorimotor channels, band-pass 8-35 Hz
(mne.filter.filter_data defaults), epochs 0-4 s after T1/T2 (MNE Epochs, no baseline): 45 trials × 8 × 641,
written as raw float64 so both sides use identical bits.
"""
import importlib.util
import json
import os
import sys
from pathlib import Path

import mne
import numpy as np
import pyriemann
import sklearn
from pyriemann.classification import MDM
from pyriemann.estimation import Covariances, Shrinkage
from pyriemann.tangentspace import TangentSpace
from pyriemann.utils.distance import distance_logeuclid, distance_riemann
from pyriemann.utils.mean import mean_logeuclid, mean_riemann
from sklearn.covariance import ledoit_wolf, oas
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

mne.set_log_level("ERROR")
out = Path(sys.argv[1])
data_dir = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

# MOABB's AugmentedDataset, loaded from its file (moabb/__init__ would import pandas, which is not needed here).
spec = importlib.util.find_spec("moabb")
features_path = os.path.join(spec.submodule_search_locations[0], "pipelines", "features.py")
fspec = importlib.util.spec_from_file_location("moabb_features", features_path)
features = importlib.util.module_from_spec(fspec)
fspec.loader.exec_module(features)
AugmentedDataset = features.AugmentedDataset

versions = {"pyriemann": pyriemann.__version__, "sklearn": sklearn.__version__, "mne": mne.__version__, "numpy": np.__version__,
            "moabb": "1.7.2 (AugmentedDataset from moabb/pipelines/features.py)"}


def case(name, **kw):
    kw["versions"] = versions
    (out / f"{name}.json").write_text(json.dumps(kw) + "\n")
    print("golden:", name)


picks = ["C3..", "Cz..", "C4..", "Fc3.", "Fc4.", "Cp3.", "Cp4.", "Fcz."]
X, y = [], []
for run in (4, 8, 12):
    raw = mne.io.read_raw_edf(data_dir / f"S001R{run:02d}.edf", preload=True)
    raw.pick(picks)
    raw._data = mne.filter.filter_data(raw.get_data(), raw.info["sfreq"], 8.0, 35.0)
    events, ids = mne.events_from_annotations(raw, event_id={"T1": 1, "T2": 2})
    ep = mne.Epochs(raw, events, event_id={"T1": 1, "T2": 2}, tmin=0, tmax=4, baseline=None, preload=True)
    X.append(ep.get_data() * 1e6)  # µV, as the EDF stores it
    y += ["left" if e == 1 else "right" for e in ep.events[:, 2]]
X = np.ascontiguousarray(np.concatenate(X), dtype="<f8")
y = np.array(y)
X.tofile(out / "epochs_mi.f64")
(out / "epochs_mi.json").write_text(json.dumps({"shape": list(X.shape), "labels": y.tolist(), "channels": picks, "sfreq": 160.0}) + "\n")

# Covariance estimators and shrinkage values (first 6 trials).
covs = {}
for est in ["scm", "cov", "lwf", "oas"]:
    covs[est] = Covariances(estimator=est).fit_transform(X[:6])
shr = Shrinkage(shrinkage=0.1).fit_transform(Covariances(estimator="scm").fit_transform(X[:6]))
lw = [ledoit_wolf(x.T)[1] for x in X[:6]]
oa = [oas(x.T)[1] for x in X[:6]]
case("covariances", trials=6, estimators={k: v.tolist() for k, v in covs.items()}, shrinkage_0_1=shr.tolist(), lwf_shrinkage=lw, oas_shrinkage=oa)

# Augmented covariance (MOABB) then pyRiemann "cov".
for order, lag in [(1, 1), (3, 2), (5, 1)]:
    Xa = AugmentedDataset(order=order, lag=lag).fit_transform(X[:4], y[:4])
    ca = Covariances(estimator="cov").fit_transform(Xa)
    case(f"acm_{order}_{lag}", order=order, lag=lag, trials=4, augmented_shape=list(Xa.shape), first_augmented=Xa[0].tolist(), covariances=ca.tolist())

# Geometry on lwf covariances of all trials.
C = Covariances(estimator="lwf").fit_transform(X)
case("geometry", covariances="lwf of all trials",
     distance_riemann=[float(distance_riemann(C[i], C[i + 1])) for i in range(10)],
     distance_logeuclid=[float(distance_logeuclid(C[i], C[i + 1])) for i in range(10)],
     mean_riemann=mean_riemann(C[:20]).tolist(), mean_logeuclid=mean_logeuclid(C[:20]).tolist(),
     mean_riemann_weighted=mean_riemann(C[:10], sample_weight=np.arange(1, 11, dtype=float)).tolist())
ts = TangentSpace(metric="riemann").fit(C[:30])
V = ts.transform(C[30:])
case("tangent_space", train=list(range(30)), reference=ts.reference_.tolist(), vectors=V.tolist(), inverse=ts.inverse_transform(V[:3]).tolist())

# Folds identical to StratifiedKFold(5, shuffle=False), MDM and TS+LR(liblinear), TS+LDA(shrinkage) per fold.
skf = StratifiedKFold(5, shuffle=False)
folds, mdm_pred, mdm_proba, lr_pred, lda_pred, lr_proba, svm_pred, svm_dec = [], [], [], [], [], [], [], []
for tr, te in skf.split(C, y):
    folds.append(te.tolist())
    mdm = MDM(metric="riemann").fit(C[tr], y[tr])
    mdm_pred.append(mdm.predict(C[te]).tolist())
    mdm_proba.append(mdm.predict_proba(C[te]).tolist())
    # Tight tolerance: scikit-learn's bundled liblinear and Debian's liblinear 2.3 then reach the same optimum.
    lr = make_pipeline(TangentSpace(metric="riemann"), LogisticRegression(solver="liblinear", tol=1e-10, max_iter=100000)).fit(C[tr], y[tr])
    lr_pred.append(lr.predict(C[te]).tolist())
    lr_proba.append(lr.predict_proba(C[te]).tolist())
    lda = make_pipeline(TangentSpace(metric="riemann"), LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")).fit(C[tr], y[tr])
    lda_pred.append(lda.predict(C[te]).tolist())
    from sklearn.svm import SVC
    svm = make_pipeline(TangentSpace(metric="riemann"), SVC(kernel="rbf", probability=True, random_state=0)).fit(C[tr], y[tr])
    svm_pred.append(svm.predict(C[te]).tolist())
    svm_dec.append(svm.decision_function(C[te]).tolist())
case("classification", tssvm_predictions=svm_pred, tssvm_decision=svm_dec, folds_test=folds, mdm_predictions=mdm_pred, mdm_probabilities=mdm_proba, tslr_predictions=lr_pred,
     tslr_probabilities=lr_proba, tslda_predictions=lda_pred)

# Stratified fold assignment on label sequences with uneven classes, first-appearance order and 3 classes.
seqs = [list("aabbbabbaabbbbbaaab"), list("bbbaaaccab") * 3, list("xyxyyyyyyyxyyx")]
case("stratified_kfold", cases=[{"labels": s, "k": k, "test_folds": [te.tolist() for _, te in StratifiedKFold(k).split(np.zeros(len(s)), s)]}
                                for s in seqs for k in (2, 3)])

# Metrics.
rng = np.random.default_rng(5)
yt = rng.choice(["a", "b"], 40)
yp = rng.choice(["a", "b"], 40)
sc = np.round(rng.random(40), 1)  # ties on purpose
y3 = rng.choice(["a", "b", "c"], 60)
p3 = rng.dirichlet([1, 1, 1], 60)
case("metrics", truth=yt.tolist(), predicted=yp.tolist(), scores=sc.tolist(), balanced_accuracy=float(balanced_accuracy_score(yt, yp)),
     kappa=float(cohen_kappa_score(yt, yp)), auc_binary=float(roc_auc_score(yt == "b", sc)),
     truth3=y3.tolist(), proba3=p3.tolist(), auc_ovr_macro=float(roc_auc_score(y3, p3, multi_class="ovr", average="macro")))
