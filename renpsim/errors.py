"""The project's exception types.

Every error caused by bad input is a :class:`RenpsimError`. The command line turns them into one
line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

from typing import Any


class RenpsimError(Exception):
    """Base class of every error renpsim raises on purpose."""


class InputError(RenpsimError, ValueError):
    """A value given by the user (file, option or argument) is not acceptable.

    Parameters
    ----------
    where : str
        The file path, or ``"option --name"`` / ``"argument"`` for command-line input.
    key : str
        The key, field or option that holds the bad value (dotted path for nested TOML keys).
    value : Any
        The offending value, as given.
    expected : str
        What would have been accepted, in words.

    """

    def __init__(self, where: str, key: str, value: Any, expected: str) -> None:
        self.where = where
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(self._format())

    def _format(self) -> str:
        v = self.value
        if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0:
            v = v.item()        # show 6.5, not np.float64(6.5)
        value = repr(v)
        if len(value) > 80:
            value = value[:77] + "..."
        return f"{self.where}: {self.key} = {value}: expected {self.expected}"


class PhysicsDomainError(InputError):
    """A physics input lies outside the domain where the formulas hold (e.g. omega > E_eg/2)."""


class MissingInputError(InputError):
    """A required physics input has no value (e.g. Gamma_0 for Xe, which no source gives)."""


class DataFileError(RenpsimError):
    """A data file shipped with or given to renpsim is malformed.

    Parameters
    ----------
    path : str
        File path.
    key : str
        The field that is wrong (``"-"`` for the file as a whole).
    problem : str
        What is wrong, in words.

    """

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}")


class RunFileError(DataFileError):
    """An HDF5 run file is missing, unreadable, foreign, truncated or violates the schema.

    Parameters
    ----------
    path : str
        File path.
    key : str
        The HDF5 item path (``/scan/counts_signal``, ``/@schema_version`` for a root attribute,
        ``"-"`` for the file as a whole).
    problem : str
        The bad value and what was expected, in words.

    """


class FileSystemError(DataFileError):
    """The file system refused an operation on a file, or the file is of the wrong kind.

    Disk full, read-only file system, permission denied, a name too long, a device or FIFO where
    a regular file is needed, or an output that is also an input of the command. The message
    names the user's file (never a temporary name) and the cause in words; the command line
    prints it as one line and exits with status 2.
    """


class Cancelled(RenpsimError):  # noqa: N818 (a request, not a failure)
    """A long computation stopped because its caller asked it to (a cancel hook returned true)."""
