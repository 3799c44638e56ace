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
import os
import sys

import click

from renpsim import __version__
from renpsim._atomic import ABANDONED_H5, is_environment_fault, os_error
from renpsim.cli.options import guard_paths
from renpsim.errors import RenpsimError

#: Exit status when standard output was closed by its reader (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="renpsim")
def cli() -> None:
    """renpsim: simulate, fit and plan RENP experiments (|e> -> |g> + gamma + nu nubar)."""


def _register() -> None:
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
                tui_cmd):
        cli.add_command(cmd)
    guard_paths(cli)


_register()


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
