"""The planner driven headless with Textual's Pilot: edit, generate, forecast, save, cancel."""

from __future__ import annotations

import asyncio
import functools
import time
import tomllib

import pytest
from renpsim_tui import backend
from renpsim_tui.app import HelpScreen, PlannerApp
from renpsim_tui.campaign import Campaign
from textual.widgets import Checkbox, DataTable, Input, ProgressBar, Static, TabbedContent
from textual.worker import WorkerState
from tui_helpers import GP21_TOML, gp21_app

SIZE = (140, 45)


def sync(fn):
    """Run an async test with asyncio.run (no asyncio pytest plugin is a dependency)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def message(app: PlannerApp) -> str:
    return str(app.query_one("#message", Static).render())


async def type_into(pilot, widget_id: str, text: str, enter: bool = True) -> None:
    """Replace the text of an input the way a user would: focus, select all, type, Enter."""
    inp = pilot.app.query_one(f"#{widget_id}", Input)
    inp.focus()
    await pilot.pause()
    await pilot.press("ctrl+shift+a")  # select all: the first key typed replaces the text
    await pilot.press(*list(text))
    if enter:
        await pilot.press("enter")
    await pilot.pause()


@pytest.fixture
def gp21_file(tmp_path):
    p = tmp_path / "gp21.toml"
    p.write_text(GP21_TOML, encoding="utf-8")
    return p


@sync
async def test_load_edit_generate_forecast_save_reload(gp21_file):
    app = PlannerApp(Campaign.load(gp21_file))
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.last_viability.total_signal == pytest.approx(20.8, abs=0.1)
        # Change a field through the keyboard: half the density. With n_gamma = n_a (the
        # preset's equal_n_a, [hardware §8.1]) the rate goes as n_a^3: an eighth of the signal.
        await type_into(pilot, "f-target-density-cm3", "5e20")
        assert app.campaign.get("target.density_cm3") == 5e20
        assert app.last_viability.total_signal == pytest.approx(20.76 / 8, abs=0.01)
        # Regenerate the steps on the Schedule tab.
        await pilot.press("f3")
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "schedule"
        await type_into(pilot, "gen-lo", "1.0690")
        await type_into(pilot, "gen-hi", "1.0710")
        await type_into(pilot, "gen-n", "5")
        await type_into(pilot, "gen-total", "10 h")
        await pilot.click("#gen-uniform")
        await pilot.pause()
        steps = app.campaign.steps
        assert [s.omega_eV for s in steps] == pytest.approx([1.069, 1.0695, 1.070, 1.0705, 1.071])
        assert app.campaign.total_time_s == pytest.approx(36000.0)
        assert app.query_one("#steps-table", DataTable).row_count == 5
        # The forecast follows: per-step counts use the new steps.
        await pilot.press("f4")
        await pilot.pause()
        fc = app.last_forecast
        assert fc.omega_eV.size == 5
        assert app.query_one("#fc-table", DataTable).row_count == 5
        assert "expected signal" in str(app.query_one("#viability", Static).render()).lower()
        # Save to the file it came from.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "saved" in message(app)
    text = gp21_file.read_text()
    assert "# the benchmark density" in text and "# lightest mass comment" in text
    doc = tomllib.loads(text)
    assert doc["hardware_overrides"]["target"]["density_cm3"] == 5e20
    # the generator is saved as the campaign library's (renpsim simulate: the same steps)
    assert doc["scan"]["generator"] == "uniform" and doc["scan"]["n_steps"] == 5
    assert doc["scan"]["total_time_s"] == pytest.approx(36000.0)
    assert "omega_eV" not in doc["scan"] and "dwell_s" not in doc["scan"]
    from renpsim.campaign import load_campaign

    lib = load_campaign(gp21_file)
    assert lib.steps.omega_eV.tolist() == pytest.approx([s.omega_eV for s in steps], abs=1e-12)
    assert lib.steps.dwell_s.tolist() == pytest.approx([7200.0] * 5)
    again = Campaign.load(gp21_file)
    assert [s.omega_eV for s in again.steps] == pytest.approx([s.omega_eV for s in steps])
    assert again.get("target.density_cm3") == 5e20
    app2 = PlannerApp(again)
    app2.animation_level = "none"
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app2.query_one("#f-target-density-cm3", Input).value == "5e+20"
        assert app2.last_viability.total_signal == pytest.approx(fc.total_signal)


@pytest.mark.parametrize("text", ["-3", "abc", "0", "10 mJ", "2e25", "1e27 m-3"])
@sync
async def test_invalid_edit_refused_and_field_returns_to_the_value_in_use(text):
    # Nothing is applied while typing; Enter commits only a valid text, otherwise the field
    # shows the value in use again and the message says why (old code: every keystroke was
    # applied and the refused text stayed in the field).
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = app.campaign.dumps()
        await type_into(pilot, "f-target-density-cm3", text, enter=False)
        field = app.query_one("#f-target-density-cm3", Input)
        assert app.campaign.dumps() == before       # typing applies nothing
        assert field.has_class("-invalid")           # but the border says it would be refused
        await pilot.press("enter")
        await pilot.pause()
        assert app.campaign.dumps() == before
        assert app.campaign.get("target.density_cm3") == 1e21
        assert field.value == "1e+21" and not field.has_class("-invalid")
        msg = message(app)
        assert "refused" in msg and "target.density_cm3" in msg and "kept 1e+21" in msg
        assert app.query_one("#message", Static).has_class("error")
        assert app.last_viability.total_signal == pytest.approx(20.8, abs=0.1)


@sync
async def test_field_commits_on_blur_only_when_valid():
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-coherence-eta0", "0.5", enter=False)
        assert app.campaign.get("coherence.eta0") != 0.5      # not yet
        await pilot.press("tab")                              # focus leaves: committed
        await pilot.pause()
        assert app.campaign.get("coherence.eta0") == 0.5
        await type_into(pilot, "f-coherence-eta0", "7", enter=False)
        await pilot.press("tab")                              # invalid: reverted on blur
        await pilot.pause()
        assert app.campaign.get("coherence.eta0") == 0.5
        assert app.query_one("#f-coherence-eta0", Input).value == "0.5"


@sync
async def test_invalid_step_and_file_refused(tmp_path):
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        before = list(app.campaign.steps)
        await type_into(pilot, "add-omega", "1.2")  # above E_eg/2
        await type_into(pilot, "add-dwell", "1 h")
        await pilot.click("#add-step")
        await pilot.pause()
        assert app.campaign.steps == before
        assert "omega" in message(app) and "E_eg/2" in message(app)
        await type_into(pilot, "add-omega", "1.0705")
        await pilot.click("#add-step")
        await pilot.pause()
        assert len(app.campaign.steps) == 4
        assert app.campaign.steps[-1].dwell_s == pytest.approx(3600.0)
        # Remove the selected (first) row with the Delete key.
        app.query_one("#steps-table", DataTable).focus()
        await pilot.press("delete")
        await pilot.pause()
        assert [s.omega_eV for s in app.campaign.steps] == [1.0699, 1.0711, 1.0705]
        # An invalid campaign file leaves the current campaign in place.
        bad = tmp_path / "bad.toml"
        bad.write_text('hardware = "gp21-benchmark"\n[hardware_overrides.coherence]\n'
                       "eta0 = 2.0\n")
        app.open_path(str(bad))
        await pilot.pause()
        assert "cannot open" in message(app)
        assert "hardware_overrides.coherence.eta0" in message(app)
        assert len(app.campaign.steps) == 3


@sync
async def test_sensitivity_runs_in_worker_and_reports():
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        res = app.sensitivity_result
        assert res is not None
        assert app.query_one("#sens-progress", ProgressBar).progress == pytest.approx(100.0)
        assert app.query_one("#sens-table", DataTable).row_count == 4
        rows = {r["source"].split(" ")[-1].strip("()"): r for r in res.rows}
        # No background: Delta chi^2 is linear in exposure, so factor x Delta chi^2 = threshold.
        for row in res.rows:
            assert row["exposure_factor"] * row["delta_chi2"] == pytest.approx(3.84, rel=1e-3)
        # The adapter's own deviance against IO with the same m agrees in size with the
        # statistics engine's profiled NO-vs-IO decision (which can only be smaller).
        assert 0 < rows["ordering"]["delta_chi2"] <= res.rows[0]["delta_chi2"] + 1e-9
        # [physics §6.3] lesson 3: Dirac vs Majorana is out of reach at O(20) events.
        assert rows["nature"]["delta_chi2"] < 0.01
        status = str(app.query_one("#sens-status", Static).render())
        assert "1 dof" in status and "3.84" in status
        # Existing bounds (renpsim.limits) shown beside the lightest-mass scan.
        assert app.query_one("#limits-table", DataTable).row_count == len(app.mass_limits) > 0
        assert "best existing bound" in status


@sync
async def test_long_computation_can_be_cancelled_and_app_stays_responsive():
    def slow(*args, progress, cancelled, **kwargs):
        for i in range(2000):
            if cancelled():
                raise backend.Cancelled
            progress(i / 2000)
            time.sleep(0.005)
        raise AssertionError("the computation was not cancelled")

    app = gp21_app()
    app.sensitivity_fn = slow
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        bar = app.query_one("#sens-progress", ProgressBar)
        for _ in range(100):
            await pilot.pause(0.02)
            if (bar.progress or 0) > 0:
                break
        assert bar.progress > 0
        worker = app.tab("sensitivity")._jobs["sensitivity"]
        assert worker.state == WorkerState.RUNNING
        # Responsive while it runs: switch tabs and edit a field.
        await pilot.press("f2")
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "hardware"
        await type_into(pilot, "f-coherence-eta0", "0.5")
        assert app.campaign.get("coherence.eta0") == 0.5
        assert worker.state == WorkerState.RUNNING
        app.set_focus(None)
        t0 = time.monotonic()
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        stopped_after = time.monotonic() - t0
        await pilot.pause()
        assert worker.state == WorkerState.CANCELLED
        # It stopped long before the 2000 x 5 ms the computation would have taken.
        assert stopped_after < 5.0
        assert "cancelled" in str(app.query_one("#sens-status", Static).render())
        assert app.sensitivity_result is None
        # The app still works after the cancellation.
        await pilot.press("f4")
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "forecast"


@sync
async def test_presets_runs_fit_help_and_palette(tmp_path):
    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await pilot.click("#run-simulate")
        await pilot.pause()
        table = app.run_table
        assert table is not None and table.counts.size == 3
        assert table.source.endswith("seed 7")  # the campaign's seed
        app.action_simulate()
        assert list(app.run_table.counts) == list(table.counts)  # same seed, same counts
        assert app.query_one("#run-table", DataTable).row_count == 3
        await pilot.click("#run-fit")
        await pilot.pause()
        fit = app.last_fit
        assert abs(fit.k - 1.0) < 4 * fit.k_error
        # A CSV step table opens and is compared with the expectation.
        csv = tmp_path / "steps.csv"
        csv.write_text("omega_eV,dwell_s,counts\n1.0688,66240,9\n1.0699,66240,5\n")
        app.query_one("#run-path", Input).value = str(csv)  # pasted
        await pilot.click("#run-open")
        await pilot.pause()
        assert app.query_one("#run-table", DataTable).row_count == 2
        assert list(app.run_table.counts) == [9.0, 5.0]
        # Follow it while it grows (the poll is called directly instead of waiting for the timer).
        await pilot.click("#run-follow")
        await pilot.pause()
        with csv.open("a") as fh:
            fh.write("1.0711,66240,4\n")
        app.tab("runs").poll()
        await pilot.pause()
        assert app.query_one("#run-table", DataTable).row_count == 3
        assert "following" in " ".join(app.messages)
        await pilot.click("#run-follow")  # stop following
        await pilot.pause()
        assert not app.query_one("#run-follow", Checkbox).value
        # Simulate to a run file in a worker, then read it back with the run-file reader.
        run = tmp_path / "run.h5"
        app.query_one("#run-path", Input).value = str(run)
        await pilot.click("#run-simulate")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert run.is_file()
        assert app.run_table.source == str(run) and app.run_table.counts.size == 3
        assert app.query_one("#run-progress", ProgressBar).progress == pytest.approx(100.0)
        # Fitting a run file uses the statistics engine (the same fit as `renpsim fit`).
        await pilot.click("#run-fit")
        await app.workers.wait_for_complete()
        await pilot.pause()
        from renpsim.stats.fit_report import fit_run

        rep = app.last_fit
        direct = fit_run(run, model="sm-dirac", ordering="NO", oscillation="nufit-5.0",
                         compare="ordering")
        assert rep["deviance"] == pytest.approx(direct["deviance"], rel=1e-6)
        assert rep["comparison"]["preferred"] in ("NO", "IO")
        status = str(app.query_one("#run-status", Static).render())
        assert "fit sm-dirac" in status and "95% profile interval" in status
        # Follow it with the live (SWMR) reader: a finished file yields all its steps.
        await pilot.click("#run-follow")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.run_table.counts.size == 3
        await pilot.pause()
        assert any("run complete: 3 steps" in m for m in app.messages)
        await pilot.click("#run-follow")  # off again
        await pilot.pause()
        # A hardware preset far from the benchmark: the viability line names the gap.
        app.request_preset("yb-vapour")
        await pilot.pause()
        await pilot.press("y")  # it drops the campaign's density override: confirmed
        await pilot.pause()
        assert app.campaign.target_name == "Yb-174"
        v = app.last_viability
        assert v.total_signal < 1e-20 and "atom density" in v.dominant
        assert app.query_one("#f-target-density-cm3", Input).value == "8.9e+14"
        # A detector preset writes its knobs as overrides.
        app.apply_detector("ingaas-gated")
        await pilot.pause()
        assert app.campaign.get("detector.efficiency") == pytest.approx(0.243)
        assert app.query_one("#f-detector-dark-rate-Hz", Input).value == "1880"
        assert app.campaign.doc["hardware_overrides"]["detector"]["gate_width_s"] == 50e-9
        # Help screen and command palette entries.
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        titles = [cmd.title for cmd in app.get_system_commands(app.screen)]
        for expected in ("Save campaign", "Open campaign", "Generate: Uniform steps",
                         "Run sensitivity", "Cancel computations", "Hardware preset: xe-gas",
                         "Detector preset: uv-snspd"):
            assert expected in titles


def test_cli_tui_rejects_invalid_file(tmp_path, capsys, monkeypatch):
    from renpsim.cli.main import main

    monkeypatch.setattr("renpsim.cli.tui.require_terminal", lambda: None)  # pytest has none
    bad = tmp_path / "bad.toml"
    bad.write_text("not = [valid\n")
    with pytest.raises(SystemExit) as exc:
        main(["tui", str(bad)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.toml: line 1, column 8" in err[0] and \
        "expected valid TOML" in err[0]


@sync
async def test_dwell_optimiser_previews_then_applies_or_discards():
    # Old code: the optimiser replaced the schedule at once, without preview, progress or undo.
    from renpsim_tui.widgets.dialogs import OptimisePreview

    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        before = [s.dwell_s for s in app.campaign.steps]
        await pilot.click("#optimise-dwell")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, OptimisePreview)
        assert app.query_one("#opt-progress", ProgressBar).progress == pytest.approx(100.0)
        summary = str(app.screen.query_one("#preview-summary").render())
        assert "Delta chi^2" in summary and "normalisation free and profiled" in summary
        assert [s.dwell_s for s in app.campaign.steps] == before     # nothing applied yet
        await pilot.press("escape")                                  # discard
        await pilot.pause()
        assert [s.dwell_s for s in app.campaign.steps] == before
        await pilot.click("#optimise-dwell")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("a")                                       # apply
        await pilot.pause()
        res = app.last_optimisation
        assert res is not None and res["decision"] == "ordering"
        after = [s.dwell_s for s in app.campaign.steps]
        assert sum(after) == pytest.approx(sum(before), rel=1e-9)  # same total time
        assert after != before
        assert res["after"] >= res["before"]
        await pilot.press("ctrl+z")                                  # undone in one step
        await pilot.pause()
        assert [s.dwell_s for s in app.campaign.steps] == before


@sync
async def test_bsm_reach_matches_the_sensitivity_engine():
    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts
    from renpsim.stats.benchmark import from_hardware_campaign
    from renpsim.stats.scan import sensitivity_scan
    from renpsim.stats.sensitivity import AsimovSetup

    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        await pilot.click("#bsm-run")
        await app.workers.wait_for_complete()
        await pilot.pause()
        res = app.bsm_result
        assert res is not None
        thr = res["delta_chi2"]
        camp = load_campaign("gp21-benchmark")
        setup = AsimovSetup.from_campaign(from_hardware_campaign(camp, expected_counts(camp)))
        ref = sensitivity_scan(setup, "mediator-mass", "gL11", [1e-3], delta_chi2=thr, dof=1)
        assert res["curves"]["gL11"]["limit"][0] == pytest.approx(ref.frame["limit"][0],
                                                                  rel=1e-6)
        assert res["dipole"]["mu11"] > 0
        assert "BSM reach" in str(app.query_one("#bsm-status", Static).render())


@sync
async def test_bsm_alternative_curve_and_invalid_spec_refused():
    from renpsim.physics import neutrino_state
    from renpsim.physics.bsm import VectorMediator, spectral_function_bsm
    from renpsim.physics.targets import load_target

    app = gp21_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        field = app.query_one("#f-alternative-bsm", Input)
        await type_into(pilot, "f-alternative-bsm", "vector m=0.05,gL11=1e-26")
        h = app.campaign.hypothesis("alternative")
        assert h.bsm == "vector m=0.05,gL11=1e-26"
        w = [1.0688, 1.0711]
        got = backend.spectral(w, h, app.campaign.target)
        state = neutrino_state(h.ordering, h.m_lightest_eV, h.nature, h.oscillation)
        ref = spectral_function_bsm(w, state, load_target(app.campaign.target.name),
                                    [VectorMediator(0.05, gL=1e-26)])
        assert list(got) == pytest.approx(list(ref), rel=1e-12)
        # An invalid term is refused and leaves the hypothesis unchanged.
        await type_into(pilot, "f-alternative-bsm", "vector m=-1,gL11=1")
        assert app.campaign.hypothesis("alternative").bsm == "vector m=0.05,gL11=1e-26"
        assert field.value == "vector m=0.05,gL11=1e-26"
        assert any("refused" in m or "ERROR" in m for m in app.messages[-3:])
