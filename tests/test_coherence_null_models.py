"""The 'constant' and 'level1' eta models give bit-identical DAQ results after the Maxwell-Bloch
model was added.

``tests/data/daq_null_models_a3f1e17.json`` was written by running this file as a script
(``PYTHONPATH=<checkout of a3f1e17> python tests/test_coherence_null_models.py > ...``) on the
commit before the coherence work: SHA-256 digests of every expected-count column and of every
dataset of run files at the three levels (seed 7).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).parent / "data" / "daq_null_models_a3f1e17.json"
CASES = {
    "gp21-constant": ("gp21-benchmark", {"hardware.lasers.rep_rate_Hz": 0.01}),
    "yb-level1": ("yb-threshold-scan", {"scan.shots_per_step": 300}),
}


def _sha(a) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def digests(label: str, level: str | None, tmp: Path) -> dict[str, str]:
    """Digests of the expected counts (level None) or of a run file's datasets."""
    import h5py

    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts, simulate

    name, overrides = CASES[label]
    c = load_campaign(name, overrides=overrides)
    if level is None:
        e = expected_counts(c)
        return {k: _sha(e[k].to_numpy()) for k in e.columns}
    path = tmp / f"{label}-{level}.h5"
    simulate(c, path, level=level, seed=7)
    out: dict[str, str] = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, _sha(o[()]))
                     if isinstance(o, h5py.Dataset) else None)
    return out


@pytest.mark.parametrize("label", list(CASES))
@pytest.mark.parametrize("level", [None, "steps", "shots", "events"])
def test_daq_results_unchanged(label, level, tmp_path):
    ref = json.loads(REFERENCE.read_text())[label][str(level)]
    now = digests(label, level, tmp_path)
    # The JSON records of the configuration and the truth (config_json, params_json) gained keys
    # with later work (run-file format 1.2, new knobs), and the file gained views (the NeXus
    # /entry); every data set of the reference must be there and bit-identical.
    records = {"config/config_json", "truth/params_json"}
    changed = sorted(k for k in set(ref) - records if ref[k] != now.get(k))
    assert changed == []


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        json.dump({lab: {str(lvl): digests(lab, lvl, Path(d))
                         for lvl in (None, "steps", "shots", "events")} for lab in CASES},
                  sys.stdout, indent=1, sort_keys=True)
