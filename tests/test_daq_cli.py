"""``renpsim simulate``: exit codes, one-line errors, crash safety under SIGKILL."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import pytest

from renpsim.cli.main import main


def _run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_simulate_json(tmp_path, capsys):
    out = tmp_path / "run.h5"
    code, stdout, _ = _run(["simulate", "gp21-benchmark", "-o", str(out), "--seed", "1",
                            "--json"], capsys)
    assert code == 0
    summary = json.loads(stdout)
    assert summary["steps"] == 3 and summary["expected_signal"] == pytest.approx(20.76, abs=0.01)
    with h5py.File(out) as f:
        assert int(f["scan/counts_signal"][()].sum()) == summary["total_counts"]


@pytest.mark.parametrize(("args", "needle"), [
    (["simulate", "no-such-campaign", "-o", "X"], "no-such-campaign"),
    (["simulate", "gp21-benchmark", "-o", "X", "--set", "scan.dwel_s=3"], "dwell_s"),
    (["simulate", "gp21-benchmark", "-o", "X", "--set",
      "hardware.detector.efficiency=2"], "detector.efficiency"),
    (["simulate", "gp21-benchmark", "-o", "X", "--level", "photons"], "photons"),
    (["simulate", "gp21-benchmark", "-o", "X", "--seed", "-3"], "seed"),
])
def test_bad_input_exit_2_one_line(tmp_path, capsys, args, needle):
    args = [a if a != "X" else str(tmp_path / "x.h5") for a in args]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert err.count("\n") == 1 and needle in err
    assert not (tmp_path / "x.h5").exists()


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_leaves_no_file_or_previous_intact(tmp_path, existing):
    out = tmp_path / "run.h5"
    if existing:
        out.write_bytes(b"previous run file contents")
        before = _sha(out)
    cmd = [sys.executable, "-m", "renpsim", "simulate", "yb-threshold-scan", "-o", str(out),
           "--level", "events", "--no-progress", "--set", "scan.shots_per_step=200000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.name.startswith(".run.h5.partial") for p in tmp_path.iterdir()):
                break
            assert proc.poll() is None, "simulation ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("no partial file appeared")
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    if existing:
        assert _sha(out) == before
    else:
        assert not out.exists()
