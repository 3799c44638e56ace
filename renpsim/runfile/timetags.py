"""Time-tagger imports: photon time tags of single-photon counters become a run file.

Formats [hardware §6.1] and the reader used for each:

* ``ptu``: PicoQuant unified TTTR files (HydraHarp, MultiHarp, PicoHarp, TimeHarp), T3 mode with
  the laser trigger as sync, read with ``ptufile`` (records decoded by the library: global
  time in sync periods = shot number, dtime in ``MeasDesc_Resolution`` bins, channel, marker
  bits);
* ``photon-hdf5``: Photon-HDF5 files read with h5py following the Photon-HDF5 specification
  (``/photon_data/timestamps`` x ``timestamps_specs/timestamps_unit``, ``detectors``,
  optional ``nanotimes`` x ``nanotimes_specs/tcspc_unit``,
  ``measurement_specs/laser_pulse_rate``, ``/acquisition_duration``);
* ``timetags-csv``: a tag stream as a table (Swabian Time Tagger dumps and the like), read with
  pandas: columns ``channel`` and ``time_ps``, optional ``type`` (0 time tag, 1 error,
  2 overflow begin, 3 overflow end, 4 missed events) and ``missed_events``; the laser shots are
  the tags of ``[daq] sync_channel``.

Every source becomes photons with (shot number, time since the shot's sync, tagger channel).
The detector channels are ``[daq] signal_channels`` (tagger channel numbers, in the order of
``[[detectors]]``); tags of other channels are left out and counted in the provenance.
Steps are either one source file per step (in the order given) or, for one file, delimited by
markers: the marker ``[timetags] step_marker`` (a PTU marker bit, or a channel of the CSV
stream) starts a new step at the next shot; shots before the first marker belong to no step.

Per step the importer computes: shots (and good shots: shots overlapping a lost interval of an
overflow begin/end pair are bad, and their photons dropped), counts in the signal gate
``[gate_offset_s, gate_offset_s + gate_width_s)`` and in the background gate
(``bg_gate_offset_s``, ``bg_gate_width_s``) of each channel's ``[[detectors]]`` entry, and the
gate live time: good shots x gate width minus the part of the union of the dead windows
``[t, t + dead_time_s)`` of the detected photons that falls inside the signal gate (for a
non-paralysable detector the windows never overlap and this is exact). Per-shot monitors (pulse
energies ``pulse_energy_J_<i>``, set frequencies ``set_frequency_Hz_<i>`` of laser i, optionally
``coherent_exposure_s``) come from a side table with one row per shot (column ``shot``: the shot
number counted from the first sync of the first source); the step's photon energy is h x the
mean set frequency of laser 0. Without an exposure column the coherent exposure is derived from
the shots and the ``[coherence]`` model (:mod:`renpsim.runfile.exposure`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from renpsim import __version__
from renpsim.constants import H_EV_S
from renpsim.errors import InputError, RunFileError

#: Formats accepted by :func:`import_timetags`.
FORMATS = ("ptu", "photon-hdf5", "timetags-csv")
#: Tag-stream record types of ``timetags-csv`` [hardware §6.1].
_TAG, _ERROR, _OVF_BEGIN, _OVF_END, _MISSED = 0, 1, 2, 3, 4
#: /scan/flags bit of a step with lost (overflow) intervals.
_FLAG_OVERFLOW = 1 << 3


@dataclass
class TagSource:
    """Photons of one source file, relative to the laser sync.

    Attributes
    ----------
    shot : numpy.ndarray
        Shot (sync) number of each photon, int64, from 0 at the file's first sync.
    dtime_s : numpy.ndarray
        Time since the shot's sync, s.
    channel : numpy.ndarray
        Tagger channel of each photon.
    n_shots : int
        Number of syncs (shots) in the file.
    period_s : float
        Sync period, s.
    markers : dict
        ``{marker: shot numbers}``: the shot at which each marker was recorded.
    lost : numpy.ndarray
        ``(k, 2)`` float array of lost intervals in shot units ``[begin, end]`` (overflows).
    missed : int
        Events the tagger reported as missed.
    errors : int
        Error records.

    """

    shot: np.ndarray
    dtime_s: np.ndarray
    channel: np.ndarray
    n_shots: int
    period_s: float
    markers: dict[int, np.ndarray] = field(default_factory=dict)
    lost: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    missed: int = 0
    errors: int = 0


def _fail(path: str, key: str, value: Any, expected: str) -> InputError:
    return InputError(path, key, value, expected)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


# ---------------------------------------------------------------------------------------------
# Readers, one per format


def read_ptu(path: str | os.PathLike) -> TagSource:
    """Read a PicoQuant PTU file in T3 mode with ``ptufile``."""
    import ptufile

    p = str(path)
    try:
        with ptufile.PtuFile(p) as ptu:
            if not ptu.is_t3:
                raise _fail(p, "TTResultFormat_TTTRRecType", str(ptu.record_type),
                            "a T3 record type (laser trigger as sync): T2 files carry no "
                            "per-shot times")
            period = float(ptu.global_resolution)
            res = float(ptu.tcspc_resolution)
            rec = ptu.decode_records()
            tags = ptu.tags
            acq = tags.get("MeasDesc_AcquisitionTime")
    except InputError:
        raise
    except Exception as exc:   # the library's errors (truncated, bad header, bad records)
        raise _fail(p, "-", _short(exc), "a readable PTU file (truncated or corrupt?)") from None
    if not (np.isfinite(period) and period > 0 and np.isfinite(res) and res > 0):
        raise _fail(p, "MeasDesc_GlobalResolution", period, "a sync period > 0 s")
    photon = rec["channel"] >= 0
    # overflow records (no photon, no marker) only advance the clock; the library has
    # already added them into the sync numbers of the other records
    rec = rec[photon | (rec["marker"] > 0)]
    photon = rec["channel"] >= 0
    t = rec["time"].astype(np.int64)
    if t.size > 1 and (np.diff(t) < 0).any():
        i = int(np.argmax(np.diff(t) < 0)) + 1
        raise _fail(p, f"event {i}", int(t[i]), "sync numbers that never decrease (a bad or "
                    "overflowed record)")
    n = int(t[-1]) + 1 if t.size else 0
    if isinstance(acq, int | float) and acq > 0:   # ms
        n = max(n, round(acq * 1e-3 / period))
    markers: dict[int, np.ndarray] = {}
    mk = rec["marker"]
    for bit in range(8):
        sel = (~photon) & ((mk >> bit) & 1).astype(bool)
        if sel.any():
            markers[bit + 1] = t[sel]
    dt = rec["dtime"][photon].astype(np.float64) * res
    if (dt < 0).any() or (dt > period * (1 + 1e-9)).any():
        i = int(np.argmax((dt < 0) | (dt > period * (1 + 1e-9))))
        raise _fail(p, f"photon record {i}, dtime", float(dt[i]),
                    f"a time within the sync period [0, {period:g}] s")
    return TagSource(t[photon], dt, rec["channel"][photon].astype(np.int64), n, period, markers)


def read_photon_hdf5(path: str | os.PathLike) -> TagSource:
    """Read a Photon-HDF5 file with h5py (single spot; ``timestamps`` + optional nanotimes)."""
    import h5py

    p = str(path)
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise _fail(p, "-", _short(exc), "a Photon-HDF5 file (HDF5; truncated?)") from None
    with f:
        try:
            pd_ = f["photon_data"]
            ts = np.asarray(pd_["timestamps"][()], dtype=np.int64)
            unit = float(pd_["timestamps_specs/timestamps_unit"][()])
            det = np.asarray(pd_["detectors"][()], dtype=np.int64)
            rate = float(pd_["measurement_specs/laser_pulse_rate"][()])
            nt = np.asarray(pd_["nanotimes"][()], dtype=np.int64) if "nanotimes" in pd_ \
                else None
            tcspc = float(pd_["nanotimes_specs/tcspc_unit"][()]) if nt is not None else None
            dur = float(f["acquisition_duration"][()]) if "acquisition_duration" in f else None
        except KeyError as exc:
            raise _fail(p, "/photon_data", _short(exc), "the Photon-HDF5 items timestamps, "
                        "timestamps_specs/timestamps_unit, detectors and "
                        "measurement_specs/laser_pulse_rate (pulsed excitation)") from None
        except (OSError, ValueError, TypeError) as exc:
            raise _fail(p, "/photon_data", _short(exc), "readable Photon-HDF5 data "
                        "(truncated or corrupt?)") from None
    if not (np.isfinite(unit) and unit > 0):
        raise _fail(p, "/photon_data/timestamps_specs/timestamps_unit", unit, "seconds > 0")
    if not (np.isfinite(rate) and rate > 0):
        raise _fail(p, "/photon_data/measurement_specs/laser_pulse_rate", rate, "Hz > 0")
    if det.shape != ts.shape or (nt is not None and nt.shape != ts.shape):
        raise _fail(p, "/photon_data/detectors", f"{det.size} rows",
                    f"{ts.size} rows (one per timestamp)")
    if ts.size > 1 and (np.diff(ts) < 0).any():
        i = int(np.argmax(np.diff(ts) < 0)) + 1
        raise _fail(p, f"/photon_data/timestamps[{i}]", int(ts[i]),
                    "non-decreasing timestamps (an overflowed or corrupt record)")
    period = 1.0 / rate
    ticks_per_shot = period / unit
    if abs(ticks_per_shot - round(ticks_per_shot)) < 1e-6 * ticks_per_shot:
        k = round(ticks_per_shot)
        shot = ts // k
        rest = (ts - shot * k).astype(np.float64) * unit
    else:
        shot = np.floor(ts * (unit / period)).astype(np.int64)
        rest = ts * unit - shot * period
    if nt is not None:
        dt = nt.astype(np.float64) * tcspc
    else:
        dt = rest
    n = int(shot[-1]) + 1 if shot.size else 0
    if dur is not None and np.isfinite(dur) and dur > 0:
        n = max(n, round(dur / period))
    return TagSource(shot, dt, det, n, period)


def read_timetags_csv(path: str | os.PathLike, sync_channel: int,
                      marker_channels: Sequence[int] = ()) -> TagSource:
    """Read a tag stream table (``channel``, ``time_ps``[, ``type``, ``missed_events``])."""
    p = str(path)
    try:
        df = pd.read_csv(p)
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        raise _fail(p, "-", _short(exc), "a CSV tag stream with columns channel, time_ps") \
            from None
    df.columns = [str(c).strip() for c in df.columns]
    for col in ("channel", "time_ps"):
        if col not in df.columns:
            raise _fail(p, f"column {col}", "(missing)", "columns channel, time_ps[, type, "
                        "missed_events]")
    cols = {}
    for col in ("channel", "time_ps", "type", "missed_events"):
        if col in df.columns:
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64)
            bad = ~np.isfinite(v) | (v != np.round(v))
            if bad.any():
                i = int(np.argmax(bad))
                raise _fail(p, f"row {i + 2}, column {col}", df[col].iloc[i],
                            "a whole number (a bad record?)")
            if col == "time_ps" and (np.abs(v) >= 2.0**63).any():
                i = int(np.argmax(np.abs(v) >= 2.0**63))
                raise _fail(p, f"row {i + 2}, column time_ps", df[col].iloc[i],
                            "a time in ps within int64 (overflowed?)")
            cols[col] = v.astype(np.int64)
    t, ch = cols["time_ps"], cols["channel"]
    kind = cols.get("type", np.zeros_like(t))
    unknown = ~np.isin(kind, [_TAG, _ERROR, _OVF_BEGIN, _OVF_END, _MISSED])
    if unknown.any():
        i = int(np.argmax(unknown))
        raise _fail(p, f"row {i + 2}, column type", int(kind[i]),
                    "0 (time tag), 1 (error), 2/3 (overflow begin/end), 4 (missed events)")
    if t.size > 1 and (np.diff(t) < 0).any():
        i = int(np.argmax(np.diff(t) < 0)) + 1
        raise _fail(p, f"row {i + 2}, column time_ps", int(t[i]),
                    "times that never decrease (a bad or overflowed record)")
    is_tag = kind == _TAG
    sync_t = t[is_tag & (ch == sync_channel)]
    if sync_t.size < 2:
        raise _fail(p, f"channel {sync_channel}", f"{sync_t.size} sync tags",
                    "at least two tags of the sync channel ([daq] sync_channel)")
    period = float(np.median(np.diff(sync_t))) * 1e-12
    # begin/end of overflow intervals, in shot units (fractional)
    ob, oe = t[kind == _OVF_BEGIN], t[kind == _OVF_END]
    if ob.size != oe.size or (ob.size and (oe < ob).any()):
        raise _fail(p, "column type", f"{ob.size} overflow begin, {oe.size} end records",
                    "overflow begin (2) and end (3) records in pairs")
    pos = np.searchsorted(sync_t, np.concatenate([ob, oe]), side="right") - 1
    lost = pos.reshape(2, -1).T.astype(np.float64) if ob.size else np.zeros((0, 2))
    markers = {}
    for m in marker_channels:
        mt = t[is_tag & (ch == m)]
        if mt.size:
            markers[int(m)] = np.searchsorted(sync_t, mt, side="left").astype(np.int64)
    ph = is_tag & (ch != sync_channel) & ~np.isin(ch, list(marker_channels))
    pt = t[ph]
    shot = np.searchsorted(sync_t, pt, side="right") - 1
    keep = shot >= 0   # photons before the first sync belong to no shot
    shot, pt = shot[keep], pt[keep]
    dt = (pt - sync_t[shot]).astype(np.float64) * 1e-12
    missed = int(cols.get("missed_events", np.zeros(1, np.int64))[kind == _MISSED].sum()) \
        if "missed_events" in cols else int((kind == _MISSED).sum())
    return TagSource(shot.astype(np.int64), dt, ch[ph][keep], int(sync_t.size), period,
                     markers, lost, missed, int((kind == _ERROR).sum()))


# ---------------------------------------------------------------------------------------------
# Steps, gates and live time


@dataclass
class _Gate:
    lo: float
    hi: float
    bg_lo: float | None
    bg_hi: float | None
    dead_s: float


def _gates(where: str, detectors: Sequence[Mapping[str, Any]], period: float) -> list[_Gate]:
    out = []
    for c, d in enumerate(detectors):
        def num(name, default=None, c=c, d=d):
            v = d.get(name, default)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
                raise InputError(where, f"detectors[{c}].{name}", v, "a finite number (s)")
            return float(v)
        lo = num("gate_offset_s", 0.0)
        width = num("gate_width_s", period - lo)
        if width <= 0:
            raise InputError(where, f"detectors[{c}].gate_width_s", width, "a width > 0 s")
        bg_lo, bg_w = num("bg_gate_offset_s"), num("bg_gate_width_s")
        dead = num("dead_time_s", 0.0)
        if dead < 0:
            raise InputError(where, f"detectors[{c}].dead_time_s", dead, "a time >= 0 s")
        out.append(_Gate(lo, lo + width, bg_lo, None if bg_lo is None or bg_w is None
                         else bg_lo + bg_w, dead))
    return out


@dataclass
class _Merged:
    shot: np.ndarray        # global shot number of each kept photon
    dtime_s: np.ndarray
    det: np.ndarray         # detector channel index (0..N_channels-1)
    n_shots: int
    period_s: float
    step_edges: np.ndarray  # first shot of each step, plus the end
    bad_shot: np.ndarray    # bool per global shot: lost (overflow)
    notes: list[str]


def _merge(where: str, sources: Sequence[tuple[str, TagSource]], signal_channels: Sequence[int],
           step_marker: int | None) -> _Merged:
    periods = np.array([s.period_s for _, s in sources])
    if np.ptp(periods) > 1e-6 * periods[0]:
        raise InputError(sources[1][0], "sync period", float(periods[1]),
                         f"the same sync period as {sources[0][0]} ({periods[0]:g} s)")
    offsets = np.concatenate([[0], np.cumsum([s.n_shots for _, s in sources])])
    n_total = int(offsets[-1])
    chmap = {int(c): k for k, c in enumerate(signal_channels)}
    shots, dts, dets = [], [], []
    bad = np.zeros(n_total, bool)
    other = missed = errors = 0
    for (_, s), off in zip(sources, offsets[:-1], strict=True):
        d = np.full(s.channel.size, -1, np.int64)
        if s.channel.size:
            lo = int(s.channel.min())
            lut = np.full(int(s.channel.max()) - lo + 1, -1, np.int64)
            for c, k in chmap.items():
                if 0 <= c - lo < lut.size:
                    lut[c - lo] = k
            d = lut[s.channel - lo]
        keep = d >= 0
        other += int((~keep).sum())
        for lo, hi in s.lost:
            bad[off + int(np.floor(lo)): off + int(np.floor(hi)) + 1] = True
        shots.append(s.shot[keep] + off)
        dts.append(s.dtime_s[keep])
        dets.append(d[keep])
        missed += s.missed
        errors += s.errors
    shot, dt, det = np.concatenate(shots), np.concatenate(dts), np.concatenate(dets)
    notes = []
    if len(sources) > 1:
        edges = offsets
        if step_marker is not None:
            notes.append("steps = source files (step_marker ignored)")
    elif step_marker is not None:
        m = np.unique(sources[0][1].markers.get(int(step_marker), np.zeros(0, np.int64)))
        m = m[m < n_total]
        if not m.size:
            raise InputError(sources[0][0], f"marker {step_marker}", "(none recorded)",
                             "step markers ([timetags] step_marker) in the file, or one file "
                             "per step")
        edges = np.concatenate([m, [n_total]])
        if m[0] > 0:
            notes.append(f"{int(m[0])} shots before the first step marker left out")
    else:
        edges = np.array([0, n_total])
    if other:
        notes.append(f"{other} tags on tagger channels not in [daq] signal_channels left out")
    if missed or errors:
        notes.append(f"the tagger reported {missed} missed events and {errors} error records")
    return _Merged(shot, dt, det, n_total, float(periods[0]), np.asarray(edges, np.int64), bad,
                   notes)


def _monitors(path: str | os.PathLike, n_lasers: int, n_shots: int) -> pd.DataFrame:
    p = str(path)
    try:
        df = pd.read_csv(p)
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        raise InputError(p, "-", _short(exc), "a CSV table of per-shot monitors") from None
    df.columns = [str(c).strip() for c in df.columns]
    allowed = {"shot", "coherent_exposure_s"} | {f"{b}_{i}" for i in range(n_lasers)
                                                  for b in ("pulse_energy_J",
                                                            "set_frequency_Hz")}
    for col in df.columns:
        if col not in allowed:
            raise InputError(p, f"column {col}", "(column)", "one of " + ", ".join(
                sorted(allowed)))
    for col in ("shot", "set_frequency_Hz_0"):
        if col not in df.columns:
            raise InputError(p, f"column {col}", "(missing)",
                             "the shot number and the set frequency of laser 0 per shot")
    out = {}
    for col in df.columns:
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(v) | (v < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(p, f"row {i + 2}, column {col}", df[col].iloc[i],
                             "a finite number >= 0")
        out[col] = v
    shot = out["shot"]
    bad = (shot != np.round(shot)) | (shot >= n_shots)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(p, f"row {i + 2}, column shot", df["shot"].iloc[i],
                         f"a shot number in [0, {n_shots}) (shots of the time-tag sources)")
    return pd.DataFrame(out).astype({"shot": np.int64})


def import_timetags(sources: str | os.PathLike | Sequence[str | os.PathLike], fmt: str,
                    metadata: str | os.PathLike | Mapping[str, Any],
                    output: str | os.PathLike, *,
                    monitors: str | os.PathLike | None = None) -> Path:
    """Turn time-tagger files plus metadata (and per-shot monitors) into a valid run file.

    Parameters
    ----------
    sources : path-like or sequence of path-like
        One file (steps from markers, or a single step) or one file per step, in order.
    fmt : {"ptu", "photon-hdf5", "timetags-csv"}
        Format of the sources (see the module docstring for the reader of each).
    metadata : path-like or mapping
        Import metadata TOML (as for :func:`renpsim.runfile.import_counts`) with ``[daq]``
        ``signal_channels`` (and ``sync_channel`` for ``timetags-csv``), gates and dead times in
        ``[[detectors]]``, optional ``[timetags] step_marker`` and ``[coherence]``.
    output : path-like
        Run file to write (crash-safe).
    monitors : path-like
        Per-shot monitor table (``shot``, ``set_frequency_Hz_<i>``, ``pulse_energy_J_<i>``,
        optional ``coherent_exposure_s``). Required: it gives each step's photon energy.

    Returns
    -------
    pathlib.Path
        ``output``.

    Raises
    ------
    InputError
        Bad source (one line naming the file, record or field), metadata or monitor table.

    """
    from renpsim.runfile.exposure import derive_exposure
    from renpsim.runfile.importer import read_import_metadata
    from renpsim.runfile.strip import sha256_file
    from renpsim.runfile.writer import RunWriter

    if fmt not in FORMATS:
        raise InputError("import_timetags", "fmt", fmt, "one of " + ", ".join(FORMATS))
    paths = [str(sources)] if isinstance(sources, str | os.PathLike) else \
        [str(s) for s in sources]
    if not paths:
        raise InputError("import_timetags", "sources", "(none)", "at least one file")
    for p in paths:
        if not os.path.isfile(p):
            raise InputError(p, "-", p, f"an existing {fmt} file")
    im = read_import_metadata(metadata)
    mw = im.where
    daq = dict(im.meta["daq"])
    tt = im.meta.get("timetags", {})
    if not isinstance(tt, Mapping) or set(tt) - {"step_marker"}:
        raise InputError(mw, "timetags", tt, "a table with the key step_marker")
    step_marker = tt.get("step_marker")
    if step_marker is not None and (isinstance(step_marker, bool) or
                                    not isinstance(step_marker, int)):
        raise InputError(mw, "timetags.step_marker", step_marker, "a marker number (int)")
    sig = daq.get("signal_channels")
    n_ch = len(im.detectors)
    if not isinstance(sig, list) or len(sig) != n_ch or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in sig) or \
            len(set(sig)) != n_ch:
        raise InputError(mw, "daq.signal_channels", sig, f"{n_ch} distinct tagger channel "
                         "numbers, one per [[detectors]] entry, in order")
    sync = daq.get("sync_channel")
    if fmt == "timetags-csv" and (isinstance(sync, bool) or not isinstance(sync, int)):
        raise InputError(mw, "daq.sync_channel", sync, "the tagger channel of the laser sync")
    if fmt == "timetags-csv" and sync in sig:
        raise InputError(mw, "daq.sync_channel", sync, "a channel not in signal_channels")
    tick = daq.get("time_unit_s")
    if isinstance(tick, bool) or not isinstance(tick, int | float) or not tick > 0:
        raise InputError(mw, "daq.time_unit_s", tick, "the tick of /events times (s) > 0")
    daq.setdefault("mode", "T3")
    if daq["mode"] != "T3":
        raise InputError(mw, "daq.mode", daq["mode"], "'T3' (time tags relative to the sync)")

    readers = {"ptu": read_ptu, "photon-hdf5": read_photon_hdf5,
               "timetags-csv": lambda p: read_timetags_csv(
                   p, sync, [step_marker] if step_marker is not None else [])}
    got = [(p, readers[fmt](p)) for p in paths]
    m = _merge(mw, got, sig, step_marker)
    gates = _gates(mw, im.detectors, m.period_s)
    if monitors is None:
        raise InputError(mw, "monitors", "(missing)", "a per-shot monitor table (set "
                         "frequencies, pulse energies) giving each step's photon energy")
    mon = _monitors(monitors, len(im.lasers), m.n_shots)
    edges = m.step_edges
    n_steps = len(edges) - 1
    step_of_shot = np.full(m.n_shots, -1, np.int64)
    for k in range(n_steps):
        step_of_shot[edges[k]:edges[k + 1]] = k
    # photons: in a step and in a good shot
    ok = (step_of_shot[m.shot] >= 0) & ~m.bad_shot[m.shot]
    shot, dt, det = m.shot[ok], m.dtime_s[ok], m.det[ok]
    tick = float(tick)
    step_ticks = m.period_s / tick
    dtick = np.round(dt / tick).astype(np.int64)
    stamp = np.round(shot * step_ticks).astype(np.int64) + dtick
    if stamp.size > 1 and (np.diff(stamp) < 0).any():   # time order (channels of a shot mixed)
        o = np.argsort(stamp, kind="stable")
        shot, dt, det, dtick, stamp = shot[o], dt[o], det[o], dtick[o], stamp[o]
    in_sig = np.zeros(shot.size, bool)
    in_bg = np.zeros(shot.size, bool)
    dead_lost = np.zeros(shot.size)
    # dead windows [t, t + dead) of each (shot, channel) in time order: a window starts no
    # earlier than the end of the previous one, so overlapping windows are counted once
    group = shot * n_ch + det
    order = np.argsort(group, kind="stable")   # fast on time-ordered tags (runs)
    t_o, g_o = dt[order], group[order]
    same = np.zeros(shot.size, bool)
    same[1:] = g_o[1:] == g_o[:-1]
    if (same[1:] & (t_o[1:] < t_o[:-1])).any():   # tags not in time order within a shot
        order = np.lexsort((dt, group))
        t_o = dt[order]
    dead_of = np.array([g.dead_s for g in gates])[det[order]]
    start_o = t_o.copy()
    start_o[1:] = np.where(same[1:], np.maximum(t_o[1:], t_o[:-1] + dead_of[:-1]), t_o[1:])
    lo_of = np.array([g.lo for g in gates])[det[order]]
    hi_of = np.array([g.hi for g in gates])[det[order]]
    dead_lost[order] = np.clip(np.minimum(t_o + dead_of, hi_of) - np.maximum(start_o, lo_of),
                               0.0, None)
    for c, g in enumerate(gates):
        on = det == c
        in_sig |= on & (dt >= g.lo) & (dt < g.hi)
        if g.bg_lo is not None:
            in_bg |= on & (dt >= g.bg_lo) & (dt < g.bg_hi)
    n_ch_shape = (m.n_shots, n_ch)
    idx = shot * n_ch + det
    sig_shot = np.bincount(idx[in_sig], minlength=m.n_shots * n_ch).reshape(n_ch_shape)
    bg_shot = np.bincount(idx[in_bg], minlength=m.n_shots * n_ch).reshape(n_ch_shape)
    lost_shot = np.bincount(idx, weights=dead_lost, minlength=m.n_shots * n_ch
                            ).reshape(n_ch_shape)
    widths = np.array([g.hi - g.lo for g in gates])
    good = ~m.bad_shot
    live_shot = np.where(good[:, None], widths[None, :] - lost_shot, 0.0)

    steps = step_of_shot[step_of_shot >= 0]
    first = int(edges[0])
    sel = slice(first, int(edges[-1]))

    def per_step(a: np.ndarray) -> np.ndarray:
        a = a[sel]
        if a.ndim == 1:
            return np.bincount(steps, weights=a, minlength=n_steps)
        return np.stack([np.bincount(steps, weights=a[:, j], minlength=n_steps)
                         for j in range(a.shape[1])], axis=1)

    n_shots = np.diff(edges)
    n_good = per_step(good.astype(np.float64)).round().astype(np.int64)
    counts = per_step(sig_shot.astype(np.float64)).round().astype(np.int64)
    counts_bg = per_step(bg_shot.astype(np.float64)).round().astype(np.int64)
    live = per_step(live_shot)
    # monitors per step
    mstep = step_of_shot[mon["shot"].to_numpy()]
    if ((mstep >= 0).sum() and np.bincount(mstep[mstep >= 0], minlength=n_steps) == 0).any() \
            or not (mstep >= 0).any():
        k = int(np.argmax(np.bincount(mstep[mstep >= 0], minlength=n_steps) == 0)) \
            if (mstep >= 0).any() else 0
        raise InputError(str(monitors), "column shot", f"(no row in step {k})",
                         "monitor rows for every step (its set frequency)")
    mon = mon[mstep >= 0]
    mstep = mstep[mstep >= 0]
    g = mon.groupby(mstep)
    n_las = len(im.lasers)
    freq = np.full((n_steps, n_las), np.nan)
    e_mean = np.full((n_steps, n_las), np.nan)
    e_std = np.full((n_steps, n_las), np.nan)
    for i in range(n_las):
        if f"set_frequency_Hz_{i}" in mon:
            freq[:, i] = g[f"set_frequency_Hz_{i}"].mean().reindex(range(n_steps)).to_numpy()
        if f"pulse_energy_J_{i}" in mon:
            e_mean[:, i] = g[f"pulse_energy_J_{i}"].mean().reindex(range(n_steps)).to_numpy()
            e_std[:, i] = g[f"pulse_energy_J_{i}"].std(ddof=0).reindex(
                range(n_steps)).to_numpy()
    omega = freq[:, 0] * H_EV_S
    E_eg = im.meta["target"].get("E_eg_eV")
    if n_las > 1 and np.isfinite(freq[:, 1]).all():
        omega_p = freq[:, 1] * H_EV_S
    elif isinstance(E_eg, int | float) and not isinstance(E_eg, bool):
        omega_p = float(E_eg) - omega
    else:
        raise InputError(mw, "target.E_eg_eV", E_eg, "a number (or set_frequency_Hz_1)")
    derived = list(m.notes)
    if "coherent_exposure_s" in mon:
        expo = g["coherent_exposure_s"].sum().reindex(range(n_steps)).to_numpy()
        derived.append("/scan/coherent_exposure_s = sum of the monitors' per-shot "
                       "coherent_exposure_s over the step's shots")
    elif "coherence" in im.meta:
        d = derive_exposure(mw, im.meta["coherence"], im.lasers, im.detectors,
                            n_good * m.period_s, n_good)
        expo = d.exposure_s
        derived.append(d.note.replace("n_shots", "good shots"))
    else:
        raise InputError(str(monitors), "column coherent_exposure_s", "(missing)",
                         f"the coherent exposure per shot, or a [coherence] section in {mw} "
                         "to derive it from the good shots")
    derived.append("/scan/gate_live_time_s = good shots x gate width minus the dead time of "
                   "each detected photon inside the signal gate")
    start = im.run_start_utc_ns
    t_start = start + np.round(edges[:-1] * m.period_s * 1e9).astype(np.int64)
    t_stop = start + np.round(edges[1:] * m.period_s * 1e9).astype(np.int64)
    flags = np.where(per_step(m.bad_shot.astype(np.float64)) > 0, _FLAG_OVERFLOW, 0)
    cols = {"omega_eV": omega, "omega_prime_eV": omega_p, "set_frequency_Hz": freq,
            "dwell_s": n_shots * m.period_s, "n_shots": n_shots, "n_shots_good": n_good,
            "live_s": live, "exposure_s": expo, "counts": counts,
            "counts_background": counts_bg, "laser_energy_mean_J": e_mean,
            "laser_energy_std_J": e_std, "t_start_utc_ns": t_start, "t_stop_utc_ns": t_stop,
            "flags": flags}
    bad_om = ~(np.isfinite(omega) & (omega > 0))
    if bad_om.any():
        raise InputError(str(monitors), "column set_frequency_Hz_0",
                         f"(step {int(np.argmax(bad_om))})", "a set frequency > 0 Hz per step")

    ident, cfg = im.identity_and_config(daq)
    cal = im.calibration()
    try:
        with RunWriter(output, ident, cfg, shots=True, events=True) as w:
            w.append_steps(cols)
            _append_gtis(w, start, m, edges)
            shot_ids = np.arange(first, int(edges[-1]), dtype=np.int64)
            mon_e = np.full((m.n_shots, n_las), np.nan, np.float32)
            mon_f = np.full((m.n_shots, n_las), np.nan)
            ms = mon["shot"].to_numpy()
            for i in range(n_las):
                if f"pulse_energy_J_{i}" in mon:
                    mon_e[ms, i] = mon[f"pulse_energy_J_{i}"].to_numpy()
                if f"set_frequency_Hz_{i}" in mon:
                    mon_f[ms, i] = mon[f"set_frequency_Hz_{i}"].to_numpy()
            w.append_shots(shot_id=shot_ids, subrun_index=step_of_shot[sel],
                           t_shot=np.round(shot_ids * step_ticks).astype(np.int64),
                           laser_energy_J=mon_e[sel], laser_freq_Hz=mon_f[sel],
                           counts_signal=np.minimum(sig_shot[sel], 65535),
                           counts_background=np.minimum(bg_shot[sel], 65535),
                           live_fraction=(live_shot[sel] / widths[None, :]).astype(np.float32),
                           flags=np.where(m.bad_shot[sel], _FLAG_OVERFLOW, 0))
            w.append_events(timestamps=stamp, channel=det, shot_id=shot, dtime=dtick)
            im.write_calibration(w, cal)
            w.set_provenance(converter=f"renpsim time-tag import ({fmt})",
                             converter_version=_reader_version(fmt),
                             source_files=paths,
                             source_sha256=[sha256_file(p) for p in paths],
                             derived="; ".join(derived))
    except InputError as exc:
        raise im.metadata_error(exc) from None
    except RunFileError as exc:
        raise im.metadata_error(exc) from None
    return Path(output)


def _append_gtis(w, start_ns: int, m: _Merged, edges: np.ndarray) -> None:
    """One good time interval per run of good shots inside each step."""
    lo_all, hi_all = [], []
    for k in range(len(edges) - 1):
        good = ~m.bad_shot[edges[k]:edges[k + 1]]
        if not good.size:
            continue
        d = np.diff(np.concatenate([[0], good.astype(np.int8), [0]]))
        lo = np.flatnonzero(d == 1) + edges[k]
        hi = np.flatnonzero(d == -1) + edges[k]
        lo_all.append(lo)
        hi_all.append(hi)
    if lo_all:
        lo, hi = np.concatenate(lo_all), np.concatenate(hi_all)
        w.append_gti(start_ns + np.round(lo * m.period_s * 1e9).astype(np.int64),
                     start_ns + np.round(hi * m.period_s * 1e9).astype(np.int64))


def _reader_version(fmt: str) -> str:
    if fmt == "ptu":
        import ptufile

        return f"renpsim {__version__}, ptufile {ptufile.__version__}"
    if fmt == "photon-hdf5":
        import h5py

        return f"renpsim {__version__}, h5py {h5py.__version__} (Photon-HDF5 specification)"
    return f"renpsim {__version__}, pandas {pd.__version__}"
