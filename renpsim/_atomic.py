"""Crash-safe file writing: write to a temporary file beside the target, then rename.

A reader or a crash never sees a partial file under the final name; an existing file there stays
intact until the new one is complete (``os.replace`` is atomic on POSIX within one directory).
Temporary names are ``.<name>.<random>.tmp`` in the target's directory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Final file name.
    write : callable
        Writes the complete content to the temporary path it is given.

    Returns
    -------
    pathlib.Path
        ``path``.

    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
