"""Import of real data: a table of counts per step plus a metadata TOML becomes a run file.

Table (CSV, or anything pandas reads: .parquet, .json, .xlsx, .feather), one row per step:

* required: ``omega_eV``, ``dwell_s``, and ``counts`` (one channel) or ``counts_0``,
  ``counts_1``, ... (one per detector channel);
* optional: ``omega_prime_eV`` (default E_eg - omega_eV), ``n_shots`` (default 0), ``live_s``
  or ``live_s_<c>`` (default dwell_s), ``counts_background`` / ``counts_background_<c>``
  (default 0), ``t_start_utc_ns`` and ``t_stop_utc_ns`` (default: consecutive steps from the run
  start), ``exposure_s`` (coherent exposure, s; when absent it is derived from ``dwell_s`` and
  the metadata's ``[coherence]`` model, see :mod:`renpsim.runfile.exposure`, and the import is
  refused without one), ``flags``, ``target_temperature_K``.

Metadata TOML: ``[run]`` (run_id, experiment, file_kind = "real", run_start_utc_ns or
run_start ISO text, software, software_version, comment), ``[target]``, ``[[lasers]]``,
``[[detectors]]``, ``[waveguide]``, ``[daq]`` (the /config attributes of docs/runfile-format.md),
optional ``[coherence]`` (the hardware files' coherence model: eta_model, eta0, rho_ge0, ...),
optional ``[trigger_geometry]`` (``imprinted_momentum_eV``, the pair momentum P0 the
trigger geometry imprints, default 0, and ``imprinted_cos``, its cosine to the emitted photon,
default 1: they move the photon endpoint the steps are checked against),
and ``[calibration]`` with ``frequency = {offset_Hz, offset_unc_Hz, reference}``,
``[[calibration.dark]]`` (channel, counts, live_time_s, ...) and
``[[calibration.detector_efficiency]]`` (channel, wavelength_m, efficiency, efficiency_unc,
method, date_utc_ns, reference).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from renpsim import __version__
from renpsim._numbers import INT64_MIN, exact_int, int_column
from renpsim._toml import read_toml
from renpsim.errors import InputError, RunFileError
from renpsim.physics.kinematics import (
    check_imprinted_momentum,
    outside_photon_range,
    photon_endpoint,
)
from renpsim.runfile.strip import sha256_file
from renpsim.runfile.writer import RunConfig, RunIdentity, RunWriter

_SECTIONS = {"run", "target", "lasers", "detectors", "waveguide", "daq", "calibration",
             "config", "coherence", "timetags", "trigger_geometry"}
#: Keys of ``[trigger_geometry]``: the imprinted pair momentum (``/config/lasers``, 1.3.0).
_TRIGGER_KEYS = ("imprinted_momentum_eV", "imprinted_cos")
_RUN_KEYS = {"run_id", "experiment", "file_kind", "run_start_utc_ns", "run_start",
             "software", "software_version", "git_commit", "comment"}
_CAL_KEYS = {"frequency", "dark", "detector_efficiency", "afterpulse", "dead_time",
             "laser_energy", "waveguide"}
_KNOWN_COLS = {"step", "omega_eV", "omega_prime_eV", "dwell_s", "n_shots", "live_s",
               "t_start_utc_ns", "t_stop_utc_ns", "exposure_s", "flags", "target_temperature_K",
               "counts", "counts_background"}
def _read_csv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, encoding="utf-8-sig")
    if len(df.columns) == 1 and any(c in str(df.columns[0]) for c in ";\t"):
        df = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
    return df


_READERS = {".csv": _read_csv, ".tsv": lambda p: pd.read_csv(p, sep="\t"),
            ".txt": lambda p: pd.read_csv(p, sep=None, engine="python"),
            ".parquet": pd.read_parquet, ".json": pd.read_json, ".xlsx": pd.read_excel,
            ".feather": pd.read_feather}


def load_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Read an import metadata TOML (errors name the file and the key)."""
    p = str(path)
    return read_toml(p, what="an import metadata TOML file")


def _read_table(table: Any) -> tuple[pd.DataFrame, str]:
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True), "table"
    p = Path(table)
    where = str(p)
    if not p.is_file():
        raise InputError(where, "-", where, "an existing counts table (CSV or pandas-readable)")
    reader = _READERS.get(p.suffix.lower(), _read_csv)
    try:
        df = reader(p)
    except (ValueError, OSError, ImportError, pd.errors.ParserError,
            pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(where, "-", " ".join(str(exc).split())[:100],
                         "a table with a header row (CSV or pandas-readable)") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, where


def _numeric(df: pd.DataFrame, where: str, col: str, *, integer: bool = False,
             nonneg: bool = False, finite: bool = True) -> np.ndarray:
    line_offset = 2 if where != "table" else 0   # CSV line: header is line 1

    def row_name(i: int) -> str:
        return f"row {i + line_offset}" if line_offset else f"row {i}"

    raw = df[col]
    vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(vals) & ~raw.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(where, f"{row_name(i)}, column {col}", raw.iloc[i], "a number")
    if finite and not np.isfinite(vals).all():
        i = int(np.argmax(~np.isfinite(vals)))
        raise InputError(where, f"{row_name(i)}, column {col}", raw.iloc[i],
                         "a finite number (no NaN or empty cell)")
    if nonneg and (vals < 0).any():
        i = int(np.argmax(vals < 0))
        raise InputError(where, f"{row_name(i)}, column {col}", raw.iloc[i], "a value >= 0")
    if integer:
        frac = np.isfinite(vals) & (vals != np.round(vals))
        if frac.any():
            i = int(np.argmax(frac))
            raise InputError(where, f"{row_name(i)}, column {col}", raw.iloc[i],
                             "a whole number")
        # exact: the float view above rounds beyond 2**53 and cannot tell 2**64 from 0
        return int_column(raw.tolist(), where, lambda i: f"{row_name(i)}, column {col}",
                          lo=0 if nonneg else INT64_MIN)
    return vals


def _per_channel(df: pd.DataFrame, where: str, base: str, n_channels: int, *,
                 required: bool, integer: bool, default: np.ndarray | None) -> np.ndarray:
    if n_channels == 1 and base in df.columns:
        cols = [base]
    else:
        cols = [f"{base}_{c}" for c in range(n_channels)]
        if base in df.columns and n_channels > 1:
            raise InputError(where, f"column {base}", "(one column)",
                             f"one column per channel: {', '.join(cols)}")
    present = [c in df.columns for c in cols]
    if not any(present):
        if required:
            raise InputError(where, f"column {cols[0] if n_channels > 1 else base}",
                             "(missing)", "a column of " + base + " per step")
        return np.repeat(np.asarray(default, float).reshape(-1, 1), n_channels, axis=1)
    if not all(present):
        missing = cols[present.index(False)]
        raise InputError(where, f"column {missing}", "(missing)", "one column per channel")
    return np.stack([_numeric(df, where, c, integer=integer, nonneg=True) for c in cols], axis=1)


def _dwell_ns(where: str, dwell: np.ndarray) -> np.ndarray:
    """Dwell times in whole nanoseconds (int64, exact sums: no float rounding of the times)."""
    ns = np.round(dwell * 1e9)
    limit = 2.0**62 / max(len(ns), 1)
    if (ns >= limit).any():
        i = int(np.argmax(ns >= limit))
        raise InputError(where, f"row {i + 2}, column dwell_s", float(dwell[i]),
                         f"a dwell below {limit / 1e9!r} s (times are int64 nanoseconds)")
    return ns.astype(np.int64)


def _iso_to_ns(where: str, text: str) -> int:
    try:
        t = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise InputError(where, "run.run_start", text, "ISO 8601 date-time") from None
    if t.tzinfo is None:
        raise InputError(where, "run.run_start", text, "a date-time with a time zone")
    delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


@dataclass
class ImportMetadata:
    """The checked sections of an import metadata TOML, shared by every importer.

    Attributes
    ----------
    meta : dict
        The whole parsed document.
    where : str
        File name (``"metadata"`` for a mapping) used in messages.
    run : dict
        The ``[run]`` table.
    lasers, detectors : list of dict
        ``[[lasers]]`` and ``[[detectors]]``.

    """

    meta: dict[str, Any]
    where: str
    run: dict[str, Any]
    lasers: list[dict[str, Any]]
    detectors: list[dict[str, Any]]

    @property
    def run_start_utc_ns(self) -> int:
        """Run start from ``run.run_start_utc_ns`` or ``run.run_start`` (ISO), default 0."""
        start = self.run.get("run_start_utc_ns")
        if start is None:
            start = _iso_to_ns(self.where, self.run["run_start"]) if "run_start" in self.run \
                else 0
        return exact_int(start, self.where, "run.run_start_utc_ns")

    @property
    def imprinted(self) -> dict[str, float]:
        """``[trigger_geometry]`` as the physics layer's keyword arguments (default 0 and 1).

        Checked against ``target.E_eg_eV`` (0 <= P0 < E_eg, -1 <= c <= 1); errors name the
        metadata key.
        """
        sec = self.meta.get("trigger_geometry", {})
        if not isinstance(sec, Mapping):
            raise InputError(self.where, "trigger_geometry", sec,
                             "a table with " + ", ".join(_TRIGGER_KEYS))
        for key in sec:
            if key not in _TRIGGER_KEYS:
                raise InputError(self.where, f"trigger_geometry.{key}", sec[key],
                                 "one of " + ", ".join(_TRIGGER_KEYS))
        out = {"imprinted_momentum_eV": sec.get("imprinted_momentum_eV", 0.0),
               "imprinted_cos": sec.get("imprinted_cos", 1.0)}
        for key, v in out.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InputError(self.where, f"trigger_geometry.{key}", v, "a number")
        E_eg = self.meta["target"].get("E_eg_eV")
        if isinstance(E_eg, int | float) and not isinstance(E_eg, bool) and E_eg > 0:
            try:
                check_imprinted_momentum(out["imprinted_momentum_eV"], out["imprinted_cos"],
                                         float(E_eg))
            except InputError as exc:
                raise InputError(self.where, f"trigger_geometry.{exc.key}", exc.value,
                                 exc.expected + " (target.E_eg_eV)") from None
        return {k: float(v) for k, v in out.items()}

    def identity_and_config(self, daq: Mapping[str, Any] | None = None
                            ) -> tuple[RunIdentity, RunConfig]:
        """Return the writer's identity and configuration (``daq`` overrides ``[daq]``)."""
        meta, run = self.meta, self.run
        cfg = RunConfig(target=meta["target"], lasers=self.lasers, detectors=self.detectors,
                        daq=dict(meta["daq"] if daq is None else daq),
                        waveguide=meta.get("waveguide", {"type": "none"}),
                        full=meta.get("config", {k: v for k, v in meta.items()
                                                 if k != "calibration"}),
                        **self.imprinted)
        ident = RunIdentity(run_id=str(run["run_id"]), file_kind=run.get("file_kind", "real"),
                            experiment=str(run.get("experiment", "")),
                            software=str(run.get("software", "renpsim import")),
                            software_version=str(run.get("software_version", __version__)),
                            git_commit=str(run.get("git_commit", "")),
                            run_start_utc_ns=self.run_start_utc_ns,
                            comment=str(run.get("comment", "")))
        return ident, cfg

    def calibration(self) -> dict[str, Any]:
        """Return ``[calibration]``, checking its keys and the required items."""
        cal = dict(self.meta.get("calibration", {}))
        for key in cal:
            if key not in _CAL_KEYS:
                raise InputError(self.where, f"calibration.{key}", "(key)",
                                 "one of " + ", ".join(sorted(_CAL_KEYS)))
        for key in ("frequency", "dark", "detector_efficiency"):
            if key not in cal:
                raise InputError(self.where, f"calibration.{key}", "(missing)",
                                 "calibration data (required by the run-file format)")
        return cal

    def write_calibration(self, w: RunWriter, cal: Mapping[str, Any]) -> None:
        """Pass ``[calibration]`` to the writer (errors name the metadata key)."""
        mwhere, n_ch = self.where, len(self.detectors)
        kwargs: dict[str, Any] = {}
        for key in ("dark", "detector_efficiency", "afterpulse", "dead_time"):
            if key in cal:
                kwargs[key] = _by_channel(mwhere, f"calibration.{key}", cal[key], n_ch)
        if "laser_energy" in cal:
            kwargs["laser_energy"] = _by_channel(mwhere, "calibration.laser_energy",
                                                 cal["laser_energy"], len(self.lasers), "laser")
        for key in ("frequency", "waveguide"):
            if key in cal:
                kwargs[key] = cal[key]
        try:
            w.write_calibration(**kwargs)
        except InputError as exc:
            raise InputError(mwhere, f"calibration: {exc.key}", exc.value,
                             exc.expected) from None

    def metadata_error(self, exc: InputError | RunFileError) -> InputError:
        """Turn a writer error caused by the metadata into one naming the metadata key."""
        if isinstance(exc, RunFileError):
            # The writer validates the file before the rename: a violation here comes from
            # the metadata (e.g. lists of different lengths in one calibration table).
            return InputError(self.where, exc.key, "(inconsistent values)",
                              f"metadata that make a valid run file ({exc.problem})")
        if exc.where.startswith("RunWriter("):
            section = exc.where.split(" ", 1)[1] if " " in exc.where else ""
            section = section.replace("config.", "").replace(".write_calibration", "calibration")
            return InputError(self.where, f"{section}.{exc.key}".strip("."), exc.value,
                              exc.expected)
        return exc


def read_import_metadata(metadata: str | os.PathLike | Mapping[str, Any]) -> ImportMetadata:
    """Read and check the sections every import needs (errors name the file and the key)."""
    if isinstance(metadata, Mapping):
        meta, mwhere = dict(metadata), "metadata"
    else:
        mwhere = str(metadata)
        meta = load_metadata(metadata)
    for key in meta:
        if key not in _SECTIONS:
            raise InputError(mwhere, key, "(section)", "one of " + ", ".join(sorted(_SECTIONS)))
    run = dict(meta.get("run", {}))
    for key in run:
        if key not in _RUN_KEYS:
            raise InputError(mwhere, f"run.{key}", run[key], "one of " + ", ".join(
                sorted(_RUN_KEYS)))
    for sec in ("target", "lasers", "detectors", "daq"):
        if sec not in meta:
            raise InputError(mwhere, sec, "(missing)", f"a [{sec}] section")
    if "run_id" not in run:
        raise InputError(mwhere, "run.run_id", "(missing)", "a run identifier")
    lasers, detectors = meta["lasers"], meta["detectors"]
    if not isinstance(lasers, list) or not isinstance(detectors, list) or not all(
            isinstance(x, Mapping) for x in [*lasers, *detectors]):
        raise InputError(mwhere, "lasers/detectors", "(table)",
                         "arrays of tables ([[lasers]], [[detectors]])")
    return ImportMetadata(meta, mwhere, run, [dict(x) for x in lasers],
                          [dict(x) for x in detectors])


def import_counts(table: Any, metadata: str | os.PathLike | Mapping[str, Any],
                  output: str | os.PathLike) -> Path:
    """Turn a counts-per-step table plus metadata into a valid run file.

    Parameters
    ----------
    table : path-like or pandas.DataFrame
        Counts per step (see the module docstring for the columns).
    metadata : path-like or mapping
        Metadata TOML file (or its parsed content).
    output : path-like
        Run file to write (crash-safe: temporary name, then rename).

    Returns
    -------
    pathlib.Path
        ``output``.

    Raises
    ------
    InputError
        Bad table (missing columns, non-numeric cells, negative dwell, NaN counts: the message
        names file, row and column) or bad metadata (file and key).

    """
    im = read_import_metadata(metadata)
    meta, mwhere, lasers, detectors = im.meta, im.where, im.lasers, im.detectors
    df, where = _read_table(table)
    n_ch = len(detectors)
    if len(df) == 0:
        raise InputError(where, "-", "(no rows)", "at least one step")
    for col in df.columns:
        base = col.rsplit("_", 1)[0] if col.rsplit("_", 1)[-1].isdigit() else col
        if col not in _KNOWN_COLS and base not in {"counts", "counts_background", "live_s"}:
            raise InputError(where, f"column {col}", "(column)",
                             "one of " + ", ".join(sorted(_KNOWN_COLS)))
    for col in ("omega_eV", "dwell_s"):
        if col not in df.columns:
            raise InputError(where, f"column {col}", "(missing)", f"a column {col} per step")
    omega = _numeric(df, where, "omega_eV")
    if (omega <= 0).any():
        i = int(np.argmax(omega <= 0))
        raise InputError(where, f"row {i + 2}, column omega_eV", omega[i], "a value > 0")
    dwell = _numeric(df, where, "dwell_s", nonneg=True)
    counts = _per_channel(df, where, "counts", n_ch, required=True, integer=True, default=None)
    bg = _per_channel(df, where, "counts_background", n_ch, required=False, integer=True,
                      default=np.zeros(len(df)))
    live = _per_channel(df, where, "live_s", n_ch, required=False, integer=False,
                        default=dwell)
    target = meta["target"]
    E_eg = target.get("E_eg_eV")
    if "omega_prime_eV" in df.columns:
        omega_p = _numeric(df, where, "omega_prime_eV")
    elif isinstance(E_eg, int | float) and not isinstance(E_eg, bool):
        imprinted = im.imprinted
        over = outside_photon_range(omega, float(E_eg), **imprinted)
        if over.any():
            # [physics §1.2]: the RENP photon is the softer one, omega <= E_eg/2 (the endpoint
            # moved by an imprinted pair momentum, docs/sterile-and-momentum.md 2.1)
            i = int(np.argmax(over))
            end = float(photon_endpoint(float(E_eg), **imprinted))
            limit = (f"E_eg/2 = {end:.7g} eV (target.E_eg_eV of {mwhere}"
                     if imprinted["imprinted_momentum_eV"] == 0.0 else
                     f"the photon endpoint {end:.7g} eV (target.E_eg_eV and "
                     f"trigger_geometry of {mwhere}")
            raise InputError(where, f"row {i + 2}, column omega_eV", omega[i],
                             f"a photon energy in eV, 0 < omega <= {limit}; "
                             "a unit mistake, e.g. nm?)")
        omega_p = float(E_eg) - omega
    else:
        raise InputError(mwhere, "target.E_eg_eV", E_eg, "a number (or give omega_prime_eV)")
    start_ns = im.run_start_utc_ns
    cols: dict[str, Any] = {"omega_eV": omega, "omega_prime_eV": omega_p, "dwell_s": dwell,
                            "counts": counts, "counts_background": bg, "live_s": live}
    if "t_start_utc_ns" in df.columns:
        cols["t_start_utc_ns"] = _numeric(df, where, "t_start_utc_ns", integer=True)
        if "t_stop_utc_ns" in df.columns:
            cols["t_stop_utc_ns"] = _numeric(df, where, "t_stop_utc_ns", integer=True)
        else:
            with np.errstate(over="ignore"):
                cols["t_stop_utc_ns"] = cols["t_start_utc_ns"] + _dwell_ns(where, dwell)
            wrapped = cols["t_stop_utc_ns"] < cols["t_start_utc_ns"]
            if wrapped.any():
                i = int(np.argmax(wrapped))
                raise InputError(where, f"row {i + 2}, column t_start_utc_ns",
                                 int(cols["t_start_utc_ns"][i]),
                                 "a time such that t_start + dwell fits in int64 nanoseconds")
    else:
        edges = exact_int(start_ns, mwhere, "run.run_start_utc_ns", lo=-(2**62),
                          hi=2**62) + np.concatenate(
            [[0], np.cumsum(_dwell_ns(where, dwell))])
        cols["t_start_utc_ns"], cols["t_stop_utc_ns"] = edges[:-1], edges[1:]
    cols["n_shots"] = _numeric(df, where, "n_shots", integer=True, nonneg=True) \
        if "n_shots" in df.columns else 0
    for src in ("exposure_s", "flags", "target_temperature_K"):
        if src in df.columns:
            cols[src] = _numeric(df, where, src, integer=src == "flags", nonneg=True)
    ident, cfg = im.identity_and_config()
    cal = im.calibration()
    try:
        with RunWriter(output, ident, cfg) as w:   # checks the metadata first
            derived = []
            if "exposure_s" not in cols:
                if "coherence" not in meta:
                    raise InputError(where, "column exposure_s", "(missing)",
                                     "the coherent exposure per step (s), or a [coherence] "
                                     f"section in {mwhere} to derive it from dwell_s (never the "
                                     "dwell time itself)")
                from renpsim.runfile.exposure import derive_exposure

                got = derive_exposure(mwhere, meta["coherence"], lasers, detectors, dwell,
                                      cols["n_shots"] if "n_shots" in df.columns else None)
                cols["exposure_s"] = got.exposure_s
                derived.append(got.note)
            if not any(c == "live_s" or c.startswith("live_s_") for c in df.columns):
                derived.append("/scan/gate_live_time_s set to dwell_s (no live_s column: "
                               "detector gate open and live during the whole step)")
            try:
                w.append_steps(cols)
            except InputError as exc:
                raise InputError(where, exc.key, exc.value, exc.expected) from None
            w.append_gti(cols["t_start_utc_ns"], cols["t_stop_utc_ns"])
            im.write_calibration(w, cal)
            w.set_provenance(converter="renpsim import", converter_version=__version__,
                             source_files=[] if where == "table" else [where],
                             source_sha256=[] if where == "table" else [sha256_file(where)],
                             derived="; ".join(derived) or None)
    except InputError as exc:
        raise im.metadata_error(exc) from None
    except RunFileError as exc:
        raise im.metadata_error(exc) from None
    return Path(output)


def _by_channel(where: str, key: str, items: Any, n: int,
                index: str = "channel") -> dict[int, dict]:
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise InputError(where, key, "(table)", f"an array of tables ([[{key}]]) with {index}")
    out = {}
    for k, item in enumerate(items):
        item = dict(item)
        if index not in item:
            raise InputError(where, f"{key}[{k}].{index}", "(missing)", f"the {index} number")
        idx = item.pop(index)
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < n:
            what = "[[detectors]]" if index == "channel" else "[[lasers]]"
            raise InputError(where, f"{key}[{k}].{index}", idx,
                             f"an integer in [0, {n}) (one per entry of {what})")
        out[idx] = item
    return out
