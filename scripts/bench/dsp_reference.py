"""SciPy/MNE side of scripts/bench/dsp, and its input generator.

usage: dsp_reference.py generate FILE CHANNELS SECONDS SFREQ   seeded EEG-like float64 [channels × samples]
       dsp_reference.py welch|fir FILE CHANNELS SFREQ          scipy.signal.welch(nperseg=512) / mne.filter.filter_data(1, 40)
       dsp_reference.py connectivity FILE CHANNELS SFREQ       mne-connectivity coh/imcoh/pli/wpli, mode fourier, 2 s epochs
"""
import sys
import time

import numpy as np


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "generate":
        ch, sec, fs = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        n = int(sec * fs)
        rng = np.random.default_rng(0)
        t = np.arange(n) / fs
        with open(path, "wb") as f:
            for c in range(ch):
                x = np.cumsum(rng.normal(0, 1, n)) * 0.05 + 10 * np.sin(2 * np.pi * (9 + c % 3) * t) + rng.normal(0, 5, n)
                f.write(x.astype("<f8").tobytes())
        print(f"generated {path}: {ch} × {n}")
        return
    ch, fs = int(sys.argv[3]), float(sys.argv[4])
    x = np.fromfile(path, dtype="<f8").reshape(ch, -1)
    t0 = time.perf_counter()
    if mode == "connectivity":
        import mne
        import mne_connectivity
        mne.set_log_level("ERROR")
        n = int(2 * fs)
        trials = x.shape[1] // n
        data = x[:, : trials * n].reshape(ch, trials, n).transpose(1, 0, 2)
        cons = mne_connectivity.spectral_connectivity_epochs(
            data, method=["coh", "imcoh", "pli", "wpli"], sfreq=fs, mode="fourier",
            fmin=(4.0, 8.0, 13.0), fmax=(8.0, 13.0, 30.0), faverage=True, verbose=False)
        y = np.concatenate([c.get_data().ravel() for c in cons])
    elif mode == "welch":
        import scipy.signal as ss
        _, y = ss.welch(x, fs=fs, nperseg=512, axis=-1)
    else:
        import mne
        mne.set_log_level("ERROR")
        y = mne.filter.filter_data(x, fs, 1.0, 40.0, verbose=False)
    print(f"{mode} values={y.size} checksum={float(y.ravel()[::9973].sum())} compute_s={time.perf_counter() - t0}")


if __name__ == "__main__":
    main()
