"""Hardware tab (F2): campaign identity, hardware preset, target, detector preset and every knob.

The knob rows are generated from the hardware schema (:data:`~renpsim_tui.fields.
HARDWARE_FIELDS`); the right-hand side shows the target and the derived quantities of
``renpsim.hardware`` at once, then (in a worker: Escape cancels, results of older inputs are
discarded) the rates of the DAQ rate model and, with ``coherence.eta_model = "maxwell-bloch"``,
the computed eta(t) with the exposure per shot and the PSR yield ([hardware §5.1]).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Select, Static
from textual.worker import Worker, WorkerState

from renpsim.errors import RenpsimError
from renpsim_tui import backend
from renpsim_tui.fields import CAMPAIGN_FIELDS, HARDWARE_FIELDS
from renpsim_tui.widgets.cells import cell, fmt, row
from renpsim_tui.widgets.field_row import FieldRow
from renpsim_tui.widgets.plot import Plot

#: Knob sections composed before the first frame; the others are mounted right after it.
_FIRST_SECTIONS = ("target",)


class HardwareTab(Horizontal):
    """Hardware knobs (left) and derived quantities (right)."""

    def compose(self) -> ComposeResult:
        """Campaign fields, pickers, one row per knob; target summary and derived table."""
        c = self.app.campaign
        with VerticalScroll(id="hw-left"):
            yield Label("Campaign", classes="section")
            for spec in CAMPAIGN_FIELDS:
                yield FieldRow(spec, c.text(spec.key))
            yield Label("Hardware", classes="section")
            with Horizontal(classes="field-row"):
                yield Label("hardware preset", classes="field-label")
                yield Select([(n, n) for n in backend.hardware_presets()],
                             value=c.hardware_name if c.hardware_name in
                             backend.hardware_presets() else Select.BLANK,
                             allow_blank=True, id="hw-preset", classes="field-input")
            with Horizontal(classes="field-row"):
                yield Label("target", classes="field-label")
                yield Select([(n, n) for n in backend.list_target_names()],
                             value=c.target_name, allow_blank=False, id="target",
                             classes="field-input")
            with Horizontal(classes="field-row"):
                yield Label("detector preset", classes="field-label")
                yield Select([(n, n) for n in backend.detector_presets()],
                             prompt="(apply...)", id="det-preset", classes="field-input")
            yield from self._knob_rows(_FIRST_SECTIONS)
        with Vertical(id="hw-right"):
            yield Static(id="target-info")
            yield DataTable(id="derived", cursor_type="row", zebra_stripes=True)
            yield Static(id="hw-status")
            yield Plot(self._draw_eta, id="eta-plot")

    def _knob_rows(self, sections: tuple[str, ...]) -> ComposeResult:
        """Yield a heading and one row per knob for each of ``sections`` (values in use)."""
        c = self.app.campaign
        section = None
        for spec in HARDWARE_FIELDS:
            sec = spec.key.split(".")[0]
            if sec not in sections:
                continue
            if sec != section:
                section = sec
                yield Label(f"[{sec}]", classes="section", markup=False)
            yield FieldRow(spec, c.text(spec.key))

    async def mount_deferred(self) -> None:
        """Mount the knob sections left out of the first frame (fast start-up)."""
        rest = tuple(dict.fromkeys(s.key.split(".")[0] for s in HARDWARE_FIELDS
                                   if s.key.split(".")[0] not in _FIRST_SECTIONS))
        if rest and not self.query(f"#{HARDWARE_FIELDS[-1].widget_id}"):
            await self.query_one("#hw-left", VerticalScroll).mount_all(self._knob_rows(rest))

    def on_mount(self) -> None:
        """Table columns; no eta(t) until the Maxwell-Bloch model is chosen."""
        self.query_one("#derived", DataTable).add_columns("quantity", "value", "unit", "note")
        self.query_one("#eta-plot", Plot).display = False
        self.coherence = None          # renpsim.experiment.CoherenceResponse of these inputs
        self.response: backend.HardwareResponse | None = None
        self._job: Worker | None = None
        self._generation = -1
        self._request = 0   # bumped by every refresh: only the latest one starts its job

    def refresh_view(self) -> None:
        """Target summary and derived quantities; the slow part goes to a worker.

        A refused input is shown, not raised.
        """
        c = self.app.campaign
        info = c.target
        g0 = (fmt(info.gamma0_per_s) + " s-1" if info.gamma0_per_s
              else f"unknown: {info.gamma0_note}")
        head = (f"{info.name}  E_eg = {info.E_eg_eV:.9g} eV (+- {info.E_eg_sigma_eV:.1g})\n"
                f"E_eg/2 = {info.omega_max_eV:.9g} eV   Gamma_0,ref = {g0}")
        table = self.query_one("#derived", DataTable)
        table.clear()
        if self._job is not None:   # a result of the previous view is never shown in this one
            self._job.cancel()
            self._job = None
        self._request += 1
        request = self._request
        self.coherence = self.response = None
        self._show_eta()
        hw, h = c.hardware_sections(), c.hypothesis()
        try:
            rows = backend.derived_quantities(info, hw, h)
        except RenpsimError as exc:
            self.query_one("#target-info", Static).update(cell(f"{head}\n{exc}"))
            self.query_one("#hw-status", Static).update("")
            return
        self.query_one("#target-info", Static).update(cell(head))
        for d in rows:
            table.add_row(*row(d.label, fmt(d.value), d.unit, d.note))
        what = ("eta(t) (Maxwell-Bloch solver) and the rates" if backend.is_maxwell_bloch(hw)
                else "the rates of the DAQ model")
        self.query_one("#hw-status", Static).update(
            cell(f"computing {what} ... (Escape cancels)"))
        self._generation = generation = self.app.generation

        def start() -> None:
            if generation == self.app.generation and request == self._request:
                self._job = self.run_worker(lambda: backend.hardware_response(info, hw, h),
                                            group="hardware", thread=True, exclusive=True,
                                            exit_on_error=False)

        if self.app.built.is_set():
            start()
        else:   # at start-up: after the first frame is painted (the worker holds the GIL a lot)
            self.call_after_refresh(start)

    def cancel_jobs(self) -> bool:
        """Cancel the running computation (its result is discarded); True if one ran."""
        if self._job is not None and self._job.state in (WorkerState.PENDING,
                                                          WorkerState.RUNNING):
            self._job.cancel()
            self.query_one("#hw-status", Static).update("cancelling ...")
            return True
        return False

    def inputs_changed(self) -> None:
        """Results of other inputs are out of date: cleared until recomputed."""
        if self.response is None and self.coherence is None:
            return
        self.coherence = self.response = None
        self._show_eta()
        self.query_one("#hw-status", Static).update(
            "inputs changed: eta(t) and the rates are recomputed when this tab is shown")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Append the rates, show eta(t); say why when cancelled or refused."""
        if event.worker.group != "hardware":
            return
        event.stop()
        if event.worker is not self._job:
            return   # replaced by a newer job (exclusive): its own events tell the story
        status = self.query_one("#hw-status", Static)
        if event.state == WorkerState.CANCELLED:
            status.update("cancelled: eta(t) and the rates not computed (F2 again or an edit "
                          "recomputes)")
            self.app.mark_stale("hardware")
        elif event.state == WorkerState.ERROR:
            status.update(cell(f"refused: {self.app.short(event.worker.error)}"))
        elif event.state == WorkerState.SUCCESS:
            if self._generation != self.app.generation:
                status.update("result discarded: the inputs changed while it ran")
                return
            res: backend.HardwareResponse = event.worker.result
            self.response, self.coherence = res, res.coherence
            table = self.query_one("#derived", DataTable)
            for d in res.rows:
                table.add_row(*row(d.label, fmt(d.value), d.unit, d.note))
            coh = res.coherence
            status.update("" if coh is None else cell(
                f"eta(t), Maxwell-Bloch ({coh.n_cells} cells, {coh.n_steps} steps): peak "
                f"{fmt(coh.eta_peak)}, exposure per shot {fmt(coh.exposure_per_shot_s)} s, "
                f"PSR yield {fmt(coh.psr_photons_per_shot)} photons per shot"))
            self._show_eta()

    def _show_eta(self) -> None:
        plot = self.query_one("#eta-plot", Plot)
        plot.display = self.coherence is not None
        plot.redraw()

    def _draw_eta(self, plot: Plot) -> None:
        coh = self.coherence
        if coh is None:
            return
        t_ns = coh.t_s * 1e9
        k = max(1, t_ns.size // max(plot.sample_points(), 1))
        plot.line(t_ns[::k], coh.eta_t[::k], "blue", "eta(t), Maxwell-Bloch")
        lo, hi = (g * 1e9 for g in coh.gate_s)
        plot.vline(max(lo, float(t_ns[0])), "gray", "gate start")
        plot.vline(min(hi, float(t_ns[-1])), "gray", "gate end")
        plot.title("eta(t) (gray lines: detector gate)")
        plot.xlabel("t [ns]")
        plot.ylabel("eta(t)")

    @on(Select.Changed, "#hw-preset")
    def _preset(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.BLANK or event.value == self.app.campaign.hardware_name:
            return
        self.app.request_preset(str(event.value))

    @on(Select.Changed, "#target")
    def _target(self, event: Select.Changed) -> None:
        event.stop()
        name = str(event.value)
        if event.value is Select.BLANK or name == self.app.campaign.target_name:
            return
        if not self.app.edit(f"target = {name}", lambda: self.app.campaign.set_target(name)):
            self.sync()

    @on(Select.Changed, "#det-preset")
    def _detector(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.BLANK:
            self.app.apply_detector(str(event.value))

    def sync(self) -> None:
        """Put the pickers back to the campaign's values."""
        c = self.app.campaign
        with self.prevent(Select.Changed):
            self.query_one("#target", Select).value = c.target_name
            self.query_one("#hw-preset", Select).value = (
                c.hardware_name if c.hardware_name in backend.hardware_presets()
                else Select.BLANK)
