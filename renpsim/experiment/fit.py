"""The fit of a run file: model, ordering and nature comparisons, honest outputs.

Every HDF5 run file is checked with the validator of ``renpsim validate``
(:func:`renpsim.runfile.validate_run`) before it is read; the dataset comes from the statistics
engine's readers, which read renpsim run files through :func:`renpsim.runfile.open_run`. The
oscillation preset is the one the run file records (its frozen campaign) unless the caller names
one; the result says which and where it came from.
"""

from __future__ import annotations

from pathlib import Path

from renpsim.experiment.results import Assumptions, FitOutcome
from renpsim.stats.fit_report import COMPARE, MODELS

__all__ = ["COMPARE", "MODELS", "fit_campaign_run", "fit_run_file"]


def fit_run_file(run: str | Path, *, model: str = "sm-dirac", ordering: str = "NO",
                 oscillation: str | None = None, compare: str = "none",
                 validate: bool = True, **kw) -> FitOutcome:
    """Fit a run file (``.h5``) or a binned JSON dataset.

    Parameters
    ----------
    run : path
        The file.
    model : {"sm-dirac", "sm-majorana", "vector", "scalar", "dipole"}
        Physics model.
    ordering : {"NO", "IO"}
        Mass ordering of the fitted model.
    oscillation : str, optional
        Oscillation preset of the constraints (default: the one the file records).
    compare : {"none", "ordering", "nature"}
        Also compare discrete hypotheses (profiled minima, multi-start).
    validate : bool
        Check an HDF5 run file against the schema first (as ``renpsim validate``).
    **kw
        Further options of :func:`renpsim.stats.fit_report.fit_run` (coupling, nature,
        mediator_mass_eV, free, fixed, profile, oscillation_constraints, profile_scans,
        validate_truth).

    Returns
    -------
    FitOutcome
        The report, its validity and the assumptions (oscillation preset and its source).

    """
    from renpsim.stats.fit_report import fit_run

    p = Path(run)
    problems = None
    if validate and p.suffix.lower() in (".h5", ".hdf5") and p.is_file():
        from renpsim.runfile import validate_run

        problems = validate_run(p, raise_on_error=False).errors
    rep = fit_run(run, model=model, ordering=ordering, oscillation=oscillation,
                  compare=compare, **kw)
    if problems is not None:
        rep["schema_valid"] = not problems
        if problems:
            rep.setdefault("notes", []).append(
                f"the file violates the run-file schema ({len(problems)} problem(s), first: "
                f"{problems[0]}); renpsim validate lists them")
    osc = rep["oscillation"]
    norm_role = rep.get("parameters", {}).get("norm", {}).get("role", "fixed")
    rep["normalisation"] = "fixed" if norm_role == "fixed" else "profiled"
    return FitOutcome(report=rep, valid=bool(rep.get("valid", False)),
                      assumptions=Assumptions(oscillation=osc["preset"],
                                              oscillation_source=osc["source"],
                                              normalisation=rep["normalisation"]))


def fit_campaign_run(experiment, run: str | Path, *, compare: str = "ordering") -> FitOutcome:
    """Fit a run of ``experiment`` with the SM of its nature and ordering (the report's fit).

    The oscillation preset is the run file's (which, for a simulated run, is the campaign's).
    """
    t = experiment.campaign.truth
    return fit_run_file(run, model=f"sm-{t.nature}", ordering=t.ordering, compare=compare)


def fit_normalisation(experiment, counts) -> FitOutcome:
    """Fit the signal normalisation alone to counts per step of ``experiment``'s steps.

    The campaign's response and backgrounds, the lightest mass and every other nuisance fixed
    at the truth: a quick look at a count table (all steps, one channel).
    """
    import numpy as np

    from renpsim.stats.fit import fit_multistart
    from renpsim.stats.model import BinnedLikelihood

    setup = experiment.asimov_setup("profiled")
    ds = experiment.asimov_dataset(setup).with_counts(np.asarray(counts, float))
    from renpsim.experiment.decisions import truth_spec

    lik = BinnedLikelihood(ds, truth_spec(setup), fixed={"m_lightest_eV": setup.m_lightest_eV},
                           oscillation_constraints=False)
    res = fit_multistart(lik, hypothesis="norm")
    rep = res.to_dict()
    rep["normalisation"] = "profiled"
    return FitOutcome(report=rep, valid=bool(rep.get("valid", False)),
                      assumptions=experiment.assumptions(setup))
