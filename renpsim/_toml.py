"""One reader for every TOML file renpsim opens (campaigns, hardware, metadata, limits, data).

Errors name the file, the line and column, the text found there and what was expected, in one
line: ``setup.toml: line 20, column 1 = 'dwell_s = [86400.0': expected valid TOML (Unclosed
array)``. User files raise :class:`~renpsim.errors.InputError`; files that are part of a data set
(shipped data, a limits database) raise :class:`~renpsim.errors.DataFileError`.
"""

from __future__ import annotations

import os
import re
import tomllib
from typing import Any, NoReturn

from renpsim.errors import DataFileError, InputError

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_END = re.compile(r"\s*\(at end of document\)\s*$")


def read_toml(path: str | os.PathLike, *, data_file: bool = False,
              what: str = "a TOML file") -> dict[str, Any]:
    """Read and parse a TOML file, turning every failure into one of the project's errors.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.
    data_file : bool, optional
        Raise :class:`DataFileError` (a data set's file) instead of :class:`InputError`.
    what : str, optional
        What the file should be, for the "missing file" message (e.g. ``"a hardware TOML
        file"``).

    Returns
    -------
    dict
        The parsed document.

    Raises
    ------
    InputError or DataFileError
        Missing or unreadable file, bytes that are not UTF-8, or a TOML syntax error (with its
        line and column).

    """
    p = str(path)
    try:
        with open(p, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        _fail(p, "-", p, f"an existing file ({what})", data_file)
    except IsADirectoryError:
        _fail(p, "-", p, f"a file, not a folder ({what})", data_file)
    except OSError as exc:
        _fail(p, "-", p, f"a readable file ({exc.strerror})", data_file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        _fail(p, f"line {line}", f"byte 0x{raw[exc.start]:02x}",
                     "UTF-8 text (TOML files are UTF-8)", data_file)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _POSITION.search(msg)
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            lines = text.splitlines()
            found = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            _fail(p, f"line {line}, column {col}", found,
                         f"valid TOML ({msg[: m.start()]})", data_file)
        msg = _END.sub("", msg)
        _fail(p, "end of file", "", f"valid TOML ({msg})", data_file)


def _fail(path: str, key: str, value: Any, expected: str, data_file: bool) -> NoReturn:
    if data_file:
        raise DataFileError(path, key, f"found {value!r}, expected {expected}")
    raise InputError(path, key, value, expected)
