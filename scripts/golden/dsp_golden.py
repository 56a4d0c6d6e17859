"""Golden values for NeuroDSP from SciPy 1.17.1 (and MNE 1.13.2 where MNE defines the method).

Writes Tests/Fixtures/golden/dsp/<case>.json; each case names its input, a raw little-endian float64 file
[channels × samples] in Tests/Fixtures/golden/dsp/inputs (written here, so both sides use identical bits).
"""
import json
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.signal as ss

out = Path(sys.argv[1])
inputs = out / "inputs"
inputs.mkdir(parents=True, exist_ok=True)
cases = {}


def save_input(name, x, fs):
    x = np.ascontiguousarray(np.atleast_2d(x), dtype="<f8")
    x.tofile(inputs / f"{name}.f64")
    (inputs / f"{name}.json").write_text(json.dumps({"channels": x.shape[0], "samples": x.shape[1], "sfreq": fs}) + "\n")
    return x


def case(name, **kw):
    kw["versions"] = {"scipy": scipy.__version__, "numpy": np.__version__}
    (out / f"{name}.json").write_text(json.dumps(kw) + "\n")
    print("golden:", name)


# Inputs: real resting EEG (EEGMMIDB S001R01, eyes open; 4 channels, physical µV as edfio reads them) and
# synthetic sines with noise.
import edfio
e = edfio.read_edf(sys.argv[2])
eeg = save_input("eeg_rest", np.array([s.data for s in e.signals[:64:16]]), 160.0)
rng = np.random.default_rng(1)
t = np.arange(4000) / 250.0
syn = save_input("synthetic", np.array([
    10 * np.sin(2 * np.pi * 10 * t) + rng.normal(0, 1, t.size),
    5 * np.sin(2 * np.pi * 6 * t + 0.3) + 3 * np.sin(2 * np.pi * 20 * t) + rng.normal(0, 1, t.size) + 0.01 * t * 250,
    rng.normal(0, 2, t.size),
]), 250.0)

welch_settings = [
    ("default", {}),
    ("hamming_linear_spectrum_nfft", {"window": "hamming", "nperseg": 200, "noverlap": 50, "nfft": 512, "detrend": "linear", "scaling": "spectrum"}),
    ("boxcar_median_nodetrend", {"window": "boxcar", "nperseg": 128, "noverlap": 0, "detrend": False, "average": "median"}),
    ("odd_nfft_median", {"nperseg": 101, "noverlap": 40, "nfft": 255, "average": "median"}),
    ("nperseg_longer_than_signal", {"nperseg": 100000}),
]
for inp, x, fs in [("eeg_rest", eeg, 160.0), ("synthetic", syn, 250.0)]:
    for label, kw in welch_settings:
        f, p = ss.welch(x, fs=fs, axis=-1, **kw)
        settings = {k: (v if v is not False else "none") for k, v in kw.items()}
        case(f"welch_{inp}_{label}", input=inp, settings=settings, freqs=f.tolist(), psd=p.tolist())
    pairs = [[0, 1], [1, 2], [0, 2]]
    for label, kw in welch_settings[:2]:
        coh, csd_re, csd_im = [], [], []
        for i, j in pairs:
            f, c = ss.coherence(x[i], x[j], fs=fs, **{k: v for k, v in kw.items() if k != "scaling"})
            _, pxy = ss.csd(x[i], x[j], fs=fs, **kw)
            coh.append(c.tolist()); csd_re.append(pxy.real.tolist()); csd_im.append(pxy.imag.tolist())
        case(f"coherence_{inp}_{label}", input=inp, settings={k: (v if v is not False else "none") for k, v in kw.items()},
             pairs=pairs, freqs=f.tolist(), coherence=coh, csd_re=csd_re, csd_im=csd_im)

# ---- Filters and resampling (shorter inputs keep the fixtures small; edges are included) ----
import mne  # noqa: E402
mne.set_log_level("ERROR")
eeg_short = save_input("eeg_short", eeg[:2, :3000], 160.0)
syn_short = save_input("synthetic_short", syn[:2, :2000], 250.0)

for inp, x, fs in [("eeg_short", eeg_short, 160.0), ("synthetic_short", syn_short, 250.0)]:
    for order, cut, kind in [(4, [8.0, 35.0], "bandpass"), (2, 1.0, "highpass"), (6, 30.0, "lowpass"), (3, [45.0, 55.0], "bandstop")]:
        sos = ss.butter(order, cut, btype=kind, fs=fs, output="sos")
        y = ss.sosfiltfilt(sos, x, axis=-1)
        case(f"butter_{inp}_{kind}{order}", input=inp, order=order, cutoffs=np.atleast_1d(cut).tolist(), kind=kind,
             sos=sos.tolist(), output=y.tolist())
    # MNE default FIR filters (filter_data with its defaults: firwin, hamming, zero phase, reflect_limited).
    for l_freq, h_freq in [(1.0, 40.0), (8.0, 35.0), (1.0, None), (None, 30.0), (0.5, 45.0)]:
        h = mne.filter.create_filter(x, fs, l_freq, h_freq, fir_design="firwin", verbose=False)
        y = mne.filter.filter_data(x, fs, l_freq, h_freq, verbose=False)
        case(f"mnefir_{inp}_{l_freq}_{h_freq}", input=inp, l_freq=l_freq, h_freq=h_freq, h=h.tolist(), output=y.tolist())
    notch = [50.0, 100.0] if fs == 250.0 else [60.0]
    h = mne.filter.create_filter(x, fs, [f + f / 400 + 0.5 for f in notch], [f - f / 400 - 0.5 for f in notch],
                                 l_trans_bandwidth=0.5, h_trans_bandwidth=0.5, fir_design="firwin", verbose=False)
    y = mne.filter.notch_filter(x, fs, notch, verbose=False)
    case(f"mnenotch_{inp}", input=inp, freqs=notch, h=h.tolist(), output=y.tolist())
    for up, down in [(1, 2), (2, 1), (3, 2), (8, 5), (5, 8)]:
        y = ss.resample_poly(x, up, down, axis=-1)
        case(f"resample_{inp}_{up}_{down}", input=inp, up=up, down=down, output=y.tolist())

for numtaps, cutoff, pass_zero, window in [(101, [10.0], True, "hamming"), (64, [20.0], True, "hann"), (51, [8.0, 30.0], False, "hamming"),
                                           (51, [8.0, 30.0], True, "hamming"), (31, [40.0], False, "boxcar")]:
    h = ss.firwin(numtaps, cutoff, window=window, pass_zero=pass_zero, fs=160.0)
    case(f"firwin_{numtaps}_{'_'.join(map(str, cutoff))}_{pass_zero}_{window}", numtaps=numtaps, cutoffs=cutoff, pass_zero=pass_zero,
         window=window, fs=160.0, h=h.tolist())

# ---- Multitaper (MNE psd_array_multitaper, adaptive=False) and DPSS (scipy) ----
from mne.time_frequency import psd_array_multitaper  # noqa: E402
for inp, x, fs in [("eeg_short", eeg_short, 160.0), ("synthetic_short", syn_short, 250.0)]:
    for label, kw in [("default", {}), ("bw2_full", {"bandwidth": 2.0, "normalization": "full"}), ("fmin_fmax", {"fmin": 5.0, "fmax": 40.0})]:
        p, f = psd_array_multitaper(x, fs, adaptive=False, verbose=False, **kw)
        case(f"multitaper_{inp}_{label}", input=inp, settings=kw, freqs=f.tolist(), psd=p.tolist())
for n, nw, k in [(64, 2.5, 5), (301, 4.0, 8), (1000, 3.0, 6)]:
    win, ratios = ss.windows.dpss(n, nw, k, sym=False, norm=2, return_ratios=True)
    case(f"dpss_{n}_{nw}_{k}", n=n, nw=nw, kmax=k, tapers=win.tolist(), ratios=ratios.tolist())
