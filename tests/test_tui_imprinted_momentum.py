"""The planner with an imprinted pair momentum P0: moved, labelled thresholds and step checks."""

from __future__ import annotations

import asyncio
import math

import pytest
import tomlkit
from renpsim_tui.app import PlannerApp
from renpsim_tui.campaign import Campaign
from textual.widgets import Input, Static
from tui_helpers import GP21_TOML

P0, COS = 1e-3, -0.5       # moves the photon endpoint below E_eg/2 (c < P0 / E_eg)
E_EG = 2.14349             # Yb-gp21 [physics §1.5]


def _moved(msum: float) -> float:
    """[physics §1.1] threshold with imprinted momentum, written out independently."""
    return (E_EG**2 - P0**2 - msum**2) / (2.0 * (E_EG - P0 * COS))


def _app() -> PlannerApp:
    toml = GP21_TOML.replace("[truth]", f"[hardware_overrides.lasers]\nimprinted_momentum_eV = "
                                        f"{P0}\nimprinted_cos = {COS}\n\n[truth]")
    app = PlannerApp(Campaign(tomlkit.parse(toml)))
    app.animation_level = "none"
    return app


async def _type(pilot, widget_id: str, value: str) -> None:
    inp = pilot.app.query_one(f"#{widget_id}", Input)
    inp.focus()
    await pilot.pause()
    await pilot.press("ctrl+shift+a", *list(value))
    await pilot.pause()


def test_forecast_thresholds_and_schedule_use_the_imprinted_momentum():
    m1 = 0.01
    m2, m3 = math.sqrt(m1**2 + 7.42e-5), math.sqrt(m1**2 + 2.517e-3)   # nufit-5.0, NO
    masses = (m1, m2, m3)
    expected = {f"{i + 1}{j + 1}": _moved(masses[i] + masses[j])
                for i in range(3) for j in range(i, 3)}
    end = _moved(0.0)

    async def run():
        app = _app()
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.press("f4")
            await pilot.pause()
            fc = app.tab("forecast")
            drawn = fc.plotted_thresholds
            for lab, value in expected.items():
                assert drawn[lab] == pytest.approx(value, abs=1e-12), lab
            assert drawn["end"] == pytest.approx(end, abs=1e-12)
            legend = str(app.query_one("#fc-legend", Static).render())
            assert f"P0 = {P0:g} eV" in legend and "photon endpoint" in legend
            labels = {m.label for m in fc.query_one("#forecast-plot").figure.marks}
            assert f"12 (P0 = {P0:g} eV)" in labels
            # Schedule: threshold-dense steps gather at the moved thresholds ...
            await pilot.press("f3")
            await pilot.pause()
            assert float(app.query_one("#gen-hi", Input).value) == pytest.approx(end, abs=1e-7)
            await _type(pilot, "gen-n", "60")
            await pilot.click("#gen-dense")
            await pilot.pause()
            omegas = [s.omega_eV for s in app.campaign.steps]
            assert len(omegas) == 60 and max(omegas) <= end
            for lab in ("11", "12", "22"):
                assert sum(abs(w - expected[lab]) <= 1e-4 + 1e-12 for w in omegas) >= 3, lab
            # ... and a step above the moved endpoint is refused, named, with the campaign kept
            before = app.campaign.dumps()
            await _type(pilot, "add-omega", f"{end + 2e-6:.9f}")
            await _type(pilot, "add-dwell", "100")
            await pilot.click("#add-step")
            await pilot.pause()
            assert app.campaign.dumps() == before
            assert "photon endpoint" in app.messages[-1] and "refused" in app.messages[-1]

    asyncio.run(run())
