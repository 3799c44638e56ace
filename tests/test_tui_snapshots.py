"""Snapshots of each tab at 100x30 and 160x48 (pytest-textual-snapshot).

Deterministic: the GP21 benchmark campaign from a string (no file path in the messages), no
clock in the header, no animations, seeded simulation. Update with ``--snapshot-update`` after
an intended change (e.g. of a preset or the rate model) and review the SVG diff.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import gp21_app

SIZES = {"100x30": (100, 30), "160x48": (160, 48)}


async def _steady(pilot) -> None:
    """No blinking cursor (the focus is in a field after a tab switch): stable pictures."""
    await pilot.app.built.wait()     # every tab mounted (they are built after the first frame)
    for _ in range(400):             # and the Hardware tab's rates (a worker) are in
        await pilot.app.workers.wait_for_complete()
        if pilot.app.tab("hardware").response is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    for w in pilot.app.query(Input):
        w.cursor_blink = False


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("key", ["f2", "f3", "f4", "f6", "f1"])
def test_snapshot_tab(snap_compare, size, key):
    async def run(pilot):
        await _steady(pilot)
        await pilot.press(key)
        if key == "f6":
            pilot.app.action_simulate()
        await _settle(pilot)

    assert snap_compare(gp21_app(), terminal_size=SIZES[size], run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_sensitivity(snap_compare, size):
    async def run(pilot):
        await _steady(pilot)
        await pilot.press("ctrl+r")
        await _settle(pilot)

    assert snap_compare(gp21_app(), terminal_size=SIZES[size], run_before=run)
