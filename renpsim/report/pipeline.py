"""``renpsim run``: one campaign from simulation to a report directory.

Steps (each reported to an optional progress callback):

1. resolve the campaign and its expected counts (rate model of :mod:`renpsim.daq.rates`);
   assess viability (:mod:`renpsim.daq.viability`);
2. simulate it to ``run.h5`` (:func:`renpsim.daq.simulate`) and validate the file;
3. fit the run file (:func:`renpsim.stats.fit_report.fit_run`, SM of the campaign's nature,
   mass ordering compared by profiled minima) -> ``fit.json``;
4. if the campaign expects at least one signal event: Asimov sensitivities (vector gL11 and
   scalar yS11 versus mediator mass, GP21 Fig. 3; gL11 versus lightest mass, Fig. 4; dipole
   moments per element; exposure for 3 sigma ordering / lightest-mass / Dirac-Majorana
   decisions) -> CSV tables, and the comparison with existing limits (:mod:`renpsim.limits`);
   otherwise the gap to viability, with no meaningless limits;
5. figures (PNG and PDF) and the summary (``summary.md`` and a self-contained ``summary.html``)
   stating every assumption with its source and the CL/dof convention.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from renpsim import __version__
from renpsim._atomic import atomic_write_text
from renpsim._json import dumps
from renpsim.errors import InputError
from renpsim.report.document import build_summary, run_provenance

#: The embedded default campaign: the GP21 Yb benchmark.
DEFAULT_CAMPAIGN = "gp21-benchmark"

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
        Delta chi^2 = 3.84; GP21 used 5.99, the 2-dof value, physics.md 6.2).
    n_sigma : float
        Significance of the discrete decisions (ordering, lightest mass, nature).
    target_events : float
        Signal events regarded as the minimum for a measurement (viability).

    """

    seed: int | None = None
    level: str = "steps"
    masses_eV: tuple[float, ...] = tuple(np.logspace(-3, 4, 57))
    m_lightest_eV: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
    mediator_mass_eV: float = 1e-3
    cl: float = 0.95
    dof: int = 1
    n_sigma: float = 3.0
    target_events: float = 10.0
    extra: dict = field(default_factory=dict)


def _noop(label: str, done: int, total: int) -> None:
    return None


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    from renpsim._csv import write_frame_csv

    return write_frame_csv(frame, path)


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
    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts, simulate
    from renpsim.daq.viability import assess_viability
    from renpsim.runfile import validate_run

    settings = settings or ReportSettings()
    progress = progress or _noop
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise InputError("option -o", "OUTDIR", str(out), "a directory (or a new path)")
    stages = 6
    camp = load_campaign(str(campaign))   # bad input fails before OUTDIR is created
    expected = expected_counts(camp)
    out.mkdir(parents=True, exist_ok=True)
    viab = assess_viability(camp, expected, settings.target_events)
    _write_csv(expected, out / "expected_counts.csv")
    progress("campaign and expected counts", 1, stages)

    run_path = out / "run.h5"
    simulate(camp, run_path, level=settings.level, seed=settings.seed)
    validate_run(run_path)
    progress("simulation", 2, stages)

    results: dict = {
        "renpsim_version": __version__,
        "campaign": camp.name,
        "campaign_source": str(campaign),
        "hardware": camp.hardware.name,
        "settings": {"level": settings.level, "seed": settings.seed, "cl": settings.cl,
                     "dof": settings.dof, "n_sigma": settings.n_sigma},
        "viability": viab.to_dict(),
        "files": {"run": "run.h5", "expected_counts": "expected_counts.csv"},
    }
    fit = _fit(camp, run_path, viab.viable)
    atomic_write_text(out / "fit.json", dumps(fit))
    results["fit"] = {k: fit[k] for k in ("status", "model", "parameters", "deviance", "ndof",
                                          "p_value") if k in fit}
    results["files"]["fit"] = "fit.json"
    progress("fit", 3, stages)

    if viab.viable:
        results["sensitivity"] = _sensitivity(camp, expected, settings, out)
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


def _fit(camp, run_path: Path, viable: bool) -> dict:
    """SM fit of the campaign's nature with the ordering comparison; skipped when not viable."""
    from renpsim.stats.fit_report import fit_run

    model = f"sm-{camp.truth.nature}"
    if not viable:
        from renpsim.stats.io import load_dataset

        ds, _ = load_dataset(run_path)
        return {"status": "skipped", "model": {"name": model},
                "reason": "expected signal far below one event: a fit of the neutrino "
                          "parameters would only measure the background",
                "parameters": {}, "deviance": None, "ndof": None,
                "steps": {"omega_eV": np.asarray(ds.omega_eV, float).tolist(),
                          "dwell_s": np.asarray(ds.dwell_s, float).tolist(),
                          "observed": ds.counts_per_step.tolist()}}
    rep = fit_run(run_path, model=model, ordering=camp.truth.ordering,
                  oscillation=camp.truth.oscillation, compare="ordering")
    rep["status"] = "fitted"
    return rep


def _sensitivity(camp, expected, settings: ReportSettings, out: Path) -> dict:
    from renpsim.limits import compare, make_sensitivity
    from renpsim.stats.benchmark import from_hardware_campaign
    from renpsim.stats.model import ModelSpec
    from renpsim.stats.output import pole_header, write_csv
    from renpsim.stats.planning import exposure_for_decision
    from renpsim.stats.scan import resolve_threshold, sensitivity_scan
    from renpsim.stats.sensitivity import AsimovSetup, dipole_limits

    scamp = from_hardware_campaign(camp, expected)
    setup = AsimovSetup.from_campaign(scamp)
    thr, cl, dof = resolve_threshold(None, settings.cl, settings.dof)
    res: dict = {"delta_chi2": thr, "cl": cl, "dof": dof, "tables": {}, "comparisons": {}}
    meta = {"campaign": camp.name}
    curves = (("vector", "gL11", "mediator-mass"), ("scalar", "yS11", "mediator-mass"),
              ("m_lightest", "gL11", "m-lightest"))
    # mediator poles of the scan steps (s = M^2, physics.md 1.1) are sharp: sample them exactly
    from renpsim.physics.kinematics import pole_mass

    poles_omega, e_eg = np.unique(camp.steps.omega_eV), camp.hardware.E_eg_eV
    poles = pole_mass(poles_omega, e_eg)
    poles = poles[(poles > min(settings.masses_eV)) & (poles < max(settings.masses_eV))]
    mass_grid = np.unique(np.concatenate([settings.masses_eV, poles, poles * (1 - 1e-3),
                                          poles * (1 + 1e-3)]))
    res["pole_masses_eV"] = poles.tolist()
    for name, coupling, scan in curves:
        grid = np.asarray(settings.m_lightest_eV) if scan == "m-lightest" else mass_grid
        pole_meta = {} if scan == "m-lightest" else pole_header(poles_omega, e_eg)
        table = sensitivity_scan(setup, scan, coupling, grid, delta_chi2=thr, dof=dof,
                                 mediator_mass_eV=settings.mediator_mass_eV,
                                 meta={**meta, **pole_meta})
        fname = f"sensitivity_{name}_{coupling}.csv"
        write_csv(table, out / fname)
        frame = table.frame
        res["tables"][name] = {"file": fname, "quantity": table.quantity, "x": table.x,
                               "coupling": coupling, "lineage": table.lineage,
                               "rows": frame[[table.x, "limit"]].to_dict("records")}
        if scan == "mediator-mass":
            ok = np.isfinite(frame["limit"]) & (frame["limit"] > 0)
            sens = make_sensitivity(table.quantity, frame[table.x][ok], frame["limit"][ok],
                                    cl=cl, dof=dof, delta_chi2=thr, label=f"RENP {coupling}",
                                    width_fraction=setup.width_fraction, **pole_meta)
            cmp_ = compare(sens)  # factors away from the scan-step poles; dips listed apart
            cfile = f"comparison_{name}.csv"
            _write_csv(cmp_.table, out / cfile)
            res["comparisons"][name] = {"file": cfile, **cmp_.summary()}
    res["threshold_check"] = _threshold_check(setup, thr, cl, dof, settings.mediator_mass_eV)
    dip = dipole_limits(setup, thr)
    dframe = pd.DataFrame({"element": list(dip), "limit_mu_B": list(dip.values())})
    _write_csv(dframe, out / "sensitivity_dipole.csv")
    res["tables"]["dipole"] = {"file": "sensitivity_dipole.csv", "unit": "mu_B",
                               "rows": dframe.to_dict("records")}
    mu11 = dip.get("mu11", math.inf)
    if math.isfinite(mu11):
        sens = make_sensitivity("mu_nu_eff", None, [mu11], cl=cl, dof=dof, delta_chi2=thr,
                                mu_definition="stellar", label="RENP |mu_11|")
        cmp_ = compare(sens, mu_definition="stellar")
        _write_csv(cmp_.table, out / "comparison_dipole.csv")
        res["comparisons"]["dipole"] = {"file": "comparison_dipole.csv",
                                        **cmp_.summary(), "quantity": "mu_nu_eff (stellar)"}
    truth = ModelSpec(ordering=setup.ordering, nature=setup.nature,
                      m_lightest_eV=setup.m_lightest_eV)
    dataset = replace(scamp.dataset(), oscillation=setup.oscillation)
    rows = []
    for decision in ("ordering", "lightest-mass", "nature"):
        r = exposure_for_decision(dataset, truth, decision, settings.n_sigma)
        rows.append({"decision": decision, "n_sigma": settings.n_sigma,
                     "exposure_factor": r["factor"], "total_time_s": r["total_s"],
                     "delta_chi2_now": r["delta_chi2_now"]})
    dec = pd.DataFrame(rows)
    _write_csv(dec, out / "decisions.csv")
    res["decisions"] = {"file": "decisions.csv", "rows": rows}
    return res


def _threshold_check(setup, thr: float, cl: float, dof: int, mediator_mass_eV: float) -> dict:
    """Ratio of the gL11 limit at the (cl, dof + 1) threshold to the one at ``thr``.

    The report states how limits move with the Delta chi^2 threshold from these computed ratios
    (no fixed power law holds at a few tens of Poisson events) [physics §6.2].
    """
    from renpsim.limits.conversions import delta_chi2_threshold
    from renpsim.stats.scan import sensitivity_scan

    alt = delta_chi2_threshold(cl, dof + 1)
    masses = [mediator_mass_eV, 1.0, 1e3]
    a = sensitivity_scan(setup, "mediator-mass", "gL11", masses, delta_chi2=thr, dof=dof)
    b = sensitivity_scan(setup, "mediator-mass", "gL11", masses, delta_chi2=alt, dof=dof + 1)
    la, lb = a.frame["limit"].to_numpy(float), b.frame["limit"].to_numpy(float)
    ratios = [float(y / x) if np.isfinite(x) and np.isfinite(y) and x > 0 else None
              for x, y in zip(la, lb, strict=True)]
    return {"coupling": "gL11", "delta_chi2": float(alt), "dof": dof + 1,
            "masses_eV": masses, "ratios": ratios}
