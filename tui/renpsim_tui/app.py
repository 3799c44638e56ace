"""The renpsim campaign planner: a Textual application with five tabs.

Hardware, Schedule, Forecast, Sensitivity and Runs share one :class:`~renpsim_tui.campaign.
Campaign`. Every edit is validated before it reaches the campaign; long computations run in
thread workers with a progress bar and can be cancelled (Escape).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
from rich.markup import escape
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    Markdown,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState, get_current_worker
from textual_plotext import PlotextPlot

from renpsim.errors import RenpsimError
from renpsim_tui import backend, schedule
from renpsim_tui.campaign import Campaign, Step, validate_step
from renpsim_tui.fields import HARDWARE_FIELDS, NEUTRINO_FIELDS, FieldSpec, parse_number

TABS = ("hardware", "schedule", "forecast", "sensitivity", "runs")

HELP_TEXT = """\
# renpsim campaign planner

Plan an exposure campaign without editing TOML by hand. Every field is checked as you type:
an invalid value is refused (red border and a message at the bottom) and the campaign keeps
its previous value.

## Keys

| key | action |
|---|---|
| F1 / ? | this help |
| F2 ... F6 | Hardware, Schedule, Forecast, Sensitivity, Runs |
| Ctrl+S | save the campaign (asks for a file name the first time) |
| Ctrl+O | open a campaign TOML file |
| Ctrl+R | compute the sensitivity (in the background) |
| Escape | cancel the running computation / close a dialog |
| Delete | remove the selected scan step (Schedule table) |
| Ctrl+P | command palette (all actions by name) |
| Tab / Shift+Tab | move between fields |
| Ctrl+Q | quit |

## Numbers and units
Numbers may carry a unit compatible with the field: `2.3 d`, `10 mJ`, `50 ns`, `1.0699 eV`,
`-1.2 meV` is not a photon energy (omega must be in (0, E_eg/2]).

## Tabs
* **Hardware**: preset picker, target, hardware scalars, derived quantities.
* **Schedule**: scan steps; generate uniform, threshold-dense or the paper's points; add/remove.
* **Forecast**: I(omega) of the hypothesis and of the alternative, thresholds and steps marked,
  expected counts per step, and the viability line.
* **Sensitivity**: Asimov reach of the campaign (runs in a worker; Escape cancels).
* **Runs**: simulate counts per step, open a CSV step table, fit the normalisation.

Press Escape to close.
"""


class HelpScreen(ModalScreen[None]):
    """Key bindings and workflows."""

    BINDINGS: ClassVar = [Binding("escape,q,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        """Lay out the help text."""
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP_TEXT)

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help."""
        self.dismiss(None)


class PathScreen(ModalScreen[str | None]):
    """Ask for a file path (open or save)."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial

    def compose(self) -> ComposeResult:
        """Lay out the prompt."""
        with Vertical(id="path-box"):
            yield Label(self.title_text)
            yield Input(self.initial, placeholder="path/to/file", id="path-input")
            yield Label("Enter to confirm, Escape to cancel", classes="hint")

    @on(Input.Submitted, "#path-input")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without a path."""
        self.dismiss(None)


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"


class FieldRow(Horizontal):
    """Label, validated input and unit of one campaign field."""

    def __init__(self, spec: FieldSpec, value: str) -> None:
        super().__init__(classes="field-row")
        self.spec = spec
        self.value = value

    def compose(self) -> ComposeResult:
        """Lay out label, input and unit."""
        yield Label(self.spec.label, classes="field-label")
        if self.spec.kind == "choice":
            yield Select([(c, c) for c in self.spec.choices], value=self.value,
                         allow_blank=False, id=self.spec.widget_id, classes="field-input")
        else:
            yield Input(self.value, id=self.spec.widget_id, classes="field-input")
        unit = self.spec.unit + (f" {self.spec.tag}" if self.spec.tag else "")
        yield Label(escape(unit), classes="field-unit")


class ResizingPlot(PlotextPlot):
    """A plot that asks the app to redraw it when its size changes (exact per-column sampling)."""

    def on_resize(self) -> None:
        """Redraw at the new resolution."""
        redraw = getattr(self.app, "redraw_plots", None)
        if redraw is not None:
            redraw()


class PlannerApp(App[None]):
    """Plan, forecast and check RENP exposure campaigns."""

    TITLE = "renpsim campaign planner"
    CSS = """
    #tabs { height: 1fr; }
    #message { height: 2; padding: 0 1; background: $panel; }
    #message.error { color: $error; text-style: bold; }
    .field-row { height: 3; }
    .field-label { width: 32; padding: 1 1 0 0; }
    .field-input { width: 24; }
    .field-unit { width: 12; padding: 1 0 0 1; color: $text-muted; }
    Input.-invalid { border: tall $error; }
    #hw-left { width: 72; }
    #derived { height: 1fr; }
    #viability { height: 3; padding: 0 1; border: round $accent; }
    #forecast-plot { height: 1fr; min-height: 14; }
    #mass-plot { height: 1fr; min-height: 10; width: 1fr; }
    #fc-left { width: 60; }
    #fc-left .field-label { width: 22; }
    #gen-grid { grid-size: 4; grid-gutter: 0 1; grid-rows: 1 3; height: 4; }
    #gen-grid Input, #gen-grid Select { width: 1fr; }
    #gen-grid Label { padding: 0 1; color: $text-muted; }
    .bar { height: 3; }
    .bar Button { margin-right: 1; }
    .bar Input { width: 26; }
    .bar Select { width: 16; }
    #run-path { width: 48; }
    #steps-table, #fc-table, #run-table, #sens-table { height: 1fr; }
    #sens-bottom { height: 2fr; }
    #limits-table { width: 58; height: 1fr; }
    #total-time, #sens-status, #run-status { height: 2; padding: 0 1; }
    #help-box { width: 90; height: 90%; border: thick $accent; background: $surface; }
    HelpScreen, PathScreen { align: center middle; }
    #path-box { width: 70; height: auto; border: thick $accent; background: $surface;
                padding: 1; }
    """

    BINDINGS: ClassVar = [
        Binding("f1,question_mark", "help", "Help"),
        Binding("f2", "tab('hardware')", "Hardware"),
        Binding("f3", "tab('schedule')", "Schedule"),
        Binding("f4", "tab('forecast')", "Forecast"),
        Binding("f5", "tab('sensitivity')", "Sensitivity"),
        Binding("f6", "tab('runs')", "Runs"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "open", "Open"),
        Binding("ctrl+r", "sensitivity", "Sensitivity run"),
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("delete", "remove_step", "Remove step", show=False),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, campaign: Campaign | None = None, path: str | None = None) -> None:
        super().__init__()
        self.campaign = campaign or Campaign.new()
        self.initial_path = path
        self.messages: list[str] = []
        self.sensitivity_result: backend.SensitivityResult | None = None
        self.last_optimisation: dict | None = None
        self.bsm_result: dict | None = None
        self.run_table: backend.StepTable | None = None
        self.sensitivity_fn = backend.sensitivity  # replaceable (tests use a slow stand-in)
        self.mass_limits: list[backend.MassLimit] = []
        self._sens_worker: Worker | None = None

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Lay out the five tabs, the message line and the footer."""
        c = self.campaign
        yield Header()
        with TabbedContent(id="tabs", initial="hardware"):
            with TabPane("Hardware", id="hardware"), Horizontal():
                with VerticalScroll(id="hw-left"):
                    with Horizontal(classes="field-row"):
                        yield Label("Hardware preset", classes="field-label")
                        yield Select([(n, n) for n in backend.hardware_presets()],
                                     value=c.hardware_name, allow_blank=False, id="hw-preset",
                                     classes="field-input")
                    with Horizontal(classes="field-row"):
                        yield Label("Target", classes="field-label")
                        yield Select([(n, n) for n in backend.list_target_names()],
                                     value=c.target_name, allow_blank=False, id="target",
                                     classes="field-input")
                    with Horizontal(classes="field-row"):
                        yield Label("Detector preset", classes="field-label")
                        yield Select([(n, n) for n in backend.detector_presets()],
                                     prompt="(apply...)", id="det-preset",
                                     classes="field-input")
                    for spec in HARDWARE_FIELDS:
                        yield FieldRow(spec, c.text(spec.key))
                with Vertical():
                    yield Static(id="target-info")
                    yield DataTable(id="derived", cursor_type="none", zebra_stripes=True)
            with TabPane("Schedule", id="schedule"), Vertical():
                with Grid(id="gen-grid"):
                    yield Label("low omega [eV]")
                    yield Label("high omega [eV]")
                    yield Label("number of steps")
                    yield Label("total time [s; or h, d]")
                    yield Input("", placeholder="low omega eV", id="gen-lo")
                    yield Input("", placeholder="high omega eV", id="gen-hi")
                    yield Input("50", placeholder="steps", id="gen-n")
                    yield Input("2.3 d", placeholder="total time (s, h, d)", id="gen-total")
                with Horizontal(classes="bar"):
                    yield Select([(o, o) for o in schedule.ORDERS], value="up",
                                 allow_blank=False, id="gen-order")
                    yield Button("Uniform", id="gen-uniform")
                    yield Button("Threshold-dense", id="gen-dense")
                    yield Button("Paper points", id="gen-paper")
                with Horizontal(classes="bar"):
                    yield Input("", placeholder="omega eV", id="add-omega")
                    yield Input("", placeholder="dwell (s, h, d)", id="add-dwell")
                    yield Button("Add step", id="add-step")
                    yield Button("Remove selected", id="remove-step")
                    yield Button("Optimise dwell (ordering)", id="optimise-dwell")
                yield Static(id="total-time")
                yield DataTable(id="steps-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Forecast", id="forecast"), Horizontal():
                with VerticalScroll(id="fc-left"):
                    for spec in NEUTRINO_FIELDS:
                        yield FieldRow(spec, c.text(spec.key))
                    yield DataTable(id="fc-table", cursor_type="none", zebra_stripes=True)
                with Vertical():
                    yield ResizingPlot(id="forecast-plot")
                    yield Static(id="viability")
            with TabPane("Sensitivity", id="sensitivity"), Vertical():
                with Horizontal(classes="bar"):
                    yield Label("Delta chi^2 ", classes="field-label")
                    yield Input(c.text("statistics.delta_chi2"), id="f-statistics-delta-chi2",
                                classes="field-input")
                    yield Label("dof ")
                    yield Input(c.text("statistics.dof"), id="f-statistics-dof",
                                classes="field-input")
                with Horizontal(classes="bar"):
                    yield Checkbox("profile a free normalisation", id="profile-norm")
                    yield Button("Run (Ctrl+R)", id="sens-run", variant="primary")
                    yield Button("Cancel (Esc)", id="sens-cancel")
                    yield Button("BSM reach", id="bsm-run")
                yield ProgressBar(total=100, show_eta=False, id="sens-progress")
                yield Static(id="sens-status")
                yield Static(id="bsm-status")
                yield DataTable(id="sens-table", cursor_type="none", zebra_stripes=True)
                with Horizontal(id="sens-bottom"):
                    yield PlotextPlot(id="mass-plot")
                    yield DataTable(id="limits-table", cursor_type="none", zebra_stripes=True)
            with TabPane("Runs", id="runs"), Vertical():
                with Horizontal(classes="bar"):
                    yield Button("Simulate counts", id="run-simulate")
                    yield Input("", placeholder="run file .h5 or CSV step table",
                                id="run-path")
                    yield Button("Open", id="run-open")
                    yield Checkbox("follow", id="run-follow")
                    yield Button("Fit", id="run-fit")
                yield ProgressBar(total=100, show_eta=False, id="run-progress")
                yield Static(id="run-status")
                yield DataTable(id="run-table", cursor_type="none", zebra_stripes=True)
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        """Fill the tables and plots from the campaign."""
        self.query_one("#derived", DataTable).add_columns("quantity", "value", "unit", "note")
        self.query_one("#steps-table", DataTable).add_columns(
            "#", "omega eV", "omega - E_eg/2 meV", "dwell s", "dwell h")
        self.query_one("#fc-table", DataTable).add_columns(
            "#", "omega eV", "I(omega)", "signal", "background")
        self.query_one("#sens-table", DataTable).add_columns(
            "against", "Delta chi^2", "exposure x for threshold", "computed by")
        self.query_one("#limits-table", DataTable).add_columns(
            "limit", "bound eV", "CL", "m_lightest eV")
        self.query_one("#run-table", DataTable).add_columns(
            "#", "omega eV", "dwell s", "counts", "expected", "pull")
        self._reset_generator_defaults()
        self.refresh_all()
        self.say(f"campaign: {self.campaign.path or 'new (unsaved)'}; F1 for help"
                 + "".join(f"; {n}" for n in self.campaign.notes))

    # -- messages -----------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        """Show a one-line message at the bottom (red for errors) and keep it in the log."""
        self.messages.append(("ERROR: " if error else "") + text)
        msg = self.query_one("#message", Static)
        msg.update(escape(text))
        msg.set_class(error, "error")

    # -- refresh ------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        """Recompute every derived view from the campaign."""
        self.refresh_hardware()
        self.refresh_schedule()
        self.refresh_forecast()
        self.sub_title = self.campaign.name + (" *" if self.campaign.dirty else "")

    def refresh_hardware(self) -> None:
        """Update the derived quantities and the target summary."""
        c = self.campaign
        info = c.target
        g0 = _fmt(info.gamma0_per_s) + " s-1" if info.gamma0_per_s else "unknown (required)"
        self.query_one("#target-info", Static).update(
            f"[b]{info.name}[/b]  E_eg = {info.E_eg_eV:.9g} eV (+- {info.E_eg_sigma_eV:.1g})  "
            f"E_eg/2 = {info.omega_max_eV:.9g} eV  Gamma_0,ref = {g0}")
        table = self.query_one("#derived", DataTable)
        table.clear()
        for d in backend.derived_quantities(info, c.hardware_sections(), c.hypothesis()):
            table.add_row(d.label, _fmt(d.value), d.unit, d.note)

    def refresh_schedule(self) -> None:
        """Step table and total time."""
        c = self.campaign
        half = c.target.omega_max_eV
        table = self.query_one("#steps-table", DataTable)
        table.clear()
        for i, s in enumerate(c.steps):
            table.add_row(str(i), f"{s.omega_eV:.7f}", f"{(s.omega_eV - half) * 1e3:+.4f}",
                          f"{s.dwell_s:.6g}", f"{s.dwell_s / 3600:.4g}")
        total = c.total_time_s
        self.query_one("#total-time", Static).update(
            f"{len(c.steps)} steps, total time {total:.6g} s = {total / 86400:.4g} d "
            "(sum of dwell times, [physics §1.5])")

    def refresh_forecast(self) -> None:
        """Curves, thresholds, per-step counts and the viability line."""
        c = self.campaign
        info, hw = c.target, c.hardware_sections()
        h, alt = c.hypothesis(), c.hypothesis("alternative")
        fc = backend.forecast(info, hw, h, [s.omega_eV for s in c.steps],
                              [s.dwell_s for s in c.steps])
        self.last_forecast = fc
        table = self.query_one("#fc-table", DataTable)
        table.clear()
        for i in range(fc.omega_eV.size):
            table.add_row(str(i), f"{fc.omega_eV[i]:.7f}", _fmt(float(fc.spectral[i])),
                          _fmt(float(fc.signal[i])), _fmt(float(fc.background[i])))
        self.last_viability = backend.viability(info, hw, fc)
        self.query_one("#viability", Static).update(escape(self.last_viability.message))
        self._plot_forecast(info, h, alt, fc)

    def redraw_plots(self) -> None:
        """Redraw the forecast plot (after a resize)."""
        c = self.campaign
        fc = getattr(self, "last_forecast", None)
        if fc is not None:
            self._plot_forecast(c.target, c.hypothesis(), c.hypothesis("alternative"), fc)

    def _plot_forecast(self, info, h, alt, fc) -> None:
        widget = self.query_one("#forecast-plot", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        half = info.omega_max_eV
        thr = backend.thresholds(h, info)
        lo = min([half - 2.5e-3, *[t - 2e-4 for t in thr.values()],
                  *[w - 1e-4 for w in fc.omega_eV]])
        # Honest resolution: I(omega) is evaluated exactly at one point per plot column (the
        # braille canvas has two columns per cell), so no feature narrower than a column is lost
        # to averaging; the title says so.
        n = max(40, 2 * max(widget.size.width - 12, 20))
        grid = np.linspace(lo, half, n)
        x = (grid - half) * 1e3
        plt.plot(x.tolist(), backend.spectral(grid, h, info).tolist(), marker="braille",
                 label=h.label())
        plt.plot(x.tolist(), backend.spectral(grid, alt, info).tolist(), marker="braille",
                 label="alt: " + alt.label())
        for t in sorted(set(thr.values())):
            plt.vline((t - half) * 1e3, "gray")
        if fc.omega_eV.size:
            plt.scatter(((fc.omega_eV - half) * 1e3).tolist(), fc.spectral.tolist(),
                        marker="x", label="scan steps")
        plt.title(f"I(omega), exact at {n} points (one per column); lines: thresholds")
        plt.xlabel(f"omega - E_eg/2 [meV]  (E_eg/2 = {half:.7f} eV)")
        widget.refresh()

    # -- field editing (validation as you type) -----------------------------------------------
    def _field_for(self, widget_id: str | None) -> FieldSpec | None:
        for spec in self.campaign.fields.values():
            if spec.widget_id == widget_id:
                return spec
        return None

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        spec = self._field_for(event.input.id)
        if spec is None:
            return
        before = self.campaign.get(spec.key)
        try:
            value = self.campaign.set_text(spec.key, event.value)
        except RenpsimError as exc:
            event.input.add_class("-invalid")
            self.say(f"refused: {exc}", error=True)
            return
        event.input.remove_class("-invalid")
        if value == before:
            return
        self.say(f"{spec.key} = {value}" + (f" {spec.unit}" if spec.unit else ""))
        self.refresh_all()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        sid = event.select.id
        if event.value is Select.BLANK or sid in ("gen-order",):
            return
        if sid == "hw-preset":
            if event.value != self.campaign.hardware_name:
                self._apply_preset(str(event.value))
            return
        if sid == "det-preset":
            self.apply_detector(str(event.value))
            return
        if sid == "target":
            if event.value == self.campaign.target_name:
                return
            try:
                self.campaign.set_target(str(event.value))
            except RenpsimError as exc:
                self.say(f"refused: {exc}", error=True)
                event.select.value = self.campaign.target_name
                return
            self.say(f"target = {event.value}")
            self._reset_generator_defaults()
            self.refresh_all()
            return
        spec = self._field_for(sid)
        if spec is not None and self.campaign.text(spec.key) != event.value:
            self.campaign.set_text(spec.key, str(event.value))
            self.say(f"{spec.key} = {event.value}")
            self.refresh_all()

    def _apply_preset(self, name: str) -> None:
        try:
            self.campaign.apply_hardware_preset(name)
        except RenpsimError as exc:
            self.say(f"refused: {exc}", error=True)
            return
        self.sync_widgets()
        self._reset_generator_defaults()
        self.refresh_all()
        self.say(f"hardware preset {name} applied, overrides cleared "
                 f"(target {self.campaign.target_name})")

    def apply_detector(self, name: str) -> None:
        """Apply a detector preset (its knobs become detector overrides)."""
        try:
            self.campaign.apply_detector_preset(name)
        except RenpsimError as exc:
            self.say(f"refused: {exc}", error=True)
            return
        self.sync_widgets()
        self.refresh_all()
        self.say(f"detector preset {name} applied")

    def sync_widgets(self) -> None:
        """Put the campaign's values back into every field widget."""
        c = self.campaign
        with self.prevent(Input.Changed, Select.Changed):
            for spec in c.fields.values():
                for w in self.query(f"#{spec.widget_id}"):
                    if isinstance(w, Input):
                        w.value = c.text(spec.key)
                        w.remove_class("-invalid")
                    elif isinstance(w, Select):
                        w.value = c.text(spec.key)
            self.query_one("#target", Select).value = c.target_name
            self.query_one("#hw-preset", Select).value = c.hardware_name

    # -- schedule -----------------------------------------------------------------------------
    def _reset_generator_defaults(self) -> None:
        info = self.campaign.target
        with self.prevent(Input.Changed):
            self.query_one("#gen-lo", Input).value = f"{info.omega_max_eV - 2.5e-3:.7f}"
            self.query_one("#gen-hi", Input).value = f"{info.omega_max_eV:.7f}"

    def _number(self, widget_id: str, unit: str, what: str) -> float:
        text = self.query_one(f"#{widget_id}", Input).value
        try:
            return parse_number(text, unit)
        except ValueError:
            raise RenpsimError(f"{what}: {text!r} is not a number in {unit}") from None

    @on(Button.Pressed, "#gen-uniform, #gen-dense, #gen-paper")
    def _generate(self, event: Button.Pressed) -> None:
        self.generate(event.button.id.removeprefix("gen-"))

    def generate(self, kind: str) -> None:
        """Regenerate the steps: ``kind`` is ``uniform``, ``dense`` or ``paper``."""
        c = self.campaign
        info = c.target
        try:
            total = self._number("gen-total", "s", "total time")
            order = str(self.query_one("#gen-order", Select).value)
            if kind == "paper":
                steps = schedule.paper_points(backend.PAPER_OMEGAS_EV, total, info.omega_max_eV)
            else:
                lo = self._number("gen-lo", "eV", "low omega")
                hi = self._number("gen-hi", "eV", "high omega")
                n = self._number("gen-n", "", "steps")
                if n != int(n):
                    raise RenpsimError(f"steps: {n} is not a whole number")
                seed = c.seed
                if kind == "uniform":
                    steps = schedule.uniform(lo, hi, int(n), total, info.omega_max_eV, order,
                                             seed)
                else:
                    thr = backend.thresholds(c.hypothesis(), info).values()
                    steps = schedule.threshold_dense(lo, hi, int(n), total, info.omega_max_eV,
                                                     thr, order=order, seed=seed)
            c.set_steps(steps)
        except RenpsimError as exc:
            self.say(f"refused: {exc}", error=True)
            return
        self.refresh_all()
        self.say(f"generated {len(steps)} steps ({kind}), total {c.total_time_s:.6g} s")

    @on(Button.Pressed, "#add-step")
    def _add_step(self) -> None:
        c = self.campaign
        try:
            w = self._number("add-omega", "eV", "omega")
            t = self._number("add-dwell", "s", "dwell")
            step = validate_step(w, t, c.target.omega_max_eV, "campaign", len(c.steps))
            c.set_steps([*c.steps, step])
        except RenpsimError as exc:
            self.say(f"refused: {exc}", error=True)
            return
        self.refresh_all()
        self.say(f"added step {len(c.steps) - 1}: omega = {w} eV, dwell = {t} s")

    @on(Button.Pressed, "#bsm-run")
    def action_bsm_reach(self) -> None:
        """Light-mediator and dipole reach of the campaign, compared with existing limits."""
        c = self.campaign
        self.query_one("#bsm-status", Static).update("computing the BSM reach ...")
        self._bsm_worker = self._bsm(
            c.target, c.hardware_sections(), c.hypothesis(), [s.omega_eV for s in c.steps],
            [s.dwell_s for s in c.steps], float(c.get("statistics.delta_chi2")),
            int(c.get("statistics.dof")))

    @work(thread=True, exclusive=True, group="bsm", exit_on_error=False)
    def _bsm(self, info, hw, h, omega, dwell, thr, dof) -> dict:
        return backend.bsm_reach(info, hw, h, omega, dwell, thr, dof)

    def _bsm_done(self, event: Worker.StateChanged) -> None:
        status = self.query_one("#bsm-status", Static)
        if event.state == WorkerState.SUCCESS:
            self.bsm_result = event.worker.result
            status.update(escape(backend.describe_bsm_reach(event.worker.result)))
            self.say("BSM reach done")
        elif event.state == WorkerState.ERROR:
            status.update(escape(f"BSM reach failed: {event.worker.error}"))
            self.say(f"BSM reach failed: {event.worker.error}", error=True)

    @on(Button.Pressed, "#optimise-dwell")
    def action_optimise_dwell(self) -> None:
        """Reallocate the dwell times to maximise the expected mass-ordering Delta chi^2."""
        if len(self.campaign.steps) < 2:
            self.say("the optimiser needs at least two steps", error=True)
            return
        self.say("optimising the dwell times for the mass ordering (renpsim.stats) ...")
        c = self.campaign
        self._optimise_worker = self._optimise(
            c.target, c.hardware_sections(), c.hypothesis(),
            [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps])

    @work(thread=True, exclusive=True, group="optimise", exit_on_error=False)
    def _optimise(self, info, hw, h, omega, dwell) -> dict:
        return backend.optimise_dwell(info, hw, h, omega, dwell, "ordering")

    def _optimise_done(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.say(f"optimiser failed: {event.worker.error}", error=True)
            return
        if event.state != WorkerState.SUCCESS:
            return
        res = event.worker.result
        c = self.campaign
        total = float(sum(res["dwell_s"]))
        # The optimiser may move all the time away from a step: such steps are dropped.
        kept = [(s, t) for s, t in zip(c.steps, res["dwell_s"], strict=True)
                if t > 1e-9 * total]
        try:
            steps = [validate_step(s.omega_eV, t, c.target.omega_max_eV, "campaign", i)
                     for i, (s, t) in enumerate(kept)]
            c.set_steps(steps)
        except RenpsimError as exc:
            self.say(f"optimiser result refused: {exc}", error=True)
            return
        self.last_optimisation = {**res, "dropped_steps": len(res["dwell_s"]) - len(kept)}
        self.refresh_all()
        dropped = len(res["dwell_s"]) - len(kept)
        self.say(f"dwell optimised for the ordering: Delta chi^2 {res['before']:.4g} -> "
                 f"{res['after']:.4g} at the same total time"
                 + (f"; {dropped} step(s) left without time were removed" if dropped else ""))

    @on(Button.Pressed, "#remove-step")
    def action_remove_step(self) -> None:
        """Remove the step under the cursor of the Schedule table."""
        table = self.query_one("#steps-table", DataTable)
        c = self.campaign
        if not c.steps:
            self.say("no step to remove", error=True)
            return
        i = min(max(table.cursor_row, 0), len(c.steps) - 1)
        steps: list[Step] = [s for k, s in enumerate(c.steps) if k != i]
        c.set_steps(steps)
        self.refresh_all()
        self.say(f"removed step {i}")

    # -- sensitivity (worker) -----------------------------------------------------------------
    def action_sensitivity(self) -> None:
        """Start the sensitivity computation in a thread worker."""
        if self._sens_worker is not None and self._sens_worker.state == WorkerState.RUNNING:
            self.say("a sensitivity computation is already running (Escape cancels)",
                     error=True)
            return
        self.query_one("#tabs", TabbedContent).active = "sensitivity"
        self.query_one("#sens-progress", ProgressBar).update(total=100, progress=0)
        self.query_one("#sens-status", Static).update("running ... (Escape cancels)")
        self._sens_worker = self._run_sensitivity()

    @on(Button.Pressed, "#sens-run")
    def _sens_button(self) -> None:
        self.action_sensitivity()

    @on(Button.Pressed, "#sens-cancel")
    def _cancel_button(self) -> None:
        self.action_cancel()

    @work(thread=True, exclusive=True, group="sensitivity", exit_on_error=False)
    def _run_sensitivity(self) -> backend.SensitivityResult:
        worker = get_current_worker()
        c = self.campaign
        bar = self.query_one("#sens-progress", ProgressBar)

        last = [-1.0, 0.0]  # progress shown, time shown

        def progress(frac: float) -> None:
            # Throttled (>= 1 % or 0.2 s apart) so that a chatty computation cannot flood the
            # event loop and slow the interface down.
            now = time.monotonic()
            if frac >= 1.0 or (frac - last[0] >= 0.01 and now - last[1] >= 0.05) \
                    or now - last[1] >= 0.2:
                last[:] = [frac, now]
                self.call_from_thread(bar.update, progress=100.0 * frac)

        return self.sensitivity_fn(
            c.target, c.hardware_sections(), c.hypothesis(), c.hypothesis("alternative"),
            [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps],
            threshold=float(c.get("statistics.delta_chi2")), dof=int(c.get("statistics.dof")),
            profile_norm=self.query_one("#profile-norm", Checkbox).value,
            mass_grid=np.linspace(0.0, 0.1, 51), progress=progress,
            cancelled=lambda: worker.is_cancelled,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the outcome of the sensitivity and simulation workers."""
        if event.worker.group == "simulate":
            self._simulation_done(event)
            return
        if event.worker.group == "fit":
            self._fit_done(event)
            return
        if event.worker.group == "optimise":
            self._optimise_done(event)
            return
        if event.worker.group == "bsm":
            self._bsm_done(event)
            return
        if event.worker.group == "follow" and event.state == WorkerState.ERROR \
                and not isinstance(event.worker.error, backend.Cancelled):
            self.say(f"cannot follow the run: {event.worker.error}", error=True)
            return
        if event.worker.group == "follow" and event.state == WorkerState.SUCCESS:
            self.say(f"run complete: {event.worker.result} steps")
            return
        if event.worker.group != "sensitivity":
            return
        status = self.query_one("#sens-status", Static)
        if event.state == WorkerState.SUCCESS:
            self.sensitivity_result = event.worker.result
            self._show_sensitivity(event.worker.result)
            self.say("sensitivity done")
        elif event.state == WorkerState.CANCELLED:
            status.update("cancelled")
            self.say("sensitivity computation cancelled")
        elif event.state == WorkerState.ERROR:
            err = event.worker.error
            if isinstance(err, backend.Cancelled):
                status.update("cancelled")
                self.say("sensitivity computation cancelled")
            else:
                status.update(escape(f"failed: {err}"))
                self.say(f"sensitivity failed: {err}", error=True)

    def _simulation_done(self, event: Worker.StateChanged) -> None:
        status = self.query_one("#run-status", Static)
        if event.state == WorkerState.SUCCESS:
            path = str(event.worker.result)
            self.query_one("#run-path", Input).value = path
            self._open_run()
        elif event.state == WorkerState.CANCELLED or (
                event.state == WorkerState.ERROR
                and isinstance(event.worker.error, backend.Cancelled)):
            status.update("simulation cancelled (no file under the final name)")
        elif event.state == WorkerState.ERROR:
            status.update(escape(f"simulation failed: {event.worker.error}"))
            self.say(f"simulation failed: {event.worker.error}", error=True)

    def _show_sensitivity(self, res: backend.SensitivityResult) -> None:
        h = self.campaign.hypothesis()
        self.mass_limits = backend.lightest_mass_limits(h)
        lt = self.query_one("#limits-table", DataTable)
        lt.clear()
        for lim in self.mass_limits:
            m = (f"< {lim.m_lightest_eV:.3g}" if lim.m_lightest_eV is not None
                 else f"excludes {h.ordering}")
            lt.add_row(f"{lim.record_id} {lim.quantity} [{lim.tag}]", f"{lim.bound_eV:g}",
                       "-" if lim.cl is None else f"{lim.cl:g}", m)
        table = self.query_one("#sens-table", DataTable)
        table.clear()
        for row in res.rows:
            table.add_row(row["test"], _fmt(row["delta_chi2"]), _fmt(row["exposure_factor"]),
                          row.get("source", ""))
        allowed = ("none" if res.allowed_mass is None
                   else f"{res.allowed_mass[0]:.4g} ... {res.allowed_mass[1]:.4g} eV")
        bounds = [lim.m_lightest_eV for lim in self.mass_limits if lim.m_lightest_eV is not None]
        if bounds and res.allowed_mass is not None:
            best = min(bounds)
            allowed += (f"; best existing bound m_lightest < {best:.3g} eV (grey lines): RENP "
                        + ("stronger" if res.allowed_mass[1] < best else "weaker"))
        self.query_one("#sens-status", Static).update(
            f"Asimov, Delta chi^2 = {res.delta_chi2:g} ({res.dof} dof), normalisation "
            f"{'profiled' if res.profile_norm else 'fixed'}; lightest masses not excluded: "
            f"{allowed}")
        widget = self.query_one("#mass-plot", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        if res.mass_grid is not None and res.mass_dchi2 is not None:
            top = 5.0 * res.delta_chi2
            d = np.minimum(res.mass_dchi2, top)  # clipped at 5x the threshold (stated below)
            plt.plot(res.mass_grid.tolist(), d.tolist(), marker="braille",
                     label="Delta chi^2 vs test lightest mass")
            plt.hline(res.delta_chi2, "red")
            for lim in self.mass_limits:
                if lim.m_lightest_eV is not None and lim.m_lightest_eV <= res.mass_grid.max():
                    plt.vline(lim.m_lightest_eV, "gray")
            plt.ylim(0.0, top)
            plt.title(f"lightest-mass reach, exact at {res.mass_grid.size} grid masses; "
                      f"clipped at {top:g}; red: threshold")
            plt.xlabel("m_lightest [eV]")
        widget.refresh()

    def action_cancel(self) -> None:
        """Cancel the running computation, if any."""
        w = self._sens_worker
        if w is not None and w.state in (WorkerState.PENDING, WorkerState.RUNNING):
            w.cancel()
            self.query_one("#sens-status", Static).update("cancelling ...")
            self.say("cancelling the sensitivity computation")
        w = getattr(self, "_sim_worker", None)
        if w is not None and w.state in (WorkerState.PENDING, WorkerState.RUNNING):
            w.cancel()
            self.say("cancelling the simulation")

    # -- runs ---------------------------------------------------------------------------------
    @on(Button.Pressed, "#run-simulate")
    def action_simulate(self) -> None:
        """Simulate the campaign.

        With a ``.h5`` name in the path box: a run file (renpsim.daq), written in a worker with
        a progress bar, then opened. Otherwise Poisson counts per step in memory (quick look).
        """
        fc = self.last_forecast
        if fc.omega_eV.size == 0:
            self.say("no scan steps to simulate", error=True)
            return
        target = self.query_one("#run-path", Input).value.strip()
        if target.endswith((".h5", ".hdf5")):
            self.query_one("#run-progress", ProgressBar).update(total=100, progress=0)
            self.query_one("#run-status", Static).update(f"simulating to {target} ...")
            self._sim_worker = self._simulate_file(target)
            return
        self.run_table = backend.simulate_counts(fc, self.campaign.seed)
        self._show_run()

    @work(thread=True, exclusive=True, group="simulate", exit_on_error=False)
    def _simulate_file(self, target: str):
        worker = get_current_worker()
        c = self.campaign
        bar = self.query_one("#run-progress", ProgressBar)
        return backend.simulate_run(
            c.target, c.hardware_sections(), c.hypothesis(), [s.omega_eV for s in c.steps],
            [s.dwell_s for s in c.steps], c.seed, target,
            progress=lambda f: self.call_from_thread(bar.update, progress=100.0 * f),
            cancelled=lambda: worker.is_cancelled)

    @on(Button.Pressed, "#run-open")
    def _open_run(self) -> None:
        path = self.query_one("#run-path", Input).value.strip()
        try:
            self.run_table = backend.read_step_table(path)
        except RenpsimError as exc:
            self.say(f"cannot open run: {exc}", error=True)
            return
        self._run_stamp = backend.file_stamp(path)
        self._show_run()

    @on(Checkbox.Changed, "#run-follow")
    def _follow_changed(self, event: Checkbox.Changed) -> None:
        path = self.query_one("#run-path", Input).value.strip()
        if path.endswith((".h5", ".hdf5")):
            if event.value:
                self.run_table = None
                self._follow_worker = self._follow_h5(path)
                self.say(f"following {path} (live, SWMR reader)")
            elif getattr(self, "_follow_worker", None) is not None:
                self._follow_worker.cancel()
                self.say("stopped following the run file")
            return
        timer = getattr(self, "_follow_timer", None)
        if event.value and timer is None:
            self._follow_timer = self.set_interval(1.0, self.poll_run)
            self.say("following the run file (re-read when it changes)")
        elif not event.value and timer is not None:
            timer.stop()
            self._follow_timer = None
            self.say("stopped following the run file")

    @work(thread=True, exclusive=True, group="follow", exit_on_error=False)
    def _follow_h5(self, path: str) -> int:
        worker = get_current_worker()
        return backend.follow_run_steps(
            path, lambda rows: self.call_from_thread(self._append_run, rows),
            cancelled=lambda: worker.is_cancelled)

    def _append_run(self, rows: backend.StepTable) -> None:
        t = self.run_table
        if t is None or t.source != rows.source:
            self.run_table = rows
        else:
            self.run_table = backend.StepTable(
                np.concatenate([t.omega_eV, rows.omega_eV]),
                np.concatenate([t.dwell_s, rows.dwell_s]),
                np.concatenate([t.counts, rows.counts]), t.source)
        self._show_run()

    def poll_run(self) -> None:
        """Re-read the opened step table if the file changed (live view of a growing run)."""
        if self.run_table is None or self.run_table.source.startswith("simulated"):
            return
        stamp = backend.file_stamp(self.run_table.source)
        if stamp is None or stamp == getattr(self, "_run_stamp", None):
            return
        try:
            table = backend.read_step_table(self.run_table.source)
        except RenpsimError:
            return  # a half-written line: try again at the next tick
        self._run_stamp = stamp
        self.run_table = table
        self._show_run()

    def _show_run(self) -> None:
        t = self.run_table
        c = self.campaign
        fc = backend.forecast(c.target, c.hardware_sections(), c.hypothesis(), t.omega_eV,
                              t.dwell_s)
        exp = np.nan_to_num(fc.signal, nan=0.0) + fc.background
        table = self.query_one("#run-table", DataTable)
        table.clear()
        for i in range(t.counts.size):
            pull = (t.counts[i] - exp[i]) / math.sqrt(exp[i]) if exp[i] > 0 else float("nan")
            table.add_row(str(i), f"{t.omega_eV[i]:.7f}", f"{t.dwell_s[i]:.6g}",
                          f"{t.counts[i]:.0f}", _fmt(float(exp[i])), _fmt(pull, 3))
        self.query_one("#run-status", Static).update(
            f"{t.source}: {t.counts.sum():.0f} counts, expected {exp.sum():.4g}")
        self.run_forecast = fc
        self.say(f"run loaded: {t.source}")

    @on(Button.Pressed, "#run-fit")
    def action_fit(self) -> None:
        """Fit the loaded run: the statistics engine for a run file, else the normalisation."""
        if self.run_table is None:
            self.say("no run loaded: simulate or open one first", error=True)
            return
        source = self.run_table.source
        if source.endswith((".h5", ".hdf5")) and Path(source).is_file():
            self.query_one("#run-status", Static).update(f"fitting {source} ...")
            self._fit_worker = self._fit_file(source)
            return
        try:
            fit = backend.fit_normalisation(self.run_table, self.run_forecast)
        except RenpsimError as exc:
            self.say(f"fit failed: {exc}", error=True)
            return
        self.last_fit = fit
        self.query_one("#run-status", Static).update(
            f"normalisation-only fit (no run file: in-memory or CSV counts; signal scale k, "
            f"background fixed): k = {fit.k:.4g} +- {fit.k_error:.2g}, "
            f"deviance {fit.deviance:.4g} for {fit.ndof} dof")
        self.say("fit done")

    @work(thread=True, exclusive=True, group="fit", exit_on_error=False)
    def _fit_file(self, path: str) -> dict:
        return backend.fit_run_file(path, self.campaign.hypothesis())

    def _fit_done(self, event: Worker.StateChanged) -> None:
        status = self.query_one("#run-status", Static)
        if event.state == WorkerState.SUCCESS:
            self.last_fit = event.worker.result
            status.update(escape(backend.describe_fit(event.worker.result)))
            self.say("fit done (renpsim.stats, as renpsim fit)")
        elif event.state == WorkerState.ERROR:
            status.update(escape(f"fit failed: {event.worker.error}"))
            self.say(f"fit failed: {event.worker.error}", error=True)

    # -- files --------------------------------------------------------------------------------
    def action_save(self) -> None:
        """Save to the campaign's file, asking for a name the first time."""
        if self.campaign.path is None:
            self.push_screen(PathScreen("Save campaign as:", "campaign.toml"), self.save_to)
        else:
            self.save_to(str(self.campaign.path))

    def action_save_as(self) -> None:
        """Save under a new name."""
        self.push_screen(PathScreen("Save campaign as:", str(self.campaign.path or "")),
                         self.save_to)

    def save_to(self, path: str | None) -> None:
        """Write the campaign to ``path`` (comments preserved)."""
        if not path:
            return
        try:
            p = self.campaign.save(path)
        except RenpsimError as exc:
            self.say(f"not saved: {exc}", error=True)
            return
        self.sub_title = self.campaign.name
        self.say(f"saved {p}")

    def action_open(self) -> None:
        """Ask for a campaign file and load it."""
        self.push_screen(PathScreen("Open campaign:", str(self.campaign.path or "")),
                         self.open_path)

    def open_path(self, path: str | None) -> None:
        """Load a campaign file; on error keep the current campaign and say why."""
        if not path:
            return
        try:
            campaign = Campaign.load(path)
        except RenpsimError as exc:
            self.say(f"cannot open: {exc}", error=True)
            return
        self.campaign = campaign
        self.sync_widgets()
        self._reset_generator_defaults()
        self.refresh_all()
        self.say(f"opened {path}" + "".join(f"; {n}" for n in campaign.notes))

    # -- navigation ---------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        """Switch to one of the five tabs."""
        self.query_one("#tabs", TabbedContent).active = tab

    def action_help(self) -> None:
        """Show the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen):
        """Command-palette entries (Ctrl+P)."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and workflows", self.action_help)
        yield SystemCommand("Save campaign", "Write the TOML file", self.action_save)
        yield SystemCommand("Save campaign as", "Write under a new name", self.action_save_as)
        yield SystemCommand("Open campaign", "Load a TOML file", self.action_open)
        for kind, text in (("uniform", "Uniform steps"), ("dense", "Threshold-dense steps"),
                           ("paper", "Paper (GP21) points")):
            yield SystemCommand(f"Generate: {text}", "Replace the scan steps",
                                lambda k=kind: self.generate(k))
        yield SystemCommand("Run sensitivity", "Asimov reach in the background",
                            self.action_sensitivity)
        yield SystemCommand("Cancel computation", "Stop the sensitivity worker",
                            self.action_cancel)
        yield SystemCommand("Simulate counts", "Poisson counts per step", self.action_simulate)
        yield SystemCommand("Fit", "Fit the loaded run (as renpsim fit for a run file)",
                            self.action_fit)
        for tab in TABS:
            yield SystemCommand(f"Go to {tab.title()}", f"Show the {tab} tab",
                                lambda t=tab: self.action_tab(t))
        for name in backend.hardware_presets():
            yield SystemCommand(f"Hardware preset: {name}", "Apply a hardware preset",
                                lambda n=name: self._apply_preset(n))
        for name in backend.detector_presets():
            yield SystemCommand(f"Detector preset: {name}", "Apply a detector preset",
                                lambda n=name: self.apply_detector(n))


def load_campaign_arg(path: str | None) -> Campaign:
    """Campaign for the command-line argument: a file, a preset name (a copy), or a new one.

    Raises
    ------
    RenpsimError
        The file or preset is not a valid campaign.

    """
    if path and Path(path).exists():
        return Campaign.load(path)
    preset = backend.campaign_preset_path(path) if path and not path.endswith(".toml") else None
    if preset is not None:
        campaign = Campaign.load(preset)
        campaign.path = None  # a copy: saving asks for a file name
        return campaign
    campaign = Campaign.new()
    campaign.path = Path(path) if path else None
    return campaign


def run(path: str | None = None) -> None:
    """Open the planner on a campaign file, a campaign preset name, or a new campaign.

    Raises
    ------
    RenpsimError
        The file is not a valid campaign (the CLI prints one line).

    """
    PlannerApp(load_campaign_arg(path), path).run()
