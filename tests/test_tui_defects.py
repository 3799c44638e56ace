"""Pilot tests, one (or more) per defect of the planner found in a user run-through (docs/tui.md).

Each drives the app as a user would (keys, clicks, the palette) and checks what the user sees.
"""

from __future__ import annotations

import asyncio
import functools
import time

import numpy as np
import pytest
from renpsim_tui import backend, services
from renpsim_tui.widgets.dialogs import ConfirmScreen
from renpsim_tui.widgets.plot import Plot
from textual.widgets import DataTable, Input, ProgressBar, Select, Static, TabbedContent
from tui_helpers import GP21_TOML, gp21_app

SIZE = (100, 30)


def sync(fn):
    """Run an async test with asyncio.run."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def text(app, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


async def type_into(pilot, widget_id: str, value: str, enter: bool = True) -> None:
    inp = pilot.app.query_one(f"#{widget_id}", Input)
    inp.focus()
    await pilot.pause()
    await pilot.press("ctrl+shift+a", *list(value))
    if enter:
        await pilot.press("enter")
    await pilot.pause()


def fake_result(threshold=3.84, dof=1, profile=False) -> backend.SensitivityResult:
    res = backend.SensitivityResult(threshold, dof, profile)
    res.rows.append({"test": "alternative", "delta_chi2": 5.0, "exposure_factor": 0.77,
                     "source": "stand-in"})
    res.mass_grid = np.linspace(0.0, 0.1, 5)
    res.mass_dchi2 = np.array([4.0, 1.0, 0.0, 1.0, 4.0])
    res.allowed_mass = (0.025, 0.075)
    return res


def slow(frac_before_wait: float = 0.3):
    """A stand-in computation that reports ``frac_before_wait`` then waits to be cancelled."""

    def fn(*args, progress, cancelled, **kwargs):
        progress(frac_before_wait)
        for _ in range(2000):
            if cancelled():
                raise backend.Cancelled
            time.sleep(0.005)
        raise AssertionError("never cancelled")

    return fn


# -- Crash: Xe-natural without Gamma_0 ---------------------------------------------------------
@sync
async def test_xe_target_without_gamma0_is_a_message_not_a_crash():
    app = gp21_app()
    app.sensitivity_fn = backend.sensitivity
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#target", Select).value = "Xe-natural"
        await pilot.pause()
        await pilot.pause()
        assert app.campaign.target_name == "Xe-natural"
        await pilot.press("f4")
        await pilot.pause()
        assert "gamma0_per_s" in text(app, "viability")       # said, not raised
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "refused" in text(app, "sens-status") and "gamma0" in text(app, "sens-status")
        await pilot.press("f4")                                # still alive and usable
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "forecast"


# -- Navigation trap -----------------------------------------------------------------------------
@pytest.mark.parametrize(("tab", "widget_id"), [("schedule", "gen-lo"),
                                                 ("sensitivity", "f-statistics-delta-chi2"),
                                                 ("runs", "run-path")])
@sync
async def test_tab_keys_and_palette_work_from_inside_an_input(tab, widget_id):
    app = gp21_app()
    app.sensitivity_fn = lambda *a, **k: fake_result()
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.query_one("#tabs", TabbedContent)
        for key, target in (("f2", "hardware"), ("f4", "forecast"), ("f6", "runs"),
                            ("f3", "schedule"), ("f5", "sensitivity")):
            app.action_tab(tab)
            app.query_one(f"#{widget_id}").focus()
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            await pilot.press("tab")          # focus moves on: the switch must stick
            await pilot.pause()
            assert tabs.active == target, key
            assert app.focused is not None and tabs.get_pane(target) in app.focused.ancestors
        app.action_tab(tab)
        app.query_one(f"#{widget_id}").focus()
        await pilot.pause()
        go = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        go["Go to Forecast"]()
        await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()
        assert tabs.active == "forecast"
        app.action_tab(tab)
        app.query_one(f"#{widget_id}").focus()
        await pilot.pause()
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()
        assert tabs.active == "sensitivity" and app.sensitivity_result is not None


# -- Work lost without warning ------------------------------------------------------------------
@sync
async def test_quit_and_open_ask_before_discarding_edits():
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-coherence-eta0", "0.5")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.campaign.get("coherence.eta0") == 0.5
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")       # the safe answer
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


@sync
async def test_preset_change_asks_and_undo_restores_the_overrides():
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-coherence-eta0", "0.5")
        app.query_one("#hw-preset", Select).value = "yb-vapour"
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")                             # keep: nothing dropped
        await pilot.pause()
        assert app.campaign.hardware_name == "gp21-benchmark"
        assert app.query_one("#hw-preset", Select).value == "gp21-benchmark"
        assert app.campaign.get("coherence.eta0") == 0.5
        app.query_one("#hw-preset", Select).value = "yb-vapour"
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.campaign.hardware_name == "yb-vapour"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.campaign.hardware_name == "gp21-benchmark"
        assert app.campaign.get("coherence.eta0") == 0.5
        assert app.campaign.get("target.density_cm3") == 1e21
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.campaign.get("coherence.eta0") != 0.5
        assert app.query_one("#f-coherence-eta0", Input).value == app.campaign.text(
            "coherence.eta0")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.campaign.get("coherence.eta0") == 0.5


@sync
async def test_optimiser_shows_progress_and_escape_cancels(monkeypatch):
    monkeypatch.setattr(services, "optimise_dwell", slow(0.4))
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        before = app.campaign.dumps()
        await pilot.click("#optimise-dwell")
        bar = app.query_one("#opt-progress", ProgressBar)
        for _ in range(200):
            await pilot.pause(0.02)
            if (bar.progress or 0) > 0:
                break
        assert bar.progress == pytest.approx(40.0)           # real progress, not 100 %
        app.set_focus(None)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.campaign.dumps() == before
        assert "cancelled" in app.messages[-1]


# -- Stale or contradictory numbers -------------------------------------------------------------
@sync
async def test_results_cleared_when_inputs_change_or_a_file_is_opened(tmp_path):
    p = tmp_path / "other.toml"
    p.write_text(GP21_TOML, encoding="utf-8")
    app = gp21_app()
    app.sensitivity_fn = lambda *a, **k: fake_result()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#sens-table", DataTable).row_count == 1
        await type_into(pilot, "f-coherence-eta0", "0.5")
        assert app.sensitivity_result is None
        assert app.query_one("#sens-table", DataTable).row_count == 0
        assert "cleared" in text(app, "sens-status")
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sensitivity_result is not None
        app.saved_text = app.campaign.dumps()             # as if saved: no question asked
        app.open_path(str(p))
        await pilot.pause()
        assert app.sensitivity_result is None


@sync
async def test_result_of_a_job_started_on_other_inputs_is_discarded():
    import threading

    app = gp21_app()
    edited = threading.Event()

    def late(*args, progress, cancelled, **kwargs):
        edited.wait(30)
        return fake_result()

    app.sensitivity_fn = late
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await type_into(pilot, "f-statistics-delta-chi2", "5.99")
        edited.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sensitivity_result is None
        assert "discarded" in text(app, "sens-status")


@sync
async def test_sensitivity_progress_is_real_and_numbers_state_assumptions():
    app = gp21_app()
    app.sensitivity_fn = slow(0.25)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        bar = app.query_one("#sens-progress", ProgressBar)
        for _ in range(200):
            await pilot.pause(0.02)
            if (bar.progress or 0) > 0:
                break
        assert bar.progress == pytest.approx(25.0)
        app.set_focus(None)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "cancelled" in text(app, "sens-status")
        app.sensitivity_fn = lambda *a, **k: fake_result()
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = text(app, "sens-status")
        assert "95% CL, 1 dof" in status and "normalisation fixed" in status
        assert "multiplier of ALL dwell times" in status
        table = app.query_one("#sens-table", DataTable)
        assert str(table.get_row_at(0)[3]) == "fixed (k = 1)"


@sync
async def test_bsm_reach_on_a_generated_schedule_ending_at_the_endpoint():
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await type_into(pilot, "gen-n", "5")
        await pilot.click("#gen-uniform")                      # up to E_eg/2 by default
        await pilot.pause()
        half = app.campaign.target.omega_max_eV
        assert app.campaign.steps[-1].omega_eV == pytest.approx(half)
        app.tab("sensitivity").run_bsm()
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = text(app, "bsm-status")
        assert app.bsm_result is not None and "1 step(s) at E_eg/2 left out" in status


# -- Unreadable ----------------------------------------------------------------------------------
@sync
async def test_tags_units_viability_and_plot_are_readable():
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        units = [str(w.render()) for w in app.query(".field-unit")]
        assert "cm^-3 [C]" in units and "m [A]" in units
        derived = app.query_one("#derived", DataTable)
        notes = [str(derived.get_row_at(i)[3]) for i in range(derived.row_count)]
        assert any("[A]" in n for n in notes)
        app.query_one("#hw-preset", Select).value = "yb-vapour"
        await pilot.pause()
        await pilot.press("y")
        await pilot.press("f4")
        await pilot.pause()
        viab = text(app, "viability")
        assert len(viab.splitlines()) >= 2 and "largest deficits" in viab   # the library's
        assert app.query_one("#viability").size.height >= len(viab.splitlines())
        plot = app.query_one("#forecast-plot", Plot)
        n = plot.sample_points()
        # one exact point per braille column of the data area (old title: "40 points")
        assert n == 2 * (plot.size.width - 12) > 40
        title = app.tab("forecast").plot_title
        assert title == f"I(omega): exact at {n} points, one per plot column"
        legend = text(app, "fc-legend")
        assert "thresholds" in legend and "scan steps" in legend


@sync
async def test_ab_mode_and_exports(tmp_path):
    app = gp21_app()
    app.sensitivity_fn = lambda *a, **k: fake_result()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await type_into(pilot, "f-target-density-cm3", "5e20")
        await pilot.press("f4")
        await pilot.pause()
        assert "B (pinned)" in text(app, "fc-legend") and "B (pinned" in text(app, "viability")
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        labels = [str(r[0]) for r in (app.query_one("#sens-table", DataTable).get_row_at(i)
                                      for i in range(2))]
        assert labels[1].startswith("B (pinned)")
        out = app._export("forecast", str(tmp_path / "f.csv"))
        lines = out.read_text().splitlines()
        assert lines[0].startswith("step,omega_eV") and len(lines) == 4
        svg = app._export("screen", str(tmp_path / "s.svg"))
        assert svg.read_text().lstrip().startswith("<svg")


# -- A crash keeps the user's work ----------------------------------------------------------------
def test_internal_error_leaves_a_recovery_file_and_exit_status_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = gp21_app()

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await type_into(pilot, "f-coherence-eta0", "0.5")

            def boom() -> None:
                raise RuntimeError("simulated internal error")

            app.call_later(boom)
            await pilot.pause()

    with pytest.raises(RuntimeError, match="simulated internal error"):
        asyncio.run(run())
    assert app.return_code == 1
    rec = tmp_path / "untitled.recovered.toml"
    assert app.recovery_file == rec
    assert "eta0 = 0.5" in rec.read_text()
