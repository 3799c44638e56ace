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

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from renpsim import __version__
from renpsim._atomic import atomic_write, atomic_write_text
from renpsim._json import json_default
from renpsim.errors import InputError, RenpsimError
from renpsim.report.document import Bullets, Document, Figure, Heading, Paragraph, Table, fmt

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
        Delta chi^2 = 3.84; GP21 used 5.99, the 2-dof value, [physics §6.2]).
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
    atomic_write_text(out / "fit.json", json.dumps(fit, indent=1, default=json_default))
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

    figures = _figures(camp, expected, fit, results.get("sensitivity"), out)
    progress("figures", 5, stages)

    doc = _summary(camp, results, fit, figures, settings)
    atomic_write_text(out / "summary.md", doc.to_markdown(out))
    atomic_write_text(out / "summary.html", doc.to_html())
    atomic_write_text(out / "report.json", json.dumps(results, indent=1, default=json_default))
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
    from renpsim.stats.output import write_csv
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
    # mediator poles of the scan steps (s = M^2, [physics §1.1]) are sharp: sample them exactly
    from renpsim.physics.kinematics import pole_mass

    poles = pole_mass(np.unique(camp.steps.omega_eV), camp.hardware.E_eg_eV)
    poles = poles[(poles > min(settings.masses_eV)) & (poles < max(settings.masses_eV))]
    mass_grid = np.unique(np.concatenate([settings.masses_eV, poles, poles * (1 - 1e-3),
                                          poles * (1 + 1e-3)]))
    res["pole_masses_eV"] = poles.tolist()
    for name, coupling, scan in curves:
        grid = np.asarray(settings.m_lightest_eV) if scan == "m-lightest" else mass_grid
        table = sensitivity_scan(setup, scan, coupling, grid, delta_chi2=thr, dof=dof,
                                 mediator_mass_eV=settings.mediator_mass_eV, meta=meta)
        fname = f"sensitivity_{name}_{coupling}.csv"
        write_csv(table, out / fname)
        frame = table.frame
        res["tables"][name] = {"file": fname, "quantity": table.quantity, "x": table.x,
                               "coupling": coupling, "lineage": table.lineage,
                               "rows": frame[[table.x, "limit"]].to_dict("records")}
        if scan == "mediator-mass":
            ok = np.isfinite(frame["limit"]) & (frame["limit"] > 0)
            sens = make_sensitivity(table.quantity, frame[table.x][ok], frame["limit"][ok],
                                    cl=cl, dof=dof, delta_chi2=thr, label=f"RENP {coupling}")
            cmp_ = compare(sens)
            cfile = f"comparison_{name}.csv"
            _write_csv(cmp_.table, out / cfile)
            res["comparisons"][name] = {"file": cfile, "quantity": table.quantity,
                                        "improves": bool(np.any(cmp_.improves)),
                                        "best_factor": _best_factor(cmp_)}
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
                                        "quantity": "mu_nu_eff (stellar)",
                                        "improves": bool(np.any(cmp_.improves)),
                                        "best_factor": _best_factor(cmp_)}
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


def _best_factor(cmp_) -> float | None:
    f = np.asarray(cmp_.factor, dtype=float)
    f = f[np.isfinite(f)]
    return float(f.max()) if f.size else None


def _figures(camp, expected, fit, sens, out: Path) -> list[Figure]:
    from renpsim.report import plots

    figs = []
    observed = np.asarray(fit["steps"]["observed"], float)
    exp_sorted = expected.sort_values("step")
    sp = plots.plot_spectrum(camp, exp_sorted, observed, out / "spectrum")
    figs.append(Figure(sp["png"], "Spectral function of the truth hypothesis with its six "
                       "thresholds (dotted), the scan steps (grey) and the data", sp["pdf"]))
    steps = dict(fit["steps"])
    if "fitted" not in steps:
        steps["fitted"] = np.asarray(exp_sorted["total"], float).tolist()
        caption = "Observed counts per step against the expectation of the rate model"
    else:
        caption = "Observed counts per step against the fitted expectation"
    ct = plots.plot_counts(steps, out / "counts")
    figs.append(Figure(ct["png"], caption, ct["pdf"]))
    if sens is None:
        return figs
    from renpsim.limits import make_sensitivity, plot_limits

    for name in ("vector", "scalar"):
        t = sens["tables"][name]
        rows = [r for r in t["rows"] if r["limit"] is not None and np.isfinite(r["limit"])
                and r["limit"] > 0]
        s = make_sensitivity(t["quantity"], [r[t["x"]] for r in rows],
                             [r["limit"] for r in rows], cl=sens["cl"], dof=sens["dof"],
                             delta_chi2=sens["delta_chi2"], label=f"RENP {t['coupling']}")
        lp = plot_limits(t["quantity"], s)
        stem = out / f"sensitivity_{name}"
        lp.save(stem.with_suffix(".png"))
        lp.save(stem.with_suffix(".pdf"))
        figs.append(Figure(stem.with_suffix(".png"),
                           f"{name.capitalize()} mediator: RENP reach on {t['coupling']} versus "
                           "mediator mass with the existing limits", stem.with_suffix(".pdf")))
    from renpsim.stats.output import plot_table, read_csv

    t = sens["tables"]["m_lightest"]
    table = read_csv(out / t["file"])
    stem = out / "sensitivity_m_lightest"
    plot_table(table, stem.with_suffix(".png"))
    plot_table(table, stem.with_suffix(".pdf"))
    figs.append(Figure(stem.with_suffix(".png"), "Reach on gL11 versus the lightest neutrino "
                       "mass (GP21 Fig. 4 axes)", stem.with_suffix(".pdf")))
    dip = {r["element"]: r["limit_mu_B"] for r in sens["tables"]["dipole"]["rows"]}
    existing = _existing_moment_bounds()
    dp = plots.plot_dipole(dip, existing, out / "dipole")
    figs.append(Figure(dp["png"], "Dipole-moment reach per element with existing "
                       "effective-moment bounds (not the same combination: see text)",
                       dp["pdf"]))
    return figs


def _existing_moment_bounds() -> list[tuple[str, float]]:
    from renpsim.limits import load_database

    db = load_database()
    out = []
    for rid in ("M7", "M2", "M1"):
        try:
            rec = db.get(rid)
        except RenpsimError:  # a missing record only drops a reference line
            continue
        if rec.value is not None:
            out.append((f"{rid}: {rec.quantity} < {rec.value:g} mu_B ({rec.cl_text})",
                        float(rec.value)))
    return out


def _summary(camp, results: dict, fit: dict, figures: list[Figure],
             settings: ReportSettings) -> Document:
    from renpsim.hardware.schema import tagged_values

    v = results["viability"]
    t = camp.truth
    doc = Document(f"renpsim report: {camp.name}")
    doc.add(Paragraph(
        f"Campaign {camp.name} on hardware {camp.hardware.name}; renpsim {__version__}. "
        f"Truth hypothesis of the simulation: {t.ordering}, {t.nature}, m_lightest = "
        f"{fmt(t.m_lightest_eV)} eV, oscillation preset {t.oscillation}. Files: run.h5 (run "
        "file), fit.json, *.csv tables, *.png/*.pdf figures, report.json (all numbers)."))
    doc.add(Heading("Viability"), Paragraph(v["statement"]))
    vrows = [["expected signal events", v["expected_signal"]],
             ["expected background events", v["expected_background"]]]
    if not v["viable"]:
        vrows += [["target signal events", v["target_events"]],
                  ["rate x exposure growth needed", v["growth_factor"]]]
    doc.add(Table(["quantity", "value"], vrows))
    if not v["viable"]:
        doc.add(Paragraph(
            "The expected signal is far below one event, so no coupling, mass or dipole limit "
            "is quoted: any such number would be meaningless. The table ranks the multiplicative "
            "knobs of the signal rate relative to the GP21 benchmark (viability_gap.csv)."))
        doc.add(Table(["knob", "ratio to GP21 benchmark", "note"],
                      [[f["name"], f["ratio"], f["description"]] for f in v["factors"]]))
    doc.add(Heading("Fit of the simulated run"))
    if fit["status"] == "fitted":
        doc.add(Paragraph(
            f"Model {fit['model']['name']} ({fit['model']['ordering']}); Poisson deviance "
            f"{fmt(fit['deviance'])} for {fmt(fit['ndof'])} degrees of freedom "
            f"(p = {fmt(fit.get('p_value'))}). Parameters at a limit: "
            f"{', '.join(fit.get('at_limit', [])) or 'none'}."))
        doc.add(Table(["parameter", "value", "error", "role"],
                      [[k, p["value"], p["error"], p.get("role", "")]
                       for k, p in fit["parameters"].items()]))
        if fit.get("intervals"):
            doc.add(Paragraph("Intervals from profile scans (boundary-aware, not MINOS; "
                              "HESSE errors above are not meaningful at a boundary):"))
            doc.add(Table(["parameter", "68.27% low", "68.27% high", "95% low", "95% high"],
                          [[k, *iv["68.27%"], *iv["95%"]]
                           for k, iv in fit["intervals"].items()]))
        if "comparison" in fit:
            dchi = fit["comparison"].get("delta_chi2", {})
            doc.add(Paragraph(
                "Mass ordering by the difference of profiled minima (multi-start): "
                f"{fit['comparison'].get('preferred')} preferred; "
                + "; ".join(f"Delta chi^2({k}) = {fmt(x)}" for k, x in dchi.items()) + "."))
    else:
        doc.add(Paragraph(f"Skipped: {fit['reason']}."))
    sens = results.get("sensitivity")
    if sens is not None:
        doc.add(Heading("Expected sensitivity (Asimov)"))
        doc.add(Paragraph(
            f"Convention: Delta chi^2 = {fmt(sens['delta_chi2'])}, i.e. {fmt(100 * sens['cl'])}% "
            f"CL for {sens['dof']} degree(s) of freedom (a single coupling at fixed mediator "
            "mass). GP21 used 5.99, the 95% point for 2 dof ([physics §6.2]): their limits are "
            "weaker by (5.99/3.84)^(1/2) = 1.25 for effects linear in the coupling."))
        for name in ("vector", "scalar"):
            tb = sens["tables"][name]
            rows = tb["rows"]
            picks = _pick_rows(rows, tb["x"], (1e-3, 1e-1, 1.0, 1e2, 1e4))
            doc.add(Paragraph(f"{name.capitalize()} mediator, coupling {tb['coupling']} "
                              f"({tb['quantity']}); full table in {tb['file']}."))
            doc.add(Table([tb["x"], "limit"], [[r[tb["x"]], r["limit"]] for r in picks]))
        tb = sens["tables"]["m_lightest"]
        doc.add(Paragraph(f"Coupling {tb['coupling']} at mediator mass "
                          f"{fmt(settings.mediator_mass_eV)} eV versus lightest mass "
                          f"({tb['file']}):"))
        doc.add(Table([tb["x"], "limit"], [[r[tb["x"]], r["limit"]] for r in tb["rows"]]))
        doc.add(Paragraph("Dipole moments, one mass-basis element at a time, units of mu_B "
                          "(sensitivity_dipole.csv). Formula derived for renpsim "
                          "(docs/reference/physics.md "
                          "4.3), not yet compared with GP23 (arXiv:2306.12953)."))
        doc.add(Table(["element", "limit [mu_B]"],
                      [[r["element"], r["limit_mu_B"]] for r in sens["tables"]["dipole"]["rows"]]))
        doc.add(Heading("Exposure for discrete decisions", 3))
        doc.add(Table(["decision", "n sigma", "exposure factor", "total time [s]"],
                      [[r["decision"], r["n_sigma"], r["exposure_factor"], r["total_time_s"]]
                       for r in sens["decisions"]["rows"]]))
        doc.add(Heading("Comparison with existing limits", 3))
        doc.add(Table(["curve", "quantity", "RENP improves somewhere", "best improvement factor",
                       "table"],
                      [[k, c["quantity"], c["improves"], c["best_factor"], c["file"]]
                       for k, c in sens["comparisons"].items()]))
        doc.add(Paragraph("Bounds that the sources give only as figures are cited but not drawn "
                          "(renpsim limits list shows them); see docs/limits.md."))
    doc.add(Heading("Figures"))
    doc.add(*figures)
    doc.add(Heading("Assumptions and sources"))
    tgt = camp.hardware.atomic
    doc.add(Bullets([
        f"Spectral function: [physics §1.3] (GP21 eqs. 16-17 with the corrections of "
        f"docs/reference/physics.md "
        f"0); E_eg = {tgt.E_eg_eV:.10g} eV ({tgt.name}; {tgt.sources.get('E_eg', '')}).",
        f"Gamma_0 = {fmt(camp.hardware.gamma0_per_s())} s^-1 at V = 100 cm^3, n = 1e21 cm^-3, "
        f"eta = 1 ({tgt.sources.get('gamma0', '')}); rate ~ (V/100 cm^3)(n_a/1e21)^2"
        "(n_gamma/1e21) ([physics §1.5], correction 10).",
        "Time convention: the dwell time of a step is the time at that frequency; the campaign "
        "total is their sum (GP21's 2.3 days is the total over its three frequencies).",
        f"Oscillation preset {t.oscillation}: values transcribed from the physics reference, "
        "flagged unverified in the preset metadata until checked against NuFIT.",
        "Light mediators: vector coupling with the corrected GP21 eq. 22 sign; scalar in the "
        "physically consistent convention unless stated ([physics §4.1], [physics §4.2]).",
        "Statistics: Poisson deviance with the corrected sign ([physics §6.1], correction 5); "
        "Asimov data; normalisation fixed unless stated.",
        "Every hardware value below is tagged [A] (assumption, a knob) or [U] (unverified) in "
        "docs/reference/hardware.md.",
    ]))
    rows = [[r["key"], _cell(r["value"]), r["unit"], r["tag"], r["source"]]
            for r in tagged_values(camp.hardware)]
    doc.add(Table(["hardware key", "value", "unit", "tag", "source"], rows))
    return doc


def _cell(value):
    if isinstance(value, float | int | bool) or value is None:
        return value
    return str(value)


def _pick_rows(rows: list[dict], x: str, targets) -> list[dict]:
    xs = np.array([r[x] for r in rows], float)
    picked = []
    for tval in targets:
        k = int(np.argmin(np.abs(np.log(xs) - math.log(tval))))
        if rows[k] not in picked:
            picked.append(rows[k])
    return picked
