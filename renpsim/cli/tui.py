"""``renpsim tui [CAMPAIGN]``: open the Textual campaign planner (code in ``tui/renpsim_tui``)."""

from __future__ import annotations

import click


@click.command("tui")
@click.argument("campaign", required=False)
def tui_cmd(campaign: str | None) -> None:
    """Plan an exposure campaign interactively.

    CAMPAIGN is a campaign TOML file (created on the first save if it does not exist) or the
    name of a shipped campaign preset (opened as an unsaved copy).
    """
    from renpsim_tui.app import run

    # A bad file is reported as one line on stderr (exit 2) before the screen opens; after an
    # internal error the campaign is kept in a recovery file and the status is not 0.
    code = run(campaign)
    if code:
        raise SystemExit(code)
