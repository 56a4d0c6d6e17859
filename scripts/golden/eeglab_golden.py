"""Golden fixture for NeuroIO's EEGLAB v7.3 reader: what MNE 1.13's read_raw_eeglab reads from the EEGLAB test set
(channel names, rate, length, per-channel sums and first samples in µV, annotations). Usage: eeglab_golden.py SET OUT"""
import json
import sys

import mne
import numpy as np

raw = mne.io.read_raw_eeglab(sys.argv[1], preload=True, verbose="error")
x = raw.get_data() * 1e6  # MNE scales EEGLAB's µV to V
a = raw.annotations
json.dump({"source": "mne " + mne.__version__, "ch_names": raw.ch_names, "sfreq": raw.info["sfreq"], "n_times": int(raw.n_times),
           "sums": x.sum(axis=1).tolist(), "first": x[:, :5].tolist(), "last": x[:, -3:].tolist(),
           "onsets": a.onset.tolist(), "durations": a.duration.tolist(), "descriptions": list(a.description)},
          open(sys.argv[2], "w"))
