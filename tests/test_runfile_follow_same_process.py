"""follow_run beside a writer thread of the same process: it ends, never hangs.

HDF5 shares one open file between the handles of a process, and a writer that fails in a
thread leaves the process (and so its pid) alive: the follower cannot tell a dead writer by
its process. It must end with one clear error when the writer gives up (its partial file is
removed), and follow to the end when the writer finishes.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from renpsim.errors import RunFileError
from renpsim.runfile import RunWriter, follow_run
from renpsim.runfile import writer as writer_mod
from tests.runfile_helpers import calibration, identity, small_config, step_rows

#: Bound of every follow in this file (a hang fails the test instead of stalling it).
BOUND_S = 30.0


def _follow_bounded(path, **kw):
    """Run follow_run in a daemon thread; return (rows, error) or fail after BOUND_S."""
    out: dict = {"rows": 0, "error": None}

    def run():
        try:
            for df in follow_run(path, poll_s=0.02, timeout_s=10, **kw):
                out["rows"] += len(df)
        except Exception as exc:
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def _writer_thread(path, n_steps, fail_at=None, pause_s=0.05):
    errors: list[BaseException] = []

    def run():
        try:
            rows = step_rows(n_steps)
            with RunWriter(path, identity(), small_config()) as w:
                for i in range(n_steps):
                    w.append_steps({k: v[i:i + 1] for k, v in rows.items()})
                    time.sleep(pause_s)
                    if fail_at is not None and i + 1 == fail_at:
                        raise RuntimeError("the DAQ stopped")   # the writer gives up
                calibration(w)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, errors


def test_writer_thread_fails_follower_ends_with_one_line(tmp_path):
    path = tmp_path / "live.h5"
    wt, werr = _writer_thread(path, 40, fail_at=5)
    ft, out = _follow_bounded(path)
    ft.join(BOUND_S)
    wt.join(BOUND_S)
    assert not ft.is_alive(), "follow_run hung after the writer thread gave up"
    assert werr and "DAQ stopped" in str(werr[0])
    err = out["error"]
    assert isinstance(err, RunFileError)
    msg = str(err)
    assert "\n" not in msg and "stopped before finishing" in msg
    assert str(path.name) in msg
    assert out["rows"] <= 5


def test_failed_reopen_at_close_does_not_hang(tmp_path, monkeypatch):
    """The reopen after the SWMR phase fails (as beside a same-process reader): one error."""
    def refuse(path):
        raise OSError(16, "unable to open file (file is already open for read-only)")

    monkeypatch.setattr(writer_mod, "_reopen", refuse)
    path = tmp_path / "live.h5"
    wt, werr = _writer_thread(path, 6, pause_s=0.02)
    ft, out = _follow_bounded(path)
    ft.join(BOUND_S)
    wt.join(BOUND_S)
    assert not ft.is_alive(), "follow_run hung after the writer's failed reopen"
    assert werr and isinstance(werr[0], RunFileError)
    assert not path.exists()
    err = out["error"]
    assert isinstance(err, RunFileError) and "\n" not in str(err)
    assert "stopped before finishing" in str(err)


def test_writer_thread_finishes_follower_sees_every_step(tmp_path):
    path = tmp_path / "live.h5"
    wt, werr = _writer_thread(path, 25, pause_s=0.01)
    ft, out = _follow_bounded(path)
    ft.join(BOUND_S)
    wt.join(BOUND_S)
    assert not ft.is_alive() and not wt.is_alive()
    assert werr == [] and out["error"] is None
    assert out["rows"] == 25
    assert path.exists()
    np.testing.assert_equal(out["rows"], 25)


@pytest.mark.parametrize("kind", ["validate", "open"])
def test_file_reopens_for_writing_after_a_failed_read(tmp_path, kind):
    """A read that fails part-way closes its HDF5 handle: the same process can then rewrite
    the file (HDF5 refuses to truncate a file this process still holds open)."""
    import h5py

    from renpsim.runfile import open_run, validate_run
    from tests.runfile_helpers import write_run

    path = tmp_path / "run.h5"
    write_run(path)
    with h5py.File(path, "r+") as f:
        del f["scan/counts_signal"]            # valid HDF5, invalid run file
        f["scan"].create_group("counts_signal")
    with pytest.raises(RunFileError):
        (validate_run if kind == "validate" else open_run)(path)
    with h5py.File(path, "w") as f:           # fails if a handle was left open
        f.attrs["x"] = 1
    write_run(path)
    assert open_run(path).total_counts >= 0
