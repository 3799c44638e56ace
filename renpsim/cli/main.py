"""Entry point of the ``renpsim`` command and its error policy.

Policy: bad input never produces a traceback. Every :class:`~renpsim.errors.RenpsimError` and
every command-line usage error is printed as one line on standard error, and the process exits
with status 2.
"""

from __future__ import annotations

import sys

import click

from renpsim import __version__
from renpsim.errors import RenpsimError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="renpsim")
def cli() -> None:
    """renpsim: simulate, fit and plan RENP experiments (|e> -> |g> + gamma + nu nubar)."""


def _register() -> None:
    from renpsim.cli.coherence import coherence_cmd
    from renpsim.cli.fit import fit_cmd
    from renpsim.cli.limits import cite_cmd, limits_group
    from renpsim.cli.run import run_cmd
    from renpsim.cli.runfile import import_cmd, inspect_cmd, strip_truth_cmd, validate_cmd
    from renpsim.cli.sensitivity import sensitivity_cmd
    from renpsim.cli.simulate import simulate_cmd
    from renpsim.cli.spectrum import spectrum_cmd
    from renpsim.cli.tui import tui_cmd

    for cmd in (spectrum_cmd, simulate_cmd, inspect_cmd, validate_cmd, strip_truth_cmd,
                import_cmd, limits_group, cite_cmd, fit_cmd, sensitivity_cmd, run_cmd,
                tui_cmd, coherence_cmd):
        cli.add_command(cmd)


_register()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return (and exit with) its status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    """
    try:
        rv = cli.main(args=argv, prog_name="renpsim", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("renpsim: aborted", err=True)
        code = 130
    except click.ClickException as exc:
        where = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            where = f"{exc.ctx.command_path}: "
        click.echo(f"renpsim: error: {where}{_one_line(exc.format_message())}", err=True)
        code = 2
    except RenpsimError as exc:
        click.echo(f"renpsim: error: {_one_line(exc)}", err=True)
        code = 2
    except KeyboardInterrupt:
        click.echo("renpsim: interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = 0
    sys.exit(code)
