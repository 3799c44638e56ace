"""Scan-step generators for the Schedule tab: uniform, threshold-dense, the paper's points.

Convention ([physics §1.5]): a campaign's total time is the sum of the dwell times; generators
split a given total equally over the steps they produce.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from renpsim.errors import InputError
from renpsim_tui.campaign import Step

ORDERS = ("up", "down", "random")


def _order(omegas: np.ndarray, order: str, seed: int) -> np.ndarray:
    if order == "up":
        return np.sort(omegas)
    if order == "down":
        return np.sort(omegas)[::-1]
    if order == "random":
        rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
        return rng.permutation(np.sort(omegas))
    raise InputError("schedule", "order", order, "one of " + ", ".join(ORDERS))


def _check(lo: float, hi: float, n: int, total_s: float, omega_max_eV: float) -> None:
    if not 0.0 < lo < hi <= omega_max_eV:
        raise InputError("schedule", "omega range", (lo, hi),
                         f"0 < low < high <= E_eg/2 = {omega_max_eV:.9g} eV")
    if n < 1:
        raise InputError("schedule", "steps", n, "at least 1 step")
    if not total_s > 0.0:
        raise InputError("schedule", "total time", total_s, "a positive time in s")


def uniform(lo: float, hi: float, n: int, total_s: float, omega_max_eV: float,
            order: str = "up", seed: int = 0) -> list[Step]:
    """``n`` equally spaced steps from ``lo`` to ``hi`` (eV) sharing ``total_s`` equally."""
    _check(lo, hi, n, total_s, omega_max_eV)
    omegas = np.linspace(lo, hi, n) if n > 1 else np.array([0.5 * (lo + hi)])
    return [Step(float(w), total_s / n) for w in _order(omegas, order, seed)]


def threshold_dense(lo: float, hi: float, n: int, total_s: float, omega_max_eV: float,
                    thresholds_eV: Iterable[float], width_eV: float = 1e-4,
                    order: str = "up", seed: int = 0) -> list[Step]:
    """Half of the steps uniform over [lo, hi], half packed within +-width of each threshold.

    The thresholds omega_ij^max (GP21 eq. 13) inside [lo, hi] share the dense half equally;
    points coinciding within 1e-12 eV are merged, so fewer than ``n`` steps may result.
    """
    _check(lo, hi, n, total_s, omega_max_eV)
    if not width_eV > 0.0:
        raise InputError("schedule", "width", width_eV, "a positive width in eV")
    thr = sorted({round(t, 12) for t in thresholds_eV if lo <= t <= hi})
    n_dense = n // 2 if thr else 0
    n_uni = n - n_dense
    pts = list(np.linspace(lo, hi, n_uni)) if n_uni > 1 else [0.5 * (lo + hi)]
    for i, t in enumerate(thr):
        k = n_dense // len(thr) + (1 if i < n_dense % len(thr) else 0)
        if k:
            pts += list(np.linspace(max(lo, t - width_eV), min(hi, t + width_eV), k))
    omegas = np.unique(np.round(np.asarray(pts, float), 12))
    return [Step(float(w), total_s / omegas.size) for w in _order(omegas, order, seed)]


def paper_points(omegas_eV: Iterable[float], total_s: float, omega_max_eV: float) -> list[Step]:
    """GP21's three frequencies with the total time split equally ([hardware §8.2] preset 1)."""
    omegas = [float(w) for w in omegas_eV]
    for w in omegas:
        if not 0.0 < w <= omega_max_eV:
            raise InputError("schedule", "omega_eV", w,
                             f"0 < omega <= E_eg/2 = {omega_max_eV:.9g} eV (the paper points "
                             "are for Yb)")
    return [Step(w, total_s / len(omegas)) for w in omegas]
