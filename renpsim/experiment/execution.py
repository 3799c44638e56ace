"""Executors for scans and toys (serial, processes, Dask) and coupling-name checks."""

from __future__ import annotations

from renpsim.errors import InputError


def executor(kind: str = "serial", *, workers: int | None = None,
             scheduler: str | None = None):
    """Return an executor context manager (:class:`renpsim.stats.executor.Executor`).

    Results never depend on the kind or the number of workers (seeds are spawned by index).
    """
    from renpsim.stats.executor import Executor

    return Executor(kind, workers=workers, scheduler=scheduler)


def parse_coupling(name: str, mediator: str | None = None) -> str:
    """Validate a coupling name (``gL11``, ``yS11``, ``mu12``...) and return its canonical form.

    Parameters
    ----------
    name : str
        Coupling name.
    mediator : {"vector", "scalar", "dipole"}, optional
        Family the coupling must belong to.

    Raises
    ------
    InputError
        Unknown name, or a coupling of another family (names the parameter ``coupling``).

    """
    from renpsim.stats.spectra import parse_coupling as _parse

    c = _parse(name, "coupling")
    if mediator is not None and c.mediator != mediator:
        families = {"vector": "gL/gR", "scalar": "yS/yP", "dipole": "mu/eps"}[mediator]
        raise InputError("coupling", "coupling", name, f"a {mediator} coupling ({families}ij)")
    return c.name
