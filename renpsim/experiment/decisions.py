"""Exposure needed for discrete decisions (ordering, lightest mass, nature) and for a limit.

Both normalisation treatments are available: ``"fixed"`` (no systematics, as [GP21]) and
``"profiled"`` (a free normalisation, [physics §6.1]); an unknown normalisation costs a large
factor, so every row states which one it used.
"""

from __future__ import annotations

from renpsim.experiment.defaults import (
    DECISIONS,
    DEFAULT_N_SIGMA,
    DEFAULT_NORMALISATION,
    NORMALISATIONS,
)
from renpsim.experiment.forecast import Experiment
from renpsim.experiment.results import DecisionExposure, LimitExposure


def truth_spec(setup):
    """Return the statistics engine's model of the Asimov truth of ``setup``."""
    from renpsim.stats.model import ModelSpec

    return ModelSpec(ordering=setup.ordering, nature=setup.nature,
                     m_lightest_eV=setup.m_lightest_eV)


def decision_exposure(experiment: Experiment, decision: str,
                      n_sigma: float = DEFAULT_N_SIGMA,
                      normalisation: str = DEFAULT_NORMALISATION, **setup_kw) -> DecisionExposure:
    """Exposure factor and total time for an ``n_sigma`` decision (Delta chi^2 = n^2, 1 dof).

    Parameters
    ----------
    experiment : Experiment
        The campaign.
    decision : {"ordering", "lightest-mass", "nature"}
        Which discrete question.
    n_sigma : float
        Target significance.
    normalisation : {"fixed", "profiled"}
        Treatment of the signal normalisation.
    **setup_kw
        Truth overrides and model options for :meth:`Experiment.asimov_setup`, among them
        ``majorana_phases`` (``"profiled"`` by default: the Majorana alternative of the nature
        and ordering decisions fits its phases; ``"fixed"``: kept at zero).

    """
    from renpsim.stats.planning import exposure_for_decision

    setup = experiment.asimov_setup(normalisation, **setup_kw)
    r = exposure_for_decision(experiment.asimov_dataset(setup), truth_spec(setup), decision,
                              n_sigma, profile_norm=setup.profile_norm,
                              majorana_phases=setup.majorana_phases)
    return DecisionExposure(decision=decision, n_sigma=float(n_sigma),
                            normalisation=normalisation, factor=float(r["factor"]),
                            total_time_s=float(r["total_s"]),
                            delta_chi2_now=float(r["delta_chi2_now"]), method=r["method"],
                            assumptions=experiment.assumptions(setup, dof=1))


def decision_table(experiment: Experiment, n_sigma: float = DEFAULT_N_SIGMA,
                   normalisations: tuple[str, ...] = NORMALISATIONS,
                   decisions: tuple[str, ...] = DECISIONS,
                   **setup_kw) -> tuple[DecisionExposure, ...]:
    """Every decision under every requested normalisation treatment (rows in that order)."""
    return tuple(decision_exposure(experiment, d, n_sigma, norm, **setup_kw)
                 for norm in normalisations for d in decisions)


def limit_exposure(experiment: Experiment, coupling: str, mediator_mass_eV: float,
                   target_limit: float, delta_chi2: float | None = None,
                   normalisation: str = DEFAULT_NORMALISATION, **setup_kw) -> LimitExposure:
    """Exposure factor for the Asimov limit on ``coupling`` to reach ``target_limit``."""
    from renpsim.experiment.reach import threshold
    from renpsim.stats.planning import exposure_for_limit

    if delta_chi2 is None:
        delta_chi2 = threshold()[0]
    setup = experiment.asimov_setup(normalisation, **setup_kw)
    r = exposure_for_limit(setup, coupling, mediator_mass_eV, target_limit, delta_chi2)
    return LimitExposure(coupling=coupling, mediator_mass_eV=float(mediator_mass_eV),
                         target_limit=float(target_limit), normalisation=normalisation,
                         factor=float(r["factor"]), total_time_s=float(r["total_s"]),
                         limit_now=float(r["limit_now"]),
                         assumptions=experiment.assumptions(setup, delta_chi2=delta_chi2))


def expected_under(experiment: Experiment, ordering: str, m_lightest_eV: float, nature: str,
                   oscillation: str | None = None):
    """Return the expected signal and background per step under another neutrino hypothesis."""
    import numpy as np

    from renpsim.daq import expected_counts
    from renpsim.physics.neutrino import neutrino_state

    state = neutrino_state(ordering, m_lightest_eV, nature,
                           oscillation or experiment.oscillation)
    df = expected_counts(experiment.campaign, neutrinos=state)
    return df["signal"].to_numpy(float), np.asarray(df["background"], float)


def asimov_delta_chi2(n_true, n_test, normalisation: str = DEFAULT_NORMALISATION) -> float:
    """Asimov Poisson deviance between expected counts [physics §6.1].

    With ``"profiled"`` the test expectation is scaled by k = sum N_true / sum N_test (the
    analytic Poisson profile of a free overall scale).
    """
    import numpy as np

    from renpsim.experiment.results import check_normalisation
    from renpsim.stats.deviance import poisson_deviance

    a = np.asarray(n_true, float)
    b = np.asarray(n_test, float)
    if check_normalisation(normalisation) and b.sum() > 0:
        b = b * (a.sum() / b.sum())
    return float(poisson_deviance(a, b, axis=None))


def separation(experiment: Experiment, ordering: str, m_lightest_eV: float, nature: str,
               delta_chi2: float, normalisation: str = DEFAULT_NORMALISATION,
               oscillation: str | None = None) -> dict:
    """Asimov Delta chi^2 of the campaign's truth against one fixed alternative hypothesis.

    Returns ``delta_chi2`` at the campaign's exposure and ``factor``, the multiplier of every
    dwell time that brings it to ``delta_chi2`` (bisection in log factor; inf if never, 0 if
    the alternative predicts no counts where the truth has some), with the normalisation.
    """
    import math

    import numpy as np

    t = experiment.campaign.truth
    mu, bkg = expected_under(experiment, t.ordering, t.m_lightest_eV, t.nature, t.oscillation)
    alt, _ = expected_under(experiment, ordering, m_lightest_eV, nature, oscillation)

    def d(f: float) -> float:
        return asimov_delta_chi2(f * (mu + bkg), f * (alt + bkg), normalisation)

    now = d(1.0)
    if now == math.inf:
        factor = 0.0
    elif d(1e30) < delta_chi2:
        factor = math.inf
    else:
        lo, hi = 1e-12, 1e30
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            if d(mid) >= delta_chi2:
                hi = mid
            else:
                lo = mid
            if hi / lo < 1.0001:
                break
        factor = hi
    return {"delta_chi2": float(now), "factor": float(factor), "normalisation": normalisation,
            "total_time_s": float(factor * np.sum(experiment.expected["exposure_s"]))}
