"""Dwell-time optimisation (total fixed) for a coupling limit or a discrete decision."""

from __future__ import annotations

from renpsim.experiment.defaults import DEFAULT_NORMALISATION
from renpsim.experiment.forecast import Experiment
from renpsim.experiment.results import DwellAllocation


def optimise_dwell(experiment: Experiment, objective: str = "ordering", *,
                   coupling: str = "gL11", mediator_mass_eV: float = 1e-3,
                   delta_chi2: float | None = None,
                   normalisation: str = DEFAULT_NORMALISATION, progress=None, cancelled=None,
                   **setup_kw) -> DwellAllocation:
    """Reallocate the dwell times (same total) to improve a limit or a decision.

    Parameters
    ----------
    experiment : Experiment
        The campaign.
    objective : {"limit", "ordering", "lightest-mass", "nature"}
        ``limit``: minimise the Asimov limit on ``coupling`` at ``mediator_mass_eV``; otherwise
        maximise the decision's Asimov Delta chi^2.
    delta_chi2 : float, optional
        Threshold of the limit (default 95% CL, 1 dof).
    coupling, mediator_mass_eV : str, float
        Coupling and mediator mass of the ``limit`` objective.
    normalisation : {"fixed", "profiled"}
        Treatment of the signal normalisation.
    progress, cancelled : callable, optional
        ``progress(fraction)`` as the work advances; ``cancelled()`` returning true stops the
        optimiser with :class:`renpsim.errors.Cancelled`.
    **setup_kw
        Model options and truth overrides (:meth:`Experiment.asimov_setup`), among them
        ``majorana_phases`` for the decisions' Majorana alternatives.

    """
    from renpsim.experiment.decisions import truth_spec
    from renpsim.experiment.reach import threshold
    from renpsim.stats.planning import optimise_dwell_for_decision, optimise_dwell_for_limit

    setup = experiment.asimov_setup(normalisation, **setup_kw)
    thr = None
    if objective == "limit":
        thr = threshold(delta_chi2)[0]
        p = optimise_dwell_for_limit(setup, coupling, mediator_mass_eV, thr, progress=progress,
                                     cancelled=cancelled)
    else:
        p = optimise_dwell_for_decision(experiment.asimov_dataset(setup), truth_spec(setup),
                                        objective, profile_norm=setup.profile_norm,
                                        majorana_phases=setup.majorana_phases,
                                        progress=progress, cancelled=cancelled)
    return DwellAllocation(objective=p.objective, omega_eV=tuple(map(float, p.omega_eV)),
                     exposure_before_s=tuple(map(float, p.exposure_before_s)),
                     exposure_after_s=tuple(map(float, p.exposure_after_s)),
                     before=float(p.figure_before), after=float(p.figure_after),
                     assumptions=experiment.assumptions(setup, delta_chi2=thr))
