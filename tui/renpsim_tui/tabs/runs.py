"""Runs tab (F6): simulate, open and follow a run (file or CSV step table), compare, fit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, DataTable, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from renpsim.errors import Cancelled, RenpsimError
from renpsim_tui import backend
from renpsim_tui.widgets.cells import cell, fmt, row

RUN_COLUMNS = ("#", "omega eV", "dwell s", "counts", "expected", "pull")


class RunsTab(Vertical):
    """Run controls, progress, status and the counts-versus-expectation table."""

    def compose(self) -> ComposeResult:
        """Buttons, path, progress, status and table."""
        with Horizontal(classes="bar"):
            yield Button("Simulate", id="run-simulate")
            yield Input("", placeholder="run file .h5 or CSV step table", id="run-path")
            yield Button("Open", id="run-open")
            yield Checkbox("follow", id="run-follow")
            yield Button("Fit", id="run-fit")
        yield ProgressBar(total=100, show_eta=False, id="run-progress")
        yield Static(id="run-status")
        yield DataTable(id="run-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Columns and state."""
        self.query_one("#run-table", DataTable).add_columns(*RUN_COLUMNS)
        self.run_table: backend.StepTable | None = None
        self.run_forecast: backend.StepForecast | None = None
        self.last_fit = None
        self._jobs: dict[str, Worker] = {}
        self._follow_timer = None
        self._stamp = None

    def refresh_view(self) -> None:
        """Re-compare the loaded run with the (new) expectation."""
        if self.run_table is not None:
            self.show_run()

    def inputs_changed(self) -> None:
        """Clear a fit of the previous campaign (it no longer applies)."""
        if self.last_fit is not None:
            self.last_fit = None
            self.query_one("#run-status", Static).update(
                "inputs changed: the previous fit was cleared")

    def rows(self) -> list[list[object]]:
        """Return the table's rows as numbers (for export)."""
        t, fc = self.run_table, self.run_forecast
        if t is None or fc is None:
            return []
        exp = np.nan_to_num(fc.signal, nan=0.0) + fc.background
        out = []
        for i in range(t.counts.size):
            pull = (t.counts[i] - exp[i]) / math.sqrt(exp[i]) if exp[i] > 0 else None
            out.append([i, float(t.omega_eV[i]), float(t.dwell_s[i]), float(t.counts[i]),
                        float(exp[i]), pull])
        return out

    def figure(self):
        """Return counts and expectation per step as a plot figure (for the PNG/SVG export)."""
        from renpsim_tui.widgets.plot import Figure, Series

        rows = self.rows()
        fig = Figure(title=f"run {self.run_table.source}" if rows else "",
                     xlabel="omega [eV]", ylabel="counts per step")
        if rows:
            x = [r[1] for r in rows]
            fig.series.append(Series("points", x, [r[3] for r in rows], "black", "counts"))
            fig.series.append(Series("points", x, [r[4] for r in rows], "red",
                                     "expected (current campaign)"))
        return fig

    # -- simulate -----------------------------------------------------------------------------
    @on(Button.Pressed, "#run-simulate")
    def simulate(self) -> None:
        """Simulate a run file (.h5 name in the path box, in a worker) or counts in memory."""
        c = self.app.campaign
        if not c.steps:
            self.app.say("no scan steps to simulate", error=True)
            return
        target = self.query_one("#run-path", Input).value.strip()
        if target.endswith((".h5", ".hdf5")):
            if Path(target).exists():
                self.app.say(f"{target} exists: choose a new file name (runs are never "
                             "overwritten)", error=True)
                return
            bar = self.query_one("#run-progress", ProgressBar)
            bar.update(total=100, progress=0)
            progress = self.app.progress_to(bar)
            args = (c.target, c.hardware_sections(), c.hypothesis(),
                    [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps], c.seed, target)

            def job():
                worker = get_current_worker()
                return backend.simulate_run(*args, progress=progress,
                                            cancelled=lambda: worker.is_cancelled)

            self.query_one("#run-status", Static).update(
                cell(f"simulating to {target} ... (Escape cancels)"))
            self._jobs["simulate"] = self.run_worker(job, group="simulate", thread=True,
                                                        exit_on_error=False)
            return
        try:
            fc = self.app.forecast()
        except RenpsimError as exc:
            self.app.say(f"cannot simulate: {exc}", error=True)
            return
        self.run_table = backend.simulate_counts(fc, c.seed)
        self.show_run()

    # -- open / follow ------------------------------------------------------------------------
    @on(Button.Pressed, "#run-open")
    def open_run(self) -> None:
        """Read the run file or CSV table named in the path box."""
        path = self.query_one("#run-path", Input).value.strip()
        try:
            self.run_table = backend.read_step_table(path)
        except RenpsimError as exc:
            self.app.say(f"cannot open run: {exc}", error=True)
            return
        self._stamp = backend.file_stamp(path)
        self.show_run()

    @on(Checkbox.Changed, "#run-follow")
    def _follow_changed(self, event: Checkbox.Changed) -> None:
        self.follow(event.value)

    def follow(self, on_: bool) -> None:
        """Follow the run in the path box (live SWMR reader, or re-read a CSV table)."""
        path = self.query_one("#run-path", Input).value.strip()
        if path.endswith((".h5", ".hdf5")):
            if on_:
                self.run_table = None

                def job():
                    worker = get_current_worker()
                    return backend.follow_run_steps(
                        path, lambda rows: self.app.call_from_thread(self._append, rows),
                        cancelled=lambda: worker.is_cancelled)

                self._jobs["follow"] = self.run_worker(job, group="follow", thread=True,
                                                          exit_on_error=False)
                self.app.say(f"following {path} (live)")
            elif "follow" in self._jobs:
                self._jobs["follow"].cancel()
                self.app.say("stopped following the run file")
            return
        if on_ and self._follow_timer is None:
            self._follow_timer = self.set_interval(1.0, self.poll)
            self.app.say("following the run table (re-read when it changes)")
        elif not on_ and self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
            self.app.say("stopped following the run table")

    def _append(self, rows: backend.StepTable) -> None:
        t = self.run_table
        if t is None or t.source != rows.source:
            self.run_table = rows
        else:
            self.run_table = backend.StepTable(
                np.concatenate([t.omega_eV, rows.omega_eV]),
                np.concatenate([t.dwell_s, rows.dwell_s]),
                np.concatenate([t.counts, rows.counts]), t.source)
        self.show_run()

    def poll(self) -> None:
        """Re-read the opened table if the file changed."""
        if self.run_table is None or self.run_table.source.startswith("simulated"):
            return
        stamp = backend.file_stamp(self.run_table.source)
        if stamp is None or stamp == self._stamp:
            return
        try:
            table = backend.read_step_table(self.run_table.source)
        except RenpsimError:
            return  # a half-written line: try again at the next tick
        self._stamp = stamp
        self.run_table = table
        self.show_run()

    def show_run(self) -> None:
        """Show the counts against the current campaign's expectation, step by step."""
        t = self.run_table
        c = self.app.campaign
        table = self.query_one("#run-table", DataTable)
        table.clear()
        try:
            fc = backend.forecast(c.target, c.hardware_sections(), c.hypothesis(), t.omega_eV,
                                  t.dwell_s)
        except RenpsimError as exc:
            self.query_one("#run-status", Static).update(cell(f"no expectation: {exc}"))
            return
        self.run_forecast = fc
        for r in self.rows():
            table.add_row(*row(r[0], f"{r[1]:.7f}", f"{r[2]:.6g}", f"{r[3]:.0f}", fmt(r[4]),
                               fmt(r[5], 3)))
        exp = np.nan_to_num(fc.signal, nan=0.0) + fc.background
        self.query_one("#run-status", Static).update(cell(
            f"{t.source}: {t.counts.sum():.0f} counts, expected {exp.sum():.4g} "
            "(pull = (n - mu)/sqrt(mu))"))
        self.app.say(f"run loaded: {t.source}")

    # -- fit ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#run-fit")
    def fit(self) -> None:
        """Fit the loaded run: as ``renpsim fit`` for a run file, else the signal scale."""
        if self.run_table is None:
            self.app.say("no run loaded: simulate or open one first", error=True)
            return
        source = self.run_table.source
        if source.endswith((".h5", ".hdf5")) and Path(source).is_file():
            h = self.app.campaign.hypothesis()
            self.query_one("#run-status", Static).update(cell(f"fitting {source} ..."))
            self._generation = self.app.generation
            self._jobs["fit"] = self.run_worker(lambda: backend.fit_run_file(source, h),
                                                   group="fit", thread=True,
                                                   exit_on_error=False)
            return
        try:
            fit = backend.fit_normalisation(self.run_table, self.run_forecast)
        except RenpsimError as exc:
            self.app.say(f"fit failed: {exc}", error=True)
            return
        self.last_fit = fit
        self.query_one("#run-status", Static).update(cell(
            f"signal-scale fit (no run file: in-memory or CSV counts; background fixed, "
            f"Poisson likelihood): k = {fit.k:.4g} +- {fit.k_error:.2g} (curvature), "
            f"deviance {fit.deviance:.4g} for {fit.ndof} dof"))
        self.app.say("fit done")

    def cancel_jobs(self) -> bool:
        """Cancel simulation and fit workers (following continues until unticked)."""
        hit = False
        for group in ("simulate", "fit"):
            w = self._jobs.get(group)
            if w is not None and w.state in (WorkerState.PENDING, WorkerState.RUNNING):
                w.cancel()
                hit = True
        return hit

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Outcome of the simulation, fit and follow workers."""
        group = event.worker.group
        if group not in ("simulate", "fit", "follow"):
            return
        event.stop()
        status = self.query_one("#run-status", Static)
        err = event.worker.error
        cancelled = event.state == WorkerState.CANCELLED or (
            event.state == WorkerState.ERROR and isinstance(err, Cancelled | backend.Cancelled))
        if group == "simulate":
            if cancelled:
                status.update("simulation cancelled (no file under the final name)")
                self.query_one("#run-progress", ProgressBar).update(progress=0)
            elif event.state == WorkerState.ERROR:
                status.update(cell(f"simulation failed: {self.app.short(err)}"))
                self.app.say(f"simulation failed: {self.app.short(err)}", error=True)
            elif event.state == WorkerState.SUCCESS:
                self.query_one("#run-path", Input).value = str(event.worker.result)
                self.open_run()
        elif group == "fit":
            if cancelled:
                status.update("fit cancelled")
            elif event.state == WorkerState.ERROR:
                status.update(cell(f"fit failed: {self.app.short(err)}"))
                self.app.say(f"fit failed: {self.app.short(err)}", error=True)
            elif event.state == WorkerState.SUCCESS:
                self.last_fit = event.worker.result
                status.update(cell(backend.describe_fit(event.worker.result)))
                self.app.say("fit done (renpsim.stats, as renpsim fit)")
        elif event.state == WorkerState.ERROR and not cancelled:
            self.app.say(f"cannot follow the run: {self.app.short(err)}", error=True)
        elif event.state == WorkerState.SUCCESS:
            self.app.say(f"run complete: {event.worker.result} steps")
