import subprocess
import sys


def test_cli_spectrum_runs_and_reports_thresholds():
    out = subprocess.run(
        [sys.executable, "-m", "renpsim.cli", "spectrum", "--json", "--omega", "1.0688"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert '"thresholds_eV"' in out
