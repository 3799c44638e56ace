"""Report figures (matplotlib, Agg): spectrum with data, counts per step, dipole reach.

The sensitivity-versus-mediator-mass figures with existing limits come from
:func:`renpsim.limits.plot.plot_limits`; the lightest-mass figure from
:func:`renpsim.stats.output.plot_table`. Every figure is saved as PNG and PDF through the
crash-safe writer (legends outside the data, ``bbox_inches="tight"`` so nothing is cut), labels
come from :mod:`renpsim.labels`, and every function returns the arrays it drew (tests assert on
them). Campaigns that are not viable get no fitted curve and no data on the I(omega) scale.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import chi2

from renpsim import labels
from renpsim._atomic import atomic_write
from renpsim.physics.kinematics import THRESHOLD_LABELS, photon_endpoint, threshold_matrix
from renpsim.physics.spectrum import spectral_function


def save_png_pdf(fig, stem: Path) -> tuple[Path, Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf`` atomically and close it."""
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    atomic_write(png, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    atomic_write(pdf, lambda tmp: fig.savefig(tmp, format="pdf", bbox_inches="tight"))
    plt.close(fig)
    return png, pdf


def garwood_interval(n: np.ndarray, cl: float = 0.6826894921370859
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Central Poisson confidence interval for observed counts n (Garwood 1936)."""
    n = np.asarray(n, dtype=float)
    a = 1.0 - cl
    lo = np.where(n > 0, 0.5 * chi2.ppf(a / 2, 2 * np.maximum(n, 1e-300)), 0.0)
    hi = 0.5 * chi2.ppf(1 - a / 2, 2 * (n + 1))
    return lo, hi


def threshold_label_rows(x: np.ndarray, min_gap: float) -> np.ndarray:
    """Give each label the lowest text row where it keeps ``min_gap`` from the row's labels.

    Labels at positions ``x`` (any order) are placed left to right; this keeps the threshold
    labels of close thresholds (11 and 12 are 30 ueV apart) readable and non-overlapping.
    """
    x = np.asarray(x, float)
    rows = np.zeros(x.size, int)
    last: list[float] = []
    for k in np.argsort(x):
        for r, pos in enumerate(last):
            if x[k] - pos >= min_gap:
                rows[k] = r
                last[r] = x[k]
                break
        else:
            rows[k] = len(last)
            last.append(x[k])
    return rows


def _legend_outside(ax) -> None:
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def plot_spectrum(campaign, expected, observed, stem: Path, viable: bool = True) -> dict:
    """I(omega) of the campaign's truth hypothesis, thresholds, scan steps and the data.

    Data points are the background-subtracted counts divided by the expected counts per unit
    I(omega) of each step (signal / I_eff from the rate model), with Garwood 68% intervals.
    When the campaign is not viable (far below one signal event) the data are not drawn on
    the I(omega) scale: dividing by an expected signal of ~1e-30 would only blow up noise.
    """
    state = campaign.neutrinos
    target = campaign.hardware.atomic
    imprinted = campaign.hardware.lasers.imprinted  # moves the endpoint and the thresholds
    half = float(photon_endpoint(target.E_eg_eV, **imprinted))
    w_steps = np.asarray(expected["omega_eV"], float)
    lo = min(w_steps.min(), half - 3e-3) - 2e-4
    grid = np.linspace(lo, half, 1500)
    curve = spectral_function(grid, state, target, **imprinted)
    thr = threshold_matrix(target.E_eg_eV, state.masses_eV, **imprinted)
    per_I = np.asarray(expected["signal"], float) / np.maximum(np.asarray(expected["I_eff"]),
                                                              1e-300)
    n = np.asarray(observed, float)
    bkg = np.asarray(expected["background"], float)
    ok = per_I > 0
    lo_n, hi_n = garwood_interval(n)
    y = np.where(ok, (n - bkg) / np.where(ok, per_I, 1.0), np.nan)
    ylo = np.where(ok, (lo_n - bkg) / np.where(ok, per_I, 1.0), np.nan)
    yhi = np.where(ok, (hi_n - bkg) / np.where(ok, per_I, 1.0), np.nan)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    ax.plot(1e3 * (grid - half), curve, color="k", lw=1.2,
            label=f"I(omega): {state.ordering}, {state.nature},\nm_lightest = "
                  f"{float(state.m_lightest_eV):g} eV")
    xmin = 1e3 * (lo - half)
    span = -xmin
    xs, names = [], []
    for lab in THRESHOLD_LABELS:
        i, j = int(lab[0]) - 1, int(lab[1]) - 1
        x = 1e3 * (thr[i, j] - half)
        if x >= xmin:
            xs.append(x)
            names.append(lab)
    rows = threshold_label_rows(np.array(xs), 0.045 * span) if xs else np.array([], int)
    for k, (x, lab) in enumerate(zip(xs, names, strict=True)):
        ax.axvline(x, color=f"C{k}", ls=":", lw=1)
        ax.text(x, 0.98 - 0.07 * rows[k], f" {lab}", color=f"C{k}", fontsize=8, va="top",
                ha="left", transform=ax.get_xaxis_transform(),
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8})
    for w in w_steps:
        ax.axvline(1e3 * (w - half), color="0.85", lw=0.8, zorder=0)
    drawn_y = np.full_like(y, np.nan)
    if viable:
        ax.errorbar(1e3 * (w_steps - half), y, yerr=[y - ylo, yhi - y], fmt="o", color="C3",
                    ms=4, capsize=2, label="data (background subtracted,\n68% Garwood)")
        drawn_y = y
    else:
        ax.text(0.02, 0.04, "expected signal far below one event: data not shown on the "
                "I(omega) scale", transform=ax.transAxes, fontsize=8)
    ax.set_xlabel(labels.AXES["omega_offset_meV" if imprinted["imprinted_momentum_eV"] == 0.0
                              else "omega_offset_endpoint_meV"])
    ax.set_ylabel(labels.AXES["spectral_function"])
    ax.set_title(f"{campaign.name}: spectral function, thresholds (dotted) and scan steps "
                 "(grey)", fontsize=9)
    _legend_outside(ax)
    png, pdf = save_png_pdf(fig, stem)
    return {"png": png, "pdf": pdf, "omega_eV": grid, "I": curve, "data_omega_eV": w_steps,
            "data_I": y, "drawn_data_I": drawn_y, "threshold_rows": rows}


def plot_counts(steps: dict, stem: Path, expected_label: str = "fitted expectation") -> dict:
    """Observed counts per step (Garwood 68%) against an expectation, one marker per step.

    ``steps`` holds ``omega_eV``, ``observed`` and optionally ``fitted`` (the expectation drawn
    with ``expected_label``); without ``fitted`` only the data are drawn (non-viable reports).
    The steps are discrete: the expectation is a horizontal tick per step, not a curve.
    """
    w = np.asarray(steps["omega_eV"], float)
    obs = np.asarray(steps["observed"], float)
    order = np.argsort(w)
    lo, hi = garwood_interval(obs[order])
    fig, ax = plt.subplots(figsize=(8, 4.2))
    idx = np.arange(len(w))
    fit = None
    if steps.get("fitted") is not None:
        fit = np.asarray(steps["fitted"], float)[order]
        ax.errorbar(idx, fit, xerr=0.3, fmt="none", ecolor="C0", elinewidth=2.5,
                    label=expected_label)
    ax.errorbar(idx, obs[order], yerr=[obs[order] - lo, hi - obs[order]], fmt="o", color="k",
                ms=5, capsize=3, label="observed (68% Garwood interval)")
    step_labels = [f"{x:.5f}" for x in w[order]]
    if len(idx) <= 12:
        ax.set_xticks(idx, step_labels, rotation=30, fontsize=8)
    ax.set_xlim(-0.6, len(idx) - 0.4)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(labels.AXES["scan_step"] + " (increasing)")
    ax.set_ylabel(labels.AXES["counts"])
    ax.set_title("Counts per scan step", fontsize=9)
    _legend_outside(ax)
    png, pdf = save_png_pdf(fig, stem)
    return {"png": png, "pdf": pdf, "observed": obs[order], "fitted": fit}


def plot_dipole(limits: dict, existing: list[tuple[str, float]], stem: Path) -> dict:
    """Per-element dipole-moment reach (mu_B) as a dot/interval plot on a log axis.

    Each element is a dot at its limit with the excluded interval above it (a line, not a bar:
    bars on a log axis have no meaningful base). Existing effective-moment bounds are vertical
    dashed lines; elements without sensitivity are listed, not dropped.
    """
    names = list(limits)
    good = [k for k in names if limits[k] is not None and np.isfinite(limits[k])
            and limits[k] > 0]
    missing = [k for k in names if k not in good]
    values = np.array([limits[k] for k in good], float)
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.32 * max(len(good), 3)))
    allv = np.concatenate([values, [v for _, v in existing]]) if existing else values
    xmax = float(allv.max() * 30) if allv.size else 1.0
    xmin = float(allv.min() / 30) if allv.size else 1e-3
    pos = np.arange(len(good))
    ax.hlines(pos, values, xmax, color="C0", lw=3, alpha=0.4)
    ax.plot(values, pos, "o", color="C0", ms=6, label="RENP reach (dot; excluded above)")
    for k, (name, value) in enumerate(existing):
        ax.axvline(value, color=f"C{k + 1}", ls="--", lw=1.2, label=name)
    ax.set_yticks(pos, [f"|{k}|" for k in good], fontsize=8)
    ax.set_ylim(-0.7, max(len(good), 1) - 0.3)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(xmin, xmax)
    ax.set_xlabel(labels.AXES["dipole_mu"])
    ax.set_ylabel(labels.AXES["dipole_element"])
    ax.set_title(labels.TITLES["dipole_mu"] + ": RENP reach per element", fontsize=9)
    if missing:
        fig.text(0.01, 0.0, "no sensitivity: " + ", ".join(missing), fontsize=7, va="top")
    _legend_outside(ax)
    png, pdf = save_png_pdf(fig, stem)
    return {"png": png, "pdf": pdf, "labels": good, "values": values, "missing": missing}


def report_figures(camp, expected, fit: dict, sens: dict | None, out: Path,
                   viable: bool = True) -> list:
    """Draw every figure of a report into ``out``; return their :class:`Figure` blocks.

    Parameters
    ----------
    camp : Campaign
        The hardware campaign.
    expected : pandas.DataFrame
        Expected counts per step (rate model).
    fit : dict
        The fit report (``steps`` with ``omega_eV``, ``observed`` and, if fitted, ``fitted``).
    sens : dict or None
        The sensitivity section of the report results (None: not viable, no reach figures).
    out : path
        Report directory.
    viable : bool
        False for campaigns far below one signal event: no fitted curve, no data on the
        I(omega) scale.

    """
    from renpsim.report.document import Figure

    figs = []
    observed = np.asarray(fit["steps"]["observed"], float)
    exp_sorted = expected.sort_values("step")
    sp = plot_spectrum(camp, exp_sorted, observed, out / "spectrum", viable=viable)
    figs.append(Figure(sp["png"], "Spectral function of the truth hypothesis with its six "
                       "thresholds (dotted), the scan steps (grey) and the data", sp["pdf"]))
    steps = dict(fit["steps"])
    if viable and steps.get("fitted") is not None:
        ct = plot_counts(steps, out / "counts", "fitted expectation")
        caption = "Observed counts per scan step against the fitted expectation"
    elif viable:
        steps["fitted"] = np.asarray(exp_sorted["total"], float).tolist()
        ct = plot_counts(steps, out / "counts", "expectation of the rate model")
        caption = "Observed counts per scan step against the expectation of the rate model"
    else:
        steps["fitted"] = None
        ct = plot_counts(steps, out / "counts")
        caption = ("Observed counts per scan step (background only: the campaign is not "
                   "viable, nothing is fitted)")
    figs.append(Figure(ct["png"], caption, ct["pdf"]))
    if sens is None:
        return figs
    from renpsim.limits import make_sensitivity, plot_limits

    for name in ("vector", "scalar"):
        t = sens["tables"][name]
        rows = [r for r in t["rows"] if r["limit"] is not None and np.isfinite(r["limit"])
                and r["limit"] > 0]
        meta = {"label": f"RENP reach ({t['coupling']})"}
        if sens.get("pole_masses_eV"):
            meta["pole_masses_eV"] = " ".join(f"{float(m):.10g}"
                                              for m in sens["pole_masses_eV"])
        s = make_sensitivity(t["quantity"], [r[t["x"]] for r in rows],
                             [r["limit"] for r in rows], cl=sens["cl"], dof=sens["dof"],
                             delta_chi2=sens["delta_chi2"], **meta)
        lp = plot_limits(t["quantity"], s)
        stem = out / f"sensitivity_{name}"
        lp.save(stem.with_suffix(".png"))
        lp.save(stem.with_suffix(".pdf"))
        plt.close(lp.figure)
        figs.append(Figure(stem.with_suffix(".png"),
                           f"{labels.plain(labels.title(t['quantity']))}: RENP reach versus "
                           "mediator mass with the existing limits (hatched: model-dependent; "
                           "'derived' in the legend: renpsim combinations, not published)",
                           stem.with_suffix(".pdf")))
    from renpsim.experiment.tables import plot_table, read_csv

    t = sens["tables"]["m_lightest"]
    table = read_csv(out / t["file"])
    stem = out / "sensitivity_m_lightest"
    plot_table(table, stem.with_suffix(".png"))
    plot_table(table, stem.with_suffix(".pdf"))
    mm = table.meta.get("mediator_mass_eV")
    figs.append(Figure(stem.with_suffix(".png"), "Reach on the vector coupling versus the "
                       "lightest neutrino mass"
                       + (f" at mediator mass {float(mm):.3g} eV" if mm else "")
                       + " (GP21 Fig. 4 axes)", stem.with_suffix(".pdf")))
    dip = {r["element"]: r["limit_mu_B"] for r in sens["tables"]["dipole"]["rows"]}
    dp = plot_dipole(dip, existing_moment_bounds(), out / "dipole")
    figs.append(Figure(dp["png"], "Dipole-moment reach per mass-basis element with existing "
                       "effective-moment bounds (not the same combination: see text)",
                       dp["pdf"]))
    return figs


#: Effective-moment bounds drawn as reference lines on the dipole figure.
MOMENT_REFERENCE_IDS = ("M7", "M2", "M1")


def existing_moment_bounds() -> list[tuple[str, float]]:
    """(label, value in mu_B) of the reference magnetic-moment bounds, from the database."""
    from renpsim.errors import RenpsimError
    from renpsim.limits import load_database

    db = load_database()
    out = []
    for rid in MOMENT_REFERENCE_IDS:
        try:
            rec = db.get(rid)
        except RenpsimError:  # a missing record only drops a reference line
            continue
        if rec.value is not None:
            out.append((f"{rid}: effective moment < {rec.value:g} mu_B ({rec.cl_text})",
                        float(rec.value)))
    return out
