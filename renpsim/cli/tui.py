"""``renpsim tui [CAMPAIGN]``: open the Textual campaign planner (code in ``tui/renpsim_tui``)."""

from __future__ import annotations

import click


@click.command("tui")
@click.argument("campaign", required=False, type=click.Path(dir_okay=False))
def tui_cmd(campaign: str | None) -> None:
    """Plan an exposure campaign interactively (CAMPAIGN: a TOML file, created on first save)."""
    from renpsim_tui.app import Campaign, run

    if campaign is not None:
        from pathlib import Path

        if Path(campaign).exists():
            Campaign.load(campaign)  # a bad file is one line on stderr, before the screen opens
    run(campaign)
