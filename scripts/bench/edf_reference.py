"""Reads a whole EDF into physical float64 with a reference reader, for scripts/bench/edf.

usage: edf_reference.py mne|edfio|generate FILE [MB]
"""
import sys
import time

import numpy as np


def generate(path, megabytes):
    """A plain EDF of 64 channels at 512 Hz, 1-s records, random int16 samples (seeded)."""
    n_ch, spr = 64, 512
    record = n_ch * spr * 2
    n_rec = int(megabytes * 1e6 // record) + 1
    def field(s, w):
        return s.encode("ascii").ljust(w)[:w]
    h = b"".join([field("0", 8), field("X X X X", 80), field("Startdate 01-JAN-2020 X X X", 80), field("01.01.20", 8),
                  field("10.00.00", 8), field(str(256 * (n_ch + 1)), 8), field("", 44), field(str(n_rec), 8),
                  field("1", 8), field(str(n_ch), 4)])
    h += b"".join(field(f"EEG{i:03d}", 16) for i in range(n_ch))
    h += b"".join(field("", 80) for _ in range(n_ch))
    h += b"".join(field("uV", 8) for _ in range(n_ch))
    h += b"".join(field("-3276.8", 8) for _ in range(n_ch))
    h += b"".join(field("3276.7", 8) for _ in range(n_ch))
    h += b"".join(field("-32768", 8) for _ in range(n_ch))
    h += b"".join(field("32767", 8) for _ in range(n_ch))
    h += b"".join(field("", 80) for _ in range(n_ch))
    h += b"".join(field(str(spr), 8) for _ in range(n_ch))
    h += b"".join(field("", 32) for _ in range(n_ch))
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        f.write(h)
        for start in range(0, n_rec, 256):
            n = min(256, n_rec - start)
            f.write(rng.integers(-32768, 32768, size=n * n_ch * spr, dtype=np.int16).astype("<i2").tobytes())
    print(f"generated {path}: {n_rec} records, {256 * (n_ch + 1) + n_rec * record} bytes")


def main():
    tool, path = sys.argv[1], sys.argv[2]
    if tool == "generate":
        generate(path, float(sys.argv[3]))
        return
    t0 = time.perf_counter()
    if tool == "mne":
        import mne
        mne.set_log_level("ERROR")
        data = mne.io.read_raw_edf(path, preload=True).get_data()  # volts; same decode work
        n = data.size
        checksum = float(data.ravel()[::9973].sum())
    elif tool == "edfio":
        import edfio
        e = edfio.read_edf(path)
        data = [s.data for s in e.signals]
        n = sum(d.size for d in data)
        checksum = float(sum(d[::9973].sum() for d in data))
    else:
        raise SystemExit(f"unknown tool {tool}")
    print(f"{tool} samples={n} checksum={checksum} read_s={time.perf_counter() - t0}")


if __name__ == "__main__":
    main()
