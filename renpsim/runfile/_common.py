"""Shared helpers of the run-file package: clock, attribute encoding, imprinted momentum.

Temporary names, fsync and stale-partial cleaning live in :mod:`renpsim._atomic`.
"""

from __future__ import annotations

import datetime as _dt

import h5py
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


def read_imprinted(f: h5py.File) -> dict[str, float]:
    """Return the imprinted pair momentum a run file records (schema 1.3.0).

    Parameters
    ----------
    f : h5py.File
        An open run file.

    Returns
    -------
    dict
        ``{"imprinted_momentum_eV": P0, "imprinted_cos": c}``; files written before 1.3.0
        (no ``/config/lasers/imprinted_momentum_eV``) have no imprinted momentum: (0.0, 1.0).

    """
    return recorded_imprinted(f) or {"imprinted_momentum_eV": 0.0, "imprinted_cos": 1.0}


def recorded_imprinted(f: h5py.File) -> dict[str, float] | None:
    """Return the imprinted pair momentum the file records, or None (a file before 1.3.0).

    Like :func:`read_imprinted`, but tells "no record" (None) from a recorded P0 = 0.
    """
    g = f.get("config/lasers")
    if not isinstance(g, h5py.Group) or "imprinted_momentum_eV" not in g:
        return None
    out = {"imprinted_momentum_eV": 0.0, "imprinted_cos": 1.0}
    for key in out:
        ds = g.get(key)
        if isinstance(ds, h5py.Dataset) and ds.shape == () and ds.dtype.kind == "f":
            out[key] = float(ds[()])
    return out
