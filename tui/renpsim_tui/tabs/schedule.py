"""Schedule tab (F3): the scan steps, their generators, in-place edits and the dwell optimiser."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from renpsim.errors import Cancelled, InputError
from renpsim_tui import backend, services
from renpsim_tui.campaign import Step, validate_step
from renpsim_tui.fields import parse_number
from renpsim_tui.widgets.cells import row
from renpsim_tui.widgets.dialogs import OptimisePreview, StepScreen


def _number(text: str, unit: str, what: str) -> float:
    try:
        return parse_number(text, unit)
    except ValueError:
        raise InputError("schedule", what, text, f"a number{' in ' + unit if unit else ''}"
                         ) from None


class ScheduleTab(Vertical):
    """Generators, the step table and the optimiser."""

    BINDINGS: ClassVar = [
        Binding("delete", "remove_step", "Remove step"),
        Binding("e", "edit_step", "Edit step"),
        Binding("ctrl+t", "optimise", "Optimise dwell"),
    ]

    def compose(self) -> ComposeResult:
        """Lay out generator inputs, buttons, progress and the table."""
        with Grid(id="gen-grid"):
            yield Label("low omega [eV]", markup=False)
            yield Label("high omega [eV]", markup=False)
            yield Label("number of steps")
            yield Label("total time [s; or h, d]", markup=False)
            yield Input("", placeholder="low omega eV", id="gen-lo")
            yield Input("", placeholder="high omega eV", id="gen-hi")
            yield Input("50", placeholder="steps", id="gen-n")
            yield Input("2.3 d", placeholder="total time (s, h, d)", id="gen-total")
        with Horizontal(classes="bar"):
            yield Select([(o, o) for o in backend.scan_orders()], value="up", allow_blank=False,
                         id="gen-order")
            yield Button("Uniform", id="gen-uniform")
            yield Button("Threshold-dense", id="gen-dense")
            yield Button("Paper points", id="gen-paper")
        with Horizontal(classes="bar"):
            yield Input("", placeholder="omega eV", id="add-omega")
            yield Input("", placeholder="dwell (s, h, d)", id="add-dwell")
            yield Button("Add step", id="add-step")
            yield Button("Remove (Del)", id="remove-step")
            yield Button("Optimise dwell", id="optimise-dwell")
        yield ProgressBar(total=100, show_eta=False, id="opt-progress")
        yield Static(id="total-time")
        yield DataTable(id="steps-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Table columns and generator defaults."""
        self.query_one("#steps-table", DataTable).add_columns(
            "#", "omega eV", "omega - E_eg/2 meV", "dwell s", "dwell h")
        self._fill_generator()
        self._job: Worker | None = None

    def reset_generator(self) -> None:
        """Range inputs: 2.5 meV below E_eg/2 up to E_eg/2 of the campaign's target."""
        if self.is_mounted:   # else on_mount fills them
            self._fill_generator()

    def _fill_generator(self) -> None:
        # the generators count offsets below E_eg/2; an imprinted momentum may lower the end
        info = self.app.campaign.target
        hi = min(info.omega_max_eV, info.endpoint_eV)
        self.query_one("#gen-lo", Input).value = f"{hi - 2.5e-3:.7f}"
        self.query_one("#gen-hi", Input).value = f"{hi:.7f}"

    def refresh_view(self) -> None:
        """Step table and total time."""
        c = self.app.campaign
        half = c.target.omega_max_eV
        table = self.query_one("#steps-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for i, s in enumerate(c.steps):
            table.add_row(*row(i, f"{s.omega_eV:.7f}", f"{(s.omega_eV - half) * 1e3:+.4f}",
                               f"{s.dwell_s:.6g}", f"{s.dwell_s / 3600:.4g}"))
        if c.steps:
            table.move_cursor(row=min(max(cursor, 0), len(c.steps) - 1))
        total = c.total_time_s
        self.query_one("#total-time", Static).update(
            f"{len(c.steps)} steps, total time {total:.6g} s = {total / 86400:.4g} d "
            "(sum of the dwell times)")

    # -- generators ---------------------------------------------------------------------------
    @on(Button.Pressed, "#gen-uniform, #gen-dense, #gen-paper")
    def _generate(self, event: Button.Pressed) -> None:
        self.generate(event.button.id.removeprefix("gen-"))

    def generate(self, kind: str) -> None:
        """Replace the steps: ``kind`` is ``uniform``, ``dense`` or ``paper``.

        The steps come from the campaign library's generators (:mod:`renpsim.campaign.
        schedule`), written to the campaign as its ``[scan]`` generator.
        """
        c = self.app.campaign

        def steps() -> None:
            total = _number(self.query_one("#gen-total", Input).value, "s", "total time")
            order = str(self.query_one("#gen-order", Select).value)
            if kind == "paper":
                c.generate_steps("gp21", total, order)
                return
            lo = _number(self.query_one("#gen-lo", Input).value, "eV", "low omega")
            hi = _number(self.query_one("#gen-hi", Input).value, "eV", "high omega")
            n = _number(self.query_one("#gen-n", Input).value, "", "steps")
            if n != int(n) or n < 1:
                raise InputError("schedule", "steps", n, "a whole number >= 1")
            c.generate_steps("uniform" if kind == "uniform" else "thresholds", total, order,
                             (lo, hi), int(n))

        self.app.edit(f"generated steps ({kind})", steps)

    @on(Button.Pressed, "#add-step")
    def _add_step(self) -> None:
        c = self.app.campaign

        def add() -> None:
            w = _number(self.query_one("#add-omega", Input).value, "eV", "omega")
            t = _number(self.query_one("#add-dwell", Input).value, "s", "dwell")
            step = validate_step(w, t, "campaign", len(c.steps))
            c.set_steps([*c.steps, step])

        self.app.edit("added a step", add)

    @on(Button.Pressed, "#remove-step")
    def action_remove_step(self) -> None:
        """Remove the step under the cursor."""
        c = self.app.campaign
        if not c.steps:
            self.app.say("no step to remove", error=True)
            return
        i = min(max(self.query_one("#steps-table", DataTable).cursor_row, 0), len(c.steps) - 1)
        self.app.edit(f"removed step {i}",
                      lambda: c.set_steps([s for k, s in enumerate(c.steps) if k != i]))

    @on(DataTable.RowSelected, "#steps-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_step()

    def action_edit_step(self) -> None:
        """Edit the selected step in place (omega and dwell, checked on apply)."""
        c = self.app.campaign
        if not c.steps:
            self.app.say("no step to edit", error=True)
            return
        i = min(max(self.query_one("#steps-table", DataTable).cursor_row, 0), len(c.steps) - 1)
        s = c.steps[i]

        def done(result: tuple[str, str] | None) -> None:
            if result is None:
                return

            def apply() -> None:
                w = _number(result[0], "eV", f"scan.omega_eV[{i}]")
                t = _number(result[1], "s", f"scan.dwell_s[{i}]")
                new = validate_step(w, t, "campaign", i)
                c.set_steps([new if k == i else x for k, x in enumerate(c.steps)])

            self.app.edit(f"edited step {i}", apply)

        self.app.push_screen(StepScreen(i, f"{s.omega_eV:.9g}", f"{s.dwell_s:.9g}"), done)

    # -- optimiser (worker) -------------------------------------------------------------------
    @on(Button.Pressed, "#optimise-dwell")
    def action_optimise(self) -> None:
        """Optimise the dwell times for the mass ordering in a worker, then preview."""
        c = self.app.campaign
        if len(c.steps) < 2:
            self.app.say("the optimiser needs at least two steps", error=True)
            return
        if self._job is not None and self._job.state == WorkerState.RUNNING:
            self.app.say("the optimiser is already running (Escape cancels)", error=True)
            return
        bar = self.query_one("#opt-progress", ProgressBar)
        bar.update(total=100, progress=0)
        progress = self.app.progress_to(bar)
        args = (c.target, c.hardware_sections(), c.hypothesis(),
                [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps])
        self._generation = self.app.generation

        def job() -> dict:
            worker = get_current_worker()
            return services.optimise_dwell(*args, "ordering", progress=progress,
                                           cancelled=lambda: worker.is_cancelled)

        self.app.say("optimising the dwell times for the mass ordering ... (Escape cancels)")
        self._job = self.run_worker(job, group="optimise", thread=True,
                                       exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Preview the optimiser's result, or say why there is none."""
        if event.worker.group != "optimise":
            return
        event.stop()
        if event.state in (WorkerState.CANCELLED,) or (
                event.state == WorkerState.ERROR
                and isinstance(event.worker.error, Cancelled | backend.Cancelled)):
            self.query_one("#opt-progress", ProgressBar).update(progress=0)
            self.app.say("dwell optimisation cancelled; the schedule is unchanged")
        elif event.state == WorkerState.ERROR:
            self.app.say(f"optimiser failed: {event.worker.error}", error=True)
        elif event.state == WorkerState.SUCCESS:
            if self._generation != self.app.generation:
                self.app.say("optimiser result discarded: the campaign changed while it ran",
                             error=True)
                return
            self.preview(event.worker.result)

    def preview(self, res: dict) -> None:
        """Show before/after and apply only on request."""
        c = self.app.campaign
        total = float(sum(res["dwell_s"]))
        after = [t if t > 1e-9 * total else 0.0 for t in res["dwell_s"]]
        kept = sum(1 for t in after if t > 0)
        summary = (f"Dwell optimised for the mass ordering at the same total time "
                   f"({total:.6g} s): Asimov Delta chi^2 {res['before']:.4g} -> "
                   f"{res['after']:.4g} (normalisation free and profiled, lightest mass "
                   f"profiled; renpsim.stats.planning). {len(c.steps)} steps -> {kept} "
                   "(steps left without time are removed).")
        self.app.last_optimisation = res
        steps = [Step(s.omega_eV, t) for s, t in zip(c.steps, after, strict=True)]

        def done(apply: bool | None) -> None:
            if not apply:
                self.app.say("optimiser result discarded; the schedule is unchanged")
                return
            kept_steps = [s for s in steps if s.dwell_s > 0]
            self.app.edit(f"applied the optimised dwell times ({kept} steps)",
                          lambda: c.set_steps(kept_steps))

        self.app.push_screen(OptimisePreview(summary, [s.omega_eV for s in c.steps],
                                             [s.dwell_s for s in c.steps], after), done)

    def cancel_jobs(self) -> bool:
        """Cancel the optimiser if it runs; True if something was cancelled."""
        w = self._job
        if w is not None and w.state in (WorkerState.PENDING, WorkerState.RUNNING):
            w.cancel()
            return True
        return False


