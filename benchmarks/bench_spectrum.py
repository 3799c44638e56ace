"""Spectrum benchmark: I(omega) on 1e6 photon energies for the Yb default.

Reference: per point, each of the nine channels integrated with scipy.integrate.quad
(renpsim.physics.reference), measured on a subset and scaled. Prints points per second, the
ratio, and the maximum relative deviation between the two on the subset.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.timing import median_time
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.reference import spectral_function_by_quad


def run(quick: bool = False) -> dict:
    """Measure and print the figures; return them as a dict."""
    target = load_target("Yb")
    state = neutrino_state("NO", 0.01, "dirac")
    n = 100_000 if quick else 1_000_000
    half = target.E_eg_eV / 2
    omega = np.linspace(half - 5e-3, half, n)
    t_fast = median_time(lambda: spectral_function(omega, state, target), repeat=3 if quick else 7)
    rate_fast = n / t_fast

    n_ref = 50 if quick else 200
    idx = np.linspace(0, n - 1, n_ref).astype(int)
    maj = neutrino_state("NO", 0.01, "majorana", alpha21=1.0, alpha31=2.0)
    worst = 0.0
    t0 = time.perf_counter()
    for k in idx:
        ref = spectral_function_by_quad(
            omega[k], target.E_eg_eV, target.E_vg_eV, state.masses_eV, state.coupling, False
        )
        fast = float(spectral_function(omega[k], state, target))
        if ref != 0.0:
            worst = max(worst, abs(fast - ref) / abs(ref))
    t_ref = (time.perf_counter() - t0) / n_ref
    # same agreement check for Majorana (not timed)
    for k in idx[::5]:
        ref = spectral_function_by_quad(
            omega[k], target.E_eg_eV, target.E_vg_eV, maj.masses_eV, maj.coupling, True
        )
        if ref != 0.0:
            worst = max(worst, abs(float(spectral_function(omega[k], maj, target)) - ref) / ref)
    rate_ref = 1.0 / t_ref
    figures = {
        "points": n,
        "points_per_s": rate_fast,
        "reference_points_per_s": rate_ref,
        "ratio": rate_fast / rate_ref,
        "max_rel_deviation": worst,
    }
    print(f"spectral function, Yb NO m1=0.01 Dirac, {n:.0e} points: {rate_fast:.3e} points/s "
          f"(median)")
    print(f"quad reference ({n_ref} points): {rate_ref:.3e} points/s; "
          f"ratio {figures['ratio']:.0f}x; max relative deviation {worst:.1e}")
    return figures
