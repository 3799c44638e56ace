"""Snapshots of each main screen at a fixed terminal size (pytest-textual-snapshot).

Deterministic: the GP21 benchmark campaign from a string (no file path in the messages), no
clock in the header, no animations, seeded simulation. Update with ``--snapshot-update`` after
an intended change (e.g. of a preset or the rate model) and review the SVG diff.
"""

from __future__ import annotations

from tui_helpers import gp21_app

SIZE = (140, 45)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_hardware(snap_compare):
    assert snap_compare(gp21_app(), terminal_size=SIZE, run_before=_settle)


def test_snapshot_schedule(snap_compare):
    assert snap_compare(gp21_app(), terminal_size=SIZE, press=["f3"], run_before=_settle)


def test_snapshot_forecast(snap_compare):
    assert snap_compare(gp21_app(), terminal_size=SIZE, press=["f4"], run_before=_settle)


def test_snapshot_sensitivity(snap_compare):
    async def run(pilot):
        await pilot.press("ctrl+r")
        await _settle(pilot)

    assert snap_compare(gp21_app(), terminal_size=SIZE, run_before=run)


def test_snapshot_runs(snap_compare):
    async def run(pilot):
        await pilot.press("f6")
        pilot.app.action_simulate()
        await _settle(pilot)

    assert snap_compare(gp21_app(), terminal_size=SIZE, run_before=run)


def test_snapshot_help(snap_compare):
    assert snap_compare(gp21_app(), terminal_size=SIZE, press=["f1"], run_before=_settle)
