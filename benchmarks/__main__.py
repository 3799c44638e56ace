"""Run benchmarks: ``python -m benchmarks`` (all) or ``python -m benchmarks spectrum daq``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

import benchmarks


def available() -> list[str]:
    """Names of the benchmark modules (``bench_NAME.py``)."""
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen benchmarks."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {available()})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for smoke runs")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {available()}",
              file=sys.stderr)
        return 2
    results = {}
    for name in names:
        print(f"== {name}")
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results[name] = module.run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
