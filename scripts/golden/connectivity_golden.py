"""Golden band connectivity from mne-connectivity 0.9.0 (spectral_connectivity_epochs, mode="fourier", faverage).

Writes Tests/Fixtures/golden/dsp/connectivity_<case>.json. Inputs are raw little-endian float64
[channels × samples] files in Tests/Fixtures/golden/dsp/inputs, cut into consecutive epochs of `epoch` samples.
Every pair a < b is passed explicitly as (seed a, target b), so csd = X_a · conj(X_b) as NeuroPipe defines it.
"""
import json
import sys
from pathlib import Path

import mne
import mne_connectivity
import numpy as np

out = Path(sys.argv[1])
inputs = out / "inputs"
mne.set_log_level("ERROR")


def save_input(name, x, fs):
    x = np.ascontiguousarray(np.atleast_2d(x), dtype="<f8")
    x.tofile(inputs / f"{name}.f64")
    (inputs / f"{name}.json").write_text(json.dumps({"channels": x.shape[0], "samples": x.shape[1], "sfreq": fs}) + "\n")
    return x


def load_input(name):
    meta = json.loads((inputs / f"{name}.json").read_text())
    x = np.fromfile(inputs / f"{name}.f64", dtype="<f8").reshape(meta["channels"], meta["samples"])
    return x, meta["sfreq"]


def case(name, input_name, epoch, bands):
    x, fs = load_input(input_name)
    n_ch = x.shape[0]
    n_ep = x.shape[1] // epoch
    data = x[:, : n_ep * epoch].reshape(n_ch, n_ep, epoch).transpose(1, 0, 2)  # [epochs × channels × times]
    pairs = [(a, b) for a in range(n_ch) for b in range(a + 1, n_ch)]
    indices = (np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    methods = ["coh", "imcoh", "pli", "wpli"]
    cons = mne_connectivity.spectral_connectivity_epochs(
        data, method=methods, indices=indices, sfreq=fs, mode="fourier",
        fmin=tuple(b[1] for b in bands), fmax=tuple(b[2] for b in bands), faverage=True)
    rows = []
    for k, (a, b) in enumerate(pairs):
        for bi, band in enumerate(bands):
            rows.append({"a": a, "b": b, "band": band[0], **{m: float(c.get_data()[k, bi]) for m, c in zip(methods, cons)}})
    (out / f"connectivity_{name}.json").write_text(json.dumps({
        "input": input_name, "epoch": epoch, "bands": [list(b) for b in bands], "rows": rows,
        "versions": {"mne_connectivity": mne_connectivity.__version__, "mne": mne.__version__, "numpy": np.__version__}}) + "\n")
    print("golden: connectivity_" + name)


standard = [("theta", 4.0, 8.0), ("alpha", 8.0, 13.0), ("beta", 13.0, 30.0)]
# Real resting EEG (the DSP fixtures' 4-channel EEGMMIDB excerpt), 2 s epochs at 160 Hz: band edges fall on bins.
case("eeg_rest_2s", "eeg_rest", 320, standard)
# Lagged 10 Hz sines with per-epoch phase and noise, odd epoch length (bins off the band edges).
rng = np.random.default_rng(7)
fs, n, n_ep = 250.0, 251, 30
t = np.arange(n) / fs
ep = []
for i in range(n_ep):
    ph = rng.uniform(0, 2 * np.pi)
    a = np.sin(2 * np.pi * 10 * t + ph) + 0.5 * rng.standard_normal(n)
    b = np.sin(2 * np.pi * 10 * t + ph - 0.8) + 0.5 * rng.standard_normal(n)
    c = rng.standard_normal(n) + 3.0  # offset: the mean removal matters
    ep.append(np.stack([a, b, c]))
save_input("lagged_sines", np.concatenate(ep, axis=1), fs)
case("lagged_sines", "lagged_sines", n, standard + [("ten", 9.5, 10.5)])
