"""Run files: crash safety under SIGKILL, stale partial files, live SWMR following."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from runfile_helpers import step_rows, write_run

from renpsim.errors import RunFileError
from renpsim.runfile import clean_partials, follow_run, open_run, validate_run

HELPERS = Path(__file__).with_name("runfile_helpers.py")
# Budget parameter: RENPSIM_KILL_TRIALS=25 python -m pytest tests/test_runfile_crash_swmr.py
KILL_TRIALS = int(os.environ.get("RENPSIM_KILL_TRIALS", "4"))


def _start(path: Path, n_steps: int, sleep_s: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HELPERS), str(path), str(n_steps),
                             str(sleep_s)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=HELPERS.parent)


def _kill_trials(tmp_path: Path, trials: int) -> None:
    rng = np.random.default_rng(2026)
    final = write_run(tmp_path / "RUN.h5", 3)
    original = final.read_bytes()
    survived_complete = 0
    for _ in range(trials):
        proc = _start(final, 12, 0.02)
        # Random moment: during start-up, streaming or close.
        time.sleep(float(rng.uniform(0.0, 1.5)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert final.exists()
        data = final.read_bytes()
        if data != original:
            # The writer finished before the kill: the file must be complete and valid.
            rf = open_run(final)
            assert len(rf.steps) == 12 and rf.identity["complete"] is True
            validate_run(final)
            survived_complete += 1
            original = data
        stale = clean_partials(final)
        assert all(p.name.startswith(".RUN.h5.partial-") for p in stale)
        assert not any(p.name.startswith(".RUN.h5.partial-") for p in tmp_path.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RUN.h5"]


def test_sigkill_never_damages_the_final_name(tmp_path):
    _kill_trials(tmp_path, KILL_TRIALS)


def test_killed_fresh_write_leaves_no_final_file(tmp_path):
    final = tmp_path / "NEW.h5"
    proc = _start(final, 50, 0.05)
    assert proc.stdout.readline().strip() == b"started"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not final.exists()
    partials = [p for p in tmp_path.iterdir() if p.name.startswith(".NEW.h5.partial-")]
    assert len(partials) == 1
    assert clean_partials(tmp_path, remove=False) == partials      # reported
    assert clean_partials(final) == partials                        # then cleaned
    assert list(tmp_path.iterdir()) == []


def test_live_partial_of_running_writer_is_not_cleaned(tmp_path):
    final = tmp_path / "LIVE.h5"
    proc = _start(final, 30, 0.05)
    try:
        assert proc.stdout.readline().strip() == b"started"
        assert clean_partials(final) == []
        assert any(p.name.startswith(".LIVE.h5.partial-") for p in tmp_path.iterdir())
    finally:
        proc.kill()
        proc.wait()


def test_swmr_reader_sees_consistent_prefix(tmp_path):
    final = tmp_path / "SWMR.h5"
    n = 25
    expected = step_rows(n)
    proc = _start(final, n, 0.04)
    try:
        seen = 0
        blocks = 0
        for block in follow_run(final, poll_s=0.01, timeout_s=30):
            m = len(block)
            assert m > 0
            np.testing.assert_array_equal(block["subrun_index"], np.arange(seen, seen + m))
            np.testing.assert_array_equal(block["counts_signal_0"],
                                          expected["counts_signal"][seen:seen + m, 0])
            np.testing.assert_array_equal(block["set_photon_energy_eV"],
                                          expected["omega_eV"][seen:seen + m])
            assert np.all(block["dwell_s"] == 10.0)
            seen += m
            blocks += 1
        assert seen == n
        assert blocks > 1          # it really followed the file while it grew
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    validate_run(final)


def test_follow_partial_of_dead_writer_fails_cleanly(tmp_path):
    final = tmp_path / "DEAD.h5"
    proc = _start(final, 50, 0.05)
    assert proc.stdout.readline().strip() == b"started"
    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    blocks = []
    with pytest.raises(RunFileError, match="stopped before finishing"):
        for block in follow_run(final, poll_s=0.01, timeout_s=5):
            blocks.append(block)
    n = sum(len(b) for b in blocks)
    assert n >= 1
    np.testing.assert_array_equal(np.concatenate([b["subrun_index"] for b in blocks]),
                                  np.arange(n))


def test_follow_complete_file_yields_all_steps(tmp_path):
    final = write_run(tmp_path / "DONE.h5", 6)
    blocks = list(follow_run(final, timeout_s=5))
    assert [len(b) for b in blocks] == [6]
