"""Hardware tab (F2): campaign identity, hardware preset, target, detector preset and every knob.

The knob rows are generated from the hardware schema (:data:`~renpsim_tui.fields.
HARDWARE_FIELDS`); the right-hand side shows the target and the derived quantities of
``renpsim.hardware`` and the DAQ rate model.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Select, Static

from renpsim.errors import RenpsimError
from renpsim_tui import backend
from renpsim_tui.fields import CAMPAIGN_FIELDS, HARDWARE_FIELDS
from renpsim_tui.widgets.cells import cell, fmt, row
from renpsim_tui.widgets.field_row import FieldRow


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
            section = None
            for spec in HARDWARE_FIELDS:
                sec = spec.key.split(".")[0]
                if sec != section:
                    section = sec
                    yield Label(f"[{sec}]", classes="section", markup=False)
                yield FieldRow(spec, c.text(spec.key))
        with Vertical(id="hw-right"):
            yield Static(id="target-info")
            yield DataTable(id="derived", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Table columns."""
        self.query_one("#derived", DataTable).add_columns("quantity", "value", "unit", "note")

    def refresh_view(self) -> None:
        """Target summary and derived quantities; a refused input is shown, not raised."""
        c = self.app.campaign
        info = c.target
        g0 = (fmt(info.gamma0_per_s) + " s-1" if info.gamma0_per_s
              else f"unknown: {info.gamma0_note}")
        head = (f"{info.name}  E_eg = {info.E_eg_eV:.9g} eV (+- {info.E_eg_sigma_eV:.1g})\n"
                f"E_eg/2 = {info.omega_max_eV:.9g} eV   Gamma_0,ref = {g0}")
        table = self.query_one("#derived", DataTable)
        table.clear()
        try:
            rows = backend.derived_quantities(info, c.hardware_sections(), c.hypothesis())
        except RenpsimError as exc:
            self.query_one("#target-info", Static).update(cell(f"{head}\n{exc}"))
            return
        self.query_one("#target-info", Static).update(cell(head))
        for d in rows:
            table.add_row(*row(d.label, fmt(d.value), d.unit, d.note))

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
