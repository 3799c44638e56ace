"""A reader in another process follows a run file while ``renpsim simulate`` writes it (SWMR).

The reader here is the TUI's live view (``renpsim_tui.backend.follow_run_steps``, which uses
``renpsim.runfile.follow_run``) and the library reader itself; the writer is the real command
in its own process. Every batch must extend a consistent prefix of the steps, and the steps
seen live must equal those of the finished file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from renpsim.runfile import follow_run, open_run, validate_run


def _start(final: Path, dwell_s: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "renpsim", "simulate", "yb-ordering-6pt",
                             "-o", str(final), "--level", "shots", "--set",
                             f"scan.dwell_s={dwell_s}", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(proc: subprocess.Popen) -> None:
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def test_tui_live_view_follows_real_simulate(tmp_path):
    from renpsim_tui.backend import follow_run_steps

    final = tmp_path / "LIVE.h5"
    proc = _start(final, 60000.0)          # 3.6e6 shots: a few seconds of writing
    batches = []
    try:
        n = follow_run_steps(final, batches.append, timeout_s=60)
    finally:
        _wait(proc)
    validate_run(final)
    steps = open_run(final).steps
    assert n == len(steps) == 6
    assert len(batches) > 1, "the reader saw the file only once: it did not follow it live"
    omega = np.concatenate([b.omega_eV for b in batches])
    counts = np.concatenate([b.counts for b in batches])
    np.testing.assert_array_equal(omega, steps["omega_eV"].to_numpy(float))
    np.testing.assert_array_equal(counts, steps["counts"].to_numpy(float))


def test_library_reader_sees_consistent_prefixes(tmp_path):
    final = tmp_path / "PREFIX.h5"
    proc = _start(final, 40000.0)
    blocks = []
    try:
        t0 = time.monotonic()
        for block in follow_run(final, poll_s=0.02, timeout_s=60):
            blocks.append(block)
            assert time.monotonic() - t0 < 120
    finally:
        _wait(proc)
    seen = np.concatenate([b["subrun_index"].to_numpy() for b in blocks])
    np.testing.assert_array_equal(seen, np.arange(len(seen)))   # prefix, no gap, no repeat
    done = open_run(final).scan
    assert len(seen) == len(done)
    for col in ("set_photon_energy_eV", "dwell_s", "counts_signal_0", "n_shots"):
        np.testing.assert_array_equal(np.concatenate([b[col].to_numpy() for b in blocks]),
                                      done[col].to_numpy())


@pytest.mark.parametrize("dwell_s", [60000.0])
def test_live_view_of_a_killed_writer_stops_with_one_clear_error(tmp_path, dwell_s):
    from renpsim_tui.backend import follow_run_steps

    from renpsim.errors import RunFileError

    final = tmp_path / "KILLED.h5"
    proc = _start(final, dwell_s)
    batches = []

    def on_rows(rows):
        batches.append(rows)
        if proc.poll() is None:
            proc.kill()

    with pytest.raises(RunFileError, match="stopped before finishing"):
        follow_run_steps(final, on_rows, timeout_s=60)
    proc.wait()
    assert not final.exists()
    assert batches and sum(len(b.omega_eV) for b in batches) < 6
