"""Sensitivity scans through the executor seam, producing :class:`SensitivityTable` objects.

The grid is split into contiguous chunks, one task per chunk (:func:`limit_task`); each chunk is
solved with the batched search of :mod:`renpsim.stats.sensitivity`. Per-point results do not
depend on the chunking, so serial, processes and Dask give identical numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from renpsim.errors import InputError
from renpsim.stats.deviance import cl_of_threshold, delta_chi2_threshold
from renpsim.stats.executor import Executor, chunk
from renpsim.stats.output import QUANTITY_OF, SensitivityTable, lineage_hash
from renpsim.stats.sensitivity import AsimovSetup, limit_task, toy_limit_task
from renpsim.stats.spectra import parse_coupling

SCANS = ("mediator-mass", "m-lightest")


def resolve_threshold(delta_chi2: float | None, cl: float | None, dof: int | None,
                      sided: str = "two") -> tuple:
    """Return (delta_chi2, cl, dof) from any consistent subset of them.

    Defaults: dof = 1 and CL = 95% (3.84), the correct value for one coupling at fixed mass
    ([physics §6.2]). An explicit ``delta_chi2`` wins; its CL is then computed for ``dof``.
    ``sided="one"`` uses the one-sided convention of
    :func:`~renpsim.stats.deviance.delta_chi2_threshold` (2.71 at 95%, 1 dof).
    """
    dof = 1 if dof is None else dof
    if delta_chi2 is None:
        cl = 0.95 if cl is None else cl
        return delta_chi2_threshold(cl, dof, sided), cl, dof
    if not (np.isfinite(delta_chi2) and delta_chi2 > 0):
        raise InputError("sensitivity", "delta_chi2", delta_chi2, "a number > 0")
    implied = cl_of_threshold(delta_chi2, dof, sided)
    if cl is not None and abs(implied - cl) > 5e-3:
        raise InputError("sensitivity", "cl", cl,
                         f"a CL consistent with delta_chi2 = {delta_chi2} for {dof} dof "
                         f"{sided}-sided ({implied:.4f}), or only one of cl / delta_chi2")
    return float(delta_chi2), implied, dof


def sensitivity_scan(setup: AsimovSetup, scan: str, coupling: str, grid, *,
                     delta_chi2: float | None = None, cl: float | None = None,
                     dof: int | None = None, mediator_mass_eV: float = 1e-3,
                     sign: str = "both", executor: Executor | None = None,
                     chunks_per_worker: int = 2, meta: dict | None = None,
                     sided: str = "two") -> SensitivityTable:
    """Asimov coupling limits over a grid of mediator masses or lightest masses.

    Parameters
    ----------
    setup : AsimovSetup
        Campaign and truth.
    scan : {"mediator-mass", "m-lightest"}
        What the grid holds.
    coupling : str
        ``gL11``, ``gR11``, ``yS11``, ``yP11``...
    grid : array_like
        Grid values in eV.
    delta_chi2, cl, dof :
        Threshold convention (see :func:`resolve_threshold`).
    mediator_mass_eV : float
        Mediator mass for the lightest-mass scan.
    sign : {"both", "+", "-"}
        Coupling sign(s) tested; the table's ``limit_sign`` column says which sign gave each
        limit (for ``both``, the weaker one) and its header ``sign_tested`` what was tested.
    executor : Executor, optional
        Back end (serial if None).
    chunks_per_worker : int
        Tasks per worker (load balance only; results do not depend on it).
    meta : dict, optional
        Extra header items for the table.
    sided : {"two", "one"}
        Threshold convention when it is derived from ``cl`` and ``dof``
        (:func:`resolve_threshold`); recorded in the header.

    """
    if scan not in SCANS:
        raise InputError("sensitivity", "scan", scan, "one of " + ", ".join(SCANS))
    c = parse_coupling(coupling, "sensitivity")
    thr, cl, dof = resolve_threshold(delta_chi2, cl, dof, sided)
    g = np.atleast_1d(np.asarray(grid, dtype=float))
    if g.ndim != 1 or g.size == 0 or not np.all(np.isfinite(g)):
        raise InputError("sensitivity", "grid", g.tolist(), "a non-empty list of numbers")
    ex = executor or Executor("serial")
    base = {"setup": setup.to_dict(), "scan": scan, "coupling": c.name, "delta_chi2": thr,
            "sign": sign, "mediator_mass_eV": float(mediator_mass_eV)}
    payloads = [dict(base, grid=part) for part in chunk(g.tolist(), ex.n_workers
                                                         * chunks_per_worker)]
    parts = ex.map(limit_task, payloads)
    xcol = "m_eV" if scan == "mediator-mass" else "m_lightest_eV"
    frame = pd.DataFrame({
        xcol: np.concatenate([p["x"] for p in parts]),
        "limit": np.concatenate([p["limit"] for p in parts]),
        "status": np.concatenate([p["status"] for p in parts]).astype(int),
        "limit_sign": np.concatenate([p["limit_sign"] for p in parts]).astype(str),
    })
    inputs = dict(base, grid=g.tolist(), cl=cl, dof=dof)
    info = {"coupling": c.name, "scan": scan, "sign": sign, "sign_tested": sign, "sided": sided,
            "profile_norm": setup.profile_norm, "scalar_phase": setup.scalar_phase,
            "width_fraction": setup.width_fraction}
    if scan == "m-lightest":
        info["mediator_mass_eV"] = float(mediator_mass_eV)
    info.update(meta or {})
    return SensitivityTable(quantity=QUANTITY_OF[c.kind], x=xcol, frame=frame, cl=cl, dof=dof,
                            delta_chi2=thr, lineage=lineage_hash(inputs), meta=info)


def toy_limit_bands(setup: AsimovSetup, coupling: str, grid, *, delta_chi2: float,
                    n_toys: int, entropy: int, executor: Executor | None = None,
                    chunks_per_worker: int = 2) -> pd.DataFrame:
    """Expected-limit bands from SM toys: median and central 68% / 95% of the toy limits.

    Toys are split into tasks by global index (:func:`~renpsim.stats.sensitivity.toy_limit_task`);
    the numbers do not depend on the executor or the worker count.
    """
    if not isinstance(n_toys, int | np.integer) or n_toys < 1:
        raise InputError("sensitivity", "toys", n_toys, "a whole number >= 1")
    c = parse_coupling(coupling, "sensitivity")
    ex = executor or Executor("serial")
    g = np.atleast_1d(np.asarray(grid, dtype=float)).tolist()
    base = {"setup": setup.to_dict(), "coupling": c.name, "grid": g, "delta_chi2": delta_chi2,
            "entropy": int(entropy)}
    parts = ex.map(toy_limit_task, [dict(base, indices=part) for part in
                                    chunk(list(range(n_toys)), ex.n_workers * chunks_per_worker)])
    lims = np.concatenate([np.asarray(p["limits"], float).reshape(-1, len(g)) for p in parts])
    q = np.percentile(lims, [2.5, 16, 50, 84, 97.5], axis=0)
    return pd.DataFrame({"x": g, "toy_median": q[2], "toy_lo68": q[1], "toy_hi68": q[3],
                         "toy_lo95": q[0], "toy_hi95": q[4], "n_toys": n_toys})
