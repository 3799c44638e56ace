"""The experiment layer: the one implementation of every workflow the front ends offer.

It sits between the models (physics, hardware, campaign, daq, runfile) and the statistics engine
(:mod:`renpsim.stats`) on one side and the front ends (``renpsim`` commands, the ``renpsim run``
report, the TUI) on the other, which call only this layer and render its results. Every
workflow returns an immutable typed result (:mod:`renpsim.experiment.results`) that carries its
assumptions: Delta chi^2 with CL and dof, normalisation ``"fixed"`` or ``"profiled"``, coupling
sign, mediator width, oscillation preset and its source, seed.

Public API
----------
load_experiment, Experiment, forecast
    Campaign -> expected counts, Asimov setup and the viability verdict.
fit_run_file, fit_campaign_run
    Run file -> dataset -> fit with ordering / nature comparisons.
reach_vs_mediator_mass, reach_vs_lightest_mass, dipole_reach, discovery, threshold,
confidence_level
    Asimov reach (``sided`` one- or two-sided thresholds; each limit records the sign that
    gave it).
reach_vs_sterile_mass
    Asimov limits on |U_e4|^2 of a 3+1 light sterile neutrino versus m4.
decision_exposure, decision_table, limit_exposure
    Exposures for decisions (fixed and profiled normalisation) and for a limit.
optimise_dwell
    Dwell-time optimisation.
coherence_response, CoherenceResponse
    eta(t), exposure per shot and PSR yield of the Maxwell-Bloch model of a hardware.
lightest_mass_bound
    A bound on Sum m_nu or m_beta as a bound on the lightest mass of an ordering.
toy_bands, wilks_check, new_seed
    Toy studies.
"""

from renpsim.experiment.coherence import CoherenceResponse, coherence_response
from renpsim.experiment.decisions import decision_exposure, decision_table, limit_exposure
from renpsim.experiment.execution import executor, parse_coupling
from renpsim.experiment.fit import fit_campaign_run, fit_run_file
from renpsim.experiment.forecast import Experiment, forecast, load_experiment
from renpsim.experiment.mass_bounds import lightest_mass_bound
from renpsim.experiment.optimise import optimise_dwell
from renpsim.experiment.reach import (
    confidence_level,
    dipole_reach,
    discovery,
    mass_grid_with_poles,
    reach_vs_lightest_mass,
    reach_vs_mediator_mass,
    reach_vs_sterile_mass,
    threshold,
)
from renpsim.experiment.results import (
    Assumptions,
    DecisionExposure,
    DipoleReach,
    DwellAllocation,
    FitOutcome,
    Forecast,
    LimitExposure,
    ReachCurve,
    ToyBands,
)
from renpsim.experiment.toys import new_seed, toy_bands, wilks_check

__all__ = [
    "Assumptions",
    "CoherenceResponse",
    "DecisionExposure",
    "DipoleReach",
    "DwellAllocation",
    "Experiment",
    "FitOutcome",
    "Forecast",
    "LimitExposure",
    "ReachCurve",
    "ToyBands",
    "coherence_response",
    "confidence_level",
    "decision_exposure",
    "decision_table",
    "dipole_reach",
    "discovery",
    "executor",
    "fit_campaign_run",
    "fit_run_file",
    "forecast",
    "lightest_mass_bound",
    "limit_exposure",
    "load_experiment",
    "mass_grid_with_poles",
    "new_seed",
    "optimise_dwell",
    "parse_coupling",
    "reach_vs_lightest_mass",
    "reach_vs_mediator_mass",
    "reach_vs_sterile_mass",
    "threshold",
    "toy_bands",
    "wilks_check",
]
