"""Forecast tab (F4): I(omega) of the hypothesis and the alternative, counts, viability.

Curves are evaluated exactly at one point per braille column of the plot; channel thresholds
are labelled lines; the legend sits below the plot, never on the data. With a pinned campaign
(A/B mode) its curve and steps are overlaid.
"""

from __future__ import annotations

import math

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from renpsim.errors import RenpsimError
from renpsim_tui import backend
from renpsim_tui.fields import NEUTRINO_FIELDS
from renpsim_tui.widgets.cells import cell, fmt, row
from renpsim_tui.widgets.field_row import FieldRow
from renpsim_tui.widgets.plot import Plot

#: Plot colours, named in the legend.
COLOURS = {"truth": "blue", "alt": "red", "steps": "green", "pinned": "magenta",
           "threshold": "gray"}


def viability_lines(v: backend.Viability) -> str:
    """Format the viability message as a multi-line panel (one statement per line)."""
    return "\n".join(p.strip() for p in v.message.replace(": ", ":\n", 1).split("; "))


class ForecastTab(Horizontal):
    """Hypothesis fields and per-step counts (left); plot, legend and viability (right)."""

    def compose(self) -> ComposeResult:
        """Fields, the table, the plot and the panels."""
        c = self.app.campaign
        with VerticalScroll(id="fc-left"):
            for spec in NEUTRINO_FIELDS:
                yield FieldRow(spec, c.text(spec.key))
            yield DataTable(id="fc-table", cursor_type="row", zebra_stripes=True)
        with Vertical(id="fc-right"):
            yield Plot(self._draw, id="forecast-plot")
            yield Static(id="fc-legend")
            yield Static(id="viability")

    def on_mount(self) -> None:
        """Table columns."""
        self.query_one("#fc-table", DataTable).add_columns(
            "#", "omega eV", "I_eff(omega)", "signal", "background")
        self.last_forecast: backend.StepForecast | None = None

    def refresh_view(self) -> None:
        """Per-step counts, viability panel and plot."""
        c = self.app.campaign
        table = self.query_one("#fc-table", DataTable)
        table.clear()
        try:
            fc = self.app.forecast()
            viab = backend.viability(c.target, c.hardware_sections(), fc)
        except RenpsimError as exc:
            self.last_forecast = None
            self.query_one("#viability", Static).update(cell(f"no forecast: {exc}"))
            self.query_one("#forecast-plot", Plot).redraw()
            return
        self.last_forecast = fc
        self.app.last_viability = viab
        for i in range(fc.omega_eV.size):
            table.add_row(*row(i, f"{fc.omega_eV[i]:.7f}", fmt(float(fc.spectral[i])),
                               fmt(float(fc.signal[i])), fmt(float(fc.background[i]))))
        text = viability_lines(viab)
        pinned = self.app.pinned
        if pinned is not None:
            try:
                pfc = self.app.forecast(pinned)
                text += (f"\nB (pinned '{pinned.name}'): expected signal "
                         f"{fmt(pfc.total_signal, 3)}, background "
                         f"{fmt(float(pfc.background.sum()), 3)}")
            except RenpsimError as exc:
                text += f"\nB (pinned): no forecast: {exc}"
        self.query_one("#viability", Static).update(cell(text))
        self.query_one("#forecast-plot", Plot).redraw()

    def _draw(self, plot: Plot) -> None:
        c = self.app.campaign
        fc = self.last_forecast
        try:
            info = c.target
            h, alt = c.hypothesis(), c.hypothesis("alternative")
            thr = backend.thresholds(h, info)
        except RenpsimError:
            return
        half = info.omega_max_eV
        end = info.endpoint_eV      # E_eg/2, or moved by an imprinted pair momentum P0
        omegas = [] if fc is None else list(fc.omega_eV)
        lo = min([end - 2.5e-3, *[t - 2e-4 for t in thr.values()], *[w - 1e-4 for w in omegas]])
        n = plot.sample_points()
        grid = np.linspace(lo, end, n)
        x = (grid - half) * 1e3
        top = 0.0
        try:
            y = backend.spectral(grid, h, info)
            top = float(np.max(y)) if y.size else 0.0
            plot.line(x, y, COLOURS["truth"], h.label())
            plot.line(x, backend.spectral(grid, alt, info), COLOURS["alt"], f"alt {alt.label()}")
            pinned = self.app.pinned
            if pinned is not None:
                plot.line(x, backend.spectral(grid, pinned.hypothesis(), pinned.target),
                          COLOURS["pinned"], f"B (pinned) {pinned.hypothesis().label()}")
        except RenpsimError:
            pass
        labels: dict[float, list[str]] = {}
        for lab, t in thr.items():
            labels.setdefault(round(t, 12), []).append(lab)
        if info.imprinted_momentum_eV != 0.0:
            labels.setdefault(round(end, 12), []).append("end")
        #: the threshold lines drawn, by label (moved by P0 when the lasers imprint one)
        self.plotted_thresholds = {lab: t for t, labs in labels.items() for lab in labs}
        moved = (f" (P0 = {info.imprinted_momentum_eV:g} eV)"
                 if info.imprinted_momentum_eV != 0.0 else "")
        for t, labs in sorted(labels.items()):
            xt = (t - half) * 1e3
            plot.vline(xt, COLOURS["threshold"], ",".join(labs) + moved)
            if math.isfinite(top) and top > 0:
                plot.text(",".join(labs), xt, top * 1.02, COLOURS["threshold"])
        if fc is not None and fc.omega_eV.size:
            plot.points((fc.omega_eV - half) * 1e3, fc.spectral, COLOURS["steps"],
                        "scan steps (smeared I_eff)")
        self.plot_title = f"I(omega): exact at {n} points, one per plot column"
        plot.title(self.plot_title)
        plot.xlabel(f"omega - E_eg/2 [meV]  (E_eg/2 = {half:.7f} eV)")
        plot.ylabel("I(omega)")
        legend = (f"{COLOURS['truth']}: {h.label()}   {COLOURS['alt']}: alt {alt.label()}   "
                  f"{COLOURS['steps']} x: scan steps (smeared I_eff)   "
                  f"{COLOURS['threshold']} lines: thresholds omega_ij (labelled ij)")
        if info.imprinted_momentum_eV != 0.0:
            legend += (f", moved by the imprinted pair momentum P0 = "
                       f"{info.imprinted_momentum_eV:g} eV (cos = {info.imprinted_cos:g}); "
                       f"end: photon endpoint {end:.7f} eV")
        if self.app.pinned is not None:
            legend += f"   {COLOURS['pinned']}: B (pinned) {self.app.pinned.hypothesis().label()}"
        self.query_one("#fc-legend", Static).update(cell(legend))
