"""Every command and subcommand answers --help, and every option and argument says what it is."""

from __future__ import annotations

import importlib

import click
import pytest
from click.testing import CliRunner

from renpsim.cli.main import COMMANDS, cli


def _walk(group: click.Group, ctx: click.Context, path: tuple[str, ...]):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            sub_ctx = click.Context(cmd, info_name=name, parent=ctx)
            yield from _walk(cmd, sub_ctx, (*path, name))


ALL = list(_walk(cli, click.Context(cli, info_name="renpsim"), ()))
IDS = [" ".join(p) for p, _ in ALL]


def test_lazy_table_names_the_commands() -> None:
    for name, (module, attr, short) in COMMANDS.items():
        cmd = getattr(importlib.import_module(module), attr)
        assert cmd.name == name
        assert short and "\n" not in short
        assert cmd.help and cmd.help.strip()


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=IDS)
def test_help_exits_zero_and_every_option_has_help(path, cmd) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="renpsim",
                                terminal_width=80)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: renpsim " + " ".join(path))
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert param.help and param.help.strip(), f"{' '.join(path)}: {param.opts} has no help"
    # Arguments are described in the command's own help text, by their metavar.
    for param in cmd.params:
        if isinstance(param, click.Argument):
            name = (param.metavar or param.name).rstrip(".").strip("[]").upper()
            assert name in (cmd.help or ""), (path, name)


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=IDS)
def test_usage_lines_do_not_split_words(path, cmd) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="renpsim",
                                terminal_width=60)
    usage = " ".join(result.output.split("\n\n", 1)[0].split())
    pieces = cmd.collect_usage_pieces(click.Context(cmd, info_name=path[-1]))
    for piece in pieces:
        assert piece in usage, f"{' '.join(path)}: usage piece {piece!r} split in {usage!r}"
    assert max(len(p) for p in pieces) < 40, pieces


@pytest.mark.parametrize("group", [[], ["limits"]])
def test_group_without_subcommand_prints_its_help(group) -> None:
    from renpsim.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(group)
    assert exc.value.code == 0
