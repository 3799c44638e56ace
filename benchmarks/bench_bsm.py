"""BSM spectrum benchmark: SM + one vector, one scalar, one dipole configuration on 1e6 points.

Prints points per second for each configuration, the cost ratio to the SM-only evaluation
(target: at most 3x), and the agreement with the straightforward reference (explicit spinor
amplitudes integrated over the neutrino energy, renpsim.physics.bsm.reference) on a subset,
with that reference's speed.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.timing import median_time
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.bsm import (
    DipoleMoments,
    ScalarMediator,
    VectorMediator,
    spectral_function_bsm,
)
from renpsim.physics.bsm.reference import spectral_function_by_spinors

CONFIGS = {
    "vector": ([VectorMediator(2.0e4, gL=8e-16)],
               {"vectors": [(2.0e4, np.diag([8e-16, 0, 0]), np.zeros((3, 3)), 0.0)]}),
    "scalar": ([ScalarMediator(2.0e4, yS=6e-9, yP=6e-9)],
               {"scalars": [(2.0e4, np.diag([6e-9, 0, 0]), np.diag([6e-9, 0, 0]), 0.0)]}),
    "dipole": ([DipoleMoments(mu=1e-11, eps={"12": 1e-11, "21": 1e-11})],
               {"mu": np.diag([1e-11, 0, 0]),
                "eps": np.array([[0, 1e-11, 0], [1e-11, 0, 0], [0, 0, 0]])}),
}
#: Majorana, all three kinds at once, Z' with a width (the most expensive path).
MAJORANA_ALL = [VectorMediator(2.0e4, gL=8e-16, width_eV=1.0),
                ScalarMediator(2.0e4, yS=6e-9, yP=6e-9),
                DipoleMoments(mu={"12": 1e-11, "21": -1e-11})]


def run(quick: bool = False) -> dict:
    """Measure and print the figures; return them as a dict."""
    target = load_target("Yb")
    state = neutrino_state("NO", 0.01, "dirac")
    n = 100_000 if quick else 1_000_000
    repeat = 3 if quick else 7
    half = target.E_eg_eV / 2
    omega = np.linspace(half - 5e-3, half, n)
    t_sm = median_time(lambda: spectral_function(omega, state, target), repeat=repeat)
    figures: dict = {"points": n, "sm_points_per_s": n / t_sm}
    print(f"SM only, {n:.0e} points: {n / t_sm:.3e} points/s (median)")
    idx = np.linspace(0, n - 1, 12 if quick else 40).astype(int)
    for name, (terms, model) in CONFIGS.items():
        t = median_time(lambda terms=terms: spectral_function_bsm(omega, state, target, terms),
                        repeat=repeat)
        model = dict(model, a=state.coupling)
        worst = 0.0
        t0 = time.perf_counter()
        for k in idx:
            ref = spectral_function_by_spinors(omega[k], target.E_eg_eV, target.E_vg_eV,
                                               state.masses_eV, model, False)
            fast = float(spectral_function_bsm(omega[k], state, target, terms))
            if ref != 0.0:
                worst = max(worst, abs(fast - ref) / abs(ref))
        t_ref = (time.perf_counter() - t0) / len(idx)
        figures[name] = {
            "points_per_s": n / t,
            "cost_vs_sm": t / t_sm,
            "reference_points_per_s": 1.0 / t_ref,
            "speedup_vs_reference": (n / t) * t_ref,
            "max_rel_deviation": worst,
        }
        print(f"SM + {name}: {n / t:.3e} points/s, cost {t / t_sm:.2f}x SM (target <= 3x); "
              f"spinor reference {1 / t_ref:.3e} points/s (speed-up {(n / t) * t_ref:.0f}x); "
              f"max relative deviation {worst:.1e}")
    maj = neutrino_state("NO", 0.01, "majorana")
    t_sm_m = median_time(lambda: spectral_function(omega, maj, target), repeat=repeat)
    t_m = median_time(lambda: spectral_function_bsm(omega, maj, target, MAJORANA_ALL),
                      repeat=repeat)
    figures["majorana_all"] = {"points_per_s": n / t_m, "cost_vs_sm": t_m / t_sm_m}
    print(f"Majorana SM + vector(width) + scalar + dipole: {n / t_m:.3e} points/s, cost "
          f"{t_m / t_sm_m:.2f}x Majorana SM")
    return figures
