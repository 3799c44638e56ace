"""Shared helpers of the run-file package: clock and attribute encoding.

Temporary names, fsync and stale-partial cleaning live in :mod:`renpsim._atomic`.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

#: Chunk cache of every HDF5 file renpsim opens (bytes per open dataset). HDF5 2.0's default
#: keeps many chunks per dataset; with tens of datasets open while a file is written or
#: validated that grows with the number of rows, this bound does not.
CHUNK_CACHE_BYTES = 1 << 20


def iso_from_ns(ns: int) -> str:
    """ISO 8601 text with nanoseconds and an explicit UTC offset for ``ns`` since the epoch."""
    sec, frac = divmod(int(ns), 1_000_000_000)
    t = _dt.datetime.fromtimestamp(sec, tz=_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}+00:00"


def str_array(values) -> np.ndarray:
    """Return an object array of Python str (h5py writes it as variable-length UTF-8)."""
    return np.array([str(v) for v in values], dtype=object)
