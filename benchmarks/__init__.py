"""renpsim benchmarks: ``python -m benchmarks [NAME ...]`` runs ``benchmarks/bench_NAME.py``.

Each module defines ``run(quick: bool) -> dict`` that prints its figures (rates and the ratio
against a straightforward reference measured in the same run; medians, since the machine is
shared and noisy) and returns them.
"""
