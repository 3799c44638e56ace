"""``renpsim run``: one campaign from simulation to a report directory.

Every number comes from the experiment layer (:mod:`renpsim.experiment`), the same code that
the ``renpsim`` commands and the TUI call; this module only arranges and writes the results.
Steps (each reported to an optional progress callback):

1. resolve the campaign and its expected counts; the library's viability verdict;
2. simulate it to ``run.h5`` and validate the file;
3. fit the run file (SM of the campaign's nature, mass ordering compared by profiled minima,
   the oscillation preset the file records) -> ``fit.json``;
4. if the campaign expects at least one signal event: Asimov sensitivities (vector gL11 and
   scalar yS11 versus mediator mass, GP21 Fig. 3; gL11 versus lightest mass, Fig. 4; dipole
   moments per element; exposure for 3 sigma ordering / lightest-mass / Dirac-Majorana
   decisions with the normalisation fixed and profiled) -> CSV tables, and the comparison
   with existing limits (:mod:`renpsim.limits`);
   otherwise the gap to viability, with no meaningless limits;
5. figures (PNG and PDF) and the summary (``summary.md`` and a self-contained ``summary.html``)
   stating every assumption with its source and the CL/dof convention.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from renpsim import __version__
from renpsim._atomic import atomic_write, atomic_write_text
from renpsim._json import dumps
from renpsim.errors import InputError
from renpsim.experiment.defaults import (
    DEFAULT_CAMPAIGN,
    DEFAULT_CL,
    DEFAULT_DOF,
    DEFAULT_M_LIGHTEST_EV,
    DEFAULT_MASSES_EV,
    DEFAULT_MEDIATOR_MASS_EV,
    DEFAULT_N_SIGMA,
    DEFAULT_NORMALISATION,
    NORMALISATIONS,
    TARGET_EVENTS,
)
from renpsim.report.document import build_summary, run_provenance

__all__ = ["DEFAULT_CAMPAIGN", "ReportSettings", "run_report"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReportSettings:
    """Choices of a report run.

    Attributes
    ----------
    seed : int, optional
        Simulation seed (default: the campaign's).
    level : {"steps", "shots", "events"}
        DAQ simulation level of the run file.
    masses_eV : tuple of float
        Mediator-mass grid of the coupling-limit curves.
    m_lightest_eV : tuple of float
        Lightest-mass grid of the Fig. 4-style curve.
    mediator_mass_eV : float
        Mediator mass of the lightest-mass curve and of the discovery figure.
    cl, dof : float, int
        Confidence level and degrees of freedom of every limit (default 95%, 1 dof:
        Delta chi^2 = 3.84; GP21 used 5.99, the 2-dof value, [physics §6.2]).
    n_sigma : float
        Significance of the discrete decisions (ordering, lightest mass, nature).
    target_events : float
        Signal events regarded as the minimum for a measurement (viability).
    normalisation : {"fixed", "profiled"}
        Normalisation treatment of the limits (the CLI's default: fixed).
    decision_normalisations : tuple of str
        Treatments shown in the decision table (default both, the first is the headline).

    """

    seed: int | None = None
    level: str = "steps"
    masses_eV: tuple[float, ...] = DEFAULT_MASSES_EV
    m_lightest_eV: tuple[float, ...] = DEFAULT_M_LIGHTEST_EV
    mediator_mass_eV: float = DEFAULT_MEDIATOR_MASS_EV
    cl: float = DEFAULT_CL
    dof: int = DEFAULT_DOF
    n_sigma: float = DEFAULT_N_SIGMA
    target_events: float = TARGET_EVENTS
    normalisation: str = DEFAULT_NORMALISATION
    decision_normalisations: tuple[str, ...] = NORMALISATIONS
    extra: dict = field(default_factory=dict)


def _noop(label: str, done: int, total: int) -> None:
    return None


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10g"))


def run_report(campaign: str | Path = DEFAULT_CAMPAIGN, outdir: str | Path = "renpsim-report",
               settings: ReportSettings | None = None,
               progress: Progress | None = None) -> dict:
    """Run the whole chain for one campaign and write the report directory.

    Parameters
    ----------
    campaign : str or path
        Campaign preset name or TOML path (default: the GP21 benchmark).
    outdir : path
        Output directory (created; existing report files in it are replaced atomically).
    settings : ReportSettings, optional
        Grids, CL/dof and other choices.
    progress : callable, optional
        ``progress(label, done, total)`` after each stage.

    Returns
    -------
    dict
        The report's numbers (also written as ``report.json``).

    """
    from renpsim import experiment as xp
    from renpsim.experiment.simulation import simulate_run
    from renpsim.runfile import validate_run

    settings = settings or ReportSettings()
    progress = progress or _noop
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise InputError("option -o", "OUTDIR", str(out), "a directory (or a new path)")
    stages = 6
    exp = xp.load_experiment(campaign)   # bad input fails before OUTDIR is created
    camp, expected = exp.campaign, exp.expected
    out.mkdir(parents=True, exist_ok=True)
    fc = xp.forecast(exp, settings.target_events)
    viab = fc.viability
    _write_csv(expected, out / "expected_counts.csv")
    progress("campaign and expected counts", 1, stages)

    run_path = out / "run.h5"
    simulate_run(exp, run_path, level=settings.level, seed=settings.seed)
    validate_run(run_path)
    progress("simulation", 2, stages)

    results: dict = {
        "renpsim_version": __version__,
        "campaign": camp.name,
        "campaign_source": str(campaign),
        "hardware": camp.hardware.name,
        "settings": {"level": settings.level, "seed": settings.seed, "cl": settings.cl,
                     "dof": settings.dof, "n_sigma": settings.n_sigma,
                     "normalisation": settings.normalisation},
        "viability": viab.to_dict(),
        "files": {"run": "run.h5", "expected_counts": "expected_counts.csv"},
    }
    fit = _fit(exp, run_path, viab.viable)
    atomic_write_text(out / "fit.json", dumps(fit))
    results["fit"] = {k: fit[k] for k in ("status", "model", "parameters", "deviance", "ndof",
                                          "p_value", "oscillation", "normalisation",
                                          "comparison", "valid") if k in fit}
    results["files"]["fit"] = "fit.json"
    progress("fit", 3, stages)

    if viab.viable:
        results["sensitivity"] = _sensitivity(exp, settings, out)
    else:
        factors = pd.DataFrame([{"knob": f.name, "ratio_to_gp21": f.ratio,
                                 "log10": f.log10, "description": f.description}
                                for f in viab.factors])
        _write_csv(factors, out / "viability_gap.csv")
        results["files"]["viability_gap"] = "viability_gap.csv"
    progress("sensitivity and limits", 4, stages)

    from renpsim.report.plots import report_figures

    figures = report_figures(camp, expected, fit, results.get("sensitivity"), out, viab.viable)
    progress("figures", 5, stages)

    results["provenance"] = run_provenance(settings.seed, camp.seed,
                                           settings.extra.get("command_line"))
    doc = build_summary(camp, expected, results, fit, figures, settings)
    atomic_write_text(out / "summary.md", doc.to_markdown(out))
    atomic_write_text(out / "summary.html", doc.to_html())
    atomic_write_text(out / "report.json", dumps(results))
    progress("summary", 6, stages)
    return results


def _fit(exp, run_path: Path, viable: bool) -> dict:
    """SM fit of the campaign's nature with the ordering comparison; skipped when not viable."""
    from renpsim import experiment as xp

    camp = exp.campaign
    model = f"sm-{camp.truth.nature}"
    if not viable:
        sim = exp.expected.sort_values("step")
        return {"status": "skipped", "model": {"name": model},
                "reason": "expected signal far below one event: a fit of the neutrino "
                          "parameters would only measure the background",
                "parameters": {}, "deviance": None, "ndof": None,
                "steps": _observed_steps(run_path, sim)}
    rep = xp.fit_campaign_run(exp, run_path, compare="ordering").report
    rep["status"] = "fitted"
    return rep


def _observed_steps(run_path: Path, expected) -> dict:
    """Observed counts per scan step of the run file (reader of renpsim.runfile)."""
    from renpsim.experiment.simulation import observed_steps

    steps = observed_steps(run_path)
    return {"omega_eV": steps["omega_eV"].to_numpy(float).tolist(),
            "exposure_s": steps["exposure_s"].to_numpy(float).tolist(),
            "observed": steps["counts"].to_numpy(float).tolist()}


def _sensitivity(exp, settings: ReportSettings, out: Path) -> dict:
    from renpsim import experiment as xp
    from renpsim.experiment.tables import pole_header, write_csv
    from renpsim.limits import compare, make_sensitivity

    camp = exp.campaign
    thr, cl, dof = xp.threshold(None, settings.cl, settings.dof)
    res: dict = {"delta_chi2": thr, "cl": cl, "dof": dof, "normalisation": settings.normalisation,
                 "tables": {}, "comparisons": {}}
    meta = {"campaign": camp.name}
    # mediator poles of the scan steps (s = M^2, [physics §1.1]) are sharp: sample them exactly
    mass_grid, poles = xp.mass_grid_with_poles(exp, settings.masses_eV)
    res["pole_masses_eV"] = poles.tolist()
    # every scan-step pole in the table header, for the comparison with existing limits
    pole_meta = pole_header(camp.steps.omega_eV, camp.hardware.E_eg_eV)
    setup = exp.asimov_setup(normalisation=settings.normalisation)
    curves = (("vector", "gL11", "mediator-mass"), ("scalar", "yS11", "mediator-mass"),
              ("m_lightest", "gL11", "m-lightest"))
    for name, coupling, scan in curves:
        if scan == "m-lightest":
            curve = xp.reach_vs_lightest_mass(exp, coupling, settings.m_lightest_eV,
                                              mediator_mass_eV=settings.mediator_mass_eV,
                                              delta_chi2=thr, dof=dof, meta=meta,
                                              normalisation=settings.normalisation)
        else:
            curve = xp.reach_vs_mediator_mass(exp, coupling, mass_grid, delta_chi2=thr, dof=dof,
                                              meta={**meta, **pole_meta},
                                              normalisation=settings.normalisation)
        table = curve.table
        fname = f"sensitivity_{name}_{coupling}.csv"
        write_csv(table, out / fname)
        res["tables"][name] = {"file": fname, "quantity": curve.quantity, "x": curve.x_name,
                               "coupling": coupling, "lineage": table.lineage,
                               "normalisation": settings.normalisation,
                               "rows": [{k: r[k] for k in (curve.x_name, "limit")}
                                        for r in curve.rows()]}
        if scan == "mediator-mass":
            x, lim = np.asarray(curve.x), np.asarray(curve.limit)
            ok = np.isfinite(lim) & (lim > 0)
            sens = make_sensitivity(curve.quantity, x[ok], lim[ok],
                                    cl=cl, dof=dof, delta_chi2=thr, label=f"RENP {coupling}",
                                    width_fraction=setup.width_fraction,
                                    **pole_meta)
            cmp_ = compare(sens)  # factors away from the scan-step poles; dips listed apart
            cfile = f"comparison_{name}.csv"
            _write_csv(cmp_.table, out / cfile)
            res["comparisons"][name] = {"file": cfile, **cmp_.summary()}
    res["threshold_check"] = _threshold_check(exp, thr, cl, dof, settings)
    dip = xp.dipole_reach(exp, delta_chi2=thr, dof=dof, normalisation=settings.normalisation)
    dlims = dip.as_dict()
    dframe = pd.DataFrame({"element": list(dlims), "limit_mu_B": list(dlims.values())})
    _write_csv(dframe, out / "sensitivity_dipole.csv")
    res["tables"]["dipole"] = {"file": "sensitivity_dipole.csv", "unit": "mu_B",
                               "headline": dip.headline,
                               "rows": dframe.to_dict("records")}
    head = dlims.get(dip.headline, math.inf)
    if math.isfinite(head):
        # the effective-moment bounds constrain a combination; the headline element (mu11,
        # or the transition moment mu12 for Majorana neutrinos) is compared with them
        sens = make_sensitivity("mu_nu_eff", None, [head], cl=cl, dof=dof, delta_chi2=thr,
                                mu_definition="stellar", label=f"RENP |{dip.headline}|")
        cmp_ = compare(sens, mu_definition="stellar")
        _write_csv(cmp_.table, out / "comparison_dipole.csv")
        res["comparisons"]["dipole"] = {"file": "comparison_dipole.csv", **cmp_.summary(),
                                        "quantity": "mu_nu_eff (stellar)",
                                        "element": dip.headline}
    rows = [d.row() for d in xp.decision_table(exp, settings.n_sigma,
                                               settings.decision_normalisations)]
    _write_csv(pd.DataFrame(rows), out / "decisions.csv")
    res["decisions"] = {"file": "decisions.csv", "rows": rows}
    return res


def _threshold_check(exp, thr: float, cl: float, dof: int, settings: ReportSettings) -> dict:
    """Ratio of the gL11 limit at the (cl, dof + 1) threshold to the one at ``thr``.

    The report states how limits move with the Delta chi^2 threshold from these computed ratios
    (no fixed power law holds at a few tens of Poisson events) [physics §6.2].
    """
    from renpsim import experiment as xp

    alt, _, _ = xp.threshold(None, cl, dof + 1)
    masses = [settings.mediator_mass_eV, 1.0, 1e3]
    a = xp.reach_vs_mediator_mass(exp, "gL11", masses, delta_chi2=thr, dof=dof,
                                  normalisation=settings.normalisation)
    b = xp.reach_vs_mediator_mass(exp, "gL11", masses, delta_chi2=alt, dof=dof + 1,
                                  normalisation=settings.normalisation)
    ratios = [float(y / x) if np.isfinite(x) and np.isfinite(y) and x > 0 else None
              for x, y in zip(a.limit, b.limit, strict=True)]
    return {"coupling": "gL11", "delta_chi2": float(alt), "dof": dof + 1,
            "masses_eV": masses, "ratios": ratios}
