"""Run files: mutated files give a valid result or RunFileError, never another exception.

Byte flips and truncation of simulated files (every reader): tests/test_reliability_fuzz.py.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runfile_helpers import h5_items, write_run

from renpsim.errors import RunFileError
from renpsim.runfile import open_run, strip_truth, validate_run

_BASE: dict[str, bytes] = {}


def _base(tmp: Path) -> bytes:
    if "run" not in _BASE:
        _BASE["run"] = write_run(tmp / "base.h5", 4, shots=300, events=200).read_bytes()
    return _BASE["run"]


def _exercise(path: Path, out: Path) -> None:
    try:
        rf = open_run(path)
        validate_run(path)
        rf.summary()
        for _ in rf.iter_shots(block_rows=100) if rf.has_shots else ():
            pass
        strip_truth(path, out)
    except RunFileError as exc:
        assert str(path) in str(exc)


_fuzz = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@_fuzz
@given(data=st.data())
def test_deleted_or_retyped_items(tmp_path, data):
    p = tmp_path / "del.h5"
    p.write_bytes(_base(tmp_path))
    name, attr = data.draw(st.sampled_from(h5_items(p)))
    action = data.draw(st.sampled_from(["delete", "retype"]))
    with h5py.File(p, "r+") as f:
        obj = f[name] if name else f
        if attr is None:
            if action == "delete":
                del f[name]
            elif isinstance(obj, h5py.Dataset):
                attrs = dict(obj.attrs)
                del f[name]
                f[name] = np.full(obj.shape or (), np.nan)
                for k, v in attrs.items():
                    f[name].attrs[k] = v
        elif action == "delete":
            del obj.attrs[attr]
        else:
            obj.attrs[attr] = np.float32(np.nan)
    _exercise(p, tmp_path / "del_out.h5")
