"""Reading run files: :func:`open_run` (validated, typed) and :func:`follow_run` (live, SWMR).

``/truth`` is never read unless :meth:`RunFile.truth` is called ([hardware §9.4]).
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

from renpsim._atomic import PARTIAL_RE, pid_alive
from renpsim.errors import RunFileError
from renpsim.runfile._common import CHUNK_CACHE_BYTES, read_imprinted, recorded_imprinted
from renpsim.runfile.schema import group_spec
from renpsim.runfile.validate import ValidationReport, open_h5, validate_run

_BLOCK = 1 << 20


@dataclass(frozen=True)
class DarkCalibration:
    """Dark (laser-off) run of one channel: raw counts and live time (Poisson likelihood)."""

    counts: int
    live_time_s: float
    temperature_K: float
    date_utc_ns: int


@dataclass(frozen=True)
class EfficiencyCalibration:
    """Efficiency curve of one channel."""

    wavelength_m: np.ndarray
    efficiency: np.ndarray
    efficiency_unc: np.ndarray
    method: str
    date_utc_ns: int
    reference: str


@dataclass(frozen=True)
class Calibration:
    """Contents of ``/calibration``.

    Attributes
    ----------
    detector_efficiency : dict
        ``{channel: EfficiencyCalibration}``.
    dark : dict
        ``{channel: DarkCalibration}``.
    frequency_offset_Hz, frequency_offset_unc_Hz : float
        Frequency calibration (true minus measured) and its uncertainty.
    frequency_reference : str
        Its reference.
    extra : dict
        Optional groups (afterpulse, dead_time, laser_energy, waveguide) as nested dicts.

    """

    detector_efficiency: dict[int, EfficiencyCalibration]
    dark: dict[int, DarkCalibration]
    frequency_offset_Hz: float
    frequency_offset_unc_Hz: float
    frequency_reference: str
    extra: dict[str, Any] = field(default_factory=dict)


def _attr(obj: h5py.HLObject, name: str, default: Any = None) -> Any:
    v = obj.attrs.get(name, default)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        return [x.decode() if isinstance(x, bytes) else x.item() if isinstance(x, np.generic)
                else x for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _text(ds: h5py.Dataset) -> str:
    v = ds[()]
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


@functools.cache
def _schema_names(gpath: str) -> frozenset[str]:
    """Dataset names (and aliases) the schema defines for the table group ``gpath``."""
    try:
        specs = group_spec(gpath)["datasets"]
    except (KeyError, LookupError):
        return frozenset()
    return frozenset(n for d in specs for n in (d["name"], *d.get("aliases", ())))


def _columns(group: h5py.Group, start: int, stop: int) -> dict[str, np.ndarray]:
    """Read rows [start, stop) of every dataset of a table group; 2-D columns are split."""
    cols: dict[str, np.ndarray] = {}
    # Only the datasets the schema defines for this group: an unknown extra item (which
    # validate_run accepts with a note) must not break the table (other lengths, other types).
    known = _schema_names(group.name)
    for name, ds in group.items():
        if not isinstance(ds, h5py.Dataset) or not ds.shape or (known and name not in known):
            continue
        a = ds[start:stop]
        if a.ndim == 1:
            cols[name] = a
        else:
            for j in range(a.shape[1]):
                cols[f"{name}_{j}"] = a[:, j]
    return cols


def _steps_table(scan: pd.DataFrame, n_channels: int) -> pd.DataFrame:
    def total(name: str) -> np.ndarray:
        return sum(scan[f"{name}_{c}"].to_numpy() for c in range(n_channels))

    return pd.DataFrame({
        "step": scan["subrun_index"].to_numpy(np.int64),
        "omega_eV": scan["set_photon_energy_eV"].to_numpy(),
        "omega_prime_eV": scan["set_photon_energy_prime_eV"].to_numpy(),
        "dwell_s": scan["dwell_s"].to_numpy(),
        "live_s": total("gate_live_time_s") / n_channels,
        "n_shots": scan["n_shots"].to_numpy(np.int64),
        "counts": total("counts_signal").astype(np.int64),
        "counts_background": total("counts_background").astype(np.int64),
        "exposure_s": scan["coherent_exposure_s"].to_numpy(),
    })


class RunFile:
    """A validated run file, read eagerly except for ``/shots``, ``/events`` and ``/truth``.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    identity : dict
        Root attributes (run_id, file_kind, schema_version, seed_entropy, ...).
    config : dict
        ``/config/config_json`` parsed.
    hardware : dict
        The ``/config`` group attributes: ``{"target": {...}, "lasers": [...],
        "detectors": [...], "waveguide": {...}, "daq": {...}}``.
    scan : pandas.DataFrame
        One row per step with every ``/scan`` dataset; ``[N_steps, k]`` datasets become
        columns ``<name>_<j>`` (j = laser or channel).
    steps : pandas.DataFrame
        Compact table for binned fits: step, omega_eV, omega_prime_eV, dwell_s, live_s (mean
        over channels), n_shots, counts, counts_background (sums over channels), exposure_s,
        good_time_s (wall time of the step inside the good time intervals, [hardware §9.3]).
    calibration : Calibration
        ``/calibration``.
    gti : pandas.DataFrame
        Good time intervals (start_utc_ns, stop_utc_ns, reason).
    report : ValidationReport
        Validation outcome (notes such as a newer minor version).
    n_channels, n_lasers : int
        Dimensions.
    imprinted : dict
        ``{"imprinted_momentum_eV": P0, "imprinted_cos": c}``, the pair momentum the trigger
        geometry imprints (``/config/lasers``, schema 1.3.0); ``(0.0, 1.0)`` for older files.
        The keyword arguments of the physics layer's kinematics.

    """

    def __init__(self, path: Path, report: ValidationReport, f: h5py.File, n_steps: int):
        self.path = path
        self.report = report
        self.identity = {k: _attr(f, k) for k in f.attrs}
        self.config = json.loads(_text(f["config/config_json"]))
        cfg = f["config"]
        self.n_lasers = len([k for k in cfg["lasers"] if k.startswith("laser_")])
        self.n_channels = len([k for k in cfg["detector"] if k.startswith("det_")])
        self.hardware = {
            "target": {k: _attr(cfg["target"], k) for k in cfg["target"].attrs},
            "lasers": [{k: _attr(cfg[f"lasers/laser_{i}"], k)
                        for k in cfg[f"lasers/laser_{i}"].attrs} for i in range(self.n_lasers)],
            "detectors": [{k: _attr(cfg[f"detector/det_{c}"], k)
                           for k in cfg[f"detector/det_{c}"].attrs}
                          for c in range(self.n_channels)],
            "waveguide": {k: _attr(cfg["waveguide"], k) for k in cfg["waveguide"].attrs},
            "daq": {k: _attr(cfg["daq"], k) for k in cfg["daq"].attrs},
        }
        self.imprinted = read_imprinted(f)
        self.scan = pd.DataFrame(_columns(f["scan"], 0, n_steps))
        self.steps = _steps_table(self.scan, self.n_channels)
        g = f["quality/good_time_intervals"]
        self.gti = pd.DataFrame({k: g[k][()] for k in ("start_utc_ns", "stop_utc_ns", "reason")})
        self.steps["good_time_s"] = good_time_s(
            self.scan["t_start_utc_ns"].to_numpy(), self.scan["t_stop_utc_ns"].to_numpy(),
            self.gti["start_utc_ns"].to_numpy(), self.gti["stop_utc_ns"].to_numpy())
        self.calibration = _read_calibration(f["calibration"])
        self.has_shots = "shots" in f
        self.has_events = "events" in f
        self.has_truth = "truth" in f
        self.slow_control_sensors = sorted(f["slow_control"]) if "slow_control" in f else []

    @property
    def total_counts(self) -> int:
        """Total signal-gate counts over all steps and channels.

        Exact (no int64 wrap-around) and read from ``/scan/counts_signal`` alone, not the
        whole step table.
        """
        return run_total_counts(self.path)

    def slow_control(self, sensor: str) -> pd.DataFrame:
        """Return one slow-control sensor as a DataFrame (time_utc_ns, value)."""
        if sensor not in self.slow_control_sensors:
            raise RunFileError(str(self.path), f"/slow_control/{sensor}",
                               "no such sensor: expected one of "
                               + (", ".join(self.slow_control_sensors) or "(none)"))
        with open_h5(self.path) as f:
            g = f[f"slow_control/{sensor}"]
            return pd.DataFrame({"time_utc_ns": g["time_utc_ns"][()], "value": g["value"][()]})

    def _iter(self, group: str, block_rows: int) -> Iterator[pd.DataFrame]:
        with open_h5(self.path) as f:
            if group not in f:
                raise RunFileError(str(self.path), f"/{group}", "absent: this run was written "
                                   "without it")
            g = f[group]
            n = next(iter(d for d in g.values() if isinstance(d, h5py.Dataset))).shape[0]
            for lo in range(0, n, block_rows):
                yield pd.DataFrame(_columns(g, lo, min(n, lo + block_rows)))

    def iter_shots(self, block_rows: int = _BLOCK) -> Iterator[pd.DataFrame]:
        """Yield ``/shots`` in blocks of ``block_rows`` rows (bounded memory)."""
        return self._iter("shots", block_rows)

    def iter_events(self, block_rows: int = _BLOCK, *,
                    truth_source: bool = False) -> Iterator[pd.DataFrame]:
        """Yield ``/events`` in blocks of ``block_rows`` rows (bounded memory).

        Parameters
        ----------
        block_rows : int
            Rows per block.
        truth_source : bool
            Add the column ``source`` (the name of the process that produced each event,
            from ``/truth/event_source``; synthetic event-level runs only). Reads ``/truth``:
            explicit request only, as :meth:`truth`.

        """
        if not truth_source:
            return self._iter("events", block_rows)
        return self._iter_events_truth(block_rows)

    def _iter_events_truth(self, block_rows: int) -> Iterator[pd.DataFrame]:
        with open_h5(self.path) as f:
            if "truth/event_source" not in f:
                raise RunFileError(str(self.path), "/truth/event_source",
                                   "absent (real data, a stripped copy, or not an event-level "
                                   "synthetic run of schema >= 1.1)")
            src = f["truth/event_source"]
            names = np.asarray([str(x.decode() if isinstance(x, bytes) else x)
                                for x in src.attrs["source_names"]] + ["?"], dtype=object)
            lo = 0
            for block in self._iter("events", block_rows):
                codes = src[lo:lo + len(block)]
                block["source"] = pd.Categorical(names[np.minimum(codes, len(names) - 1)])
                lo += len(block)
                yield block

    def truth(self) -> dict[str, Any]:
        """Read ``/truth`` (synthetic runs; explicit request only, e.g. validation studies).

        Returns
        -------
        dict
            ``{"params": dict, "expected_signal": (N_steps, N_channels) array,
            "expected_background": {component: array}}``, plus ``"event_source_names"``
            (list of str, index = code) when ``/truth/event_source`` exists (per-event
            sources: :meth:`iter_events` with ``truth_source=True``).

        """
        with open_h5(self.path) as f:
            if "truth" not in f:
                raise RunFileError(str(self.path), "/truth", "absent (real data or a stripped "
                                   "copy)")
            t = f["truth"]
            bg = t.get("expected_background", {})
            try:
                params = json.loads(_text(t["params_json"]))
            except json.JSONDecodeError as exc:
                raise RunFileError(str(self.path), "/truth/params_json",
                                   f"not valid JSON ({exc.msg})") from None
            out = {"params": params,
                   "expected_signal": t["expected_signal"][()],
                   "expected_background": {k: bg[k][()] for k in bg}}
            if "event_source" in t:
                out["event_source_names"] = [x.decode() if isinstance(x, bytes) else str(x)
                                             for x in t["event_source"].attrs["source_names"]]
            return out

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready summary (identity, dimensions, steps, totals)."""
        ident = {k: self.identity.get(k) for k in (
            "run_id", "file_kind", "experiment", "schema_version", "created_iso",
            "run_start_iso", "run_stop_iso", "software", "software_version", "has_truth",
            "seed_entropy")}
        steps = [{"step": int(r.step), "omega_eV": float(r.omega_eV),
                  "omega_prime_eV": float(r.omega_prime_eV), "dwell_s": float(r.dwell_s),
                  "live_s": float(r.live_s), "good_time_s": float(r.good_time_s),
                  "n_shots": int(r.n_shots), "counts": int(r.counts),
                  "counts_background": int(r.counts_background),
                  "exposure_s": None if np.isnan(r.exposure_s) else float(r.exposure_s)}
                 for r in self.steps.itertuples()]
        return {"path": str(self.path), **ident, "n_steps": len(self.steps),
                "n_channels": self.n_channels, "n_lasers": self.n_lasers,
                "has_shots": self.has_shots, "has_events": self.has_events,
                **self.imprinted,
                "total_counts": self.total_counts,
                "total_dwell_s": float(self.steps["dwell_s"].sum()),
                "dark": {str(c): {"counts": d.counts, "live_time_s": d.live_time_s}
                         for c, d in self.calibration.dark.items()},
                "notes": list(self.report.notes), "steps": steps}


def imprinted_momentum(path: str | os.PathLike) -> dict[str, float] | None:
    """Return the imprinted pair momentum a run file records (schema 1.3.0), or None.

    Parameters
    ----------
    path : path-like
        A run file.

    Returns
    -------
    dict or None
        ``{"imprinted_momentum_eV": P0, "imprinted_cos": c}``, or None for a file written
        before 1.3.0 (no ``/config/lasers/imprinted_momentum_eV``; read as P0 = 0).

    """
    with open_h5(Path(path)) as f:
        return recorded_imprinted(f)


def good_time_s(t_start_ns: np.ndarray, t_stop_ns: np.ndarray, gti_start_ns: np.ndarray,
                gti_stop_ns: np.ndarray) -> np.ndarray:
    """Return the time of each interval [t_start, t_stop] inside the good time intervals.

    [hardware §9.3]: live time is derived from the GTIs. Overlapping GTIs are merged first;
    the cost is O((N + M) log M) for N intervals and M GTIs.

    Parameters
    ----------
    t_start_ns, t_stop_ns : array of int64
        Intervals (e.g. the steps), ns since the epoch.
    gti_start_ns, gti_stop_ns : array of int64
        Good time intervals, ns since the epoch.

    Returns
    -------
    numpy.ndarray
        Seconds of good time per interval.

    """
    t0 = np.asarray(t_start_ns, np.int64)
    t1 = np.asarray(t_stop_ns, np.int64)
    if len(gti_start_ns) == 0:
        return np.zeros(len(t0))
    order = np.argsort(gti_start_ns, kind="stable")
    a = np.asarray(gti_start_ns, np.int64)[order]
    b = np.asarray(gti_stop_ns, np.int64)[order]
    # merge overlaps: running maximum of the stops
    b = np.maximum.accumulate(b)
    new = np.concatenate([[True], a[1:] > b[:-1]])
    grp = np.cumsum(new) - 1
    ms = a[new]
    me = np.zeros(len(ms), np.int64)
    np.maximum.at(me, grp, b)
    cum = np.concatenate([[0], np.cumsum(me - ms)])     # good time before each merged GTI

    def covered(t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(ms, t, side="right") - 1    # last GTI starting at or before t
        inside = np.where(k >= 0, np.minimum(t, me[np.maximum(k, 0)]) - ms[np.maximum(k, 0)], 0)
        return np.where(k >= 0, cum[np.maximum(k, 0)] + inside, 0)

    return (covered(t1) - covered(t0)) * 1e-9


def _read_calibration(g: h5py.Group) -> Calibration:
    def scalar(ds):
        return ds[()].item() if hasattr(ds[()], "item") else ds[()]

    eff = {}
    for name, sub in g["detector_efficiency"].items():
        eff[int(name[4:])] = EfficiencyCalibration(
            sub["wavelength_m"][()], sub["efficiency"][()], sub["efficiency_unc"][()],
            _attr(sub, "method", ""), _attr(sub, "date_utc_ns", 0), _attr(sub, "reference", ""))
    dark = {}
    for name, sub in g["dark"].items():
        dark[int(name[4:])] = DarkCalibration(
            int(scalar(sub["counts"])), float(scalar(sub["live_time_s"])),
            float(scalar(sub["temperature_K"])) if "temperature_K" in sub else float("nan"),
            int(scalar(sub["date_utc_ns"])) if "date_utc_ns" in sub else 0)
    fr = g["frequency"]
    extra: dict[str, Any] = {}
    for key in ("afterpulse", "dead_time", "laser_energy", "waveguide"):
        if key in g:
            extra[key] = _nested(g[key])
    return Calibration(eff, dark, float(scalar(fr["offset_Hz"])),
                       float(scalar(fr["offset_unc_Hz"])), _attr(fr, "reference", ""), extra)


def _nested(g: h5py.Group) -> dict[str, Any]:
    out: dict[str, Any] = {k: _attr(g, k) for k in g.attrs}
    for k, v in g.items():
        out[k] = _nested(v) if isinstance(v, h5py.Group) else v[()]
    return out


def run_total_counts(path: str | os.PathLike) -> int:
    """Total signal-gate counts of a run file, read in blocks from ``/scan/counts_signal``.

    Exact (no int64 wrap-around); memory does not grow with the number of steps (the file is
    not validated here: for a file just written by :class:`RunWriter`, which validated it, or
    through :attr:`RunFile.total_counts`).
    """
    from renpsim._numbers import exact_sum

    with open_h5(path) as f:
        ds = f["scan/counts_signal"]
        return sum(exact_sum(ds[k:k + (1 << 20)], str(path), "/scan/counts_signal")
                   for k in range(0, ds.shape[0], 1 << 20))


def open_run(path: str | os.PathLike, *, validate: bool = True) -> RunFile:
    """Open a run file: validate it and read identity, config, /scan and calibration.

    Parameters
    ----------
    path : path-like
        The run file.
    validate : bool
        Run :func:`~renpsim.runfile.validate_run` first (default; ``/shots`` and ``/events``
        values are not re-checked, only their structure).

    Returns
    -------
    RunFile

    Raises
    ------
    RunFileError
        Missing, foreign, truncated or invalid file, or unknown major schema version.

    """
    p = Path(path)
    report = validate_run(p, deep=False) if validate else ValidationReport(str(p))
    with open_h5(p) as f:
        n = f["scan/subrun_index"].shape[0]
        return RunFile(p, report, f, n)


def _find_live(path: Path) -> Path | None:
    """Return the file to follow: ``path`` itself, or a writer's partial file for it."""
    if path.exists():
        return path
    cands = []
    for entry in path.parent.glob(f".{path.name}.partial-*"):
        if PARTIAL_RE.match(entry.name):
            cands.append(entry)
    return max(cands, key=lambda e: e.stat().st_mtime) if cands else None


def follow_run(path: str | os.PathLike, *, poll_s: float = 0.2, timeout_s: float = 60.0,
               idle_timeout_s: float | None = None) -> Iterator[pd.DataFrame]:
    """Follow a run file while it is written (SWMR) and yield newly committed steps.

    Each yielded DataFrame holds the ``/scan`` rows (same columns as :attr:`RunFile.scan`)
    committed since the previous one: the reader reads ``/quality/n_steps_committed`` first and
    then only that many rows, so it always sees a consistent prefix of steps.

    Parameters
    ----------
    path : path-like
        The final run-file name (its ``.<name>.partial-<pid>`` is followed while the writer
        runs) or a partial file itself.
    poll_s : float
        Polling period.
    timeout_s : float
        Give up (RunFileError) if no file appears within this time.
    idle_timeout_s : float, optional
        Stop (without error) when no new step is committed within this time.

    Yields
    ------
    pandas.DataFrame
        New steps; iteration ends when the writer has finished (``writer_state`` = 1).

    """
    p = Path(path)
    t0 = time.monotonic()
    live = _find_live(p)
    while live is None:
        if time.monotonic() - t0 > timeout_s:
            raise RunFileError(str(p), "-", f"no file (nor a partial file of a running writer) "
                               f"appeared within {timeout_s} s")
        time.sleep(poll_s)
        live = _find_live(p)
    seen = 0
    last_new = time.monotonic()
    m = PARTIAL_RE.match(live.name)
    writer_pid = int(m["pid"]) if m else None
    f = _open_swmr(live, p, timeout_s)
    followed = Path(f.filename)
    try:
        ino = os.stat(followed).st_ino
    except OSError:
        ino = None
    try:
        counter = f["quality/n_steps_committed"]
        state = f["quality/writer_state"]
        scan = f["scan"]
        while True:
            counter.refresh()
            state.refresh()
            n = int(counter[()])
            done = int(state[()]) == 1
            if n > seen:
                for ds in scan.values():
                    ds.refresh()
                yield pd.DataFrame(_columns(scan, seen, n))
                seen = n
                last_new = time.monotonic()
            if done:
                if writer_pid is not None and followed != p:
                    # every step is committed; the writer still finishes, validates and
                    # renames the file: end when it has the final name, or say it never will
                    _await_final(followed, p, ino, writer_pid, seen, poll_s)
                return
            # A writer that gave up: its process ended, or (a writer in this very process,
            # or one that stays alive after an error) its partial file was removed without
            # becoming the final file. Waiting for it would never end.
            gone = _removed(followed, p, ino) if writer_pid is not None else False
            if writer_pid is not None and (gone or not pid_alive(writer_pid)):
                state.refresh()
                counter.refresh()
                if int(state[()]) != 1 and int(counter[()]) == seen:
                    who = "a thread of this process" if writer_pid == os.getpid() else \
                        f"process {writer_pid}"
                    why = " (its partial file was removed)" if gone else ""
                    raise RunFileError(str(p), "-", f"the writer ({who}) stopped before "
                                       f"finishing{why}, after {seen} steps")
                continue
            if idle_timeout_s is not None and time.monotonic() - last_new > idle_timeout_s:
                return
            time.sleep(poll_s)
    except (OSError, KeyError, RuntimeError, ValueError) as exc:
        if writer_pid is not None and _removed(followed, p, ino):
            # the writer gave up and abandoned the file (same process: the reads fail too)
            raise RunFileError(str(p), "-", f"the writer stopped before finishing (its partial "
                               f"file was removed), after {seen} steps") from None
        raise RunFileError(str(p), "-", "cannot follow the file: " +
                           " ".join(str(exc).split())) from None
    finally:
        try:
            f.close()
        except Exception:
            pass


def _await_final(live: Path, final: Path, ino: int | None, writer_pid: int, seen: int,
                 poll_s: float) -> None:
    """Wait until the writer has renamed ``live`` to ``final``; raise if it gave up instead."""
    while True:
        try:
            if ino is None or os.stat(final).st_ino == ino:
                return
        except OSError:
            pass
        if _removed(live, final, ino) or not pid_alive(writer_pid):
            raise RunFileError(str(final), "-", f"the writer stopped before finishing (all "
                               f"{seen} steps were committed, but the file was not completed; "
                               f"its partial file was removed)")
        time.sleep(poll_s)


def _removed(live: Path, final: Path, ino: int | None) -> bool:
    """Whether the followed file ``live`` left its name without becoming ``final``."""
    if ino is None:
        return False
    for name in (live, final):
        try:
            if os.stat(name).st_ino == ino:
                return False
        except OSError:
            continue
    return True


def _open_swmr(live: Path, final: Path, timeout_s: float) -> h5py.File:
    t0 = time.monotonic()
    while True:
        try:
            f = h5py.File(live, "r", libver="latest", swmr=True,
                          rdcc_nbytes=CHUNK_CACHE_BYTES)
        except OSError:
            f = None
        if f is not None:
            try:
                if "quality" in f and "n_steps_committed" in f["quality"]:
                    return f
            except (OSError, RuntimeError, KeyError, ValueError):
                pass            # not yet readable: closed below, tried again
            f.close()
        if not live.exists() and final.exists():
            live = final
        if time.monotonic() - t0 > timeout_s:
            raise RunFileError(str(live), "-", "cannot open for live reading (not a run file "
                               "written in SWMR mode?)")
        time.sleep(0.05)
