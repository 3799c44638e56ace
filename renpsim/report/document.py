"""The report document: block model, Markdown/HTML renderers and the ``renpsim run`` summary.

A tiny block model is rendered to Markdown and to a self-contained HTML page; the content of the
``renpsim run`` summary is built by :func:`build_summary`.

One list of blocks feeds both renderers, so the two summaries cannot disagree. Numbers are
formatted by :func:`fmt` everywhere (tables, text), which is also what the end-to-end test uses
to compare the summary with the JSON and CSV outputs. No output shows ``inf`` or ``nan``: an
absent number is ``-``, a limit that does not exist is "no sensitivity".
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path


def fmt(value) -> str:
    """Format a number with 4 significant digits (``-`` for None, NaN and infinities)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | int) or hasattr(value, "__float__"):
        x = float(value)
        if not math.isfinite(x):
            return "-"
        return f"{x:.4g}"
    return str(value)


@dataclass
class Heading:
    """Section heading (level 1-3)."""

    text: str
    level: int = 2


@dataclass
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass
class Bullets:
    """A bulleted list of plain-text items."""

    items: list[str]


@dataclass
class Table:
    """A table; cells are formatted with :func:`fmt`."""

    header: list[str]
    rows: list[list]


@dataclass
class Figure:
    """A figure: PNG shown (embedded in HTML), PDF linked."""

    png: Path
    caption: str
    pdf: Path | None = None


@dataclass
class Document:
    """Ordered blocks with a title."""

    title: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks) -> None:
        """Append blocks."""
        self.blocks.extend(blocks)

    def to_markdown(self, base: Path) -> str:
        """Render as GitHub-flavoured Markdown; figure paths relative to ``base``."""
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            if isinstance(b, Heading):
                out += [f"{'#' * (b.level + 0)} {b.text}", ""]
            elif isinstance(b, Paragraph):
                out += [b.text, ""]
            elif isinstance(b, Bullets):
                out += [f"- {item}" for item in b.items] + [""]
            elif isinstance(b, Table):
                out.append("| " + " | ".join(b.header) + " |")
                out.append("|" + "---|" * len(b.header))
                out += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in b.rows]
                out.append("")
            elif isinstance(b, Figure):
                rel = b.png.relative_to(base)
                extra = f" ([PDF]({b.pdf.relative_to(base)}))" if b.pdf else ""
                out += [f"![{b.caption}]({rel})", "", f"*{b.caption}*{extra}", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """Render as one self-contained HTML page (PNG figures embedded as data URIs)."""
        e = html.escape
        parts = [
            "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
            f"<title>{e(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:70em;margin:auto;padding:1em;"
            "line-height:1.4}table{border-collapse:collapse;margin:0.5em 0}"
            "td,th{border:1px solid #bbb;padding:0.2em 0.5em;text-align:right}"
            "th{background:#eee}td:first-child{text-align:left}img{max-width:100%}"
            "figcaption{font-style:italic}</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
        ]
        for b in self.blocks:
            if isinstance(b, Heading):
                parts.append(f"<h{b.level}>{e(b.text)}</h{b.level}>")
            elif isinstance(b, Paragraph):
                parts.append(f"<p>{e(b.text)}</p>")
            elif isinstance(b, Bullets):
                parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Table):
                head = "".join(f"<th>{e(h)}</th>" for h in b.header)
                body = "".join(
                    "<tr>" + "".join(f"<td>{e(fmt(c))}</td>" for c in row) + "</tr>"
                    for row in b.rows
                )
                parts.append(f"<table><tr>{head}</tr>{body}</table>")
            elif isinstance(b, Figure):
                data = base64.b64encode(b.png.read_bytes()).decode("ascii")
                parts.append(
                    f"<figure><img alt='{e(b.caption)}' src='data:image/png;base64,{data}'>"
                    f"<figcaption>{e(b.caption)}</figcaption></figure>"
                )
        parts.append("</body></html>")
        return "\n".join(parts)


# ---- the renpsim run summary ------------------------------------------------------------------

#: Papers whose formulas the report uses, by bibliography key (docs/reference/bibliography.md).
REFERENCES = {
    "GP21": "S.-F. Ge, P. Pasquini, \"Probing light mediators in the radiative emission of "
            "neutrino pair\", Eur. Phys. J. C 82 (2022) 208, arXiv:2110.03510: the RENP "
            "spectral function (eqs. 16-17), the light-mediator terms (eqs. 18-29), the "
            "benchmark campaign, the Poisson chi^2 (eqs. 30-31), the B-L relation "
            "g^e g^nu = g_B-L^2 and the half-normal product rule (Sec. IV)",
    "GP23": "S.-F. Ge, P. Pasquini, \"Disentangle neutrino electromagnetic properties with "
            "atomic radiative pair emission\", arXiv:2306.12953: the dipole-moment channel "
            "(renpsim's formula is derived independently, [physics §4.3])",
    "NuFIT": "I. Esteban et al., NuFIT, JHEP 12 (2024) 216, arXiv:2410.05380 (and earlier "
             "versions): oscillation parameters of the presets",
    "Wilks38": "S. S. Wilks, Ann. Math. Statist. 9 (1938) 60: Delta chi^2 thresholds",
    "Garwood36": "F. Garwood, Biometrika 28 (1936) 437: Poisson intervals of the count plots",
}

#: Quantities whose existing limits appear in the report's comparisons and figures.
COMPARED_QUANTITIES = ("vector_ge_gnu", "scalar_ye_ynu", "mu_nu_eff")


def run_provenance(seed: int | None, campaign_seed: int, command_line: str | None) -> dict:
    """Seed, date, version and command line of a report run (for ``report.json`` and the text).

    Parameters
    ----------
    seed : int or None
        The seed asked for (None: the campaign's).
    campaign_seed : int
        The campaign's own seed.
    command_line : str or None
        The command that made the report (None when called from Python).

    """
    import datetime
    import platform

    import numpy as np

    from renpsim import __version__

    return {
        "renpsim_version": __version__,
        "created_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": campaign_seed if seed is None else seed,
        "seed_source": "campaign default" if seed is None else "requested",
        "command_line": command_line,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def limit_cell(value) -> str:
    """Format a limit for a text table: the number, or "no sensitivity" where none exists."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "no sensitivity"
    return fmt(value)


def _hardware_cell(row: dict, camp) -> str:
    value = row["value"]
    if value is None:
        if row["key"] == "target.E_eg_eV":
            return f"{camp.hardware.atomic.E_eg_eV:.10g} (target preset)"
        return "not set (preset default)"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return fmt(value)
    return str(value)


def _threshold_statement(sens: dict) -> str:
    base = (f"Convention: Delta chi^2 = {fmt(sens['delta_chi2'])}, i.e. "
            f"{fmt(100 * sens['cl'])}% CL for {sens['dof']} degree(s) of freedom (a single "
            "coupling at fixed mediator mass). GP21 used 5.99, the 95% point for 2 dof "
            "[physics §6.2]. How a limit moves with the threshold depends on the regime: only "
            "where Delta chi^2 is quadratic in the effect (Gaussian, many events) does it scale "
            "as (5.99/3.84)^(1/2) = 1.25 for an effect linear in the coupling or "
            "(5.99/3.84)^(1/4) = 1.12 for a quadratic one. Here the counts are Poisson and the "
            "coupling enters through interference and squared terms, so there is no fixed "
            "factor")
    chk = sens.get("threshold_check")
    if chk:
        pairs = ", ".join(f"{fmt(r)} at {fmt(m)} eV" for m, r in
                          zip(chk["masses_eV"], chk["ratios"], strict=True) if r is not None)
        base += (f": recomputed at Delta chi^2 = {fmt(chk['delta_chi2'])}, the "
                 f"{chk['coupling']} limit grows by {pairs}")
    return base + ". To compare with GP21, rerun with 2 degrees of freedom (5.99)."


def build_summary(camp, expected, results: dict, fit: dict, figures: list,
                  settings) -> Document:
    """Build the ``renpsim run`` summary document from the report's results.

    Parameters
    ----------
    camp : Campaign
        The hardware campaign.
    expected : pandas.DataFrame
        Expected counts per step.
    results : dict
        The report results (``report.json`` content, including ``provenance``).
    fit : dict
        The fit report.
    figures : list of Figure
        The figures, in order.
    settings : ReportSettings
        The report choices.

    """
    from renpsim.hardware.schema import tagged_values
    from renpsim.physics.kinematics import pole_mass

    v = results["viability"]
    t = camp.truth
    prov = results.get("provenance", {})
    doc = Document(f"renpsim report: {camp.name}")
    doc.add(Paragraph(
        f"Campaign {camp.name} on hardware {camp.hardware.name}; renpsim "
        f"{results['renpsim_version']}. Truth hypothesis of the simulation: {t.ordering}, "
        f"{t.nature}, m_lightest = {fmt(t.m_lightest_eV)} eV, oscillation preset "
        f"{t.oscillation}. Files: run.h5 (run file), fit.json, *.csv tables, *.png/*.pdf "
        "figures, report.json (all numbers)."))
    doc.add(Heading("Run record", 3))
    doc.add(Table(["item", "value"], [
        ["renpsim version", prov.get("renpsim_version", results["renpsim_version"])],
        ["created (UTC)", prov.get("created_utc", "-")],
        ["command line", prov.get("command_line") or "(called from Python: run_report)"],
        ["simulation seed", f"{prov.get('seed', '-')} ({prov.get('seed_source', '-')})"],
        ["simulation level", settings.level],
        ["Python / numpy", f"{prov.get('python', '-')} / {prov.get('numpy', '-')}"],
    ]))
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

    doc.add(Heading("Scan steps"))
    e_eg = camp.hardware.atomic.E_eg_eV
    exp = expected.sort_values("step")
    obs = fit["steps"]["observed"]
    obs_by_omega = dict(zip(map(float, fit["steps"]["omega_eV"]), obs, strict=True))
    srows = []
    for r in exp.itertuples(index=False):
        w = float(r.omega_eV)
        srows.append([int(r.step), f"{w:.7g}", 1e3 * (w - e_eg / 2), r.dwell_s, int(r.n_shots),
                      r.signal, r.background, obs_by_omega.get(w),
                      float(pole_mass(w, e_eg))])
    doc.add(Paragraph("Each step is a trigger frequency held for its dwell time; the pole mass "
                      "is the mediator mass whose propagator pole (s = m^2) falls on the step "
                      "[physics §4.1]."))
    doc.add(Table(["step", "omega [eV]", "omega - E_eg/2 [meV]", "dwell [s]", "shots",
                   "expected signal", "expected background", "observed", "pole mass [eV]"],
                  srows))

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
        _sensitivity_section(doc, sens, settings)
    doc.add(Heading("Figures"))
    doc.add(*figures)
    doc.add(Heading("Assumptions and sources"))
    tgt = camp.hardware.atomic
    doc.add(Bullets([
        f"Spectral function: [physics §1.3] ([GP21] eqs. 16-17 with the corrections of "
        f"[physics §0]); E_eg = {tgt.E_eg_eV:.10g} eV ({tgt.name}; "
        f"{tgt.sources.get('E_eg', '')}).",
        f"Gamma_0 = {fmt(camp.hardware.gamma0_per_s())} s^-1 at V = 100 cm^3, n = 1e21 cm^-3, "
        f"eta = 1 ({tgt.sources.get('gamma0', '')}); rate ~ (V/100 cm^3)(n_a/1e21)^2"
        "(n_gamma/1e21) [physics §1.5].",
        "Time convention: the dwell time of a step is the time at that frequency; the campaign "
        "total is their sum (GP21's 2.3 days is the total over its three frequencies).",
        f"Oscillation preset {t.oscillation}: values transcribed from the physics reference "
        "([NuFIT6]), flagged unverified in the preset metadata until checked.",
        "Light mediators: vector coupling with the corrected [GP21] eq. 22 sign; scalar in the "
        "physically consistent convention unless stated [physics §4.1], [physics §4.2]. "
        "The mediator width is an assumption (Gamma/M in the sensitivity tables' headers).",
        "Statistics: Poisson deviance with the corrected sign [physics §6.1]; Asimov data; "
        "normalisation fixed unless stated (see the decisions table).",
        "Existing B-L bounds (stellar cooling, fifth-force, nu-e scattering) constrain a boson "
        "that couples vectorially to electrons, while RENP probes the electron axial coupling: "
        "every such comparison is model-dependent (hatched in the figures).",
        "Every hardware value below carries its evidence tag ([V] verified, [C] computed, "
        "[A] assumption, a knob; [U] unverified) [hardware §1].",
    ]))
    rows = [[r["key"], _hardware_cell(r, camp), r["unit"] or "1", r["tag"], r["source"]]
            for r in tagged_values(camp.hardware, tags=("[",))]
    doc.add(Table(["hardware key", "value", "unit", "tag", "source"], rows))
    _references_section(doc, sens is not None)
    return doc


def _sensitivity_section(doc: Document, sens: dict, settings) -> None:
    import numpy as np

    from renpsim.limits.compare import DEFAULT_POLE_WINDOW as POLE_WINDOW

    doc.add(Heading("Expected sensitivity (Asimov)"))
    doc.add(Paragraph(_threshold_statement(sens)))
    for name in ("vector", "scalar"):
        tb = sens["tables"][name]
        rows = tb["rows"]
        poles = np.asarray(sens.get("pole_masses_eV", []), float)
        away = [r for r in rows
                if poles.size == 0 or np.all(np.abs(r[tb["x"]] / poles - 1) > POLE_WINDOW)]
        picks = _pick_rows(away or rows, tb["x"], (1e-3, 1e-1, 1.0, 1e2, 1e4))
        doc.add(Paragraph(f"{name.capitalize()} mediator, coupling {tb['coupling']} "
                          f"({tb['quantity']}); full table in {tb['file']} (sample masses "
                          "away from the scan-step poles; the pole dips are listed under the "
                          "comparison)."))
        doc.add(Table([tb["x"], "limit"], [[r[tb["x"]], limit_cell(r["limit"])]
                                           for r in picks]))
        _band_table(doc, tb)
    tb = sens["tables"]["m_lightest"]
    doc.add(Paragraph(f"Coupling {tb['coupling']} at mediator mass "
                      f"{fmt(settings.mediator_mass_eV)} eV versus lightest mass "
                      f"({tb['file']}; 'no sensitivity': the limit does not exist there):"))
    doc.add(Table([tb["x"], "limit"], [[r[tb["x"]], limit_cell(r["limit"])]
                                       for r in tb["rows"]]))
    _band_table(doc, tb)
    doc.add(Paragraph("Dipole moments, one mass-basis element at a time, units of mu_B "
                      "(sensitivity_dipole.csv). Formula derived for renpsim [physics §4.3], "
                      "not yet compared with [GP23]."))
    doc.add(Table(["element", "limit [mu_B]"],
                  [[r["element"], limit_cell(r["limit_mu_B"])]
                   for r in sens["tables"]["dipole"]["rows"]]))
    doc.add(Heading("Exposure for discrete decisions", 3))
    drows = sens["decisions"]["rows"]
    with_norm = any("normalisation" in r for r in drows)
    head = ["decision", "n sigma", "exposure factor", "total time [s]"]
    if with_norm:
        head.insert(2, "normalisation")
    body = []
    for r in drows:
        row = [r["decision"], r["n_sigma"], limit_cell(r["factor"]), limit_cell(r["total_time_s"])]
        if with_norm:
            row.insert(2, r.get("normalisation", "-"))
        body.append(row)
    doc.add(Table(head, body))
    if with_norm:
        doc.add(Paragraph("Normalisation: 'fixed' assumes the overall rate (Gamma_0, density, "
                          "volume, coherence) known; 'profiled' fits it freely, which costs "
                          "exposure [physics §6.1], [physics §6.3]."))
    doc.add(Heading("Comparison with existing limits", 3))
    crow = []
    for k, c in sens["comparisons"].items():
        if c.get("has_comparison", True) and c.get("best_id"):
            against = f"{c['best_id']} ({_provenance_text(c.get('best_provenance'))})"
        else:
            against = "-"
        crow.append([k, c["quantity"], c.get("verdict", "-"), c.get("best_factor"),
                     c.get("best_at"), against, c["file"]])
    doc.add(Paragraph("factor = existing / RENP (> 1: RENP improves), at the best mass away "
                      "from the scan-step poles. CLs are not rescaled. 'derived' marks a bound "
                      "that renpsim combined or extrapolated, not a published one."))
    doc.add(Table(["curve", "quantity", "verdict", "best factor", "at mass [eV]",
                   "against (provenance)", "table"], crow))
    dips = [(k, d) for k, c in sens["comparisons"].items() for d in c.get("pole_dips", [])]
    if dips:
        window = next(iter(sens["comparisons"].values())).get("pole_window")
        doc.add(Paragraph(
            f"Pole dips, listed separately (points within {fmt(100 * window)}% of a pole "
            "mass): the limit dips where the mediator's pole falls on a scan step. The depth "
            "depends on the assumed width Gamma/M and on the mediator mass lying within the "
            "stated relative distance of the pole (mass resolution), which the scan sampling "
            "sets, not the physics."))
        doc.add(Table(["curve", "pole mass [eV]", "sampled at [eV]", "mass resolution needed",
                       "limit", "dip depth", "factor vs existing", "width Gamma/M (assumed)"],
                      [[k, d["pole_mass_eV"], d["m_eV"], d["mass_resolution"],
                        d["renp_limit"], d["dip_depth"], d["factor"], d["width_fraction"]]
                       for k, d in dips]))
    doc.add(Paragraph("Bounds that the sources give only as figures are cited but not drawn "
                      "(renpsim limits list shows them); see docs/limits.md and the references "
                      "below."))


def _band_table(doc: Document, tb: dict) -> None:
    """Toy bands of a curve, when toys were run (columns toy_* in its rows)."""
    rows = [r for r in tb["rows"] if "toy_median" in r]
    if not rows:
        return
    doc.add(Paragraph(f"Toy expected-limit bands of {tb['file']} (SM toys):"))
    doc.add(Table([tb["x"], "median", "68% low", "68% high", "95% low", "95% high"],
                  [[r[tb["x"]], r.get("toy_median"), r.get("toy_lo68"), r.get("toy_hi68"),
                    r.get("toy_lo95"), r.get("toy_hi95")] for r in rows]))


def _provenance_text(prov: str | None) -> str:
    return {"derived": "derived: renpsim combination or extrapolation, not published",
            "quoted": "published value", "digitised": "published curve (digitised)",
            }.get(prov or "", prov or "-")


def _references_section(doc: Document, with_limits: bool) -> None:
    doc.add(Heading("References"))
    doc.add(Bullets([f"[{k}] {v}" for k, v in REFERENCES.items()]))
    if not with_limits:
        return
    from renpsim.limits import load_database

    db = load_database()
    rows = []
    for q in COMPARED_QUANTITIES:
        for r in db.query(quantity=q):
            src = r.source
            ident = ", ".join(x for x in (f"arXiv:{src['arxiv']}" if "arxiv" in src else "",
                                          f"doi:{src['doi']}" if "doi" in src else "") if x)
            rows.append([r.id, r.description, src["ref"], ident or "-", src["location"],
                         _provenance_text(r.provenance),
                         "yes" if r.model_dependent else "no"])
    doc.add(Paragraph("Existing limits named in the tables and figures (the renpsim limits "
                      "database; renpsim cite prints their BibTeX):"))
    doc.add(Table(["id", "bound", "source", "identifier", "where", "provenance",
                   "model-dependent"], rows))


def _pick_rows(rows: list[dict], x: str, targets) -> list[dict]:
    import numpy as np

    xs = np.array([r[x] for r in rows], float)
    picked = []
    for tval in targets:
        k = int(np.argmin(np.abs(np.log(xs) - math.log(tval))))
        if rows[k] not in picked:
            picked.append(rows[k])
    return picked
