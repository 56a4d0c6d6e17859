"""Golden values for the EDF/BDF reader and writer, from the reference readers.

For every file in Tests/Fixtures/edf (and every file NeuroPipe wrote into Tests/Fixtures/golden/edf-written),
writes Tests/Fixtures/golden/edf/<file>.json with what edfio 0.4.18, MNE 1.13.2 and pyedflib 0.1.42 read:
header fields, per-channel statistics of physical values (float64, file units), annotations and start time.
A reader that rejects a file records its error text instead. Run through scripts/golden/edf.
"""
import datetime as dt
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
import edfio  # noqa: E402
import mne  # noqa: E402
import pyedflib  # noqa: E402

mne.set_log_level("ERROR")


def stats(x):
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return None
    # Sequential (not pairwise) sums in float64 would differ only in the last bits; tests use a tolerance.
    return {"sum": float(math.fsum(x)), "sum_sq": float(math.fsum(x * x)), "min": float(x.min()),
            "max": float(x.max()), "first": float(x[0]), "last": float(x[-1])}


def read_edfio(path):
    reader = edfio.read_bdf if path.suffix.lower() == ".bdf" else edfio.read_edf
    e = reader(path)
    out = {
        "startdatetime": e.startdatetime.isoformat() if e.startdate is not None else None,
        "n_records": e.num_data_records,
        "record_duration_s": float(e.data_record_duration),
        "patient": e.local_patient_identification if hasattr(e, "local_patient_identification") else None,
        "channels": [],
        # edfio: onsets in seconds from the header's whole start second (includes the sub-second offset).
        "annotations": [{"onset": a.onset, "duration": a.duration, "text": a.text} for a in e.annotations],
    }
    for s in e.signals:
        ch = {
            "label": s.label, "unit": s.physical_dimension, "sfreq": float(s.sampling_frequency),
            "n_samples": int(len(s.data)), "physical_min": float(s.physical_min),
            "physical_max": float(s.physical_max), "digital_min": int(s.digital_min),
            "digital_max": int(s.digital_max), "prefilter": s.prefiltering, "transducer": s.transducer_type,
            "stats": stats(s.data),
        }
        if s.label == "Status":
            words = np.asarray(s.digital, dtype=np.int64) & 0xFFFFFF
            ch["status_words"] = {"sum": int(words.sum()), "max": int(words.max()), "distinct": sorted(int(v) for v in np.unique(words))[:64]}
        out["channels"].append(ch)
    return out


def read_mne(path):
    raw = mne.io.read_raw_bdf(path, preload=False) if path.suffix.lower() == ".bdf" else mne.io.read_raw_edf(path, preload=False)
    md = raw.info["meas_date"]
    return {
        # MNE drops sub-seconds from meas_date; onsets are seconds from the first sample.
        "meas_date": md.replace(tzinfo=None).isoformat() if md is not None else None,
        "n_times": int(raw.n_times),
        "sfreq": float(raw.info["sfreq"]),
        "ch_names": raw.ch_names,
        "annotations": [{"onset": float(a["onset"]), "duration": float(a["duration"]), "text": a["description"]}
                        for a in raw.annotations],
    }


def read_pyedflib(path):
    f = pyedflib.EdfReader(str(path))
    try:
        onsets, durations, texts = f.readAnnotations()
        return {
            "n_signals": f.signals_in_file,
            "labels": f.getSignalLabels(),
            "sfreq": [float(v) for v in f.getSampleFrequencies()],
            "annotations": [{"onset": float(o), "duration": float(d), "text": t} for o, d, t in zip(onsets, durations, texts)],
        }
    finally:
        f.close()


def guarded(fn, path):
    try:
        return fn(path)
    except Exception as e:  # the reference reader refuses the file: record why
        return {"error": f"{type(e).__name__}: {e}"}


def main(paths, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        golden = {
            "file": path.name,
            "versions": {"edfio": edfio.__version__, "mne": mne.__version__, "pyedflib": pyedflib.__version__,
                         "numpy": np.__version__},
            "edfio": guarded(read_edfio, path),
            "mne": guarded(read_mne, path),
            "pyedflib": guarded(read_pyedflib, path),
        }
        (out_dir / (path.name + ".json")).write_text(json.dumps(golden, indent=1, ensure_ascii=False, default=str) + "\n")
        print(f"golden: {path.name}")


if __name__ == "__main__":
    out = Path(sys.argv[1])
    main([Path(p) for p in sys.argv[2:]], out)
