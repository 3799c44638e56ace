"""A shots-level `renpsim simulate` can be followed live (SWMR) while it runs: the step rows are
committed at the writer's cadence and the follower sees a consistent, growing prefix."""

import subprocess
import sys

import numpy as np

from renpsim.runfile import follow_run, open_run


def test_follow_running_shots_simulation(tmp_path):
    out = tmp_path / "live.h5"
    n_steps = 600
    cmd = [sys.executable, "-m", "renpsim", "simulate", "yb-threshold-scan", "-o", str(out),
           "--level", "shots", "--no-progress", "--seed", "4",
           "--set", f"scan.n_steps={n_steps}", "--set", "scan.shots_per_step=20000",
           "--set", "scan.reference_every=0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        blocks = list(follow_run(out, poll_s=0.02, timeout_s=60))
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seen = np.concatenate([b["subrun_index"].to_numpy() for b in blocks])
    np.testing.assert_array_equal(seen, np.arange(n_steps))
    assert len(blocks) >= 2        # it saw the scan grow, not only the finished file
    final = open_run(out).scan
    got = np.concatenate([b["counts_signal_0"].to_numpy() for b in blocks])
    np.testing.assert_array_equal(got, final["counts_signal_0"].to_numpy())
