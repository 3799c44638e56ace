"""Run files: mutated files give a valid result or RunFileError, never another exception."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runfile_helpers import write_run

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
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
                      min_size=1, max_size=4))
def test_byte_flips(tmp_path, flips):
    data = bytearray(_base(tmp_path))
    for pos, bit in flips:
        data[int(pos * len(data))] ^= 1 << bit
    p = tmp_path / "flip.h5"
    p.write_bytes(bytes(data))
    _exercise(p, tmp_path / "flip_out.h5")


@_fuzz
@given(frac=st.floats(0, 1, exclude_max=True))
def test_truncation(tmp_path, frac):
    data = _base(tmp_path)
    p = tmp_path / "cut.h5"
    p.write_bytes(data[: int(frac * len(data))])
    with pytest.raises(RunFileError):
        open_run(p)


def _items(path: Path) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            out.append((name, None))
            out.extend((name, a) for a in obj.attrs)
        f.visititems(visit)
        out.extend(("", a) for a in f.attrs)
    return out


@_fuzz
@given(data=st.data())
def test_deleted_or_retyped_items(tmp_path, data):
    p = tmp_path / "del.h5"
    p.write_bytes(_base(tmp_path))
    name, attr = data.draw(st.sampled_from(_items(p)))
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
