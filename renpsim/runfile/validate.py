"""Validation of run files against the shipped schema ([hardware §9.6]).

:func:`validate_run` checks required groups, datasets and attributes, dtypes, shapes and
consistent lengths, ``units``/``description`` attributes, value rules (finite non-negative
live times, monotone times, consecutive step indices, ...), the writer's commit counters and the
schema version: an unknown MAJOR version is refused, a newer MINOR accepted with a note.
Every failure is a :class:`~renpsim.errors.RunFileError` naming file, item, value and
expectation; h5py/OS errors never escape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from renpsim._atomic import PARTIAL_RE, WRITE_FAULTS, errno_of
from renpsim.errors import InputError, RunFileError
from renpsim.physics.kinematics import (
    check_imprinted_momentum,
    outside_photon_range,
    photon_endpoint,
)
from renpsim.runfile._common import CHUNK_CACHE_BYTES, read_imprinted
from renpsim.runfile.schema import NUMPY_DTYPES, load_schema

_BLOCK = 1 << 20
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass
class ValidationReport:
    """Outcome of :func:`validate_run`.

    Attributes
    ----------
    path : str
        The file.
    schema_version : str
        Version found in the file.
    dims : dict
        Dimension sizes found (N_steps, N_lasers, N_channels, N_shots, N_events).
    notes : list of str
        Non-fatal findings (newer minor version, unknown extra items, ...).
    errors : list of str
        Problems (empty for a valid file).

    """

    path: str
    schema_version: str = ""
    dims: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not self.errors


#: Float attributes that may be negative (a field direction, a time offset).
_SIGNED_UNITS = frozenset({"T"})


def _physical_problem(name: str, units: str, value: float) -> str:
    """Return what a physical attribute (float with units) should be, or "" if it is fine."""
    if not np.isfinite(value):
        return f"a finite number ({units})"
    if value < 0 and units not in _SIGNED_UNITS and "offset" not in name:
        return f"a value >= 0 ({units})"
    return ""


def _missing_virtual_source(path: str, ds: h5py.Dataset) -> str:
    """Return the first missing source ``file:dataset`` of a virtual dataset ("" if none)."""
    try:
        if not ds.is_virtual:
            return ""
        sources = ds.virtual_sources()
    except (OSError, RuntimeError, ValueError) as exc:
        return f"(unreadable mapping: {_short(exc)})"
    here = os.path.dirname(os.path.abspath(path))
    for src in sources:
        name = src.file_name
        if name == ".":
            target, f = path, None
        else:
            target = name if os.path.isabs(name) else os.path.join(here, name)
            if not os.path.isfile(target):
                return f"{name}:{src.dset_name}"
        try:
            f = h5py.File(target, "r") if target != path else None
        except OSError:
            return f"{name}:{src.dset_name}"
        try:
            obj = (f or ds.file).get(src.dset_name)
            if not isinstance(obj, h5py.Dataset):
                return f"{name}:{src.dset_name}"
        finally:
            if f is not None:
                f.close()
    return ""


@contextmanager
def open_h5(path: str | os.PathLike, *, swmr: bool = False) -> Iterator[h5py.File]:
    """Open a run file for reading, turning every failure into a :class:`RunFileError`."""
    p = str(path)
    if not os.path.exists(p):
        raise RunFileError(p, "-", "no such file")
    if os.path.isdir(p):
        raise RunFileError(p, "-", "is a folder, expected an HDF5 run file")
    if not os.access(p, os.R_OK):
        raise RunFileError(p, "-", "cannot be read (permission denied)")
    try:
        f = h5py.File(p, "r", libver="latest", swmr=True, rdcc_nbytes=CHUNK_CACHE_BYTES) \
            if swmr else h5py.File(p, "r", rdcc_nbytes=CHUNK_CACHE_BYTES)
    except OSError as exc:
        try:
            is_h5 = h5py.is_hdf5(p)
        except Exception:
            is_h5 = False
        if not is_h5:
            raise RunFileError(p, "-", "not an HDF5 file (expected an HDF5 run file "
                               "'renp-run')") from None
        if PARTIAL_RE.match(os.path.basename(p)):
            raise RunFileError(p, "-", "a partial file of a writer that is running or crashed "
                               "(follow it with follow_run; stale ones are removed by "
                               "clean_partials)") from None
        raise RunFileError(p, "-", f"HDF5 file cannot be opened (truncated or corrupt?): "
                           f"{_short(exc)}") from None
    try:
        yield f
    except RunFileError:
        raise
    except (OSError, RuntimeError) as exc:
        if errno_of(exc) in WRITE_FAULTS:   # an output-side fault (disk full), not this file
            raise
        raise RunFileError(p, "-", f"unreadable content (truncated or corrupt?): "
                           f"{_short(exc)}") from None
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise RunFileError(p, "-", f"unreadable content (truncated or corrupt?): "
                           f"{_short(exc)}") from None
    finally:
        try:
            f.close()
        except Exception:
            pass


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


def check_version(path: str, version: Any) -> list[str]:
    """Check ``schema_version``: refuse another MAJOR, note a newer MINOR. Return notes."""
    ours = load_schema()["schema_version"]
    m = _VERSION_RE.match(str(version)) if isinstance(version, str) else None
    if m is None:
        raise RunFileError(path, "/@schema_version", f"{version!r}: expected MAJOR.MINOR.PATCH "
                           f"(this renpsim reads {ours.split('.')[0]}.x.y)")
    major, minor, _ = (int(x) for x in m.groups())
    omaj, omin, _ = (int(x) for x in ours.split("."))
    if major != omaj:
        raise RunFileError(path, "/@schema_version", f"{version!r}: unknown major version "
                           f"(this renpsim reads {omaj}.x.y); convert the file or upgrade")
    if minor > omin:
        return [f"schema_version {version} is newer than {ours}: items added since are "
                f"ignored"]
    return []


def _attr_ok(value: Any, t: str) -> bool:
    if t == "str":
        return isinstance(value, str)
    if t == "bool":
        return isinstance(value, bool | np.bool_)
    if t == "int64":
        return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if t == "float64":
        return isinstance(value, float | np.floating | int | np.integer) and not isinstance(
            value, bool | np.bool_)
    if t == "str[]":
        return isinstance(value, np.ndarray) and value.ndim == 1 and all(
            isinstance(v, str | bytes) for v in value)
    if t == "int64[]":
        return isinstance(value, np.ndarray) and value.dtype.kind in "iu"
    return False


class _Checker:
    def __init__(self, path: str, f: h5py.File, deep: bool, report: ValidationReport):
        self.path, self.f, self.deep, self.r = path, f, deep, report
        self.known: set[str] = set()

    def err(self, item: str, problem: str) -> None:
        self.r.errors.append(f"{item}: {problem}")

    # -- attributes -------------------------------------------------------------------------
    def attrs(self, obj: h5py.HLObject, item: str, specs: list[dict[str, Any]]) -> None:
        for a in specs:
            name = a["name"]
            if name not in obj.attrs:
                if a["required"]:
                    self.err(f"{item}@{name}", f"missing required attribute ({a['type']})")
                continue
            v = obj.attrs[name]
            if isinstance(v, bytes):
                v = v.decode("utf-8", "replace")
            if not _attr_ok(v, a["type"]):
                self.err(f"{item}@{name}", f"{_val(v)}: expected {a['type']}")
            elif a["type"] == "float64" and a.get("units") is not None:
                problem = _physical_problem(name, a["units"], float(v))
                if problem:
                    self.err(f"{item}@{name}", f"{_val(v)}: expected {problem}")
            elif a.get("values") and v not in a["values"] and a["type"] == "str":
                self.err(f"{item}@{name}", f"{v!r}: expected one of {', '.join(a['values'])}")

    # -- datasets -----------------------------------------------------------------------------
    def dataset(self, g: h5py.Group, gpath: str, spec: dict[str, Any], dims: dict[str, int],
                units: str | None = None) -> h5py.Dataset | None:
        name = spec["name"]
        item = f"{gpath}/{name}"
        self.known.add(item)
        if name not in g:
            if spec["required"]:
                self.err(item, "missing required dataset")
            return None
        try:
            ds = g[name]
        except KeyError:   # a soft link (e.g. in /entry) whose target is missing
            link = g.get(name, getlink=True)
            self.err(item, f"link to {getattr(link, 'path', '?')}, which is missing")
            return None
        if not isinstance(ds, h5py.Dataset):
            self.err(item, "is a group, expected a dataset")
            return None
        missing = _missing_virtual_source(self.path, ds)
        if missing:
            self.err(item, f"virtual dataset whose source {missing} is missing: expected its "
                     "data (HDF5 would read the fill value, e.g. zeros)")
            return None
        if spec["dtype"] == "str":
            if h5py.check_string_dtype(ds.dtype) is None:
                self.err(item, f"dtype {ds.dtype}: expected a UTF-8 string")
        else:
            want = np.dtype(NUMPY_DTYPES[spec["dtype"]])
            if ds.dtype != want:
                self.err(item, f"dtype {ds.dtype}: expected {spec['dtype']}")
                return None
        if len(ds.shape) != len(spec["shape"]):
            self.err(item, f"shape {ds.shape}: expected {_shape(spec['shape'])}")
            return None
        for axis, dim in enumerate(spec["shape"]):
            if dim not in dims:
                dims[dim] = ds.shape[axis]
            elif ds.shape[axis] != dims[dim]:
                self.err(item, f"shape {ds.shape}: expected {dim} = {dims[dim]} along axis "
                         f"{axis} ({_shape(spec['shape'])})")
                return None
        for a in ("units", "description"):
            if a not in ds.attrs:
                self.err(f"{item}@{a}", f"missing required attribute '{a}'")
        want_units = spec["units"] if units is None else units
        if "units" in ds.attrs:
            got = ds.attrs["units"]
            got = got.decode() if isinstance(got, bytes) else got
            if got != want_units:
                self.err(f"{item}@units", f"{got!r}: expected {want_units!r}")
        for a in spec.get("attributes", ()):
            if a["name"] not in ds.attrs:
                self.err(f"{item}@{a['name']}", "missing required attribute")
        return ds

    def values(self, ds: h5py.Dataset, item: str, checks: list[str], extra=None) -> None:
        if not checks or ds.dtype.kind not in "iuf":
            return
        n = ds.shape[0] if ds.shape else 1
        prev_last = None
        for lo in range(0, max(n, 1), _BLOCK):
            a = ds[()] if not ds.shape else ds[lo:lo + _BLOCK]
            a = np.atleast_1d(a)
            if a.size == 0:
                break
            for c in checks:
                bad = None
                expect = ""
                if c == "finite" and a.dtype.kind == "f":
                    bad, expect = ~np.isfinite(a), "finite values"
                elif c == "nonneg":
                    bad, expect = ~(a >= 0), "values >= 0"
                elif c == "positive":
                    bad, expect = ~(a > 0), "values > 0"
                elif c == "nonneg_or_nan" and a.dtype.kind == "f":
                    bad, expect = (a < 0) | np.isinf(a), "values >= 0 (or NaN if unknown)"
                elif c == "consecutive":
                    bad = a != np.arange(lo, lo + len(a))
                    expect = "0, 1, 2, ... (row number)"
                elif c in ("nondecreasing", "increasing"):
                    b = a if prev_last is None else np.concatenate([[prev_last], a])
                    d = np.diff(b.astype(np.float64) if b.dtype.kind == "f" else b)
                    bad = (d < 0) if c == "nondecreasing" else (d <= 0)
                    bad = np.concatenate([[False], bad]) if prev_last is None else bad
                    expect = "non-decreasing values" if c == "nondecreasing" else \
                        "increasing values"
                elif extra is not None and c in extra:
                    other = extra[c]
                    ref = other[()] if not other.shape else other[lo:lo + _BLOCK]
                    if c in ("after_start", "after_start_gti"):
                        bad, expect = a < ref, f">= {other.name}"
                    elif c == "le_n_shots":
                        bad, expect = a > ref, f"<= {other.name}"
                if bad is not None and bad.any():
                    idx = np.argwhere(bad)[0]
                    row = int(idx[0]) + lo
                    where = f"{item}[{row}]" if ds.shape else item
                    self.err(where, f"{_val(a[tuple(idx)])}: expected {expect}")
                    return
            if a.ndim:
                prev_last = a[-1]
            if not ds.shape:
                break

    # -- groups -----------------------------------------------------------------------------
    def run(self) -> None:
        f, schema = self.f, load_schema()
        name = f.attrs.get("schema_name")
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if name != "renp-run":
            raise RunFileError(self.path, "/@schema_name",
                               f"{_val(name)}: not a renpsim run file (expected 'renp-run'; "
                               "foreign HDF5 file?)")
        version = f.attrs.get("schema_version")
        if isinstance(version, bytes):
            version = version.decode("utf-8", "replace")
        self.r.schema_version = str(version)
        self.r.notes.extend(check_version(self.path, version))
        self.attrs(f, "/", schema["root_attributes"])
        dims: dict[str, int] = {}
        # Global dimensions first.
        dims["N_lasers"] = self._count("/config/lasers", "laser_")
        dims["N_channels"] = self._count("/config/detector", "det_")
        if "scan" in f and "subrun_index" in f["scan"] and isinstance(
                f["scan/subrun_index"], h5py.Dataset):
            dims["N_steps"] = f["scan/subrun_index"].shape[0] if f["scan/subrun_index"].shape \
                else 0
        self.r.dims = dims
        for g in schema["groups"]:
            if g["path"] == "/user":
                continue
            self.group(g, dims)
        self._consistency(dims)
        self._extras()

    def _count(self, gpath: str, prefix: str) -> int:
        if gpath not in self.f:
            return 0
        names = [k for k in self.f[gpath] if k.startswith(prefix)]
        idx = sorted(int(k[len(prefix):]) for k in names if k[len(prefix):].isdigit())
        if idx != list(range(len(idx))) or len(idx) != len(names):
            self.err(gpath, f"members {sorted(names)}: expected {prefix}0, {prefix}1, ...")
        if not idx:
            self.err(gpath, f"no {prefix}<n> member: expected at least one")
        return len(idx)

    def instances(self, gspec: dict[str, Any], dims: dict[str, int]) -> list[str]:
        path = gspec["path"]
        if "pattern" not in gspec:
            return [path]
        parent = path.rsplit("/", 1)[0]
        if parent not in self.f:
            return []
        pat = gspec["pattern"]
        members = list(self.f[parent])
        if pat in ("det_{c}", "laser_{i}"):
            prefix = pat.split("{")[0]
            n = dims["N_channels"] if prefix == "det_" else dims["N_lasers"]
            got = [f"{parent}/{prefix}{k}" for k in range(n)]
            for k in range(n):
                if f"{prefix}{k}" not in members and gspec["required"]:
                    self.err(f"{parent}/{prefix}{k}", "missing required group")
            return [p for p in got if p in self.f]
        return [f"{parent}/{m}" for m in members]

    def group(self, gspec: dict[str, Any], dims: dict[str, int]) -> None:
        path = gspec["path"]
        if "pattern" not in gspec:
            parent = path.rsplit("/", 1)[0] or "/"
            if path not in self.f:
                if gspec["required"] and (parent == "/" or parent in self.f):
                    self.err(path, "missing required group")
                return
        for inst in self.instances(gspec, dims):
            self.known.add(inst)
            obj = self.f[inst]
            if gspec.get("kind") == "dataset_pattern":
                spec = {"name": inst.rsplit("/", 1)[1], "dtype": gspec["dtype"],
                        "shape": gspec["shape"], "units": gspec["units"], "required": True}
                self.dataset(self.f[inst.rsplit("/", 1)[0]], inst.rsplit("/", 1)[0], spec,
                             dims)
                continue
            if not isinstance(obj, h5py.Group):
                self.err(inst, "is a dataset, expected a group")
                continue
            self.attrs(obj, inst, gspec["attributes"])
            local = dict(dims)
            units = None
            if gspec["path"] == "/slow_control/{sensor}":
                u = obj.attrs.get("units")
                units = u.decode() if isinstance(u, bytes) else u
            opened = {}
            for spec in gspec["datasets"]:
                ds = self.dataset(obj, inst, spec, local,
                                  units if spec["name"] == "value" else None)
                if ds is not None:
                    opened[spec["name"]] = ds
            if "hist_interarrival" in opened and "hist_interarrival_edges_s" in opened and \
                    opened["hist_interarrival_edges_s"].shape[0] != \
                    opened["hist_interarrival"].shape[0] + 1:
                self.err(f"{inst}/hist_interarrival_edges_s",
                         f"{opened['hist_interarrival_edges_s'].shape[0]} edges: expected "
                         f"{opened['hist_interarrival'].shape[0] + 1} (N_bins + 1)")
            for k in ("N_steps", "N_shots", "N_events", "N_lasers", "N_channels"):
                if k in local and k not in dims:
                    dims[k] = local[k]
            skip_values = inst.startswith("/truth") or (
                not self.deep and inst in ("/shots", "/events"))
            if skip_values:
                continue
            extra = {}
            if "t_start_utc_ns" in opened:
                extra["after_start"] = opened["t_start_utc_ns"]
            if "start_utc_ns" in opened:
                extra["after_start_gti"] = opened["start_utc_ns"]
            if "n_shots" in opened:
                extra["le_n_shots"] = opened["n_shots"]
            for spec in gspec["datasets"]:
                if spec["name"] in opened:
                    self.values(opened[spec["name"]], f"{inst}/{spec['name']}",
                                spec.get("checks", []), extra)

    def _consistency(self, dims: dict[str, int]) -> None:
        f = self.f
        self._run_window()
        self._photon_energy_range()
        has_truth = f.attrs.get("has_truth")
        if has_truth is not None and bool(has_truth) != ("truth" in f):
            self.err("/@has_truth", f"{bool(has_truth)}: expected {'truth' in f} (whether "
                     "/truth exists)")
        kind = f.attrs.get("file_kind")
        entropy = f.attrs.get("seed_entropy")
        stripped = "provenance" in f and bool(f["provenance"].attrs.get("truth_stripped",
                                                                           False))
        if kind in ("synthetic", b"synthetic") and entropy in ("", b"") and not stripped:
            self.err("/@seed_entropy", "'': expected the SeedSequence entropy of a synthetic "
                     "run")
        if "truth" in f and kind not in ("synthetic", b"synthetic"):
            self.err("/truth", "present in a non-synthetic file: expected only for synthetic")
        if "quality" not in f:
            return
        q = f["quality"]
        complete = bool(f.attrs.get("complete", False))
        for counter, dim in (("n_steps_committed", "N_steps"), ("n_shots_committed", "N_shots"),
                             ("n_events_committed", "N_events")):
            if counter not in q or not isinstance(q[counter], h5py.Dataset) or \
                    q[counter].shape != ():
                continue
            n = int(q[counter][()])
            have = dims.get(dim, 0)
            if complete and n != have:
                self.err(f"/quality/{counter}", f"{n}: expected {have} ({dim}) in a complete "
                         "file")
            elif n > have:
                self.err(f"/quality/{counter}", f"{n}: expected <= {have} ({dim})")
        if not complete:
            self.r.notes.append("file is not marked complete (being written, or a partial "
                                "file left by a crash)")
        if self.deep and "shots" in f and "subrun_index" in f["shots"]:
            ds = f["shots/subrun_index"]
            n_steps = dims.get("N_steps", 0)
            for lo in range(0, ds.shape[0], _BLOCK):
                a = ds[lo:lo + _BLOCK]
                if a.size and int(a.max()) >= max(n_steps, 1) and n_steps >= 0:
                    row = int(np.argmax(a >= n_steps)) + lo
                    self.err(f"/shots/subrun_index[{row}]", f"{int(ds[row])}: expected a step "
                             f"index < N_steps = {n_steps}")
                    break

    def _photon_energy_range(self) -> None:
        """Check 0 < omega <= the photon endpoint for every step ([physics §1.2]).

        The endpoint is E_eg/2, moved by an imprinted pair momentum (``/config/lasers``,
        schema 1.3.0): the one photon-range rule
        :func:`renpsim.physics.kinematics.outside_photon_range`. The RENP photon is the softer
        of the pair; larger values are a unit mistake (e.g. meV) or a wrong target.
        """
        f = self.f
        tgt = f.get("config/target")
        ds = f.get("scan/set_photon_energy_eV")
        if not isinstance(tgt, h5py.Group) or not isinstance(ds, h5py.Dataset) or \
                ds.ndim != 1 or ds.dtype.kind != "f":
            return
        e_eg = tgt.attrs.get("E_eg_eV")
        if not _attr_ok(e_eg, "float64") or not np.isfinite(e_eg) or e_eg <= 0:
            return
        imprinted = read_imprinted(f)
        try:
            check_imprinted_momentum(imprinted["imprinted_momentum_eV"],
                                     imprinted["imprinted_cos"], float(e_eg))
        except InputError as exc:
            self.err(f"/config/lasers/{exc.key}", f"{_val(exc.value)}: expected {exc.expected} "
                     "(/config/target@E_eg_eV)")
            return
        p0 = imprinted["imprinted_momentum_eV"]
        end = float(photon_endpoint(float(e_eg), **imprinted))
        for lo in range(0, ds.shape[0], _BLOCK):       # in blocks: bounded memory
            omega = ds[lo:lo + _BLOCK]
            bad = outside_photon_range(omega, float(e_eg), **imprinted) & np.isfinite(omega)
            # (non-finite values are reported by the value checks)
            if bad.any():
                break
        else:
            return
        if bad.any():
            i = int(np.argmax(bad))
            omega = omega[i:]
            i_file, i = lo + i, 0
            limit = f"E_eg/2 = {end:.7g} eV (/config/target@E_eg_eV" if p0 == 0.0 else (
                f"the photon endpoint {end:.7g} eV (/config/target@E_eg_eV, imprinted momentum "
                f"/config/lasers/imprinted_momentum_eV = {p0:.7g} eV")
            self.err(f"/scan/set_photon_energy_eV[{i_file}]", f"{_val(omega[i])}: expected 0 < "
                     f"omega <= {limit}; a unit mistake?)")

    def _run_window(self) -> None:
        """Check that steps lie inside [run_start_utc_ns, run_stop_utc_ns] (unit mistakes)."""
        f = self.f
        start, stop = f.attrs.get("run_start_utc_ns"), f.attrs.get("run_stop_utc_ns")
        if not (_attr_ok(start, "int64") and _attr_ok(stop, "int64")):
            return
        if stop < start:
            self.err("/@run_stop_utc_ns", f"{int(stop)}: expected >= run_start_utc_ns "
                     f"({int(start)})")
            return
        if not bool(f.attrs.get("complete", False)) or "scan" not in f:
            return
        for name, cmp in (("t_start_utc_ns", "lt"), ("t_stop_utc_ns", "gt")):
            ds = f["scan"].get(name)
            if not isinstance(ds, h5py.Dataset) or ds.dtype != np.int64 or ds.ndim != 1 or \
                    not ds.shape[0]:
                continue
            for lo in range(0, ds.shape[0], _BLOCK):       # in blocks: bounded memory
                a = ds[lo:lo + _BLOCK]
                bad = a < start if cmp == "lt" else a > stop
                if bad.any():
                    break
            if bad.any():
                i = int(np.argmax(bad))
                self.err(f"/scan/{name}[{lo + i}]", f"{int(a[i])}: expected within the run "
                         f"[{int(start)}, {int(stop)}] ns (run_start/run_stop_utc_ns; "
                         "times in ns since the epoch?)")
                return

    def _extras(self) -> None:
        known_groups = set(self.known)
        extras: list[str] = []

        def visit(name: str, obj: Any) -> None:
            p = "/" + name
            if p.startswith("/user") or p in known_groups:
                return
            if any(p.startswith(k + "/") for k in known_groups if k.startswith(
                    ("/slow_control/", "/truth/expected_background/"))):
                return
            if isinstance(obj, h5py.Group) and any(
                    k.startswith(p + "/") for k in known_groups):
                return
            if isinstance(obj, h5py.Group):
                # a schema group without datasets (e.g. /config/lasers) is known by its path
                if p in {g["path"] for g in load_schema()["groups"]}:
                    return
            extras.append(p)

        self.f.visititems(visit)
        if extras:
            shown = ", ".join(extras[:5]) + (" ..." if len(extras) > 5 else "")
            self.r.notes.append(f"unknown items ignored: {shown}")


def _val(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.size > 5:
        return f"array{v.shape}"
    if isinstance(v, np.generic):
        v = v.item()
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _shape(shape: list[str]) -> str:
    return "scalar" if not shape else "[" + ", ".join(shape) + "]"


#: The one refusal of a file its writer did not finish (for commands that use its content).
INCOMPLETE_PROBLEM = ("False: expected True (the writer did not finish: a partial file, or one "
                      "still being written; use it once complete)")


def validate_run(path: str | os.PathLike, *, deep: bool = True,
                 raise_on_error: bool = True, require_complete: bool = False
                 ) -> ValidationReport:
    """Check a run file against the schema.

    Parameters
    ----------
    path : path-like
        The run file.
    deep : bool
        Also check the values of ``/shots`` and ``/events`` (read in blocks: bounded memory).
    raise_on_error : bool
        Raise on the first problem (default) instead of returning them in the report.
    require_complete : bool
        Also refuse a file not marked complete (``/@complete`` = False: being written, or left
        by a writer that stopped). Without it such a file is valid with a note, as a partial
        file is (``validate`` and ``inspect`` describe it; ``fit`` and ``strip-truth`` refuse
        it).

    Returns
    -------
    ValidationReport
        Version, dimensions and notes (and errors when ``raise_on_error`` is False).

    Raises
    ------
    RunFileError
        Not a file, not HDF5, truncated or corrupt, foreign (not ``renp-run``), unknown major
        version, or any schema violation (message: file, item, value, expectation; the count
        of further problems is appended).

    """
    p = str(Path(path))
    report = ValidationReport(p)
    with open_h5(p) as f:
        _Checker(p, f, deep, report).run()
        if require_complete and not report.errors and not bool(f.attrs.get("complete", False)):
            report.errors.append(f"/@complete: {INCOMPLETE_PROBLEM}")
    if report.errors and raise_on_error:
        more = len(report.errors) - 1
        item, _, problem = report.errors[0].partition(": ")
        raise RunFileError(p, item, problem + (f" (and {more} more problem"
                                               f"{'s' if more > 1 else ''})" if more else ""))
    return report
