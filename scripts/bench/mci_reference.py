"""Reference side of scripts/bench/mci (MNE 1.13, mne-connectivity 0.9, pyRiemann 0.12, scikit-learn 1.9).

usage: mci_reference.py features COHORT [LIMIT]
         The EEG feature path of pipelines/mci-eeg.yaml written with MNE/pyRiemann, participant after participant:
         read EDF, 10-20 channels, average reference, 1-45 Hz FIR band-pass + 50 Hz notch, 2 s epochs with 200 µV
         peak-to-peak rejection (bad spans annotated), Welch (4 s windows, bad spans excluded), relative band powers,
         spectral features, coherence/imcoh/PLI/wPLI (mne-connectivity, fourier), Ledoit-Wolf covariance and
         order-2 lag-4 augmented covariance per epoch and their Riemannian means. Prints JSON with seconds per participant.
       mci_reference.py classify COHORT DERIVATIVES
         The group-level protocol of classify-table / classify-covariances through scikit-learn/pyRiemann on
         NeuroPipe's own features (so only the protocol differs): RepeatedStratifiedKFold(5, 5), median imputation +
         standardisation + class-balanced liblinear logistic regression with C from an inner 3-fold GridSearchCV,
         Platt calibration on inner 3-fold out-of-fold scores (CalibratedClassifierCV(sigmoid, cv=3, ensemble=False),
         once as scikit-learn ships it and once with NeuroPipe's monotone constraint); TangentSpace + the same LR; MDM.
         Out-of-fold probabilities averaged over repeats, AUROC with a 1000-resample participant bootstrap 95% interval.
"""
import glob
import json
import os
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
CHANNELS = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]
OLD = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30), "gamma": (30, 45)}


def features(path):
    import mne
    from mne_connectivity import spectral_connectivity_epochs
    from pyriemann.estimation import Covariances
    from pyriemann.utils.mean import mean_riemann

    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    raw.rename_channels({k: v for k, v in OLD.items() if k in raw.ch_names})
    raw.pick(CHANNELS)
    raw.set_eeg_reference("average", verbose="error")
    raw.filter(1, 45, verbose="error")
    raw.notch_filter(50, verbose="error")
    fs = raw.info["sfreq"]
    epochs = mne.make_fixed_length_epochs(raw, duration=2.0, preload=True, verbose="error")
    epochs.drop_bad(reject=dict(eeg=200e-6), verbose="error")
    kept = epochs.events[:, 0]
    all_starts = np.arange(0, raw.n_times - int(2 * fs) + 1, int(2 * fs))
    bad = [s for s in all_starts if s not in set(kept)]
    raw.set_annotations(mne.Annotations([s / fs for s in bad], [2.0] * len(bad), ["BAD_artifact"] * len(bad)))
    spectrum = raw.compute_psd(method="welch", fmax=45, n_fft=int(4 * fs), reject_by_annotation=True, verbose="error")
    psd, f = spectrum.get_data(return_freqs=True)
    total = psd[:, (f >= 1) & (f < 45)].sum(axis=1)
    relative = {b: psd[:, (f >= lo) & (f < hi)].sum(axis=1) / total for b, (lo, hi) in BANDS.items()}
    a = (f >= 7) & (f <= 13)
    iaf = f[a][np.argmax(psd[:, a], axis=1)]
    cog = (psd[:, a] * f[a]).sum(axis=1) / psd[:, a].sum(axis=1)
    p = psd[:, (f >= 1) & (f < 45)]
    p = p / p.sum(axis=1, keepdims=True)
    entropy = -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])
    fit = (f >= 2) & (f < 40)
    slopes = [np.polyfit(np.log10(f[fit]), np.log10(psd[c, fit]), 1)[0] for c in range(len(CHANNELS))]
    conn = spectral_connectivity_epochs(epochs, method=["coh", "imcoh", "pli", "wpli"], mode="fourier", fmin=(4, 8, 13), fmax=(8, 13, 30),
                                        faverage=True, verbose="error")
    x = epochs.get_data()
    covs = Covariances("lwf").transform(x)
    order, lag = 2, 4
    length = x.shape[2] - order * lag
    acm = np.concatenate([x[:, :, k * lag:k * lag + length] for k in range(order)], axis=1)
    acm_covs = Covariances("lwf").transform(acm)
    return dict(relative=relative, iaf=iaf, cog=cog, entropy=entropy, slopes=slopes, conn=[c.get_data() for c in conn],
                mean=mean_riemann(covs), acm_mean=mean_riemann(acm_covs), kept=len(kept))


def run_features(cohort, limit):
    paths = sorted(glob.glob(os.path.join(cohort, "sub-*", "eeg", "*_eeg.edf")))[:limit]
    features(paths[0])  # imports and first-call set-up outside the timing
    seconds = []
    for p in paths:
        t = time.perf_counter()
        features(p)
        seconds.append(time.perf_counter() - t)
    print(json.dumps({"participants": len(paths), "seconds": seconds, "median_seconds": float(np.median(seconds))}))


def bootstrap_auroc(y, p, draws=1000, seed=77):
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        i = rng.integers(0, len(y), len(y))
        if len(set(y[i])) == 2:
            values.append(roc_auc_score(y[i], p[i]))
    return float(roc_auc_score(y, p)), float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def run_classify(cohort, derivatives):
    import h5py
    import pandas as pd
    from pyriemann.classification import MDM
    from pyriemann.tangentspace import TangentSpace
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    participants = pd.read_csv(os.path.join(cohort, "participants.tsv"), sep="\t").set_index("participant_id")
    table = pd.read_csv(os.path.join(derivatives, "group", "feature_table_table.tsv"), sep="\t")
    wide = table.pivot(index="participant_id", columns="channel")
    wide.columns = [f"{a}[{b}]" for a, b in wide.columns]
    ids = list(wide.index)
    y = (participants.loc[ids, "group"] == "MCI").astype(int).to_numpy()
    covs = []
    for pid in ids:
        [path] = glob.glob(os.path.join(derivatives, pid, "eeg", "*desc-covariances_covariances.h5"))
        with h5py.File(path, "r") as f:
            covs.append(f["/mean"][()])
    covs = np.array(covs)

    def lr():
        return LogisticRegression(solver="liblinear", class_weight="balanced")

    def nested(pipe, key):
        return GridSearchCV(pipe, {key: [0.01, 0.1, 1, 10]}, cv=StratifiedKFold(3, shuffle=True, random_state=17), scoring="roc_auc")

    models = {
        "spectral LR": (wide.to_numpy(), lambda: nested(make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), lr()), "logisticregression__C")),
        "TS+LR": (covs, lambda: nested(make_pipeline(TangentSpace(metric="riemann"), lr()), "logisticregression__C")),
        "MDM": (covs, lambda: MDM()),
    }
    from sklearn.calibration import _sigmoid_calibration
    from sklearn.model_selection import cross_val_predict

    def logit(p):
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return np.log(p / (1 - p))

    def monotone_platt(make, X, y, train, test):
        """CalibratedClassifierCV(sigmoid, cv=3, ensemble=False) with NeuroPipe's one change: a decreasing sigmoid
        (which would reverse the ranking) is replaced by the constant smoothed positive rate."""
        inner = cross_val_predict(make(), X[train], y[train], cv=StratifiedKFold(3, shuffle=True, random_state=31), method="predict_proba")[:, 1]
        a, b = _sigmoid_calibration(logit(inner), y[train])
        if a > 0:
            pos = y[train].sum(); neg = len(train) - pos
            mean = (pos * (pos + 1) / (pos + 2) + neg / (neg + 2)) / len(train)
            a, b = 0.0, np.log((1 - mean) / mean)
        raw = make().fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        return 1 / (1 + np.exp(a * logit(raw) + b))

    out = {}
    for name, (X, make) in models.items():
        t = time.perf_counter()
        stock, monotone = np.zeros(len(y)), np.zeros(len(y))
        splitter = RepeatedStratifiedKFold(n_splits=5, n_repeats=5, random_state=0)
        for train, test in splitter.split(X, y):
            model = CalibratedClassifierCV(make(), method="sigmoid", cv=3, ensemble=False).fit(X[train], y[train])
            stock[test] += model.predict_proba(X[test])[:, 1]
            monotone[test] += monotone_platt(make, X, y, train, test)
        auc, lo, hi = bootstrap_auroc(y, monotone / 5)
        sauc, slo, shi = bootstrap_auroc(y, stock / 5)
        out[name] = {"auroc": auc, "ci95": [lo, hi], "stock_sklearn_auroc": sauc, "stock_ci95": [slo, shi], "seconds": time.perf_counter() - t}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "features":
        run_features(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10**9)
    elif sys.argv[1] == "classify":
        run_classify(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
