"""``renpsim presets``: the shipped hardware, campaign and detector presets, one line each."""

from __future__ import annotations

import json

import click

KINDS = ("hardware", "campaigns", "detectors")


def preset_table(kind: str) -> list[dict[str, str]]:
    """Return ``[{"kind", "name", "description"}, ...]`` for one kind of shipped preset.

    Parameters
    ----------
    kind : {"hardware", "campaigns", "detectors"}
        Which presets: hardware TOML files, campaign TOML files, or the detector entries of
        ``hardware/detectors.toml``.

    Returns
    -------
    list of dict
        One row per preset, sorted by name.

    """
    from renpsim._resources import load_toml, preset_dir

    if kind == "detectors":
        table = load_toml(preset_dir("hardware") / "detectors.toml")
        items = [(name, entry.get("description", "")) for name, entry in table.items()]
    else:
        folder = preset_dir(kind)
        items = []
        for path in folder.glob("*.toml"):
            if kind == "hardware" and path.stem == "detectors":
                continue
            items.append((path.stem, load_toml(path).get("description", "")))
    return [{"kind": kind, "name": name, "description": " ".join(str(desc).split())}
            for name, desc in sorted(items)]


@click.command("presets")
@click.argument("kinds", nargs=-1, metavar="[KINDS]...", type=click.Choice(KINDS))
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list of {kind, name, description} objects.")
def presets_cmd(kinds: tuple[str, ...], as_json: bool) -> None:
    """List the shipped hardware, campaign and detector presets.

    KINDS: any of hardware, campaigns, detectors (default: all three). Hardware and campaign
    presets are found by name (``renpsim run NAME``, ``hardware = "NAME"`` in a campaign);
    detector presets by ``detector.preset`` in a hardware file.
    """
    rows = [row for kind in (kinds or KINDS) for row in preset_table(kind)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, allow_nan=False))
        return
    from renpsim.cli.tables import print_table

    for kind in kinds or KINDS:
        sub = [r for r in rows if r["kind"] == kind]
        click.echo(f"{kind}:")
        print_table(["name", "description"], [[r["name"], r["description"]] for r in sub],
                    no_wrap=("name",))
