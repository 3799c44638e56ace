"""Hardware tab: eta(t) of the Maxwell-Bloch model and the rates, computed in a worker."""

from __future__ import annotations

import asyncio
import time

import pytest
import tomlkit
from renpsim_tui import backend
from renpsim_tui.app import PlannerApp
from renpsim_tui.campaign import Campaign
from renpsim_tui.widgets.plot import Plot
from textual.widgets import DataTable, Select, Static
from textual.worker import get_current_worker

from renpsim.hardware import load_hardware

#: yb-vapour with a small Maxwell-Bloch grid (8 cells: fast; the solver's convergence is
#: tested elsewhere).
VAPOUR_TOML = """\
name = "vapour-mb"
hardware = "yb-vapour"
seed = 3

[hardware_overrides.maxwell_bloch]
n_cells = 8

[scan]
generator = "gp21"
total_time_s = 86400.0
"""


def _rows(app) -> dict[str, tuple[str, str]]:
    t = app.query_one("#derived", DataTable)
    return {str(t.get_row_at(i)[0]): (str(t.get_row_at(i)[1]), str(t.get_row_at(i)[3]))
            for i in range(t.row_count)}


def test_maxwell_bloch_eta_shown_with_exposure_and_psr_yield():
    async def run():
        app = PlannerApp(Campaign(tomlkit.parse(VAPOUR_TOML)))
        app.animation_level = "none"
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            tab = app.tab("hardware")
            plot = app.query_one("#eta-plot", Plot)
            assert tab.coherence is None and not plot.display      # level1: no solver
            assert "PSR (McQ2) yield per shot" not in _rows(app)
            app.query_one("#f-coherence-eta-model", Select).value = "maxwell-bloch"
            await pilot.pause()
            await app.workers.wait_for_complete()   # (the solution may be memoised: no wait)
            await pilot.pause()
            coh = tab.coherence
            assert coh is not None and coh.n_cells == 8 and plot.display
            # the library's numbers for the same hardware (through its lookup-table route)
            hw = load_hardware("yb-vapour", {"maxwell_bloch.n_cells": 8,
                                             "coherence.eta_model": "maxwell-bloch"})
            assert coh.exposure_per_shot_s == pytest.approx(hw.exposure_per_shot_s(), rel=1e-9)
            rows = _rows(app)
            assert float(rows["coherent exposure per shot"][0]) == pytest.approx(
                hw.exposure_per_shot_s(), rel=1e-3)
            assert "Maxwell-Bloch, 8 cells" in rows["coherent exposure per shot"][1]
            assert float(rows["PSR (McQ2) yield per shot"][0]) == pytest.approx(
                hw.psr_photons_per_shot(), rel=1e-3)
            status = str(app.query_one("#hw-status", Static).render())
            assert "exposure per shot" in status and "PSR yield" in status
            # back to level1: the computed eta(t) is gone (never shown for other inputs)
            app.query_one("#f-coherence-eta-model", Select).value = "level1"
            await pilot.pause()
            assert tab.coherence is None and not plot.display
            await app.workers.wait_for_complete()

    asyncio.run(run())


def test_hardware_job_is_cancelled_by_escape_and_result_discarded(monkeypatch):
    started = []

    def stand_in(info, hw, h):   # runs until cancelled, then returns a result to be dropped
        worker = get_current_worker()
        started.append(True)
        while not worker.is_cancelled:
            time.sleep(0.01)
        return backend.HardwareResponse(None, [backend.Derived("should not show", 1.0, "")])

    monkeypatch.setattr(backend, "hardware_response", stand_in)

    async def run():
        app = PlannerApp(Campaign(tomlkit.parse(VAPOUR_TOML)))
        app.animation_level = "none"
        async with app.run_test(size=(160, 48)) as pilot:
            while not started:
                await asyncio.sleep(0.01)
            assert "Escape cancels" in str(app.query_one("#hw-status", Static).render())
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "cancelled" in str(app.query_one("#hw-status", Static).render())
            assert app.tab("hardware").response is None and "should not show" not in _rows(app)

    asyncio.run(run())
