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
    import sys

    # Without a terminal the screen cannot open (Textual would wait for one): refused first,
    # before the campaign is read and before Textual is imported.
    require_terminal()
    from renpsim_tui.campaign import load_campaign_arg

    loaded = load_campaign_arg(campaign)   # a bad file: one line on stderr, exit 2
    from renpsim_tui.app import PlannerApp

    app = PlannerApp(loaded, campaign)
    app.run()
    # after an internal error the campaign is kept in a recovery file and the status is not 0
    if app.recovery_file is not None:
        print(f"renpsim tui: stopped by an internal error; the campaign was saved to "
              f"{app.recovery_file}", file=sys.stderr)
    if app.return_code:
        raise SystemExit(app.return_code)


def require_terminal() -> None:
    """Refuse to start the interactive planner when stdin or stdout is not a terminal.

    Raises
    ------
    InputError
        Naming the stream that is not a terminal.

    """
    import sys

    from renpsim.errors import InputError

    for name, stream in (("standard input", sys.stdin), ("standard output", sys.stdout)):
        try:
            tty = stream is not None and stream.isatty()
        except (ValueError, OSError):
            tty = False
        if not tty:
            raise InputError("renpsim tui", name, "(not a terminal)",
                             "a terminal: the planner is interactive (run it in a terminal, "
                             "not in a pipe, a redirection or a batch job)")
