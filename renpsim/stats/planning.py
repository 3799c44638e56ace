"""Exposure planning.

The time needed for a target significance or limit, discrete-decision exposures (mass ordering,
lightest mass, Dirac/Majorana) and the dwell-time optimiser.

physics.md 6.3: the choice of frequencies matters as much as the exposure and an unknown
normalisation costs a large factor, so both the exposure split and the normalisation treatment
are explicit inputs here.

* Exposure for a limit: the factor f on all dwell times for which the Asimov limit at a given
  mediator mass equals the target (bisection in log f).
* Decision exposure: the Asimov Delta chi^2 between the truth and the best-fitting alternative
  (profiled minima, multi-start) as a function of f, solved for Delta chi^2 = Z^2.
* Dwell optimiser: maximise the Asimov Delta chi^2 of a fixed test point (the coupling at the
  current limit, or the alternative's best fit) over the dwell fractions with the total fixed
  (SLSQP on the simplex); for decisions the alternative is re-fitted and the optimisation
  repeated a few times (alternating).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from renpsim.errors import InputError
from renpsim.stats.dataset import BinnedDataset
from renpsim.stats.fit import fit_multistart
from renpsim.stats.model import BinnedLikelihood, ModelSpec
from renpsim.stats.sensitivity import AsimovSetup, _Context, _delta_chi2, coupling_limits_vs_mass
from renpsim.stats.spectra import parse_coupling

DECISIONS = ("ordering", "lightest-mass", "nature")


def _scaled(setup: AsimovSetup, f: float) -> AsimovSetup:
    return replace(setup, dwell_s=tuple(float(t) * f for t in setup.dwell_s))


def exposure_for_limit(setup: AsimovSetup, coupling: str, mediator_mass_eV: float,
                       target_limit: float, delta_chi2: float) -> dict:
    """Total time needed so that the Asimov limit at ``mediator_mass_eV`` reaches the target.

    Returns
    -------
    dict
        ``factor`` (on the campaign's dwell times), ``total_s`` and ``limit_now``.

    """
    if not (np.isfinite(target_limit) and target_limit > 0):
        raise InputError("planning", "target_limit", target_limit, "a coupling > 0")

    def lim(f):
        return float(coupling_limits_vs_mass(_scaled(setup, f), coupling, [mediator_mass_eV],
                                             delta_chi2)["limit"][0])

    now = lim(1.0)
    lo, hi = -12.0, 12.0
    if lim(10.0**hi) > target_limit:
        raise InputError("planning", "target_limit", target_limit,
                         "a limit reachable within 1e12 x the campaign's exposure")
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if lim(10.0**mid) > target_limit:
            lo = mid
        else:
            hi = mid
    f = 10.0 ** hi
    return {"factor": f, "total_s": f * float(np.sum(setup.dwell_s)), "limit_now": now}


def _alternatives(decision: str, ordering: str, nature: str,
                  majorana_phases: str = "profiled") -> ModelSpec:
    """Return the alternative of a decision; a Majorana one profiles its phases by default."""
    if decision == "ordering":
        return ModelSpec(ordering="IO" if ordering == "NO" else "NO", nature=nature,
                         majorana_phases=majorana_phases)
    if decision == "nature":
        return ModelSpec(ordering=ordering, nature="majorana" if nature == "dirac" else "dirac",
                         majorana_phases=majorana_phases)
    return ModelSpec(ordering=ordering, nature=nature, m_lightest_eV=0.0,
                     majorana_phases=majorana_phases)


def decision_delta_chi2(dataset: BinnedDataset, truth: ModelSpec, decision: str, *,
                        profile_norm: bool = True, oscillation_constraints: bool = False,
                        majorana_phases: str = "profiled") -> dict:
    """Asimov Delta chi^2 separating the truth from the alternative of ``decision``.

    Parameters
    ----------
    dataset : BinnedDataset
        Exposure and calibration (counts ignored: replaced by the truth's Asimov counts).
    truth : ModelSpec
        True hypothesis (ordering, nature, m_lightest_eV).
    decision : {"ordering", "lightest-mass", "nature"}
        ``ordering``: NO vs IO (lightest mass profiled); ``nature``: Dirac vs Majorana;
        ``lightest-mass``: m_lightest = truth vs m_lightest = 0.
    profile_norm : bool
        Let the normalisation float without constraint (physics.md 6.1).
    oscillation_constraints : bool
        Profile the oscillation parameters within the preset's errors.
    majorana_phases : {"profiled", "fixed"}
        A Majorana alternative fits its phases alpha21 and alpha31 - 2 delta (default,
        multi-started over the phase torus) or keeps them at zero (``"fixed"``, the behaviour
        before phase profiling). The truth's phases are those of ``truth``.

    """
    if decision not in DECISIONS:
        raise InputError("option --decision", "decision", decision,
                         "one of " + ", ".join(DECISIONS))
    fixed = {} if profile_norm else {"norm": 1.0}
    t_lik = BinnedLikelihood(dataset, truth, fixed=dict(fixed, m_lightest_eV=truth.m_lightest_eV),
                             oscillation_constraints=oscillation_constraints)
    asimov = t_lik.asimov()
    alt = _alternatives(decision, truth.ordering, truth.nature, majorana_phases)
    alt_fixed = dict(fixed)
    if decision == "lightest-mass":
        alt_fixed["m_lightest_eV"] = 0.0
    a_lik = BinnedLikelihood(dataset.with_counts(asimov), alt, fixed=alt_fixed,
                             oscillation_constraints=oscillation_constraints)
    r = fit_multistart(a_lik, hypothesis=decision)
    return {"delta_chi2": r.objective, "alternative": r, "asimov": asimov}


def exposure_for_decision(dataset: BinnedDataset, truth: ModelSpec, decision: str,
                          n_sigma: float, **kw) -> dict:
    """Exposure factor and total time for an ``n_sigma`` (1 dof: Delta chi^2 = n^2) decision.

    Without backgrounds, dark counts or constraint terms the Asimov Delta chi^2 is exactly
    proportional to the exposure: it is evaluated at the campaign's exposure and once more at
    the exposure this predicts, where Delta chi^2 ~ n^2 is well above the minimiser's
    tolerance (a Dirac/Majorana Delta chi^2 of 1e-4 at the campaign's exposure is below
    MIGRAD's EDM target and would be noise), and the second value sets the factor. Otherwise
    a bisection in the exposure factor is done. ``**kw`` go to :func:`decision_delta_chi2`
    (``majorana_phases`` included).
    """
    if not (np.isfinite(n_sigma) and n_sigma > 0):
        raise InputError("option --sigma", "n_sigma", n_sigma, "a number > 0")
    target = n_sigma**2
    d1 = decision_delta_chi2(dataset, truth, decision, **kw)["delta_chi2"]
    cal = dataset.calibration
    no_bkg = cal.background_rate_per_s is None or not np.any(cal.background_rate_per_s > 0)
    linear = (no_bkg and cal.dark_counts is None
              and not kw.get("oscillation_constraints", False) and cal.norm_sigma_rel is None)
    if d1 <= 0:
        return {"factor": np.inf, "total_s": np.inf, "delta_chi2_now": d1, "method": "none"}
    if linear:
        f0 = target / d1
        d2 = decision_delta_chi2(dataset.with_dwell(dataset.dwell_s * f0), truth, decision,
                                 **kw)["delta_chi2"]
        f = f0 * target / d2 if d2 > 0 else target / d1
        if d2 > 0:
            d1 = d2 / f0  # the same Delta chi^2 at the campaign's exposure, to fit precision
    else:
        lo, hi = -8.0, 12.0
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            ds = dataset.with_dwell(dataset.dwell_s * 10.0**mid)
            if decision_delta_chi2(ds, truth, decision, **kw)["delta_chi2"] < target:
                lo = mid
            else:
                hi = mid
        f = 10.0**hi
    return {"factor": float(f), "total_s": float(f * np.sum(dataset.dwell_s)),
            "delta_chi2_now": float(d1), "method": "linear" if linear else "bisection"}


def _simplex_maximise(fun, n: int, x0: NDArray[np.float64]) -> NDArray[np.float64]:
    cons = ({"type": "eq", "fun": lambda x: np.sum(x) - 1.0},)
    res = optimize.minimize(lambda x: -fun(x), x0, method="SLSQP", bounds=[(0.0, 1.0)] * n,
                            constraints=cons, options={"maxiter": 200, "ftol": 1e-12})
    x = np.clip(res.x, 0.0, None)
    return x / x.sum()


@dataclass
class DwellPlan:
    """Result of the dwell optimiser.

    Attributes
    ----------
    omega_eV : numpy.ndarray
        Scan steps.
    dwell_before_s, dwell_after_s : numpy.ndarray
        Allocation before and after (same total).
    figure_before, figure_after : float
        The objective: the limit (smaller is better) or the decision Delta chi^2 (larger).
    objective : str
        ``limit`` or ``decision:<name>``.

    """

    omega_eV: NDArray[np.float64]
    dwell_before_s: NDArray[np.float64]
    dwell_after_s: NDArray[np.float64]
    figure_before: float
    figure_after: float
    objective: str


def optimise_dwell_for_limit(setup: AsimovSetup, coupling: str, mediator_mass_eV: float,
                             delta_chi2: float) -> DwellPlan:
    """Reallocate the dwell times (total fixed) to minimise the Asimov limit at one mass.

    The Delta chi^2 of the coupling at the current limit is maximised over the allocation
    (a smooth objective); the limit is then recomputed. Without normalisation profiling the
    optimum concentrates the time on the most sensitive step (the deviance is linear in each
    T_k); with ``profile_norm`` at least two steps are needed and the optimum is interior.
    """
    c = parse_coupling(coupling, "option --coupling")
    total = float(np.sum(setup.dwell_s))
    before = float(coupling_limits_vs_mass(setup, coupling, [mediator_mass_eV],
                                           delta_chi2)["limit"][0])
    ctx = _Context(setup)
    per_s = np.where(ctx.dwell > 0, 1.0 / np.where(ctx.dwell > 0, ctx.dwell, 1.0), 0.0)
    n = ctx.omega.size
    frac = np.asarray(setup.dwell_s, float) / total
    g = before
    s0, fl0 = ctx.sm_counts(ctx.masses)
    signal = ctx.signal(ctx.masses, c, mediator_mass_eV)
    for _ in range(3):
        s1 = signal(g)
        r0, r1, rf = s0 * per_s, s1 * per_s, fl0 * per_s

        def dchi(x, r0=r0, r1=r1, rf=rf):
            T = x * total
            return float(_delta_chi2(T * (r0 + rf), T * r1, T * rf, setup.profile_norm))

        frac = _simplex_maximise(dchi, n, frac)
        g = float(coupling_limits_vs_mass(replace(setup, dwell_s=tuple(frac * total)), coupling,
                                          [mediator_mass_eV], delta_chi2)["limit"][0])
    return DwellPlan(omega_eV=ctx.omega, dwell_before_s=np.asarray(setup.dwell_s, float),
                     dwell_after_s=frac * total, figure_before=before, figure_after=g,
                     objective="limit")


def optimise_dwell_for_decision(dataset: BinnedDataset, truth: ModelSpec, decision: str,
                                rounds: int = 3, **kw) -> DwellPlan:
    """Reallocate the dwell times (total fixed) to maximise a decision's Asimov Delta chi^2.

    Alternates: fit the alternative (profiled, multi-start) at the current allocation, then
    maximise D(truth, alternative) over the allocation with the alternative's rates fixed.
    """
    total = float(np.sum(dataset.dwell_s))
    before = decision_delta_chi2(dataset, truth, decision, **kw)
    profile_norm = kw.get("profile_norm", True)
    frac = dataset.dwell_s / total
    best_frac, best = frac.copy(), float(before["delta_chi2"])
    res = before
    for _ in range(rounds):
        ds = dataset.with_dwell(frac * total)
        T = ds.dwell_s
        rt = np.where(T > 0, res["asimov"] / np.where(T > 0, T, 1), 0.0)
        alt = res["alternative"]
        a_lik = BinnedLikelihood(ds, _alternatives(decision, truth.ordering, truth.nature,
                                                   kw.get("majorana_phases", "profiled")),
                                 oscillation_constraints=False)
        ra = np.where(T > 0, a_lik.expected(a_lik.vector(
            {k: v for k, v in alt.values.items() if k in a_lik.parameters}))
            / np.where(T > 0, T, 1), 0.0)

        def objective(x, rt=rt, ra=ra):
            # normalisation re-profiled analytically inside (it is the nuisance that can
            # absorb a one-step allocation entirely)
            return float(_delta_chi2(x * total * rt, x * total * ra, 0.0, profile_norm))

        frac = _simplex_maximise(objective, frac.size, frac)
        res = decision_delta_chi2(dataset.with_dwell(frac * total), truth, decision, **kw)
        if res["delta_chi2"] > best:
            best_frac, best = frac.copy(), float(res["delta_chi2"])
    frac = best_frac
    after = {"delta_chi2": best}
    return DwellPlan(omega_eV=dataset.omega_eV, dwell_before_s=dataset.dwell_s.copy(),
                     dwell_after_s=frac * total, figure_before=float(before["delta_chi2"]),
                     figure_after=float(after["delta_chi2"]), objective=f"decision:{decision}")
