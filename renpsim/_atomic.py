"""Crash-safe file writing: write to a temporary file beside the target, then rename.

A reader or a crash never sees a partial file under the final name; an existing file there stays
intact until the new one is complete (``os.replace`` is atomic on POSIX within one directory).

Every writer of renpsim (run files, CSV and HDF5 tables, plots, reports) names its temporary
file ``.<name>.partial-<pid>`` beside the final name. A temporary whose process no longer runs is
a leftover of a crash (SIGKILL, power loss): the next write to the same name removes it and
reports it (a warning on the ``renpsim`` logger, shown on stderr), and :func:`clean_partials`
finds (and removes) them for a file or a whole folder.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

_LOG = logging.getLogger("renpsim")

#: Temporary names of every renpsim writer: ``.<name>.partial-<pid>``.
PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)$")


def partial_name(final: Path, pid: int | None = None) -> Path:
    """Return the temporary name ``.<name>.partial-<pid>`` beside ``final``."""
    pid = os.getpid() if pid is None else pid
    return final.with_name(f".{final.name}.partial-{pid}")


def pid_alive(pid: int) -> bool:
    """Return True when a process with this id runs (on this machine); zombies are dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # Linux: a killed process not yet reaped by its parent is a zombie ("Z")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def fsync_path(path: Path) -> None:
    """Fsync a file (or directory) by path."""
    flags = os.O_RDONLY
    if hasattr(os, "O_DIRECTORY") and path.is_dir():
        flags |= os.O_DIRECTORY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_partials(path: str | os.PathLike, *, remove: bool = True) -> list[Path]:
    """Find (and by default delete) temporary files left by writers that no longer run.

    Parameters
    ----------
    path : path-like
        A final file name (only its own temporaries are considered) or a directory (all
        ``.*.partial-<pid>`` files in it).
    remove : bool
        Delete the stale temporaries (default). Temporaries of a live process are never touched.

    Returns
    -------
    list of pathlib.Path
        The stale temporaries found (deleted when ``remove``).

    """
    p = Path(path)
    if p.is_dir():
        directory, only = p, None
    else:
        directory, only = p.parent, p.name
    found = []
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        m = PARTIAL_RE.match(entry.name)
        if not m or (only is not None and m["name"] != only):
            continue
        if pid_alive(int(m["pid"])):
            continue
        found.append(entry)
        if remove:
            try:
                entry.unlink()
            except OSError:
                pass
    return found


def remove_stale_partials(path: Path) -> list[Path]:
    """Remove the leftovers of crashed writers of ``path`` and report each (logger warning)."""
    stale = clean_partials(path)
    for s in stale:
        _LOG.warning("renpsim: removed %s, a partial file left by a writer that stopped", s)
    return stale


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
    remove_stale_partials(path)
    tmp = partial_name(path)
    try:
        write(tmp)
        fsync_path(tmp)                   # the content is on disk before the rename
        os.replace(tmp, path)
        fsync_path(path.parent)           # and the rename itself
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
