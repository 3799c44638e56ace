"""Plot of the existing limits on one quantity, with a RENP sensitivity on top.

Log-log axes (mass on x, bound on y) for quantities with a mass axis; for single-number
quantities (magnetic moment, Rayleigh coefficient ...) a log axis with one row per record (a dot
at the bound and the excluded interval above it). Excluded regions are shaded by kind; every
label carries the record id and its citation, and says "derived" for renpsim combinations and
extrapolations. Axis labels and titles come from :mod:`renpsim.labels`; the legend sits outside
the axes. Uses the Agg backend (no display needed).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from renpsim import labels
from renpsim.errors import InputError
from renpsim.limits.compare import DEFAULT_POLE_WINDOW, near_poles, record_limit_at
from renpsim.limits.database import LimitDatabase, LimitRecord, load_database
from renpsim.limits.quantities import get_quantity
from renpsim.limits.sensitivity import Sensitivity

KIND_COLOURS = {
    "astrophysical": "tab:orange", "cosmological": "tab:blue", "terrestrial": "tab:green",
    "collider": "tab:purple", "lab": "tab:brown", "theory": "tab:gray",
}
PLOT_FORMATS = (".png", ".pdf")
_DEFAULT_X = (1e-3, 1e9)


@dataclass
class DrawnLimit:
    """What was drawn for one record (for tests and captions)."""

    id: str
    kind: str
    style: str  # "region" | "band_points" | "points"
    x: np.ndarray
    y: np.ndarray  # the bound (lower edge of the shaded excluded region)
    y_upper: np.ndarray | None = None  # upper edge for excluded bands
    label: str = ""


@dataclass
class LimitsPlot:
    """The figure plus the data drawn on it."""

    figure: plt.Figure
    ax: plt.Axes
    quantity: str
    drawn: list[DrawnLimit] = field(default_factory=list)
    not_drawn: list[str] = field(default_factory=list)
    renp: tuple[np.ndarray | None, np.ndarray] | None = None

    @property
    def drawn_ids(self) -> list[str]:
        """Ids of the records drawn."""
        return [d.id for d in self.drawn]

    def save(self, path: str | Path) -> None:
        """Save as PNG or PDF (by suffix)."""
        save_figure(self.figure, path)


def short_citation(record: LimitRecord) -> str:
    """'<first author/collaboration> <year>' or the arXiv number, for legends."""
    src = record.source
    first = src["ref"].split(",")[0].split("(")[0].strip()
    if len(first) > 28:
        first = first[:27] + "."
    year = src.get("year")
    if first.startswith("arXiv:"):
        return first
    arx = f" [{src['arxiv']}]" if "arxiv" in src else ""
    return f"{first}{' ' + str(year) if year else ''}{arx}"


def _label(r: LimitRecord, width: int = 48) -> str:
    """Legend label: id, description, derived flag, citation; wrapped at word boundaries."""
    mu = r.assumptions.get("mu_definition")
    extra = f" [{mu}]" if mu else ""
    derived = " [derived by renpsim, not published]" if r.provenance == "derived" else ""
    text = f"{r.id}: {r.description}{extra}{derived} ({short_citation(r)})"
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def plot_limits(quantity: str, sensitivity: Sensitivity | None = None,
                db: LimitDatabase | None = None, include_model_dependent: bool = True,
                kinds: Iterable[str] | None = None,
                x_range: tuple[float, float] | None = None,
                mu_definition: str | None = None) -> LimitsPlot:
    """Draw the existing limits on ``quantity`` and optionally a RENP sensitivity.

    Parameters
    ----------
    quantity : str
        Registry id.
    sensitivity : Sensitivity, optional
        Must be on the same quantity; drawn on top (black line or line for single numbers).
    db : LimitDatabase, optional
        Default: the shipped database.
    include_model_dependent : bool
        Draw records flagged model-dependent (hatched) too.
    kinds : iterable of str, optional
        Only these kinds.
    x_range : (float, float), optional
        Mass range in eV; default: the sensitivity's range, else the records' ranges.
    mu_definition : str, optional
        For ``mu_nu_eff``: draw only records of this experiment-type definition; default: the
        sensitivity header's ``mu_definition`` if present.

    Returns
    -------
    LimitsPlot

    """
    q = get_quantity(quantity)
    if sensitivity is not None and sensitivity.quantity != quantity:
        raise InputError("plot", "sensitivity.quantity", sensitivity.quantity,
                         f"the plotted quantity {quantity}")
    db = db if db is not None else load_database()
    if mu_definition is None and sensitivity is not None:
        mu_definition = sensitivity.meta.get("mu_definition")
    recs = db.query(quantity=quantity, kind=kinds,
                    include_model_dependent=include_model_dependent,
                    mu_definition=mu_definition if quantity == "mu_nu_eff" else None)
    fig, ax = plt.subplots(figsize=(11, 6))
    out = LimitsPlot(fig, ax, quantity)
    numeric = [r for r in recs if r.bound_type in ("upper", "excluded_band")
               and (r.value is not None or r.curve is not None)]
    out.not_drawn = [r.id for r in recs if r not in numeric]
    if q.x_name is None:
        _plot_single(out, numeric, sensitivity, q)
    else:
        _plot_mass_axis(out, numeric, sensitivity, q, x_range)
    if out.not_drawn:
        note = ("Cited, not drawn (no numbers in the sources, not a bound, figure only, or "
                "outside the mass range): " + ", ".join(out.not_drawn))
        fig.text(0.01, 0.005, textwrap.fill(note, 160), fontsize=6, va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return out


def _plot_mass_axis(out: LimitsPlot, recs, sens, q, x_range) -> None:
    ax = out.ax
    if x_range is None:
        if sens is not None:
            x_range = (float(sens.x[0]), float(sens.x[-1]))
        else:
            los = [r.x_range[0] for r in recs if r.x_range[0] > 0]
            his = [r.x_range[1] for r in recs if np.isfinite(r.x_range[1])]
            for r in recs:
                if r.curve is not None:
                    cx = r.curve[q.x_name]
                    los.append(cx[0])
                    his.append(cx[-1])
            lo, hi = min(los, default=_DEFAULT_X[0]), max(his, default=_DEFAULT_X[1])
            if lo >= hi:
                lo, hi = lo / 10, hi * 10
            x_range = (lo / 2, hi * 2)  # margin so that benchmark points are not clipped
    x0, x1 = x_range
    if not (0 < x0 < x1 and np.isfinite(x1)):
        raise InputError("plot", "x_range", x_range, "0 < x_min < x_max (eV)")
    grid = np.geomspace(x0, x1, 400)
    ys = []
    for r in recs:
        colour = KIND_COLOURS[r.kind]
        label = _label(r)
        if r.bound_type == "excluded_band":
            cx = r.curve[q.x_name]
            keep = (cx >= x0) & (cx <= x1)
            if keep.any():
                lo, hi = r.curve["lower"][keep], r.curve["upper"][keep]
                ax.vlines(cx[keep], lo, hi, colors=colour, lw=6, alpha=0.5, label=label)
                out.drawn.append(DrawnLimit(r.id, r.kind, "band_points", cx[keep], lo, hi, label))
                ys += [*lo, *hi]
            else:
                out.not_drawn.append(r.id)
            continue
        if r.curve is not None and r.raw["curve"]["interpolation"] == "points":
            cx = r.curve[q.x_name]
            keep = (cx >= x0) & (cx <= x1)
            if keep.any():
                y = r.curve["limit"][keep]
                ax.plot(cx[keep], y, ls="none", marker="v", ms=7, color=colour, label=label)
                out.drawn.append(DrawnLimit(r.id, r.kind, "points", cx[keep], y, None, label))
                ys += list(y)
            else:
                out.not_drawn.append(r.id)
            continue
        y = record_limit_at(r, grid)
        ok = np.isfinite(y)
        if not ok.any():
            out.not_drawn.append(r.id)
            continue
        xs, yv = grid[ok], y[ok]
        out.drawn.append(DrawnLimit(r.id, r.kind, "region", xs, yv, None, label))
        ys += list(yv)
    renp_y = []
    if sens is not None:
        renp_y = list(sens.limit)
    allv = np.array(ys + renp_y)
    ytop = float(allv.max() * 1e3) if allv.size else 1.0
    ybot = float(allv.min() / 1e2) if allv.size else 1e-3
    for d in out.drawn:
        if d.style != "region":
            continue
        r = next(rr for rr in recs if rr.id == d.id)
        ax.fill_between(d.x, d.y, ytop, color=KIND_COLOURS[d.kind], alpha=0.25,
                        hatch="//" if r.model_dependent else None, lw=0)
        ax.plot(d.x, d.y, color=KIND_COLOURS[d.kind], lw=1.5, label=d.label)
    if sens is not None:
        ax.plot(sens.x, sens.limit, color="black", lw=2.5, zorder=10,
                label=f"{sens.label} ({sens.cl:.0%} CL, {sens.dof} dof)")
        out.renp = (sens.x, sens.limit)
        near = near_poles(sens.x, sens.pole_masses_eV, DEFAULT_POLE_WINDOW)
        if near.any():  # the dips depend on the sampling and the width: say so
            ax.plot(sens.x[near], sens.limit[near], ls="none", marker="o", mfc="white",
                    mec="black", ms=6, zorder=11,
                    label=textwrap.fill(
                        f"RENP within {DEFAULT_POLE_WINDOW:.0%} of a scan-step pole (dip set "
                        "by width and sampling; not used for improvement factors)", 48))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x0, x1)
    ax.set_ylim(ybot, ytop)
    ax.set_xlabel(labels.x_label(q.x_name, q.id))
    ax.set_ylabel(labels.quantity_label(q.id))
    ax.set_title(f"{labels.title(q.id)}: existing limits (shaded: excluded; hatched: "
                 "model-dependent)", fontsize=9)
    if out.drawn or sens is not None:
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9,
                  borderaxespad=0.0)


def _plot_single(out: LimitsPlot, recs, sens, q) -> None:
    ax = out.ax
    recs = [r for r in recs if r.value is not None and r.value > 0]  # log axis
    vals = [r.value for r in recs]
    allv = np.array(vals + ([float(sens.limit[0])] if sens is not None else []))
    xtop = float(allv.max() * 1e2) if allv.size else 1.0
    xbot = float(allv.min() / 1e2) if allv.size else 1e-3
    for i, r in enumerate(recs):
        colour = KIND_COLOURS[r.kind]
        # dot at the bound, excluded interval above it (a line, not a bar: log axis)
        ax.hlines(i, r.value, xtop, color=colour, lw=3, alpha=0.45,
                  linestyles="dashed" if r.model_dependent else "solid")
        ax.plot([r.value], [i], marker="o", ms=6, color=colour)
        out.drawn.append(DrawnLimit(r.id, r.kind, "region", np.array([np.nan]),
                                    np.array([r.value]), None, _label(r)))
    ax.set_yticks(range(len(recs)))
    ax.set_yticklabels([f"{_label(r)} [{r.cl_text}]" for r in recs], fontsize=6)
    if sens is not None:
        ax.axvline(float(sens.limit[0]), color="black", lw=2.5, zorder=10,
                   label=f"{sens.label} ({sens.cl:.0%} CL)")
        out.renp = (None, sens.limit)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.set_xscale("log")
    ax.set_xlim(xbot, xtop)
    ax.set_ylim(-0.7, max(len(recs), 1) - 0.3)
    ax.set_xlabel(labels.quantity_label(q.id))
    ax.set_title(f"{labels.title(q.id)}: existing limits (dot: bound; line: excluded; "
                 "dashed: model-dependent)", fontsize=9)


def save_figure(fig: plt.Figure, path: str | Path) -> None:
    """Save a figure as PNG or PDF, atomically (temporary file then rename).

    Raises
    ------
    InputError
        If the suffix is not .png or .pdf.

    """
    from renpsim._atomic import atomic_write

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise InputError(str(path), "suffix", path.suffix, "'.png' or '.pdf'")
    if not path.parent.resolve().is_dir():
        raise InputError(str(path), "directory", str(path.parent), "an existing directory")
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=suffix[1:], dpi=110,
                                               bbox_inches="tight"))
