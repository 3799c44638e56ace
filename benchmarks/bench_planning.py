"""Dwell-optimiser benchmark (the planner's "Optimise dwell"): ``python -m benchmarks planning``.

``renpsim.stats.planning.optimise_dwell_for_decision`` (mass ordering) on a 200-step scan of the
GP21 hardware (2.3 d in total), the call behind ``renpsim sensitivity --optimise-dwell`` and the
planner's *Optimise dwell*. Target: under 5 s. Reference, measured in the same run: one round
of the straightforward optimiser it replaced (SLSQP on the simplex with finite-difference
gradients, the whole 3-round optimiser took 80-100 s); the ratio is the reference's time for
ONE round against the new optimiser's time for all three rounds plus the four profiled fits.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import optimize

from benchmarks.timing import median_time


def _dataset(n: int):
    """The n-step GP21 campaign's Asimov dataset, through the experiment layer (as the CLI)."""
    from renpsim.campaign import campaign_from_dict
    from renpsim.experiment import load_experiment
    from renpsim.stats.model import ModelSpec

    half = 1.071745  # E_eg/2 of the gp21-benchmark hardware's target, eV
    omega = (half - 2.5e-3 + np.arange(n) * (2.5e-3 - 1e-6) / (n - 1)).tolist()
    doc = {"name": "bench", "hardware": "gp21-benchmark", "seed": 1,
           "truth": {"ordering": "NO", "nature": "dirac", "m_lightest_eV": 0.01,
                     "oscillation": "nufit-5.0"},
           "scan": {"generator": "explicit", "order": "as_listed", "omega_eV": omega,
                    "dwell_s": [2.3 * 86400.0 / n] * n}}
    exp = load_experiment(campaign_from_dict(doc, "bench"))
    ds = exp.asimov_dataset(exp.asimov_setup("profiled"))
    return ds, ModelSpec(ordering="NO", nature="dirac", m_lightest_eV=0.01)


def _reference_round(ds, truth) -> float:
    """One round of the old inner solver: SLSQP, finite differences, maxiter 200."""
    from renpsim.stats.model import BinnedLikelihood
    from renpsim.stats.planning import _alternatives, decision_delta_chi2
    from renpsim.stats.sensitivity import _delta_chi2

    res = decision_delta_chi2(ds, truth, "ordering")
    T = ds.exposure_s
    total = float(T.sum())
    rt = res["asimov"] / T
    a_lik = BinnedLikelihood(ds, _alternatives("ordering", "NO", "dirac"),
                             oscillation_constraints=False)
    ra = a_lik.expected(a_lik.vector({k: v for k, v in res["alternative"].values.items()
                                      if k in a_lik.parameters})) / T
    t0 = time.perf_counter()
    optimize.minimize(lambda x: -float(_delta_chi2(x * total * rt, x * total * ra, 0.0, True)),
                      T / total, method="SLSQP", bounds=[(0.0, 1.0)] * T.size,
                      constraints=({"type": "eq", "fun": lambda x: np.sum(x) - 1.0},),
                      options={"maxiter": 200, "ftol": 1e-12})
    return time.perf_counter() - t0


def run(quick: bool = False) -> dict:
    """Time the optimiser (median of 3, 1 if quick) and one round of the reference."""
    from renpsim.stats.planning import optimise_dwell_for_decision

    n = 50 if quick else 200
    ds, truth = _dataset(n)
    plan = optimise_dwell_for_decision(ds, truth, "ordering")
    t_new = median_time(lambda: optimise_dwell_for_decision(ds, truth, "ordering"),
                        repeat=1 if quick else 3, warmup=0)
    t_ref = _reference_round(ds, truth)
    print(f"optimise_dwell_for_decision, {n} steps: {t_new:.2f} s (median; target < 5 s); "
          f"Delta chi^2 {plan.figure_before:.4g} -> {plan.figure_after:.4g}")
    print(f"reference, ONE round of SLSQP with finite differences: {t_ref:.2f} s; "
          f"ratio {t_ref / t_new:.1f}x")
    return {"steps": n, "optimise_s": t_new, "reference_one_round_s": t_ref,
            "ratio": t_ref / t_new, "before": plan.figure_before, "after": plan.figure_after}
