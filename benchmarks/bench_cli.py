"""Command-line start-up benchmark: how fast ``renpsim`` answers.

Each command runs in a fresh interpreter (``python -m renpsim ...``, as the console script
does); the figure is the median wall time over several runs, and the ratio is to the same
interpreter doing nothing (``python -c pass``) measured in the same run. Targets: ``--help`` and
``spectrum --help`` under 0.3 s, ``spectrum --omega 1.0688`` under 0.8 s.

The import-time breakdown (``python -X importtime``) lists the largest top-level imports of
``renpsim --help`` and ``renpsim spectrum --omega 1.0688``, and of an *eager* start that imports
every subcommand module up front, as the command line did before it loaded them lazily.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time

TARGETS_S = {"--help": 0.3, "spectrum --help": 0.3, "spectrum --omega 1.0688": 0.8}
EAGER = ("import importlib, renpsim.cli.main as m; "
         "[importlib.import_module(mod) for mod, _, _ in m.COMMANDS.values()]")


def _median_wall(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat + 1):  # the first run warms the file cache and is dropped
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:])


def import_breakdown(argv: list[str], top: int = 6) -> tuple[float, list[tuple[str, float]]]:
    """Total import time and the largest top-level imports (cumulative, s) of one start."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if m and not m.group(3):  # top level only: its cumulative time includes its children
            rows.append((m.group(4), int(m.group(2)) * 1e-6))
    total = sum(t for _, t in rows)
    return total, sorted(rows, key=lambda r: -r[1])[:top]


def run(quick: bool = False) -> dict:
    """Measure and print the figures; return them as a dict."""
    repeat = 3 if quick else 9
    py = sys.executable
    base = _median_wall([py, "-c", "pass"], repeat)
    print(f"python -c pass: {base * 1e3:.0f} ms (reference)")
    out: dict = {"python_pass_s": base, "commands": {}}
    for args, target in TARGETS_S.items():
        t = _median_wall([py, "-m", "renpsim", *args.split()], repeat)
        verdict = "ok" if t < target else "SLOW"
        print(f"renpsim {args}: {t * 1e3:.0f} ms = {t / base:.1f} x python -c pass "
              f"(target < {target} s: {verdict})")
        out["commands"][args] = {"median_s": t, "ratio": t / base, "target_s": target}
    eager = _median_wall([py, "-c", EAGER], repeat)
    print(f"eager import of every subcommand (the former start-up): {eager * 1e3:.0f} ms "
          f"= {eager / base:.1f} x python -c pass")
    out["eager_import_s"] = eager
    out["importtime"] = {}
    for label, argv in (("renpsim --help", ["-m", "renpsim", "--help"]),
                        ("renpsim spectrum --omega 1.0688",
                         ["-m", "renpsim", "spectrum", "--omega", "1.0688"]),
                        ("eager (before)", ["-c", EAGER])):
        total, rows = import_breakdown(argv)
        listing = ", ".join(f"{name} {t * 1e3:.0f}" for name, t in rows)
        print(f"importtime {label}: {total * 1e3:.0f} ms; largest (ms): {listing}")
        out["importtime"][label] = {"total_s": total, "top": rows}
    return out
