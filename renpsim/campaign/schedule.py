"""Frequency-scan schedules: step generators and step order.

Source: [hardware §4.2], [hardware §7.1] "scan".

Generators (all return trigger energies omega in eV, ascending):

* ``explicit``: the given list;
* ``uniform``: n_steps equally spaced offsets below E_eg/2 in [offset_min_eV, offset_max_eV];
* ``thresholds``: a fraction of the steps packed within +-dense_width_eV of each pair threshold
  omega_ij = E_eg/2 - (m_i + m_j)^2/(2 E_eg) of the stated neutrino hypothesis ([physics §1.1]),
  the rest uniform over the offset range;
* ``endpoint``: a fraction of the steps within dense_width_eV below E_eg/2, the rest uniform
  ([hardware §8.2] preset (2): "dense within 0.1 meV of E/2");
* ``gp21``: GP21's three points 1.0688, 1.0699, 1.0711 eV ([physics §1.5]).

Order: ``up``, ``down``, ``random`` (seeded) or ``as_listed``; with ``reference_every = k`` a
reference step is inserted before every k-th scan step ([hardware §7.1]: every 10 steps).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from renpsim.physics.kinematics import threshold

GP21_POINTS_EV = (1.0688, 1.0699, 1.0711)


def uniform_offsets(E_eg_eV: float, lo_eV: float, hi_eV: float, n: int) -> NDArray[np.float64]:
    """Equally spaced omega = E/2 - offset for offsets in [lo, hi] (n points)."""
    if n == 1:
        return np.array([E_eg_eV / 2.0 - 0.5 * (lo_eV + hi_eV)])
    return np.sort(E_eg_eV / 2.0 - np.linspace(lo_eV, hi_eV, n))


def pair_thresholds(E_eg_eV: float, masses_eV: NDArray[np.float64],
                    imprinted_momentum_eV: float = 0.0, imprinted_cos: float = 1.0
                    ) -> NDArray[np.float64]:
    """Return the six pair thresholds omega_ij (i <= j), [physics §1.1].

    With an imprinted pair momentum the moved thresholds (docs/sterile-and-momentum.md 2.1).
    """
    m = np.asarray(masses_eV, dtype=float).reshape(-1)[:3]
    out = [float(threshold(E_eg_eV, m[i], m[j], imprinted_momentum_eV, imprinted_cos))
           for i in range(3) for j in range(i, 3)]
    return np.array(sorted(out))


def dense_near(centres: NDArray[np.float64], width_eV: float, n_dense: int, E_eg_eV: float,
               lo_eV: float, hi_eV: float, n_total: int,
               endpoint_eV: float | None = None) -> NDArray[np.float64]:
    """n_dense points spread evenly within +-width of the centres, plus uniform fill.

    Points are clipped to omega <= the photon endpoint (default E_eg/2); duplicates are not
    removed (a repeated frequency is a legitimate longer dwell).
    """
    centres = np.asarray(centres, dtype=float)
    per = np.full(len(centres), n_dense // len(centres))
    per[: n_dense - per.sum()] += 1
    pts = []
    for c, k in zip(centres, per, strict=True):
        if k:
            pts.append(c + np.linspace(-width_eV, width_eV, int(k)) if k > 1 else np.array([c]))
    dense = np.concatenate(pts) if pts else np.empty(0)
    fill = uniform_offsets(E_eg_eV, lo_eV, hi_eV, n_total - n_dense) if n_total > n_dense else \
        np.empty(0)
    out = np.concatenate((dense, fill))
    return np.sort(np.minimum(out, E_eg_eV / 2.0 if endpoint_eV is None else endpoint_eV))


def order_steps(omega: NDArray[np.float64], order: str, rng: np.random.Generator
                ) -> NDArray[np.int64]:
    """Index permutation giving the scan order."""
    idx = np.arange(len(omega))
    if order == "up":
        return idx[np.argsort(omega, kind="stable")]
    if order == "down":
        return idx[np.argsort(-omega, kind="stable")]
    if order == "random":
        return rng.permutation(idx)
    return idx


def insert_reference(n_scan: int, every: int) -> NDArray[np.int64]:
    """Positions: -1 marks a reference step, inserted before scan steps 0, k, 2k, ..."""
    scan = np.arange(n_scan, dtype=np.int64)
    if not every:
        return scan
    # scan step i lands at i + (number of references up to and including its own group)
    out = np.full(n_scan + -(-n_scan // every), -1, dtype=np.int64)
    out[scan + scan // every + 1] = scan
    return out
