"""Fuzzing across the tool: mutated run files, campaign/hardware/metadata TOML and CSV imports.

Every mutated input must give a valid result or one of the project's documented errors
(:class:`renpsim.errors.RenpsimError`), never another exception and never a hang (each example
runs under an alarm). Budget: ``RENPSIM_FUZZ_EXAMPLES`` examples per test (default: the
hypothesis profile's, 60 in CI); the thorough run is documented in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runfile_helpers import h5_items

from renpsim._resources import preset_dir
from renpsim.campaign import load_campaign
from renpsim.daq import simulate
from renpsim.errors import RenpsimError
from renpsim.hardware.config import hardware_from_dict
from renpsim.runfile import follow_run, import_counts, open_run, strip_truth, validate_run
from renpsim.stats.io import load_dataset

CORPUS = Path(__file__).with_name("corpus")
EXAMPLES = int(os.environ.get("RENPSIM_FUZZ_EXAMPLES", settings.default.max_examples))
HANG_S = float(os.environ.get("RENPSIM_FUZZ_HANG_S", "60"))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@contextlib.contextmanager
def no_hang(seconds: float = HANG_S) -> Iterator[None]:
    """Fail (instead of waiting forever) when the body runs longer than ``seconds``."""
    def alarm(signum, frame):
        raise TimeoutError(f"no result after {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def documented_or_ok(fn: Callable[[], object]) -> RenpsimError | None:
    """Run ``fn``; return the project's error if it raised one (any other error fails)."""
    with no_hang():
        try:
            fn()
        except RenpsimError as exc:
            assert "Traceback" not in str(exc) and "\n" not in str(exc)
            return exc
    return None


# -- run files ---------------------------------------------------------------------------------
_BASE: dict[str, bytes] = {}


def _base_run(tmp: Path) -> bytes:
    """A small events-level run file from ``simulate`` (with /config/config_json, /truth)."""
    if "run" not in _BASE:
        camp = load_campaign("yb-ordering-6pt", {"scan.dwell_s": 20.0})
        simulate(camp, tmp / "base.h5", level="events", seed=3)
        _BASE["run"] = (tmp / "base.h5").read_bytes()
    return _BASE["run"]


def _read_everything(path: Path, out: Path) -> None:
    """Every reader of a run file: open, validate, summary, shots/events, follow, stats, blind."""
    def go() -> None:
        rf = open_run(path)
        validate_run(path)
        rf.summary()
        if rf.has_shots:
            for _ in rf.iter_shots(block_rows=500):
                pass
        for _ in follow_run(path, timeout_s=2):
            pass
        load_dataset(path)
        strip_truth(path, out)

    exc = documented_or_ok(go)
    if exc is not None:
        assert path.name in str(exc)
    assert not out.exists() or exc is None or open_run(out)


@fuzz
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
                      min_size=1, max_size=8))
def test_run_file_byte_flips(tmp_path, flips):
    data = bytearray(_base_run(tmp_path))
    for pos, bit in flips:
        data[int(pos * len(data))] ^= 1 << bit
    p = tmp_path / "flipped.h5"
    p.write_bytes(bytes(data))
    _read_everything(p, tmp_path / "blind.h5")


@fuzz
@given(frac=st.floats(0, 1, exclude_max=True))
def test_run_file_truncated(tmp_path, frac):
    data = _base_run(tmp_path)
    p = tmp_path / "cut.h5"
    p.write_bytes(data[: int(frac * len(data))])
    assert documented_or_ok(lambda: open_run(p)) is not None


@fuzz
@given(data=st.data())
def test_run_file_items_deleted_retyped_or_shuffled(tmp_path, data):
    p = tmp_path / "edited.h5"
    p.write_bytes(_base_run(tmp_path))
    items = h5_items(p)
    name, attr = data.draw(st.sampled_from(items), label="item")
    action = data.draw(st.sampled_from(["delete", "retype", "swap", "scale"]), label="action")
    with h5py.File(p, "r+") as f:
        obj = f[name] if name else f
        if attr is not None:
            if action == "delete":
                del obj.attrs[attr]
            elif action == "swap":
                other_name, other_attr = data.draw(st.sampled_from(
                    [(n, a) for n, a in items if a is not None]), label="other attribute")
                other = f[other_name] if other_name else f
                a, b = obj.attrs[attr], other.attrs[other_attr]
                obj.attrs[attr], other.attrs[other_attr] = b, a
            elif action == "scale":
                v = obj.attrs[attr]
                if isinstance(v, np.floating | float):
                    obj.attrs[attr] = v * data.draw(st.sampled_from([-1.0, 1e3, 1e-3, 0.0]))
            else:
                obj.attrs[attr] = data.draw(st.sampled_from(
                    [np.float32(np.nan), "x", np.int64(-1), np.array([1, 2])]))
        elif name and action == "delete":
            del f[name]
        elif isinstance(obj, h5py.Dataset):
            arr = obj[()]
            attrs = dict(obj.attrs)
            if action == "swap":
                others = [n for n, a in items if a is None and n != name and
                          isinstance(f[n], h5py.Dataset)]
                other = data.draw(st.sampled_from(others), label="other dataset")
                arr2, attrs2 = f[other][()], dict(f[other].attrs)
                del f[other]
                f[other] = arr
                for k, v in attrs2.items():
                    f[other].attrs[k] = v
                arr = arr2
            elif action == "scale" and isinstance(arr, np.ndarray) and arr.dtype.kind in "fiu":
                arr = arr[::-1].copy() if arr.ndim else arr
            elif action == "retype":
                arr = np.full(np.shape(arr), np.nan)
            del f[name]
            f[name] = arr
            for k, v in attrs.items():
                f[name].attrs[k] = v
    _read_everything(p, tmp_path / "blind.h5")


# -- TOML configurations -----------------------------------------------------------------------
def _text(kind: str, name: str) -> bytes:
    return (preset_dir(kind) / f"{name}.toml").read_bytes()


def _mutate_text(data: st.DataObject, raw: bytes) -> bytes:
    """Byte flips, truncation, deleted, duplicated or shuffled lines of a text file."""
    how = data.draw(st.sampled_from(["flip", "truncate", "delete_line", "duplicate_line",
                                     "shuffle_lines", "replace_value"]), label="mutation")
    if how == "flip":
        b = bytearray(raw)
        for pos in data.draw(st.lists(st.integers(0, len(b) - 1), min_size=1, max_size=4)):
            b[pos] ^= 1 << data.draw(st.integers(0, 7))
        return bytes(b)
    if how == "truncate":
        return raw[: data.draw(st.integers(0, len(raw)))]
    lines = raw.split(b"\n")
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    if how == "delete_line":
        del lines[i]
    elif how == "duplicate_line":
        lines.insert(i, lines[i])
    elif how == "shuffle_lines":
        lines = data.draw(st.permutations(lines))
    else:
        if b"=" in lines[i]:
            key = lines[i].split(b"=", 1)[0]
            value = data.draw(st.sampled_from(
                [b"nan", b"-inf", b"-1", b"0", b"1e300", b'"x"', b"true", b"[]", b"{}",
                 b"1e-300", b'"1e21"', b"[1, 2, 3]"]))
            lines[i] = key + b"= " + value
    return b"\n".join(lines)


def _load_toml_campaign(path: Path) -> None:
    load_campaign(path)


@fuzz
@given(data=st.data(), name=st.sampled_from(["yb-ordering-6pt", "gp21-benchmark",
                                             "yb-threshold-scan", "xe-example"]))
def test_campaign_toml_text_mutations(tmp_path, data, name):
    p = tmp_path / "campaign.toml"
    p.write_bytes(_mutate_text(data, _text("campaigns", name)))
    exc = documented_or_ok(lambda: _load_toml_campaign(p))
    if exc is not None:
        assert str(p) in str(exc)


@fuzz
@given(data=st.data(), name=st.sampled_from(["gp21-benchmark", "yb-vapour", "xe-gas"]))
def test_hardware_toml_text_mutations(tmp_path, data, name):
    hw = tmp_path / "setup.toml"
    hw.write_bytes(_mutate_text(data, _text("hardware", name)))
    camp = tmp_path / "campaign.toml"
    camp.write_text(_text("campaigns", "yb-ordering-6pt").decode().replace(
        'hardware = "gp21-benchmark"', 'hardware = "setup.toml"'))
    exc = documented_or_ok(lambda: _load_toml_campaign(camp))
    if exc is not None:
        assert str(hw) in str(exc) or str(camp) in str(exc)


_HW = {name: tomllib.loads(_text("hardware", name).decode())
       for name in ("gp21-benchmark", "yb-vapour", "xe-gas")}
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                    st.lists(st.floats(allow_nan=True), max_size=3),
                    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@fuzz
@given(data=st.data(), name=st.sampled_from(sorted(_HW)), value=_VALUES)
def test_hardware_values(data, name, value):
    import copy

    doc = copy.deepcopy(_HW[name])
    sec = data.draw(st.sampled_from([k for k, v in doc.items() if isinstance(v, dict)]))
    key = data.draw(st.sampled_from(sorted(doc[sec]) or ["x"]))
    if value is None:
        doc[sec].pop(key, None)
    else:
        doc[sec][key] = value
    exc = documented_or_ok(lambda: hardware_from_dict(doc, "fuzz.toml"))
    if exc is not None:
        assert "fuzz.toml" in str(exc)


# -- CSV imports -------------------------------------------------------------------------------
@fuzz
@given(data=st.data(), which=st.sampled_from(["csv", "metadata"]))
def test_import_mutations(tmp_path, data, which):
    csv, meta = CORPUS / "import" / "valid_counts.csv", CORPUS / "import" / "valid_metadata.toml"
    target = tmp_path / ("counts.csv" if which == "csv" else "meta.toml")
    target.write_bytes(_mutate_text(data, (csv if which == "csv" else meta).read_bytes()))
    if which == "csv":
        csv = target
    else:
        meta = target
    out = tmp_path / "imported.h5"
    out.write_bytes(b"an older file under the output name")
    exc = documented_or_ok(lambda: import_counts(csv, meta, out))
    if exc is None:
        validate_run(out)                  # what the importer writes is always valid
    else:                                  # a refusal leaves the older file untouched
        assert out.read_bytes() == b"an older file under the output name"
        # the file named is the one with the defect, or its partner when the two disagree
        # (e.g. a duplicated [[detectors]] table asks the CSV for a second counts column)
        assert str(target) in str(exc) or str(csv) in str(exc) or str(meta) in str(exc)
    assert not [q for q in tmp_path.iterdir() if ".partial-" in q.name]


@pytest.mark.parametrize("seconds", [0.2])
def test_no_hang_guard_fires(seconds):
    """The guard used above really turns a hang into a failure."""
    import time

    with pytest.raises(TimeoutError), no_hang(seconds):
        time.sleep(5)
