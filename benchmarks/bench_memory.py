"""Memory benchmark: peak RSS of ``renpsim simulate --level steps`` against the number of steps.

Figures (peak resident memory, VmHWM, of a child process running the command line):

* ``steps_peak_MB_<N>``: a uniform Yb-vapour scan of N steps (10 shots per step; laser line
  width and jitter set to 0, so that the smeared spectrum, which costs time but no memory,
  does not make the 1e7-step run last an hour): N = 1e5, 1e6 and 1e7 by default, 1e5 with
  ``--quick``; the goal (docs/reliability.md) is under 1 GiB at 1e7;
* reference: the same command for 1e4 steps, in the same run; ``steps_peak_ratio`` is
  peak(N) / peak(1e4). Memory that does not grow with the number of steps beyond the step
  table itself (the campaign's four per-step arrays, 25 bytes per step, also reported) keeps
  the ratio near 1 + step table / peak(1e4).

The figure is a single measurement per size (memory is not noisy like time); the 1e7-step run
takes about ten minutes on one core and writes ~0.5 GB to a temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_CHILD = textwrap.dedent("""
    import sys
    from renpsim.cli.main import main
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
    with open("/proc/self/status") as fh:
        peak = next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmHWM:"))
    print("PEAK", peak, code, file=sys.stderr)
""")

_CAMPAIGN = """name = "bench-memory"
hardware = "yb-vapour"
seed = 1
[truth]
ordering = "NO"
m_lightest_eV = 0.01
nature = "dirac"
oscillation = "nufit-6.0"
[scan]
generator = "uniform"
n_steps = {n}
offset_min_eV = 0.0
offset_max_eV = 10e-3
shots_per_step = 10
order = "up"
"""

#: Bytes per step of the campaign's step table (omega, n_shots, dwell: 8 bytes; is_reference: 1).
STEP_TABLE_BYTES = 25


def peak_bytes(n_steps: int, folder: Path) -> float:
    """Peak RSS (bytes) of ``renpsim simulate`` for a scan of ``n_steps`` steps."""
    camp = folder / f"bench-{n_steps}.toml"
    camp.write_text(_CAMPAIGN.format(n=n_steps), encoding="utf-8")
    out = folder / f"bench-{n_steps}.h5"
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, "simulate", str(camp), "-o", str(out), "--no-progress",
         "--set", "hardware.lasers.linewidth_Hz=0", "--set", "hardware.lasers.jitter_Hz=0"],
        capture_output=True, text=True, check=False)
    line = [x for x in res.stderr.splitlines() if x.startswith("PEAK ")]
    if not line or line[-1].split()[2] != "0":
        raise RuntimeError(f"simulate failed: {res.stderr[-500:]}")
    out.unlink()
    return float(line[-1].split()[1])


def run(quick: bool = False) -> dict:
    """Measure and print the figures; return them as a dict."""
    sizes = [100_000] if quick else [100_000, 1_000_000, 10_000_000]
    res: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ref = peak_bytes(10_000, Path(tmp))
        res["steps_peak_MB_10000"] = ref / 1e6
        for n in sizes:
            big = peak_bytes(n, Path(tmp))
            res[f"steps_peak_MB_{n}"] = big / 1e6
            res[f"steps_peak_ratio_{n}"] = big / ref
            res[f"step_table_MB_{n}"] = STEP_TABLE_BYTES * n / 1e6
            print(f"simulate --level steps, {n:.0e} steps: peak RSS {big / 2**20:.0f} MiB "
                  f"(reference 1e4 steps: {ref / 2**20:.0f} MiB; ratio {big / ref:.2f}; step "
                  f"table {STEP_TABLE_BYTES * n / 2**20:.0f} MiB)")
    return res
