"""Shared helpers of the run-file package: temporary names, clock, attribute encoding."""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

import numpy as np

PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)$")


def partial_name(final: Path, pid: int | None = None) -> Path:
    """Return the temporary name ``.<name>.partial-<pid>`` beside ``final``."""
    pid = os.getpid() if pid is None else pid
    return final.with_name(f".{final.name}.partial-{pid}")


def pid_alive(pid: int) -> bool:
    """Return True when a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def iso_from_ns(ns: int) -> str:
    """ISO 8601 text with nanoseconds and an explicit UTC offset for ``ns`` since the epoch."""
    sec, frac = divmod(int(ns), 1_000_000_000)
    t = _dt.datetime.fromtimestamp(sec, tz=_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}+00:00"


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


def str_array(values) -> np.ndarray:
    """Return an object array of Python str (h5py writes it as variable-length UTF-8)."""
    return np.array([str(v) for v in values], dtype=object)
