"""``renpsim tui [CAMPAIGN]``: open the Textual campaign planner (code in ``tui/renpsim_tui``)."""

from __future__ import annotations

import click

from renpsim.cli.options import CampaignCommand, complete_campaign


@click.command("tui", cls=CampaignCommand)
@click.argument("campaign", required=False, shell_complete=complete_campaign)
def tui_cmd(campaign: str | None) -> None:
    """Plan an exposure campaign interactively.

    CAMPAIGN is a campaign TOML file (created on the first save if it does not exist) or the
    name of a shipped campaign preset (opened as an unsaved copy).
    """
    from renpsim_tui.app import PlannerApp, load_campaign_arg

    # A bad file is reported as one line on stderr (exit 2) before the screen opens.
    PlannerApp(load_campaign_arg(campaign), campaign).run()
