"""Entry point of the ``renpsim`` command and its error policy.

Policy: bad input never produces a traceback. Every :class:`~renpsim.errors.RenpsimError` and
every command-line usage error is printed as one line on standard error, and the process exits
with status 2. Environment faults (disk full, read-only file system, permission denied, a name
too long, also when h5py wraps them in ``RuntimeError``) are mapped once, by
:func:`renpsim._atomic.os_error`, to the same one line and status 2. A closed standard output
(``renpsim ... | head``) ends the command quietly with status 141 (128 + SIGPIPE, as the
shell reports a process killed by SIGPIPE); a full one (``> /dev/full``) is an error line and
status 2.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys

import click

from renpsim import __version__
from renpsim._atomic import ABANDONED_H5, is_environment_fault, os_error
from renpsim.cli.options import guard_paths
from renpsim.errors import RenpsimError

#: Exit status when standard output was closed by its reader (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141

# Subcommands, imported only when invoked (or when their own help is asked for): name ->
# (module, attribute, one-line help shown by ``renpsim --help``). The one-line help is kept here
# so that listing the commands imports nothing; tests/test_cli_help.py checks each entry against
# the command it names.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "spectrum": ("renpsim.cli.spectrum", "spectrum_cmd",
                 "The RENP photon spectral function I(omega), its channels and thresholds."),
    "simulate": ("renpsim.cli.simulate", "simulate_cmd",
                 "Simulate the DAQ of a campaign and write an HDF5 run file."),
    "inspect": ("renpsim.cli.runfile", "inspect_cmd", "Summarise a run file."),
    "validate": ("renpsim.cli.runfile", "validate_cmd",
                 "Check a run file against the run-file schema."),
    "strip-truth": ("renpsim.cli.runfile", "strip_truth_cmd",
                    "Copy a run file without its truth group (blinding)."),
    "import": ("renpsim.cli.runfile", "import_cmd",
               "Turn counts per step or time-tagger files, plus metadata, into a run file."),
    "fit": ("renpsim.cli.fit", "fit_cmd",
            "Fit a run file: SM or BSM model with nuisances (iminuit)."),
    "sensitivity": ("renpsim.cli.sensitivity", "sensitivity_cmd",
                    "Expected limits and decision exposures of a campaign."),
    "limits": ("renpsim.cli.limits", "limits_group",
               "The cited database of existing limits: list, show, plot, compare."),
    "cite": ("renpsim.cli.limits", "cite_cmd", "Print BibTeX for renpsim and for cited limits."),
    "presets": ("renpsim.cli.presets", "presets_cmd",
                "List the shipped hardware, campaign and detector presets."),
    "run": ("renpsim.cli.run", "run_cmd",
            "The main job: simulate, fit, sensitivity and limits into a report."),
    "tui": ("renpsim.cli.tui", "tui_cmd", "The terminal UI for planning campaigns."),
    "coherence": ("renpsim.cli.coherence", "coherence_cmd",
                  "Macro-coherence eta(t) and the PSR background from the Maxwell-Bloch model."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use.

    ``renpsim --help`` lists the commands from :data:`COMMANDS` without importing any of them;
    ``renpsim NAME ...`` imports only the module of ``NAME``.
    """

    def __init__(self, *args, lazy: dict[str, tuple[str, str, str]] | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        # Imported lazy commands are cached here, not in ``self.commands``: that dict holds only
        # the eagerly added ones, so it never looks like the complete list (documentation
        # generators read it when it is not empty).
        self._loaded: dict[str, click.Command] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102
        return [*self.lazy, *(n for n in super().list_commands(ctx) if n not in self.lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: D102
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self._loaded:
            module_name, attr, _ = self.lazy[cmd_name]
            cmd = getattr(importlib.import_module(module_name), attr)
            guard_paths(cmd)   # path and finite-number checks before the command body runs
            self._loaded[cmd_name] = cmd
        return self._loaded[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with their static one-line help (imports nothing)."""
        rows = [(name, short) for name, (_, _, short) in self.lazy.items()]
        rows += [(name, cmd.get_short_help_str(formatter.width))
                 for name, cmd in self.commands.items() if name not in self.lazy]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="renpsim")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """renpsim: simulate, fit and plan RENP experiments (|e> -> |g> + gamma + nu nubar).

    Every command has --help. Shell completion (bash, zsh, fish) is described in the docs,
    page "Command line".
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return (and exit with) its status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``. Without ``argv`` (the
        ``renpsim`` process itself) a process that abandoned an HDF5 file after a write
        failure ends with ``os._exit`` (HDF5's own clean-up of such a file can crash).

    """
    stdout_before = _stdout_identity()
    try:
        rv = cli.main(args=argv, prog_name="renpsim", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
        sys.stdout.flush()      # a full standard output fails here, not at interpreter exit
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:
        # A group called without a subcommand: its help, as asked for.
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        code = 0
    except SystemExit as exc:
        # click and rich end a command whose standard output was closed (EPIPE) with exit(1),
        # after wrapping the streams (click) or pointing stdout at /dev/null (rich)
        if exc.code != 1 or not (type(sys.stdout).__name__.endswith("PacifyFlushWrapper")
                                 or _stdout_identity() != stdout_before):
            raise
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
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
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
    except Exception as exc:
        if not is_environment_fault(exc):
            raise
        where = "standard output" if _is_stdout_fault(exc) else None
        if where:
            _silence_stdout()
        err = os_error(exc, where, "cannot write" if where else "failed")
        click.echo(f"renpsim: error: {_one_line(err)}", err=True)
        code = 2
    if argv is None and ABANDONED_H5:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)


def _is_stdout_fault(exc: BaseException) -> bool:
    """Tell whether an error is a failed write to standard output (no file name, disk full)."""
    return (type(exc) is OSError and exc.filename is None
            and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG))


def _stdout_identity() -> tuple[int, int] | None:
    try:
        st = os.fstat(sys.__stdout__.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return st.st_dev, st.st_ino


def _silence_stdout() -> None:
    """Point standard output at /dev/null so that the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
