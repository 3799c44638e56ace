"""A reader in another process follows a run file while ``renpsim simulate`` writes it (SWMR).

The reader here is the TUI's live view (``renpsim_tui.backend.follow_run_steps``, which uses
``renpsim.runfile.follow_run``; the library reader alone: tests/test_daq_follow.py); the
writer is the real command in its own process. Every batch must extend a consistent prefix of
the steps, and the steps seen live must equal those of the finished file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from renpsim.runfile import open_run, validate_run


def _start(final: Path, n_steps: int = 600) -> subprocess.Popen:
    """``renpsim simulate`` of 1.2e7 shots (a few seconds): the writer commits steps at most
    every second, so a reader sees the scan grow in several batches."""
    return subprocess.Popen([sys.executable, "-m", "renpsim", "simulate", "yb-threshold-scan",
                             "-o", str(final), "--level", "shots", "--no-progress",
                             "--set", f"scan.n_steps={n_steps}", "--set",
                             "scan.shots_per_step=20000", "--set", "scan.reference_every=0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(proc: subprocess.Popen) -> None:
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def test_tui_live_view_follows_real_simulate(tmp_path):
    from renpsim_tui.backend import follow_run_steps

    final = tmp_path / "LIVE.h5"
    proc = _start(final)
    batches = []
    try:
        n = follow_run_steps(final, batches.append, timeout_s=60)
    finally:
        _wait(proc)
    validate_run(final)
    steps = open_run(final).steps
    assert n == len(steps) == 600
    assert len(batches) > 1, "the reader saw the file only once: it did not follow it live"
    omega = np.concatenate([b.omega_eV for b in batches])
    counts = np.concatenate([b.counts for b in batches])
    np.testing.assert_array_equal(omega, steps["omega_eV"].to_numpy(float))
    np.testing.assert_array_equal(counts, steps["counts"].to_numpy(float))


def test_live_view_of_a_killed_writer_stops_with_one_clear_error(tmp_path):
    from renpsim_tui.backend import follow_run_steps

    from renpsim.errors import RunFileError

    final = tmp_path / "KILLED.h5"
    proc = _start(final)
    batches = []

    def on_rows(rows):
        batches.append(rows)
        if proc.poll() is None:
            proc.kill()

    with pytest.raises(RunFileError, match="stopped before finishing"):
        follow_run_steps(final, on_rows, timeout_s=60)
    proc.wait()
    assert not final.exists()
    assert batches and sum(len(b.omega_eV) for b in batches) < 600
