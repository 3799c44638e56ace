"""Streaming, crash-safe, SWMR-followable writer of run files ([hardware §9]).

Life cycle of one file:

1. The writer creates ``.<name>.partial-<pid>`` beside the final name with the library-version
   bounds :data:`LIBVER` (the oldest format that has SWMR, readable by HDF5 1.10 and later),
   creates every group and dataset the run will fill (resizable, chunked, compressed), and
   switches SWMR mode on ([hardware §9.5]).
2. ``append_*`` calls stream rows. Step rows are committed at once: the file is flushed, then
   ``/quality/n_steps_committed`` (and the shot and event counters) are updated and flushed
   again. Shot and event rows are copied into a preallocated buffer of ``buffer_rows`` rows
   (bounded memory), written with one resize and one write per dataset when it fills, and
   committed at most every ``commit_interval_s`` (and at every step commit and at close).
3. ``close()`` flushes, sets ``/quality/writer_state`` = 1, closes, reopens the file (not SWMR) to
   add calibration, provenance, the NeXus entry and the final root attributes, validates the
   structure, fsyncs and renames it atomically onto the final name. An existing file under the
   final name is replaced only then; after a crash it is untouched and the partial file is left
   for :func:`clean_partials`.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from renpsim import __version__
from renpsim._atomic import (
    abandon_h5,
    check_output,
    fsync_path,
    h5_written,
    is_environment_fault,
    os_error,
    partial_name,
    remove_stale_partials,
)
from renpsim._json import dumps_blocks, json_default
from renpsim.errors import InputError, RunFileError
from renpsim.physics.kinematics import check_imprinted_momentum
from renpsim.runfile._common import CHUNK_CACHE_BYTES, iso_from_ns, str_array
from renpsim.runfile.schema import (
    NUMPY_DTYPES,
    dataset_spec,
    group_spec,
    load_schema,
    schema_version,
)

_LOG = logging.getLogger("renpsim.runfile")
FILE_KINDS = ("synthetic", "real", "calibration", "dark")
#: HDF5 library-version bounds of every file renpsim writes. SWMR needs the v110 format at
#: least; the upper bound keeps HDF5 from choosing newer object-header and layout messages
#: ("latest" with HDF5 2.0 gives chunked datasets that HDF5 1.10-1.14 readers cannot open).
LIBVER = ("v110", "v110")
#: Filters the writer offers: both decoded by every HDF5 build (lzf only by h5py; files of
#: earlier renpsim versions that use it stay readable through h5py).
COMPRESSIONS = ("gzip", None)
_STR = h5py.string_dtype("utf-8")
_INT64_MAX = np.iinfo(np.int64).max
_SPLIT_RE = re.compile(r"^(?P<base>.+)_(?P<j>\d+)$")
#: HDF5 fill value of the datasets whose schema entry has a constant writer default.
_FILL_VALUES = {"nan": np.nan, "zero": 0, "one": 1}
#: Bytes of shot/event data after which the writer asks the OS to start writing them to disk.
_WRITEBACK_BYTES = 64 << 20


@dataclass(frozen=True)
class RunIdentity:
    """Identity and provenance of one run (root attributes, [hardware §9.2]).

    Parameters
    ----------
    run_id : str
        Unique run identifier.
    file_kind : {"synthetic", "real", "calibration", "dark"}
        What the file holds.
    experiment : str
        Experiment or preset name.
    software, software_version, git_commit : str
        Producer of the data (simulator, DAQ or converter).
    seed : numpy.random.SeedSequence, optional
        Seed sequence of a synthetic run; its entropy and spawn key are recorded.
    run_start_utc_ns : int
        Start of the run, ns since the Unix epoch (synthetic: the campaign's nominal start).
    run_stop_utc_ns : int, optional
        End of the run; default the last step's ``t_stop_utc_ns`` (or the start).
    comment : str
        Free text.

    """

    run_id: str
    file_kind: str = "synthetic"
    experiment: str = ""
    software: str = "renpsim"
    software_version: str = __version__
    git_commit: str = ""
    seed: np.random.SeedSequence | None = None
    run_start_utc_ns: int = 0
    run_stop_utc_ns: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class RunConfig:
    """Frozen configuration written to ``/config`` ([hardware §9.2]).

    Parameters
    ----------
    target : mapping
        Attributes of ``/config/target`` (species, isotope, E_eg_eV, ...).
    lasers : sequence of mapping
        One mapping per laser (``/config/lasers/laser_<i>``; role, nominal_wavelength_m, ...).
    detectors : sequence of mapping
        One mapping per channel (``/config/detector/det_<c>``); ``channel`` defaults to c.
    daq : mapping
        Attributes of ``/config/daq`` (mode, time_unit_s, ...).
    waveguide : mapping
        Attributes of ``/config/waveguide``; ``{"type": "none"}`` when there is none.
    full : mapping, optional
        The full resolved configuration (campaign and hardware) stored as JSON in
        ``/config/config_json``; default the four sections above.
    campaign_toml, hardware_toml : str, optional
        Verbatim text of the campaign and hardware files the run came from
        (``/config/campaign_toml``, ``/config/hardware_toml``).
    imprinted_momentum_eV, imprinted_cos : float
        Pair momentum P0 (eV) imprinted by the trigger geometry and its cosine to the emitted
        photon (``/config/lasers/imprinted_momentum_eV``, ``imprinted_cos``; schema 1.3.0).
        Default no imprinted momentum (0, 1).

    """

    target: Mapping[str, Any]
    lasers: Sequence[Mapping[str, Any]]
    detectors: Sequence[Mapping[str, Any]]
    daq: Mapping[str, Any]
    waveguide: Mapping[str, Any] = field(default_factory=lambda: {"type": "none"})
    full: Mapping[str, Any] | None = None
    campaign_toml: str | None = None
    hardware_toml: str | None = None
    # -- imprinted pair momentum (schema 1.3.0) --
    imprinted_momentum_eV: float = 0.0
    imprinted_cos: float = 1.0

    def as_json(self) -> str:
        """Return the text stored in ``/config/config_json`` (sorted keys, deterministic)."""
        full = self.full
        if full is None:
            full = {"target": dict(self.target), "lasers": [dict(x) for x in self.lasers],
                    "detectors": [dict(x) for x in self.detectors], "daq": dict(self.daq),
                    "waveguide": dict(self.waveguide)}
        # arrays (a campaign's explicit step lists) are encoded block by block
        return dumps_blocks(full, sort_keys=True, allow_nan=True)


@dataclass(frozen=True)
class TruthSpec:
    """What ``/truth`` will hold (synthetic runs only).

    Parameters
    ----------
    params : mapping
        True physics and hardware parameters (``/truth/params_json``).
    background_components : sequence of str
        Names of the background components (``/truth/expected_background/<name>``) that each
        ``append_steps(..., truth=...)`` call supplies.
    event_sources : sequence of str
        Names of the processes that produce time tags (index = source code). Non-empty (and
        ``events=True``): the writer creates ``/truth/event_source`` and every
        :meth:`RunWriter.append_events` call supplies ``source=`` (one code per row).

    """

    params: Mapping[str, Any]
    background_components: Sequence[str] = ()
    event_sources: Sequence[str] = ()


# ---------------------------------------------------------------------------------------------
# Input coercion


def _dims(n_lasers: int, n_channels: int) -> dict[str, int]:
    return {"N_lasers": n_lasers, "N_channels": n_channels}


def _coerce(where: str, name: str, spec: Mapping[str, Any], value: Any, n: int,
            dims: Mapping[str, int]) -> np.ndarray:
    """Convert one column to the schema dtype and shape ``(n, width...)``, checking values."""
    dtype = np.dtype(NUMPY_DTYPES[spec["dtype"]])
    width = tuple(dims[d] for d in spec["shape"][1:])
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InputError(where, name, value, f"an array ({exc})") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise InputError(where, name, _show(arr), "numbers")
    if arr.ndim == 0:
        arr = np.broadcast_to(arr, (n, *width))
    elif width and arr.ndim == 1 and width == (1,):
        arr = arr.reshape(-1, 1)
    elif width and arr.ndim == 1 and arr.shape[0] == width[0] and n == 1:
        arr = arr.reshape(1, -1)
    if arr.shape != (n, *width):
        raise InputError(where, name, f"shape {arr.shape}", f"shape {(n, *width)}")
    checks = spec.get("checks", ())
    if dtype.kind in "iu":
        if arr.dtype.kind == "f":
            bad = ~np.isfinite(arr) | (arr != np.round(arr))
            if bad.any():
                raise InputError(where, name, _first_bad(arr, bad), "whole numbers (no NaN)")
        if arr.dtype.kind == "b":
            arr = arr.astype(np.int64)
        info = np.iinfo(dtype)
        if arr.size:
            lo, hi = arr.min(), arr.max()
            if lo < info.min or hi > info.max:
                bad = (arr < info.min) | (arr > info.max)
                raise InputError(where, name, _first_bad(arr, bad),
                                 f"values in [{info.min}, {info.max}] ({spec['dtype']})")
    elif dtype.kind == "f":
        if arr.dtype.kind not in "iufb":
            raise InputError(where, name, _show(arr), "numbers")
        if "finite" in checks and arr.size:
            bad = ~np.isfinite(arr)
            if bad.any():
                raise InputError(where, name, _first_bad(arr, bad), "finite values")
        if ("nonneg" in checks or "nonneg_or_nan" in checks) and arr.size:
            bad = arr < 0
            if bad.any():
                raise InputError(where, name, _first_bad(arr, bad), "values >= 0")
        if "positive" in checks and arr.size:
            bad = ~(arr > 0)
            if bad.any():
                raise InputError(where, name, _first_bad(arr, bad), "values > 0")
    return np.ascontiguousarray(arr, dtype=dtype)


def _show(arr: np.ndarray) -> Any:
    flat = arr.reshape(-1)
    return flat[0] if flat.size else arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> str:
    idx = np.argwhere(bad)[0]
    return f"{arr[tuple(idx)]!r} at row {int(idx[0])}"


def _fill(spec: Mapping[str, Any], n: int, dims: Mapping[str, int], columns: Mapping[str, Any],
          first_row: int) -> np.ndarray | None:
    dtype = np.dtype(NUMPY_DTYPES[spec["dtype"]])
    shape = (n, *(dims[d] for d in spec["shape"][1:]))
    kind = spec.get("fill")
    if kind == "nan":
        return np.full(shape, np.nan, dtype)
    if kind == "zero":
        return np.zeros(shape, dtype)
    if kind == "one":
        return np.ones(shape, dtype)
    if kind == "row_index":
        return np.arange(first_row, first_row + n, dtype=dtype)
    if kind in columns:
        return np.asarray(columns[kind], dtype=dtype).reshape(shape)
    return None


# ---------------------------------------------------------------------------------------------
# The writer


class _Table:
    """A set of equal-length resizable datasets in one group, written row blocks at a time."""

    def __init__(self, group: h5py.Group, gpath: str, specs: Sequence[Mapping[str, Any]],
                 dims: Mapping[str, int], chunk_rows: int, compression: str | None,
                 where: str, extra_attrs: Mapping[str, Mapping[str, Any]] | None = None,
                 level: int = 4, compress_floats: bool = True):
        self.gpath = gpath
        self.specs = list(specs)
        self.dims = dims
        self.where = where
        self.n = 0
        self.datasets: dict[str, h5py.Dataset] = {}
        self.alias = {}
        self.fill_bits: dict[str, np.ndarray] = {}
        for spec in self.specs:
            self.alias[spec["name"]] = spec["name"]
            for a in spec.get("aliases", ()):
                self.alias[a] = spec["name"]
            width = tuple(dims[d] for d in spec["shape"][1:])
            dtype = np.dtype(NUMPY_DTYPES[spec["dtype"]])
            row_bytes = dtype.itemsize * int(np.prod(width, dtype=np.int64))
            # Chunk of about chunk_rows rows, capped at 4 MiB per chunk.
            rows = max(1, min(chunk_rows, (4 << 20) // max(1, row_bytes)))
            filt = compression if (compress_floats or dtype.kind != "f") else None
            fill = _FILL_VALUES.get(spec.get("fill"))
            ds = group.create_dataset(
                spec["name"], shape=(0, *width), maxshape=(None, *width), dtype=dtype,
                chunks=(rows, *width), compression=filt,
                compression_opts=level if filt == "gzip" else None,
                shuffle=filt is not None, fillvalue=None if fill is None else dtype.type(fill))
            if fill is not None:
                # Rows that all hold the fill value need not be written: HDF5 returns the
                # dataset's fill value for chunks never written (and fills the unwritten part
                # of a partly written chunk), so readers see the same values, bit for bit.
                self.fill_bits[spec["name"]] = np.asarray(fill, dtype).view(f"u{dtype.itemsize}")
            _dataset_attrs(ds, spec)
            for k, v in (extra_attrs or {}).get(spec["name"], {}).items():
                ds.attrs[k] = v
            self.datasets[spec["name"]] = ds
        # Write buffer: one preallocated array per column (allocated on first use, reused), so
        # memory stays at buffer_rows x row size whatever the run length.
        self.buffer: dict[str, np.ndarray] | None = None
        self.buffered = 0
        self.last: dict[str, Any] = {}   # last value of each ordered column
        self.last_names = [s["name"] for s in self.specs if {"nondecreasing", "increasing"} &
                           set(s.get("checks", ()))]

    def prepare(self, columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Resolve aliases, fill defaults and coerce; return the block of rows."""
        cols: dict[str, Any] = {}
        split: dict[str, dict[int, Any]] = {}
        for key, value in columns.items():
            name = self.alias.get(key)
            m = _SPLIT_RE.match(key) if name is None else None
            if m and self.alias.get(m["base"]) in self.datasets and \
                    self.datasets[self.alias[m["base"]]].ndim == 2:
                # a column <name>_<j> of a split 2-D dataset (as in RunFile.scan)
                split.setdefault(self.alias[m["base"]], {})[int(m["j"])] = value
                continue
            if name is None:
                raise InputError(self.where, key, "(column)",
                                 "one of " + ", ".join(sorted(self.datasets)))
            if name in cols:
                raise InputError(self.where, key, "(column)", "each column given once")
            cols[name] = value
        for name, parts in split.items():
            width = self.datasets[name].shape[1]
            if name in cols or sorted(parts) != list(range(width)):
                raise InputError(self.where, name, sorted(parts),
                                 f"either {name} or all of {name}_0 .. {name}_{width - 1}")
            cols[name] = np.stack([np.asarray(parts[j]) for j in range(width)], axis=-1)
        n = None
        for spec in self.specs:
            if spec["name"] in cols:
                v = np.asarray(cols[spec["name"]])
                if v.ndim >= 1:
                    n = v.shape[0]
                    break
        if n is None:
            n = 1
        out: dict[str, np.ndarray] = {}
        for spec in self.specs:
            name = spec["name"]
            if name in cols:
                out[name] = _coerce(self.where, name, spec, cols[name], n, self.dims)
        for spec in self.specs:
            name = spec["name"]
            if name not in out:
                filled = _fill(spec, n, self.dims, out, self.n + self.buffered)
                if filled is None:
                    raise InputError(self.where, name, "(missing)",
                                     "a value for every row (required column)")
                out[name] = filled
        for spec in self.specs:
            checks = spec.get("checks", ())
            for c in ("nondecreasing", "increasing"):
                if c in checks and len(out[spec["name"]]):
                    self._ordered(spec["name"], out[spec["name"]], c == "increasing")
        return out

    def _ordered(self, name: str, a: np.ndarray, strict: bool) -> None:
        """Check that a column continues in order (within the block and after earlier rows)."""
        prev = self.last.get(name)
        b = a if prev is None else np.concatenate([np.asarray([prev], a.dtype), a])
        bad = (b[1:] <= b[:-1]) if strict else (b[1:] < b[:-1])
        if bad.any():
            k = int(np.argmax(bad))
            i = k + 1 if prev is None else k
            raise InputError(self.where, name, f"{a[i]!r} at row {i} (after {b[k]!r})",
                             "increasing values" if strict else "non-decreasing values")

    def add(self, block: dict[str, np.ndarray], flush_rows: int) -> bool:
        """Buffer a block; write when ``flush_rows`` are pending. Return True if written.

        Rows are copied into a preallocated buffer of ``flush_rows`` rows per column; a block
        that does not fit is split, and each full buffer is written with one resize and one
        write per dataset. ``flush_rows`` = 0 writes at once (no buffer).
        """
        n = len(next(iter(block.values())))
        if not n:
            return False
        for name in self.last_names:
            self.last[name] = block[name][-1]
        if flush_rows <= 0:
            self._write(block, n)
            return True
        written = False
        i = 0
        if not self.buffered and n >= flush_rows:
            # large block, empty buffer: write whole buffers straight from the block
            m = n - n % flush_rows
            self._write({k: v[:m] for k, v in block.items()}, m)
            i, written = m, True
        while i < n:
            if self.buffer is None:
                self.buffer = {k: np.empty((flush_rows, *ds.shape[1:]), ds.dtype)
                               for k, ds in self.datasets.items()}
            take = min(n - i, flush_rows - self.buffered)
            for k, buf in self.buffer.items():
                buf[self.buffered:self.buffered + take] = block[k][i:i + take]
            self.buffered += take
            i += take
            if self.buffered >= flush_rows:
                self.write_buffer()
                written = True
        return written

    def write_buffer(self) -> None:
        """Write the buffered rows (one resize and one write per dataset)."""
        if not self.buffered or self.buffer is None:
            return
        m = self.buffered
        self._write({k: v[:m] for k, v in self.buffer.items()}, m)
        self.buffered = 0

    def release(self) -> None:
        """Drop the (empty) write buffer."""
        if not self.buffered:
            self.buffer = None

    def _write(self, block: Mapping[str, np.ndarray], m: int) -> None:
        n0, n1 = self.n, self.n + m
        for name, ds in self.datasets.items():
            ds.resize(n1, axis=0)
            a = block[name]
            bits = self.fill_bits.get(name)
            if bits is not None and a.dtype.itemsize == bits.itemsize and \
                    bool((a.view(bits.dtype) == bits).all()):
                continue   # all rows hold the fill value (see __init__)
            ds[n0:n1] = a
        self.n = n1


def _dataset_attrs(ds: h5py.Dataset, spec: Mapping[str, Any]) -> None:
    ds.attrs["units"] = spec["units"]
    ds.attrs["description"] = spec["description"]
    ds.attrs["TITLE"] = spec["description"]


def _scalar(group: h5py.Group, spec: Mapping[str, Any], value: Any) -> h5py.Dataset:
    if spec["dtype"] == "str":
        ds = group.create_dataset(spec["name"], data=str(value), dtype=_STR)
    else:
        ds = group.create_dataset(spec["name"], data=np.asarray(
            value, dtype=NUMPY_DTYPES[spec["dtype"]]))
    _dataset_attrs(ds, spec)
    return ds


def _write_imprinted(where: str, lasers: h5py.Group, cfg: RunConfig, E_eg_eV: float) -> None:
    """Write the imprinted pair momentum and its cosine into ``/config/lasers`` (schema 1.3.0).

    Checked as every user of the thresholds checks it (0 <= P0 < E_eg, -1 <= c <= 1); errors
    name the :class:`RunConfig` field.
    """
    try:
        check_imprinted_momentum(cfg.imprinted_momentum_eV, cfg.imprinted_cos, E_eg_eV)
    except InputError as exc:
        raise InputError(where, exc.key, exc.value, exc.expected) from None
    specs = {d["name"]: d for d in group_spec("/config/lasers")["datasets"]}
    _scalar(lasers, specs["imprinted_momentum_eV"], float(cfg.imprinted_momentum_eV))
    _scalar(lasers, specs["imprinted_cos"], float(cfg.imprinted_cos))


def _set_attrs(where: str, obj: h5py.HLObject, gpath: str, values: Mapping[str, Any]) -> None:
    """Write group attributes, checking names and types against the schema group ``gpath``."""
    specs = {a["name"]: a for a in group_spec(gpath)["attributes"]}
    for name, a in specs.items():
        if a["required"] and name not in values:
            raise InputError(where, name, "(missing)", f"a value ({a['description']})")
    for name, value in values.items():
        a = specs.get(name)
        if a is None:
            raise InputError(where, name, value, "one of " + ", ".join(sorted(specs)))
        obj.attrs[name] = _attr_value(where, name, a, value)


def _attr_value(where: str, name: str, a: Mapping[str, Any], value: Any) -> Any:
    t = a["type"]
    if a.get("values") and value not in a["values"]:
        raise InputError(where, name, value, "one of " + ", ".join(a["values"]))
    try:
        if t == "str":
            if not isinstance(value, str):
                raise TypeError
            return value
        if t == "str[]":
            return str_array(value).astype(_STR)
        if t == "bool":
            if not isinstance(value, bool | np.bool_):
                raise TypeError
            return np.bool_(value)
        if t == "int64":
            if isinstance(value, bool) or int(value) != value:
                raise TypeError
            return np.int64(value)
        if t == "int64[]":
            return np.asarray(value, dtype=np.int64)
        if t == "float64":
            if isinstance(value, bool | str) or np.ndim(value) != 0:
                raise TypeError
            v = np.float64(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(where, name, value, f"a {t}") from None
    if t != "float64":
        raise AssertionError(t)
    lo, hi, what = _ATTR_RANGE.get(a.get("units", ""), (-np.inf, np.inf, "a finite number"))
    lo, hi, what = _ATTR_RANGE.get(name, (lo, hi, what))
    if not (np.isfinite(v) and lo <= v <= hi):
        raise InputError(where, name, value, f"{what} ({a.get('units') or 'no unit'})")
    return v


#: Plausible ranges of float attributes, by name or by units (catches unit mistakes such as a
#: wavelength in nm or an efficiency in percent). Not in the schema JSON: ranges are checks of
#: this writer, the format itself only fixes type and unit.
_ATTR_RANGE: dict[str, tuple[float, float, str]] = {
    "1": (0.0, 1.0, "a number in [0, 1]"),
    "nominal_wavelength_m": (1e-9, 1e-3, "a vacuum wavelength in metres, in [1e-9, 1e-3]"),
    "E_eg_eV": (0.0, 1e3, "an energy in eV, in [0, 1e3]"),
}


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


def _io_guard(method):
    """Turn OS/HDF5 write failures (disk full, ...) into RunFileError.

    The partial file is removed first; calls on a finished or aborted writer are refused.
    """
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._state != "open":
            raise RunFileError(str(self.path), "-", f"the writer is {self._state}: no more "
                               "writes")
        try:
            return method(self, *args, **kwargs)
        except (OSError, RuntimeError) as exc:
            if not is_environment_fault(exc):
                raise
            self._abort(exc)
            raise os_error(exc, self.path, f"cannot write (partial file removed, {self.path} "
                           "untouched)", RunFileError) from None
    return wrapper


class RunWriter:
    """Write one run file by streaming steps, shots and events ([hardware §9]).

    Parameters
    ----------
    path : path-like
        Final file name. Data go to ``.<name>.partial-<pid>`` in the same directory, renamed
        onto ``path`` by :meth:`close`.
    identity : RunIdentity
        Root attributes.
    config : RunConfig
        Frozen configuration (defines ``N_lasers`` and ``N_channels``).
    shots, events : bool
        Create ``/shots`` (per-shot records) and ``/events`` (time tags).
    slow_control : mapping, optional
        ``{sensor: {"units": ..., "description": ..., "sensor_id": ..., "nominal_period_s":
        ...}}``; each sensor gets ``/slow_control/<sensor>``.
    truth : TruthSpec, optional
        Create ``/truth`` (synthetic runs only).
    compression : {"gzip", None}
        Filter of every chunked dataset (gzip with shuffle by default; None: no filter). Both
        are decoded by every HDF5 reader (lzf, used by renpsim before schema 1.2, only by h5py,
        so it is not offered).
    compression_level : int
        gzip level (0-9) of ``/shots`` and ``/events`` (default 4, as [hardware §9.1]; 1 is
        about 1.5 times faster for 20 % more bytes).
    chunk_rows : int
        Target rows per chunk of the per-shot and per-event datasets (steps use
        ``min(chunk_rows, 256)``). Dataset contents do not depend on it.
    buffer_rows : int
        Shot and event rows kept in memory before a write (bounds memory: one preallocated
        buffer of ``buffer_rows`` rows per table, e.g. 16 MiB for 2**18 shot rows).
    compress_floats : bool
        Also compress the floating-point columns of ``/shots`` and ``/events`` (monitor
        readbacks and exposures: noise that compresses by only 20-45 % at several times the
        write cost). Off by default; every other chunked dataset uses ``compression``. The choice is
        per dataset and invisible to readers (HDF5 filters), not a format change.
    commit_interval_s : float
        Shot and event rows are committed (file flushed, then ``/quality/n_shots_committed``
        and ``n_events_committed`` updated and flushed) at most this often, and at every
        :meth:`append_steps` and at :meth:`close`. Step rows are always committed at once;
        good time intervals and slow-control samples become visible to live readers at the
        next commit. 0 commits after every buffer write.
    swmr : bool
        Switch SWMR mode on so a reader can follow the file live.
    overwrite : bool
        Replace an existing file under ``path`` on success (it stays intact until then).

    Examples
    --------
    See the :mod:`renpsim.runfile` package docstring.

    """

    def __init__(self, path: str | os.PathLike, identity: RunIdentity, config: RunConfig, *,
                 shots: bool = False, events: bool = False,
                 slow_control: Mapping[str, Mapping[str, Any]] | None = None,
                 truth: TruthSpec | None = None, compression: str | None = "gzip",
                 compression_level: int = 4, chunk_rows: int = 65536,
                 buffer_rows: int = 1 << 18, swmr: bool = True, overwrite: bool = True,
                 compress_floats: bool = False, commit_interval_s: float = 1.0) -> None:
        self.path = Path(path)
        self.where = f"RunWriter({self.path})"
        if identity.file_kind not in FILE_KINDS:
            raise InputError(self.where, "identity.file_kind", identity.file_kind,
                             "one of " + ", ".join(FILE_KINDS))
        if identity.file_kind == "synthetic" and identity.seed is None:
            raise InputError(self.where, "identity.seed", None,
                             "the numpy SeedSequence of a synthetic run (recorded in the file)")
        if identity.seed is not None and not isinstance(identity.seed,
                                                        np.random.SeedSequence):
            raise InputError(self.where, "identity.seed", identity.seed,
                             "a numpy.random.SeedSequence")
        if truth is not None and identity.file_kind != "synthetic":
            raise InputError(self.where, "truth", "(given)", "truth only for synthetic runs")
        if compression not in COMPRESSIONS:
            raise InputError(self.where, "compression", compression,
                             "gzip or None (filters every HDF5 reader decodes)")
        if not isinstance(compression_level, int) or not 0 <= compression_level <= 9:
            raise InputError(self.where, "compression_level", compression_level,
                             "an integer in [0, 9]")
        self._level = compression_level
        self._compress_floats = bool(compress_floats)
        try:
            self.commit_interval_s = float(commit_interval_s)
        except (TypeError, ValueError):
            self.commit_interval_s = -1.0
        if not self.commit_interval_s >= 0.0:
            raise InputError(self.where, "commit_interval_s", commit_interval_s,
                             "a number of seconds >= 0")
        self._last_commit = time.monotonic()
        self._wb_fd: int | None = None
        self._wb_done = 0
        if int(chunk_rows) < 1 or int(buffer_rows) < 1:
            raise InputError(self.where, "chunk_rows/buffer_rows", (chunk_rows, buffer_rows),
                             "positive integers")
        if not self.path.parent.is_dir():
            raise InputError(self.where, "path", str(self.path), "a file in an existing folder")
        if self.path.exists() and not overwrite:
            raise InputError(self.where, "path", str(self.path),
                             "a new file name (overwrite=False)")
        if self.path.is_dir():
            raise InputError(self.where, "path", str(self.path), "a file name, not a folder")
        check_output(self.path)
        self.stale_partials = remove_stale_partials(self.path)
        self.identity = identity
        self.config = config
        self.n_lasers = len(config.lasers)
        self.n_channels = len(config.detectors)
        if self.n_lasers < 1 or self.n_channels < 1:
            raise InputError(self.where, "config", (self.n_lasers, self.n_channels),
                             "at least one laser and one detector channel")
        self.dims = _dims(self.n_lasers, self.n_channels)
        self.buffer_rows = int(buffer_rows)
        self.truth_spec = truth
        self._calibration: dict[str, Any] = {}
        self._provenance: dict[str, Any] = {}
        self._state = "open"
        self.tmp = partial_name(self.path)
        if self.tmp.exists():
            self.tmp.unlink()
        try:
            # An explicit chunk cache: with HDF5 2.0's default every chunk written stayed in
            # memory until close (RSS grew with the steps: 360 B per step; 1 MiB per dataset)
            self._f = h5py.File(self.tmp, "w", libver=LIBVER, rdcc_nbytes=CHUNK_CACHE_BYTES)
        except OSError as exc:
            raise os_error(exc, self.path, "cannot create", RunFileError) from None
        try:
            self._create(shots, events, slow_control or {}, compression, int(chunk_rows))
            if swmr:
                self._f.swmr_mode = True
        except BaseException as exc:
            self._abort(exc)
            if is_environment_fault(exc):
                raise os_error(exc, self.path, "cannot write", RunFileError) from None
            raise

    # -- layout ---------------------------------------------------------------------------
    def _create(self, shots: bool, events: bool, slow: Mapping[str, Mapping[str, Any]],
                compression: str | None, chunk_rows: int) -> None:
        f, ident, cfg = self._f, self.identity, self.config
        now = time.time_ns()
        seed = ident.seed
        entropy = "" if seed is None else str(seed.entropy)
        spawn = "[]" if seed is None else json.dumps([int(k) for k in seed.spawn_key])
        random_seed = -1
        if seed is not None and isinstance(seed.entropy, int) and 0 <= seed.entropy <= _INT64_MAX:
            random_seed = seed.entropy
        root = {
            "schema_name": "renp-run", "schema_version": schema_version(),
            "file_kind": ident.file_kind, "run_id": str(ident.run_id),
            "experiment": str(ident.experiment), "created_utc_ns": now,
            "created_iso": iso_from_ns(now), "run_start_utc_ns": int(ident.run_start_utc_ns),
            "run_start_iso": iso_from_ns(ident.run_start_utc_ns),
            "run_stop_utc_ns": int(ident.run_start_utc_ns),
            "run_stop_iso": iso_from_ns(ident.run_start_utc_ns),
            "software": str(ident.software), "software_version": str(ident.software_version),
            "renpsim_version": __version__, "git_commit": str(ident.git_commit),
            "random_seed": random_seed, "seed_entropy": entropy, "seed_spawn_key": spawn,
            "has_truth": self.truth_spec is not None, "comment": str(ident.comment),
            "complete": False, "default": "scan",
        }
        rspecs = {a["name"]: a for a in load_schema()["root_attributes"]}
        for k, v in root.items():
            f.attrs[k] = _attr_value(self.where, k, rspecs[k], v)

        g = f.create_group("config")
        cspecs = {d["name"]: d for d in group_spec("/config")["datasets"]}
        _scalar(g, cspecs["config_json"], cfg.as_json())
        for name in ("campaign_toml", "hardware_toml"):
            text = getattr(cfg, name)
            if text is not None:
                if not isinstance(text, str):
                    raise InputError(f"{self.where} config", name, text, "text (str)")
                _scalar(g, cspecs[name], text)
        _set_attrs(f"{self.where} config.target", g.create_group("target"), "/config/target",
                   cfg.target)
        lasers = g.create_group("lasers")
        for i, las in enumerate(cfg.lasers):
            _set_attrs(f"{self.where} config.lasers[{i}]", lasers.create_group(f"laser_{i}"),
                       "/config/lasers/laser_{i}", las)
        _write_imprinted(f"{self.where} config", lasers, cfg, float(cfg.target["E_eg_eV"]))
        _set_attrs(f"{self.where} config.waveguide", g.create_group("waveguide"),
                   "/config/waveguide", cfg.waveguide)
        det = g.create_group("detector")
        for c, d in enumerate(cfg.detectors):
            d = {"channel": c, **d}
            if d["channel"] != c:
                raise InputError(f"{self.where} config.detectors[{c}]", "channel", d["channel"],
                                 f"{c} (channels are numbered in order)")
            _set_attrs(f"{self.where} config.detectors[{c}]", det.create_group(f"det_{c}"),
                       "/config/detector/det_{c}", d)
        _set_attrs(f"{self.where} config.daq", g.create_group("daq"), "/config/daq", cfg.daq)
        tick = float(cfg.daq["time_unit_s"])

        scan = f.create_group("scan")
        scan.attrs["NX_class"] = "NXdata"
        scan.attrs["signal"] = "counts_signal"
        scan.attrs["axes"] = str_array(["set_photon_energy_eV", "."]).astype(_STR)
        scan.attrs["set_photon_energy_eV_indices"] = np.int64(0)
        self._scan = _Table(scan, "/scan", group_spec("/scan")["datasets"], self.dims,
                            min(chunk_rows, 256), compression, f"{self.where}.append_steps")

        q = f.create_group("quality")
        self._counters = {}
        for spec in group_spec("/quality")["datasets"]:
            self._counters[spec["name"]] = _scalar(q, spec, 0)
        gti = q.create_group("good_time_intervals")
        self._gti = _Table(gti, "/quality/good_time_intervals",
                           group_spec("/quality/good_time_intervals")["datasets"], self.dims,
                           min(chunk_rows, 1024), compression, f"{self.where}.append_gti")

        tick_attrs = {"t_shot": {"time_unit_s": tick}, "timestamps": {"time_unit_s": tick},
                      "dtime": {"time_unit_s": tick}}
        self._shots = self._events = None
        if shots:
            self._shots = _Table(f.create_group("shots"), "/shots",
                                 group_spec("/shots")["datasets"], self.dims, chunk_rows,
                                 compression, f"{self.where}.append_shots", tick_attrs,
                                 self._level, self._compress_floats)
        if events:
            self._events = _Table(f.create_group("events"), "/events",
                                  group_spec("/events")["datasets"], self.dims, chunk_rows,
                                  compression, f"{self.where}.append_events", tick_attrs,
                                  self._level, self._compress_floats)

        self._slow: dict[str, _Table] = {}
        if slow:
            sc = f.create_group("slow_control")
            for sensor, meta in slow.items():
                where = f"{self.where} slow_control[{sensor!r}]"
                if not sensor or "/" in sensor or sensor.startswith("."):
                    raise InputError(where, "sensor", sensor, "a plain name")
                sg = sc.create_group(sensor)
                _set_attrs(where, sg, "/slow_control/{sensor}", meta)
                specs = [dict(s) for s in group_spec("/slow_control/{sensor}")["datasets"]]
                specs[1]["units"] = str(meta["units"])
                self._slow[sensor] = _Table(sg, f"/slow_control/{sensor}", specs, self.dims,
                                            min(chunk_rows, 4096), compression,
                                            f"{self.where}.append_slow_control({sensor})")

        self._truth = None
        self._truth_events = None
        self._truth_bg: dict[str, _Table] = {}
        if self.truth_spec is not None:
            tg = f.create_group("truth")
            tspecs = group_spec("/truth")["datasets"]
            _scalar(tg, tspecs[0], json.dumps(dict(self.truth_spec.params), sort_keys=True,
                                              default=json_default))
            self._truth = _Table(tg, "/truth", [t for t in tspecs[1:]
                                                if t["shape"][:1] == ["N_steps"]],
                                 self.dims, min(chunk_rows, 256), compression,
                                 f"{self.where}.append_steps truth")
            names = [str(x) for x in self.truth_spec.event_sources]
            if names and events:
                if len(names) > 256:
                    raise InputError(self.where, "truth.event_sources", len(names),
                                     "at most 256 names (uint8 codes)")
                self._truth_events = _Table(
                    tg, "/truth", [t for t in tspecs if t["name"] == "event_source"],
                    self.dims, chunk_rows, compression, f"{self.where}.append_events source",
                    {"event_source": {"source_names": str_array(names).astype(_STR)}},
                    self._level)
            bg = tg.create_group("expected_background")
            pat = group_spec("/truth/expected_background/{component}")
            for comp in self.truth_spec.background_components:
                spec = {"name": comp, "dtype": pat["dtype"], "shape": pat["shape"],
                        "units": pat["units"], "required": True,
                        "description": f"Expected background counts from {comp}.",
                        "checks": ["nonneg_or_nan"]}
                self._truth_bg[comp] = _Table(bg, "/truth/expected_background", [spec],
                                              self.dims, min(chunk_rows, 256), compression,
                                              f"{self.where}.append_steps truth[{comp}]")
        f.create_group("user")

    # -- streaming ------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """Number of step rows written so far."""
        return self._scan.n

    @_io_guard
    def append_steps(self, data: Mapping[str, Any] | None = None, *,
                     truth: Mapping[str, Any] | None = None, commit: bool = True,
                     **columns: Any) -> None:
        """Append one or more scan steps and commit them (visible to live readers at once).

        Parameters
        ----------
        data : mapping, optional
            Columns by name (a dict or a pandas DataFrame); keyword arguments add more.
            Names are the ``/scan`` dataset names or their aliases (``omega_eV``,
            ``omega_prime_eV``, ``live_s``, ``shots``, ``counts``, ``exposure_s``, ``step``).
            Per-channel columns have shape ``(n, N_channels)`` (1-D if one channel); per-laser
            columns ``(n, N_lasers)``. Scalars broadcast. Columns with a writer default may be
            omitted (see the schema document).
        truth : mapping, optional
            Required when the writer has a TruthSpec: ``{"expected_signal": (n, N_channels),
            "expected_background": {component: (n, N_channels)}}``.
        commit : bool
            Commit at once (default). False: the rows are committed with the next commit
            (at most ``commit_interval_s`` later while appends continue, or at close).
        **columns
            More columns by name (same rules as ``data``).

        """
        cols = _merge(data, columns)
        block = self._scan.prepare(cols)
        n = len(block["subrun_index"])
        expected = np.arange(self._scan.n, self._scan.n + n)
        if not np.array_equal(block["subrun_index"], expected):
            raise InputError(f"{self.where}.append_steps", "subrun_index",
                             block["subrun_index"][:5].tolist(),
                             f"consecutive step indices starting at {self._scan.n}")
        bad = block["t_stop_utc_ns"] < block["t_start_utc_ns"]
        if bad.any():
            raise InputError(f"{self.where}.append_steps", "t_stop_utc_ns",
                             _first_bad(block["t_stop_utc_ns"], bad), ">= t_start_utc_ns")
        bad = block["n_shots_good"] > block["n_shots"]
        if bad.any():
            raise InputError(f"{self.where}.append_steps", "n_shots_good",
                             _first_bad(block["n_shots_good"], bad), "<= n_shots")
        tblocks = self._prepare_truth(truth, n)
        self._scan.add(block, 0)
        for table, tb in tblocks:
            table.add(tb, 0)
        if commit:
            self._commit()
        else:
            self._maybe_commit()

    def _prepare_truth(self, truth: Mapping[str, Any] | None, n: int):
        if self._truth is None:
            if truth is not None:
                raise InputError(f"{self.where}.append_steps", "truth", "(given)",
                                 "no truth: the writer was created without a TruthSpec")
            return []
        where = f"{self.where}.append_steps"
        if truth is None:
            raise InputError(where, "truth", None, "expected_signal and expected_background")
        unknown = set(truth) - {"expected_signal", "expected_background"}
        if unknown:
            raise InputError(where, "truth", sorted(unknown),
                             "keys expected_signal, expected_background")
        out = [(self._truth, self._truth.prepare({"expected_signal":
                                                  truth.get("expected_signal")}))]
        bgs = dict(truth.get("expected_background") or {})
        if set(bgs) != set(self._truth_bg):
            raise InputError(where, "truth.expected_background", sorted(bgs),
                             f"exactly the components {sorted(self._truth_bg)}")
        for comp, table in self._truth_bg.items():
            out.append((table, table.prepare({comp: bgs[comp]})))
        for _, b in out:
            m = len(next(iter(b.values())))
            if m != n:
                raise InputError(where, "truth", f"{m} rows", f"{n} rows (as the steps)")
        return out

    @_io_guard
    def append_shots(self, data: Mapping[str, Any] | None = None, **columns: Any) -> None:
        """Append per-shot rows (buffered; see :meth:`append_steps` for the column rules)."""
        if self._shots is None:
            raise InputError(self.where, "shots", False, "RunWriter(..., shots=True)")
        block = self._shots.prepare(_merge(data, columns))
        if self._shots.add(block, self.buffer_rows):
            self._maybe_commit()
            self._start_writeback()

    @_io_guard
    def append_events(self, data: Mapping[str, Any] | None = None, *, source: Any = None,
                      **columns: Any) -> None:
        """Append time-tag rows (buffered; see :meth:`append_steps` for the column rules).

        Parameters
        ----------
        data, **columns
            ``/events`` columns (``timestamps``, ``channel``, ``shot_id``, ``dtime``, ...).
        source : array of int, optional
            Required when the TruthSpec has ``event_sources``: the source code of each row
            (``/truth/event_source``); refused otherwise.

        """
        if self._events is None:
            raise InputError(self.where, "events", False, "RunWriter(..., events=True)")
        where = f"{self.where}.append_events"
        block = self._events.prepare(_merge(data, columns))
        tblock = None
        if self._truth_events is None:
            if source is not None:
                raise InputError(where, "source", "(given)", "no source: the TruthSpec has no "
                                 "event_sources")
        else:
            if source is None:
                raise InputError(where, "source", None, "the source code of every event "
                                 "(TruthSpec.event_sources)")
            n = len(next(iter(block.values())))
            tblock = self._truth_events.prepare({"event_source": np.broadcast_to(
                np.asarray(source), (n,)) if np.ndim(source) == 0 else source})
            codes = tblock["event_source"]
            n_names = len(self.truth_spec.event_sources)
            if len(codes) != n:
                raise InputError(where, "source", f"{len(codes)} rows", f"{n} rows (as events)")
            if codes.size and int(codes.max()) >= n_names:
                raise InputError(where, "source", int(codes.max()),
                                 f"codes in [0, {n_names}) (TruthSpec.event_sources)")
        written = self._events.add(block, self.buffer_rows)
        if tblock is not None:
            self._truth_events.add(tblock, self.buffer_rows)
        if written:
            self._maybe_commit()
            self._start_writeback()

    @_io_guard
    def append_gti(self, start_utc_ns: Any, stop_utc_ns: Any, reason: Any = 0) -> None:
        """Append good time intervals (``/quality/good_time_intervals``)."""
        block = self._gti.prepare({"start_utc_ns": start_utc_ns, "stop_utc_ns": stop_utc_ns,
                                   "reason": reason})
        bad = block["stop_utc_ns"] < block["start_utc_ns"]
        if bad.any():
            raise InputError(f"{self.where}.append_gti", "stop_utc_ns",
                             _first_bad(block["stop_utc_ns"], bad), ">= start_utc_ns")
        self._gti.add(block, 0)

    @_io_guard
    def append_slow_control(self, sensor: str, time_utc_ns: Any, value: Any) -> None:
        """Append samples of one slow-control sensor declared at construction."""
        table = self._slow.get(sensor)
        if table is None:
            raise InputError(f"{self.where}.append_slow_control", "sensor", sensor,
                             "one of " + ", ".join(sorted(self._slow)))
        table.add(table.prepare({"time_utc_ns": time_utc_ns, "value": value}), 0)

    write_slow_control = append_slow_control

    def write_calibration(self, *, detector_efficiency: Mapping[int, Mapping[str, Any]] |
                          None = None, dark: Mapping[int, Mapping[str, Any]] | None = None,
                          frequency: Mapping[str, Any] | None = None,
                          afterpulse: Mapping[int, Mapping[str, Any]] | None = None,
                          dead_time: Mapping[int, Mapping[str, Any]] | None = None,
                          laser_energy: Mapping[int, Mapping[str, Any]] | None = None,
                          waveguide: Mapping[str, Any] | None = None) -> None:
        """Record calibration data; written to ``/calibration`` by :meth:`close`.

        Parameters
        ----------
        detector_efficiency : mapping
            ``{channel: {"wavelength_m": [...], "efficiency": [...], "efficiency_unc": [...],
            "method": str, "date_utc_ns": int, "reference": str}}`` (required, every channel).
        dark : mapping
            ``{channel: {"counts": int, "live_time_s": float, "temperature_K": float,
            "date_utc_ns": int}}`` (required, every channel): raw counts and live time.
        frequency : mapping
            ``{"offset_Hz": float, "offset_unc_Hz": float, "reference": str}`` (required).
        afterpulse, dead_time, laser_energy, waveguide : mapping, optional
            ``{c: {"prob", "tau_s"[, "hist_interarrival", "hist_interarrival_edges_s"]}}``
            (the inter-arrival-time histogram: counts per bin and the bin edges in s),
            ``{c: {"value_s", "model"}}``,
            ``{i: {"scale", "scale_unc"}}``, ``{"T_sig", "T_sig_unc"}``.

        Calls accumulate; a later value for the same item replaces the earlier one.

        """
        for key, val in (("frequency", frequency), ("waveguide", waveguide)):
            if val is not None and not isinstance(val, Mapping):
                raise InputError(self.where, key, val, "a table of calibration values")
        per_item = {"detector_efficiency": detector_efficiency, "dark": dark,
                    "afterpulse": afterpulse, "dead_time": dead_time,
                    "laser_energy": laser_energy}
        for key, val in per_item.items():
            if val is not None and not (isinstance(val, Mapping) and all(
                    isinstance(v, Mapping) for v in val.values())):
                raise InputError(self.where, key, val, "a table per channel (or laser)")
        for c, v in (afterpulse or {}).items():
            if "hist_interarrival" in v or "hist_interarrival_edges_s" in v:
                nb = np.size(v.get("hist_interarrival", ()))
                ne = np.size(v.get("hist_interarrival_edges_s", ()))
                if ne != nb + 1:
                    raise InputError(f"{self.where}.write_calibration afterpulse[{c}]",
                                     "hist_interarrival_edges_s", f"{ne} edges",
                                     f"{nb + 1} edges (one more than hist_interarrival bins)")
        for key, val in per_item.items():
            if val is not None:
                self._calibration.setdefault(key, {}).update(
                    {int(k): dict(v) for k, v in val.items()})
        if frequency is not None:
            self._calibration["frequency"] = dict(frequency)
        if waveguide is not None:
            self._calibration["waveguide"] = dict(waveguide)

    def set_provenance(self, *, converter: str | None = None,
                       converter_version: str | None = None,
                       source_files: Sequence[str] = (), source_sha256: Sequence[str] = (),
                       parent_run_ids: Sequence[str] = (),
                       parent_sha256: Sequence[str] = (),
                       truth_stripped: bool | None = None,
                       derived: str | None = None) -> None:
        """Record ``/provenance`` (written by :meth:`close`).

        ``derived``: how the converter derived items the source did not hold (one sentence
        per item, e.g. the coherent exposure from the dwell time and a coherence model).
        """
        self._provenance = {k: v for k, v in {
            "converter": converter, "converter_version": converter_version, "derived": derived,
            "source_files": list(source_files), "source_sha256": list(source_sha256),
            "parent_run_ids": list(parent_run_ids), "parent_sha256": list(parent_sha256),
            "truth_stripped": truth_stripped}.items() if v not in (None, [])}

    def set_run_stop(self, run_stop_utc_ns: int) -> None:
        """Set the end of the run (default: the last step's stop time)."""
        self._run_stop = int(run_stop_utc_ns)

    @_io_guard
    def commit(self) -> None:
        """Make every row written so far visible to live (SWMR) readers.

        Buffered shot and event rows are not written by this call (they are written when a
        buffer fills, and at :meth:`close`).
        """
        self._commit()

    def _start_writeback(self) -> None:
        """Let the OS start writing the file's bulk data to disk while the run goes on.

        Without it, all the data written since the start waits in the page cache for the
        ``fsync`` of :meth:`close` (at ~500 MB/s, seconds for a 1e8-shot file). Every
        :data:`_WRITEBACK_BYTES` the completed part of the file is handed to
        ``posix_fadvise(POSIX_FADV_DONTNEED)``, which on Linux starts asynchronous writeback
        (and drops those pages from the cache once written). Durability is still given only
        by the fsync at close; elsewhere this is a no-op.
        """
        if not hasattr(os, "posix_fadvise"):
            return
        try:
            if self._wb_fd is None:
                self._wb_fd = os.open(self.tmp, os.O_RDONLY)
            end = os.fstat(self._wb_fd).st_size - (1 << 20)   # leave the tail alone
            if end - self._wb_done >= _WRITEBACK_BYTES:
                os.posix_fadvise(self._wb_fd, self._wb_done, end - self._wb_done,
                                 os.POSIX_FADV_DONTNEED)
                self._wb_done = end
        except OSError:
            pass

    def _close_writeback(self) -> None:
        if self._wb_fd is not None:
            try:
                os.close(self._wb_fd)
            except OSError:
                pass
            self._wb_fd = None

    def _maybe_commit(self) -> None:
        if time.monotonic() - self._last_commit >= self.commit_interval_s:
            self._commit()

    def _commit(self, final: bool = False) -> None:
        # Data first, then the counters: a SWMR reader that reads a counter first always
        # finds at least that many complete rows. The final commit also sets writer_state.
        self._f.flush()
        for counter, table in (("n_steps_committed", self._scan),
                               ("n_shots_committed", self._shots),
                               ("n_events_committed", self._events)):
            if table is not None:
                self._counters[counter][()] = np.uint64(table.n)
        if final:
            self._counters["writer_state"][()] = np.uint8(1)
        self._f.flush()
        self._last_commit = time.monotonic()

    # -- finishing ------------------------------------------------------------------------
    def close(self) -> Path:
        """Finish the file: flush, add calibration and provenance, validate, rename atomically.

        Returns
        -------
        pathlib.Path
            The final path.

        Raises
        ------
        RunFileError
            If required calibration is missing or the result does not validate; the partial
            file is then removed and any existing file under the final name is untouched.

        """
        if self._state == "closed":
            return self.path
        if self._state != "open":
            raise RunFileError(str(self.path), "-", f"the writer is {self._state}: nothing "
                               "to close")
        try:
            for table in (self._shots, self._events, self._truth_events):
                if table is not None:
                    table.write_buffer()
                    table.release()
            self._commit(final=True)
            self._f.close()
            with h5_written(_reopen(self.tmp)) as f:
                self._finish(f)
            from renpsim.runfile.validate import validate_run

            validate_run(self.tmp, deep=False)
            self._close_writeback()
            fsync_path(self.tmp)
            os.replace(self.tmp, self.path)
            fsync_path(self.path.parent)
        except (OSError, RuntimeError) as exc:
            self._abort(exc)
            raise os_error(exc, self.path, f"cannot write (partial file removed, {self.path} "
                           "untouched)", RunFileError) from None
        except BaseException as exc:
            self._abort(exc)
            raise
        self._state = "closed"
        return self.path

    def _finish(self, f: h5py.File) -> None:
        cal = self._calibration
        where = f"{self.where}.write_calibration"
        for key in ("detector_efficiency", "dark"):
            missing = sorted(set(range(self.n_channels)) - set(cal.get(key, {})))
            if missing:
                raise RunFileError(str(self.path), f"/calibration/{key}/det_{missing[0]}",
                                   "missing: call write_calibration(" + key + "=...) for every"
                                   " channel before close()")
        if "frequency" not in cal:
            raise RunFileError(str(self.path), "/calibration/frequency",
                               "missing: call write_calibration(frequency=...) before close()")
        g = f.create_group("calibration")
        for key, items in cal.items():
            if key in ("frequency", "waveguide"):
                _write_cal_group(where, g.create_group(key), f"/calibration/{key}", items)
                continue
            sub = g.create_group(key)
            pat = "laser_{i}" if key == "laser_energy" else "det_{c}"
            limit = self.n_lasers if key == "laser_energy" else self.n_channels
            for idx, vals in sorted(items.items()):
                if not 0 <= idx < limit:
                    raise InputError(where, f"{key}[{idx}]", idx, f"an index in [0, {limit})")
                name = pat.replace("{i}", str(idx)).replace("{c}", str(idx))
                _write_cal_group(f"{where} {key}[{idx}]", sub.create_group(name),
                                 f"/calibration/{key}/{pat}", vals)
        if self._provenance:
            p = f.create_group("provenance")
            specs = {d["name"]: d for d in group_spec("/provenance")["datasets"]}
            for k, v in self._provenance.items():
                if k in specs:
                    ds = p.create_dataset(k, data=str_array(v).astype(_STR), dtype=_STR)
                    _dataset_attrs(ds, specs[k])
                else:
                    p.attrs[k] = np.bool_(v) if isinstance(v, bool) else str(v)
        write_nexus_entry(f)
        stop = getattr(self, "_run_stop", None)
        if stop is None:
            stop = self.identity.run_stop_utc_ns
        if stop is None:
            t = f["scan/t_stop_utc_ns"]
            stop = int(t[-1]) if t.shape[0] else int(self.identity.run_start_utc_ns)
        f.attrs["run_stop_utc_ns"] = np.int64(stop)
        f.attrs["run_stop_iso"] = iso_from_ns(stop)
        f.attrs["complete"] = np.bool_(True)

    def abort(self) -> None:
        """Stop writing and delete the partial file (the final name is never touched)."""
        self._abort()

    def _abort(self, exc: BaseException | None = None) -> None:
        self._state = "aborted"
        self._close_writeback()
        # After an I/O failure the file is abandoned (descriptor moved to memory), not closed:
        # closing a file whose writes failed can crash HDF5; it is closed at exit, harmlessly.
        abandoned = isinstance(exc, OSError | RuntimeError) and abandon_h5(self.tmp)
        try:
            if self._f.id.valid and not abandoned:
                self._f.close()
        except Exception:
            pass
        try:
            self.tmp.unlink()
        except OSError:
            pass

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        elif self._state == "open":
            self._abort(exc)
            if is_environment_fault(exc):
                raise os_error(exc, self.path, "cannot write", RunFileError) from None


def write_nexus_entry(f: h5py.File) -> None:
    """Add (or rebuild) the NeXus ``NXroot``/``NXentry`` view of ``/scan`` (schema 1.2.0).

    A tool that changes the shape of ``/scan/counts_signal`` of a finished file calls it again
    (the view has the shape of the data when it was made; the validator reports a stale one).

    ``/entry/scan_counts`` is an ``NXdata`` group whose signal is an HDF5 virtual dataset
    mapping ``/scan/counts_signal`` transposed (``[N_channels, N_steps]``, no copy of the data;
    the source file is ``"."``, this file, so renaming or copying the file keeps it valid) and
    whose axis is a soft link to ``/scan/set_photon_energy_eV``. With ``interpretation =
    "spectrum"`` h5web and silx draw one curve of counts vs photon energy per channel.
    Written at close: a live (SWMR) file still has ``default = "scan"``, the NXdata ``/scan``.
    """
    counts = f["scan/counts_signal"]
    n_steps, n_ch = counts.shape
    spec = dataset_spec("/entry/scan_counts", "counts_signal")
    if "entry" in f:
        del f["entry"]
    entry = f.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    entry.attrs["default"] = "scan_counts"
    data = entry.create_group("scan_counts")
    data.attrs["NX_class"] = "NXdata"
    data.attrs["signal"] = "counts_signal"
    data.attrs["axes"] = str_array([".", "set_photon_energy_eV"]).astype(_STR)
    data.attrs["set_photon_energy_eV_indices"] = np.int64(1)
    layout = h5py.VirtualLayout(shape=(n_ch, n_steps), dtype=counts.dtype)
    if n_steps:
        src = h5py.VirtualSource(".", "/scan/counts_signal", shape=counts.shape,
                                 dtype=counts.dtype)
        for c in range(n_ch):
            layout[c] = src[:, c]
    ds = data.create_virtual_dataset("counts_signal", layout, fillvalue=0)
    _dataset_attrs(ds, spec)
    ds.attrs["interpretation"] = "spectrum"
    data["set_photon_energy_eV"] = h5py.SoftLink("/scan/set_photon_energy_eV")
    f.attrs["NX_class"] = "NXroot"
    f.attrs["default"] = "entry"


def _reopen(path: Path) -> h5py.File:
    """Reopen the partial file read-write after the SWMR phase.

    A live reader (SWMR) may still hold the HDF5 file lock; followers stop once they see
    ``writer_state`` = 1, so wait briefly, then open without locking: the partial file has a
    unique per-process name and no other writer.
    """
    deadline = time.monotonic() + 2.0
    while True:
        try:
            return h5py.File(path, "r+")
        except BlockingIOError:
            if time.monotonic() > deadline:
                return h5py.File(path, "r+", locking=False)
            time.sleep(0.02)


def _merge(data: Mapping[str, Any] | None, columns: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data is not None:
        if hasattr(data, "columns") and hasattr(data, "to_numpy"):  # pandas DataFrame
            out.update({str(c): data[c].to_numpy() for c in data.columns})
        else:
            out.update(data)
    out.update(columns)
    return out


def _write_cal_group(where: str, g: h5py.Group, gpath: str, values: Mapping[str, Any]) -> None:
    spec = group_spec(gpath)
    attrs = {a["name"]: a for a in spec["attributes"]}
    dsets = {d["name"]: d for d in spec["datasets"]}
    for name in list(attrs) + list(dsets):
        req = (attrs.get(name) or dsets.get(name))
        if name not in values and req["required"] and req.get("fill") is None:
            raise InputError(where, name, "(missing)", req["description"])
    for name, value in values.items():
        if name in attrs:
            g.attrs[name] = _attr_value(where, name, attrs[name], value)
        elif name in dsets:
            d = dsets[name]
            if d["shape"]:
                arr = _coerce(where, name, d, np.atleast_1d(value), len(np.atleast_1d(value)),
                              {})
                ds = g.create_dataset(name, data=arr)
                _dataset_attrs(ds, d)
            else:
                arr = _coerce(where, name, d, np.atleast_1d(value), 1, {})
                _scalar(g, d, arr[0])
        else:
            raise InputError(where, name, value, "one of " + ", ".join(sorted(attrs | dsets)))
    for name, d in dsets.items():
        if name not in values and d.get("fill") is not None:
            _scalar(g, d, {"nan": np.nan, "zero": 0}[d["fill"]])
