"""Sensitivity tab (F5): Asimov reach of the campaign and the BSM reach, in workers.

Every number states its assumptions: the threshold with its CL and dof, the normalisation
treatment and what the exposure factor is for. Results are cleared when the inputs change.
"""

from __future__ import annotations

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, DataTable, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from renpsim.errors import Cancelled
from renpsim_tui import backend
from renpsim_tui.fields import SESSION_FIELDS
from renpsim_tui.widgets.cells import cell, fmt, row
from renpsim_tui.widgets.field_row import FieldRow
from renpsim_tui.widgets.plot import Plot

#: Test lightest masses of the scan, eV.
MASS_GRID = np.linspace(0.0, 0.1, 51)


def cl_text(threshold: float, dof: int) -> str:
    """``Delta chi^2 = 3.84 (95% CL, 1 dof)``."""
    from renpsim.experiment import confidence_level

    return f"Delta chi^2 = {threshold:g} ({100 * confidence_level(threshold, dof):.3g}% CL, " \
           f"{dof} dof)"


class SensitivityTab(Vertical):
    """Threshold, normalisation, run buttons, results table, mass scan plot and limits."""

    def compose(self) -> ComposeResult:
        """Lay out controls, progress, status lines, tables and plot."""
        c = self.app.campaign
        with Horizontal(id="sens-fields"):
            for spec in SESSION_FIELDS[4:]:
                yield FieldRow(spec, c.text(spec.key))
        with Horizontal(classes="bar"):
            yield Checkbox("profile a free normalisation", id="profile-norm")
            yield Button("Run (Ctrl+R)", id="sens-run", variant="primary")
            yield Button("Cancel (Esc)", id="sens-cancel")
            yield Button("BSM reach", id="bsm-run")
        yield ProgressBar(total=100, show_eta=False, id="sens-progress")
        yield Static(id="sens-status")
        yield Static(id="bsm-status")
        yield DataTable(id="sens-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="sens-bottom"):
            with Vertical(id="mass-box"):
                yield Plot(self._draw, id="mass-plot")
                yield Static(id="mass-legend")
            yield DataTable(id="limits-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Columns and empty state."""
        self.query_one("#sens-table", DataTable).add_columns(
            "against", "Delta chi^2", "exposure x for threshold", "normalisation",
            "computed by")
        self.query_one("#limits-table", DataTable).add_columns(
            "limit", "bound eV", "CL", "m_lightest eV")
        self.result: backend.SensitivityResult | None = None
        self.pinned_result: backend.SensitivityResult | None = None
        self.bsm_result: dict | None = None
        self.mass_limits: list[backend.MassLimit] = []
        self._jobs: dict[str, Worker] = {}
        self._generation = -1
        self.query_one("#sens-status", Static).update("no result yet: Ctrl+R computes")

    def refresh_view(self) -> None:
        """Nothing derived without a run (results are computed on request)."""

    def inputs_changed(self) -> None:
        """Clear results computed from other inputs (they would be stale)."""
        if self.result is None and self.bsm_result is None:
            return
        self.result = self.pinned_result = self.bsm_result = None
        self.query_one("#sens-table", DataTable).clear()
        self.query_one("#sens-status", Static).update(
            "inputs changed: the previous results were cleared (Ctrl+R recomputes)")
        self.query_one("#bsm-status", Static).update("")
        self.query_one("#mass-plot", Plot).redraw()

    # -- runs ---------------------------------------------------------------------------------
    def _job_running(self, group: str) -> bool:
        w = self._jobs.get(group)
        return w is not None and w.state in (WorkerState.PENDING, WorkerState.RUNNING)

    @on(Button.Pressed, "#sens-run")
    def run_sensitivity(self) -> None:
        """Start the Asimov reach (and the pinned campaign's, in A/B mode) in a worker."""
        if self._job_running("sensitivity"):
            self.app.say("a sensitivity computation is already running (Escape cancels)",
                         error=True)
            return
        c = self.app.campaign
        bar = self.query_one("#sens-progress", ProgressBar)
        bar.update(total=100, progress=0)
        progress = self.app.progress_to(bar)
        fn = self.app.sensitivity_fn
        profile = self.query_one("#profile-norm", Checkbox).value
        thr, dof = float(c.get("statistics.delta_chi2")), int(c.get("statistics.dof"))
        todo = [c] + ([self.app.pinned] if self.app.pinned is not None else [])
        jobs = [(x.target, x.hardware_sections(), x.hypothesis(), c.hypothesis("alternative"),
                 [s.omega_eV for s in x.steps], [s.dwell_s for s in x.steps]) for x in todo]

        def job():
            worker = get_current_worker()
            out = []
            for k, args in enumerate(jobs):
                def part(f: float, k=k) -> None:
                    progress((k + f) / len(jobs))

                out.append(fn(*args, threshold=thr, dof=dof, profile_norm=profile,
                              mass_grid=MASS_GRID, progress=part,
                              cancelled=lambda: worker.is_cancelled))
            return out

        self._generation = self.app.generation
        self.query_one("#sens-status", Static).update("running ... (Escape cancels)")
        self._jobs["sensitivity"] = self.run_worker(job, group="sensitivity", thread=True,
                                                       exit_on_error=False)

    @on(Button.Pressed, "#sens-cancel")
    def _cancel(self) -> None:
        self.app.action_cancel()

    @on(Button.Pressed, "#bsm-run")
    def run_bsm(self) -> None:
        """Light-mediator and dipole reach compared with the existing limits, in a worker."""
        if self._job_running("bsm"):
            self.app.say("the BSM reach is already running (Escape cancels)", error=True)
            return
        c = self.app.campaign
        half = c.target.omega_max_eV
        # The BSM spectra are defined below E_eg/2 only; a step at the endpoint carries no
        # signal (I = 0 there) and is left out rather than refused.
        steps = [s for s in c.steps if s.omega_eV < half]
        if not steps:
            self.app.say("BSM reach: no scan step below E_eg/2", error=True)
            return
        args = (c.target, c.hardware_sections(), c.hypothesis(), [s.omega_eV for s in steps],
                [s.dwell_s for s in steps], float(c.get("statistics.delta_chi2")),
                int(c.get("statistics.dof")))
        self._generation = self.app.generation
        left_out = len(c.steps) - len(steps)
        self._bsm_note = (f" ({left_out} step(s) at E_eg/2 left out: I = 0 there)"
                          if left_out else "")
        self.query_one("#bsm-status", Static).update(
            "computing the BSM reach ... (Escape cancels: the result is then discarded)")
        self._jobs["bsm"] = self.run_worker(lambda: backend.bsm_reach(*args), group="bsm",
                                               thread=True, exit_on_error=False)

    def cancel_jobs(self) -> bool:
        """Cancel the running computations; True if any was running."""
        hit = False
        for group, w in self._jobs.items():
            if w.state in (WorkerState.PENDING, WorkerState.RUNNING):
                w.cancel()
                hit = True
                target = "#sens-status" if group == "sensitivity" else "#bsm-status"
                self.query_one(target, Static).update("cancelling ...")
        return hit

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show results, cancellations and refusals."""
        group = event.worker.group
        if group not in ("sensitivity", "bsm"):
            return
        event.stop()
        status = self.query_one("#sens-status" if group == "sensitivity" else "#bsm-status",
                                Static)
        what = "sensitivity" if group == "sensitivity" else "BSM reach"
        err = event.worker.error
        if event.state == WorkerState.CANCELLED or (
                event.state == WorkerState.ERROR
                and isinstance(err, Cancelled | backend.Cancelled)):
            status.update(f"{what} cancelled: no result")
            self.query_one("#sens-progress", ProgressBar).update(progress=0)
            self.app.say(f"{what} cancelled")
        elif event.state == WorkerState.ERROR:
            status.update(cell(f"{what} refused: {self.app.short(err)}"))
            self.app.say(f"{what} failed: {self.app.short(err)}", error=True)
        elif event.state == WorkerState.SUCCESS:
            if self._generation != self.app.generation:
                status.update(f"{what} result discarded: the campaign changed while it ran")
                return
            if group == "bsm":
                self.bsm_result = event.worker.result
                status.update(cell(backend.describe_bsm_reach(self.bsm_result)
                                     + getattr(self, "_bsm_note", "")))
                self.app.say("BSM reach done")
                return
            results = event.worker.result
            self.result = results[0]
            self.pinned_result = results[1] if len(results) > 1 else None
            self.show(self.result)
            self.app.say("sensitivity done")

    # -- display ------------------------------------------------------------------------------
    def show(self, res: backend.SensitivityResult) -> None:
        """Fill the table, the limits and the plot."""
        h = self.app.campaign.hypothesis()
        self.mass_limits = backend.lightest_mass_limits(h)
        lt = self.query_one("#limits-table", DataTable)
        lt.clear()
        for lim in self.mass_limits:
            m = (f"< {lim.m_lightest_eV:.3g}" if lim.m_lightest_eV is not None
                 else f"excludes {h.ordering}")
            lt.add_row(*row(f"{lim.record_id} {lim.quantity} {lim.tag}", f"{lim.bound_eV:g}",
                            "-" if lim.cl is None else f"{lim.cl:g}", m))
        norm = "profiled (free)" if res.profile_norm else "fixed (k = 1)"
        table = self.query_one("#sens-table", DataTable)
        table.clear()
        for r in res.rows:
            table.add_row(*row(r["test"], fmt(r["delta_chi2"]), fmt(r["exposure_factor"]), norm,
                               r.get("source", "")))
        if self.pinned_result is not None:
            for r in self.pinned_result.rows:
                table.add_row(*row("B (pinned): " + r["test"], fmt(r["delta_chi2"]),
                                   fmt(r["exposure_factor"]), norm, r.get("source", "")))
        allowed = ("none" if res.allowed_mass is None
                   else f"{res.allowed_mass[0]:.4g} ... {res.allowed_mass[1]:.4g} eV")
        bounds = [lim.m_lightest_eV for lim in self.mass_limits if lim.m_lightest_eV is not None]
        if bounds and res.allowed_mass is not None:
            best = min(bounds)
            allowed += (f"; best existing bound m_lightest < {best:.3g} eV (gray lines): this "
                        "reach is " + ("stronger" if res.allowed_mass[1] < best else "weaker"))
        self.query_one("#sens-status", Static).update(cell(
            f"Asimov (expected counts as data), threshold {cl_text(res.delta_chi2, res.dof)}, "
            f"normalisation {norm}. Exposure factor: multiplier of ALL dwell times that brings "
            f"Delta chi^2 to the threshold (not the factor for one signal event shown on the "
            f"Forecast tab). Lightest masses not excluded: {allowed}"))
        self.query_one("#mass-plot", Plot).redraw()

    def _draw(self, plot: Plot) -> None:
        res = self.result
        legend = self.query_one("#mass-legend", Static)
        if res is None or res.mass_grid is None or res.mass_dchi2 is None:
            legend.update("")
            return
        top = 5.0 * res.delta_chi2
        plot.line(res.mass_grid, np.minimum(res.mass_dchi2, top), "blue", "this campaign")
        pr = self.pinned_result
        if pr is not None and pr.mass_dchi2 is not None:
            plot.line(pr.mass_grid, np.minimum(pr.mass_dchi2, top), "magenta", "B (pinned)")
        plot.hline(res.delta_chi2, "red", f"threshold {res.delta_chi2:g}")
        plot.text(f"threshold {res.delta_chi2:g}", float(res.mass_grid[0]),
                  res.delta_chi2 * 1.05, "red")
        for lim in self.mass_limits:
            if lim.m_lightest_eV is not None and lim.m_lightest_eV <= res.mass_grid.max():
                plot.vline(lim.m_lightest_eV, "gray", lim.record_id)
                plot.text(lim.record_id, lim.m_lightest_eV, top * 0.9, "gray")
        plot.ylim(0.0, top)
        plot.title(f"Delta chi^2 vs test lightest mass, exact at {res.mass_grid.size} masses")
        plot.xlabel("m_lightest [eV]")
        plot.ylabel("Delta chi^2")
        legend.update(cell(
            "blue: this campaign" + ("   magenta: B (pinned)" if pr is not None else "")
            + f"   red: threshold {res.delta_chi2:g}   gray: existing bounds (labelled)   "
            f"curves clipped at {top:g}"))
