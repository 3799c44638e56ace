"""Measurement campaigns: scan schedule, calibration runs, truth hypothesis, seed.

A campaign TOML (``campaigns/*.toml``) has top-level ``name``, ``description``, ``hardware``
(preset name, path relative to the campaign file, or an inline table), ``seed``; the tables
``[hardware_overrides]`` (nested like a hardware file), ``[truth]``, ``[scan]`` and an array
``[[calibration]]``. :func:`load_campaign` validates everything and resolves the steps;
:meth:`Campaign.to_toml` writes a self-contained equivalent (hardware inline, steps explicit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import tomlkit
from numpy.typing import NDArray

from renpsim._toml import read_toml
from renpsim.campaign import schedule
from renpsim.errors import InputError
from renpsim.hardware.config import (
    HardwareConfig,
    hardware_from_dict,
    resolve_preset,
)
from renpsim.hardware.schema import as_dict, build, knob, unknown_key_error
from renpsim.physics.kinematics import check_imprinted_momentum, photon_endpoint
from renpsim.physics.neutrino import NeutrinoState, neutrino_state
from renpsim.physics.oscillation import DEFAULT_PRESET

#: SeedSequence spawn-key prefixes: keep the random streams of different uses independent.
KEY_ORDER, KEY_RUN = 1, 2


@dataclass(frozen=True)
class TruthConfig:
    """Neutrino hypothesis used to generate synthetic data (written to /truth)."""

    ordering: str = knob("NO", kind="str", choices=("NO", "IO"), tag="[A]",
                         doc="Mass ordering.", source="[physics §3]")
    m_lightest_eV: float = knob(0.01, unit="eV", lo=0.0, hi=1.0, doc="Lightest mass.",
                                source="[physics §8] (S-bench m1 = 0.01 eV)")
    nature: str = knob("dirac", kind="str", choices=("dirac", "majorana"), doc="Nature.")
    oscillation: str = knob(DEFAULT_PRESET, kind="str", doc="Oscillation preset "
                            "(renpsim/data/oscillation).", source="[physics §3.1]")
    alpha21_rad: float = knob(0.0, unit="rad", doc="Majorana phase alpha21.")
    alpha31_rad: float = knob(0.0, unit="rad", doc="Majorana phase alpha31.")
    delta_rad: float | None = knob(None, kind="float?", unit="rad",
                                   doc="Dirac CP phase; absent = the preset's best fit.")


@dataclass(frozen=True)
class ScanConfig:
    """Frequency-scan schedule ([hardware §4.2], [hardware §7.1] 'scan', 8.2)."""

    generator: str = knob("explicit", kind="str",
                          choices=("explicit", "uniform", "thresholds", "endpoint", "gp21"),
                          doc="Step generator (see renpsim.campaign.schedule).")
    omega_eV: list[float] | None = knob(None, kind="floats", unit="eV",  # noqa: RUF009
                                        lo=0.0, lo_open=True,
                                        doc="Trigger energies (generator = 'explicit').")
    n_steps: int = knob(200, kind="int", lo=1, hi=10_000_000, doc="Number of scan steps.",
                        source="[hardware §7.1] (20-2000)")
    offset_min_eV: float = knob(0.0, unit="eV", lo=0.0,
                                doc="Smallest offset E_eg/2 - omega of the uniform part.")
    offset_max_eV: float = knob(10e-3, unit="eV", lo=0.0,
                                doc="Largest offset below E_eg/2.", source="[hardware §4.2]")
    dense_fraction: float = knob(0.5, lo=0.0, hi=1.0,
                                 doc="Fraction of steps in the dense part (thresholds/endpoint).")
    dense_width_eV: float = knob(1e-4, unit="eV", lo=0.0,
                                 doc="Half-width of the dense regions.", source="[hardware §7.1]")
    dwell_s: list[float] | float | None = knob(None, kind="floats", unit="s",  # noqa: RUF009
                                               lo=0.0, lo_open=True,
                                               doc="Wall time per step (one value or one per "
                                                   "step); rounded to whole shots.")
    total_time_s: float | None = knob(None, kind="float?", unit="s", lo=0.0, lo_open=True,
                                      doc="Total scan wall time, split equally over the steps "
                                          "(GP21 convention, [physics §1.5]).")
    shots_per_step: int | None = knob(None, kind="int", lo=1, hi=10**13,
                                      doc="Shots per step (alternative to dwell/total time).",
                                      source="[hardware §7.1] (1e4)")
    order: str = knob("up", kind="str", choices=("up", "down", "random", "as_listed"),
                      doc="Step order.", source="[hardware §7.1]")
    reference_every: int = knob(0, kind="int", lo=0,
                                doc="Insert a reference step before every k-th step (0 = none).",
                                source="[hardware §7.1] (every 10)")
    reference_omega_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0,
                                            lo_open=True,
                                            doc="Reference-step energy; absent = the lowest "
                                                "scan energy.")


@dataclass(frozen=True)
class CalibrationConfig:
    """One calibration run (laser off or detector dark), [hardware §9] /calibration."""

    kind: str = knob("dark", kind="str", choices=("dark", "laser_off"),
                     doc="'dark': detector blind (dark counts); 'laser_off': gate open, lasers "
                         "off (dark + stray light).")
    shots: int = knob(10000, kind="int", lo=1, doc="Number of gates.")
    position: str = knob("start", kind="str", choices=("start", "end"),
                         doc="Before or after the scan.")


@dataclass(frozen=True)
class Steps:
    """Resolved step table in acquisition order."""

    omega_eV: NDArray[np.float64]
    n_shots: NDArray[np.int64]
    dwell_s: NDArray[np.float64]
    is_reference: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.omega_eV)

    @property
    def total_shots(self) -> int:
        """Number of shots of the whole scan."""
        return int(self.n_shots.sum())


@dataclass(frozen=True)
class Campaign:
    """A validated, fully resolved campaign."""

    name: str
    description: str
    source: str
    seed: int
    hardware: HardwareConfig
    truth: TruthConfig
    scan: ScanConfig
    calibration: tuple[CalibrationConfig, ...]
    steps: Steps
    hardware_ref: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def neutrinos(self) -> NeutrinoState:
        """The truth neutrino state."""
        t = self.truth
        return neutrino_state(t.ordering, t.m_lightest_eV, t.nature, t.oscillation,
                              t.alpha21_rad, t.alpha31_rad, t.delta_rad)

    @property
    def seed_sequence(self) -> np.random.SeedSequence:
        """The run's root SeedSequence (entropy = seed); streams use spawn keys by index."""
        return np.random.SeedSequence(self.seed)

    def to_dict(self, *, steps: str = "explicit") -> dict[str, Any]:
        """Self-contained dict: hardware inline, the scan explicit or by its generator.

        Parameters
        ----------
        steps : {"explicit", "generator", "arrays"}
            ``"explicit"``: every step in acquisition order (``omega_eV`` and ``dwell_s`` as
            lists, ``order = "as_listed"``, reference steps in ``resolved_reference_steps``).
            ``"generator"``: a generated scan (``scan.generator`` other than ``"explicit"``) is
            recorded as given (generator, its parameters, order; the top-level ``seed`` fixes
            a random order), which :func:`campaign_from_dict` resolves to the same steps; an
            explicit scan is recorded as with ``"explicit"`` but with the two step lists as
            float64 arrays (for a writer that encodes them in blocks:
            :func:`renpsim._json.dumps_blocks`). ``"arrays"``: explicit, with arrays.

        Returns
        -------
        dict

        """
        if steps not in ("explicit", "generator", "arrays"):
            raise ValueError(f"steps = {steps!r}: expected 'explicit', 'generator' or 'arrays'")
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "hardware": self.hardware.to_dict(),
            "truth": as_dict(self.truth),
            "calibration": [as_dict(c) for c in self.calibration],
        }
        if steps == "generator" and self.scan.generator != "explicit":
            out["scan"] = as_dict(self.scan)
            return out
        st = self.steps
        as_list = steps == "explicit"
        out["scan"] = {
            "generator": "explicit",
            "omega_eV": [float(x) for x in st.omega_eV] if as_list else
            np.asarray(st.omega_eV, np.float64),
            "dwell_s": [float(x) for x in st.dwell_s] if as_list else
            np.asarray(st.dwell_s, np.float64),
            "order": "as_listed",
            "reference_every": 0,
        }
        out["resolved_reference_steps"] = [int(i) for i in np.flatnonzero(st.is_reference)]
        return out

    def to_toml(self) -> str:
        """TOML text that :func:`load_campaign` reads back into an equivalent campaign."""
        return tomlkit.dumps(self.to_dict())


TOP = ("name", "description", "hardware", "seed", "hardware_overrides", "truth", "scan",
       "calibration", "resolved_reference_steps")


def _apply_overrides(doc: dict, overrides: Mapping[str, Any] | None, where: str) -> dict:
    hw_over: dict[str, Any] = {}
    if not overrides:
        return hw_over
    for key, value in overrides.items():
        parts = str(key).split(".")
        if parts[0] == "hardware" and len(parts) == 3:
            hw_over[".".join(parts[1:])] = value
        elif len(parts) == 1 and parts[0] in ("seed", "name", "description", "hardware"):
            doc[parts[0]] = value
        elif len(parts) == 2 and parts[0] in ("truth", "scan"):
            doc.setdefault(parts[0], {})[parts[1]] = value
        else:
            raise unknown_key_error(where, str(key), value,
                                    ["seed", "hardware.SECTION.KEY", "truth.KEY", "scan.KEY"])
    return hw_over


def resolve_hardware_ref(ref: str, where: str, base_dir: Path | None = None) -> Path:
    """Find the hardware file a campaign's ``hardware`` key names.

    Parameters
    ----------
    ref : str
        A hardware preset name or a path to a hardware TOML file (relative paths are taken
        relative to ``base_dir``, the campaign file's folder, when that file exists there).
    where : str
        The campaign file (for the error message).
    base_dir : Path, optional
        The campaign file's folder.

    Returns
    -------
    Path
        The hardware TOML file.

    Raises
    ------
    InputError
        Neither an existing file nor a preset name (the message names the campaign file).

    """
    p = Path(ref)
    if base_dir is not None and not p.is_absolute() and (base_dir / p).is_file():
        return resolve_preset("hardware", base_dir / p)
    try:
        return resolve_preset("hardware", ref)
    except InputError as exc:
        rel = " (relative to this file's folder)" if base_dir is not None else ""
        raise InputError(where, "hardware", ref, f"{exc.expected}{rel} or a hardware preset "
                         "name") from None


def campaign_from_dict(doc: dict, where: str, base_dir: Path | None = None,
                       overrides: Mapping[str, Any] | None = None) -> Campaign:
    """Validate a campaign document and resolve its steps (see :func:`load_campaign`)."""
    doc = {k: (dict(v) if isinstance(v, dict) else v) for k, v in doc.items()}
    hw_over = _apply_overrides(doc, overrides, f"{where} (override)" if overrides else where)
    for key, value in doc.items():
        if key not in TOP:
            raise unknown_key_error(where, key, value, list(TOP))
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(where, "seed", seed, "an integer >= 0")
    for k in ("name", "description"):
        if k in doc and not isinstance(doc[k], str):
            raise InputError(where, k, doc[k], "a string")
    # hardware
    if "hardware" not in doc:
        raise InputError(where, "hardware", None, "a required key: a hardware preset name, a "
                         "path or an inline table")
    ref = doc["hardware"]
    overrides_tbl = doc.get("hardware_overrides", {})
    if not isinstance(overrides_tbl, dict):
        raise InputError(where, "hardware_overrides", overrides_tbl, "a table")
    merged = {**{f"{s}.{k}": v for s, t in overrides_tbl.items() if isinstance(t, dict)
                 for k, v in t.items()}, **hw_over}
    for s, t in overrides_tbl.items():
        if not isinstance(t, dict):
            raise InputError(where, f"hardware_overrides.{s}", t, "a table (hardware section)")
    try:
        if isinstance(ref, dict):
            hw = hardware_from_dict(ref, f"{where} [hardware]", merged)
            hw_ref = "inline"
        elif isinstance(ref, str):
            path = resolve_hardware_ref(ref, where, base_dir)
            hw = hardware_from_dict(read_toml(path, what="a hardware TOML file"), str(path),
                                    merged)
            hw_ref = ref
        else:
            raise InputError(where, "hardware", ref, "a preset name, a path or a table")
    except InputError as exc:
        if exc.key in merged or exc.key.split("[")[0] in merged:
            # the bad value came from this campaign's overrides: name this file
            src = "hardware_overrides" if exc.key in {f"{s}.{k}" for s, t in
                                                      overrides_tbl.items() for k in t} \
                else "hardware"
            raise type(exc)(where, f"{src}.{exc.key}", exc.value, exc.expected) from None
        raise
    truth = build(TruthConfig, doc.get("truth", {}), where, "truth")
    scan_tbl = doc.get("scan")
    if scan_tbl is None:
        raise InputError(where, "scan", None, "a required [scan] table")
    if isinstance(scan_tbl, dict) and isinstance(scan_tbl.get("dwell_s"), int | float) and \
            not isinstance(scan_tbl.get("dwell_s"), bool):
        scan_tbl = {**scan_tbl, "dwell_s": [scan_tbl["dwell_s"]]}
    scan = build(ScanConfig, scan_tbl, where, "scan")
    cal_list = doc.get("calibration", [])
    if not isinstance(cal_list, list):
        raise InputError(where, "calibration", cal_list, "an array of tables [[calibration]]")
    cal = tuple(build(CalibrationConfig, c, where, f"calibration[{i}]")
                for i, c in enumerate(cal_list))
    camp = Campaign(name=str(doc.get("name", Path(where).stem)),
                    description=str(doc.get("description", "")), source=where, seed=seed,
                    hardware=hw, truth=truth, scan=scan, calibration=cal,
                    steps=Steps(np.empty(0), np.empty(0, np.int64), np.empty(0),
                                np.empty(0, bool)), hardware_ref=hw_ref)
    try:
        camp.neutrinos  # noqa: B018 - validates the truth hypothesis
    except InputError as exc:
        key = "oscillation" if exc.where == "oscillation" else exc.key
        raise InputError(where, f"truth.{key}", exc.value, exc.expected) from None
    try:
        check_imprinted_momentum(hw.lasers.imprinted_momentum_eV, hw.lasers.imprinted_cos,
                                 hw.atomic.E_eg_eV)
    except InputError as exc:
        raise InputError(where, f"lasers.{exc.key}", exc.value, exc.expected) from None
    steps = _resolve_steps(camp, where)
    marks = doc.get("resolved_reference_steps")
    if marks is not None:
        if not isinstance(marks, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(steps)
                for i in marks):
            raise InputError(where, "resolved_reference_steps", marks,
                             f"a list of step indices in [0, {len(steps)})")
        is_ref = np.zeros(len(steps), dtype=bool)
        is_ref[marks] = True
        steps = dataclasses.replace(steps, is_reference=is_ref)
    return dataclasses.replace(camp, steps=steps)


def _resolve_steps(c: Campaign, where: str) -> Steps:
    s = c.scan
    E = c.hardware.E_eg_eV
    imprinted = c.hardware.lasers.imprinted
    # the photon endpoint: E_eg/2, moved by an imprinted pair momentum (s = 0 there)
    half = E / 2.0 if imprinted["imprinted_momentum_eV"] == 0.0 else float(
        photon_endpoint(E, **imprinted))
    limit_text = "E_eg/2" if imprinted["imprinted_momentum_eV"] == 0.0 else "the photon endpoint"
    if s.offset_min_eV > s.offset_max_eV:
        raise InputError(where, "scan.offset_max_eV", s.offset_max_eV,
                         f">= scan.offset_min_eV = {s.offset_min_eV:g} eV")
    n_dense = round(s.dense_fraction * s.n_steps)
    if s.generator == "explicit":
        if not s.omega_eV:
            raise InputError(where, "scan.omega_eV", s.omega_eV,
                             "a non-empty list of energies in eV (generator = 'explicit')")
        omega = np.array(s.omega_eV, dtype=float)
    elif s.generator == "gp21":
        omega = np.array(schedule.GP21_POINTS_EV)
    elif s.generator == "uniform":
        omega = schedule.uniform_offsets(E, s.offset_min_eV, s.offset_max_eV, s.n_steps)
    elif s.generator == "endpoint":
        omega = schedule.dense_near(np.array([half - s.dense_width_eV / 2]), s.dense_width_eV / 2,
                                    n_dense, E, s.offset_min_eV, s.offset_max_eV, s.n_steps,
                                    endpoint_eV=half)
    else:  # thresholds
        thr = schedule.pair_thresholds(E, np.asarray(c.neutrinos.masses_eV).reshape(-1),
                                       **imprinted)
        omega = schedule.dense_near(thr, s.dense_width_eV, n_dense, E, s.offset_min_eV,
                                    s.offset_max_eV, s.n_steps, endpoint_eV=half)
    outside = ~((omega > 0.0) & (omega <= half))     # whole-array test (1e7 steps: no loop)
    if outside.any():
        i = int(np.argmax(outside))
        raise InputError(where, f"scan.omega_eV[{i}]", float(omega[i]),
                         f"0 < omega <= {limit_text} = {half:.9g} eV")
    del outside
    rng = np.random.default_rng(np.random.SeedSequence(c.seed, spawn_key=(KEY_ORDER,)))
    perm = schedule.order_steps(omega, s.order, rng)
    omega = omega[perm]
    n = len(omega)
    f_rep = c.hardware.lasers.rep_rate_Hz
    given = [x is not None for x in (s.dwell_s, s.total_time_s, s.shots_per_step)]
    if sum(given) != 1:
        raise InputError(where, "scan.dwell_s", s.dwell_s,
                         "exactly one of scan.dwell_s, scan.total_time_s, scan.shots_per_step")
    if s.shots_per_step is not None:
        shots = np.full(n, s.shots_per_step, dtype=np.int64)
    else:
        if s.total_time_s is not None:
            dwell = np.full(n, s.total_time_s / n)
        elif len(s.dwell_s) == 1:
            dwell = np.full(n, s.dwell_s[0])
        elif len(s.dwell_s) == n:
            dwell = np.asarray(s.dwell_s, dtype=float)[perm]
        else:
            raise InputError(where, "scan.dwell_s", s.dwell_s,
                             f"one value or {n} values (one per step)")
        shots_f = np.rint(dwell * f_rep)
        if not np.all(shots_f <= 1e13):     # before the cast to int64 (which would overflow)
            i = int(np.argmax(~(shots_f <= 1e13)))
            raise InputError(where, "scan.total_time_s" if s.total_time_s is not None
                             else "scan.dwell_s", s.total_time_s if s.total_time_s is not None
                             else float(dwell[i]),
                             f"at most 1e13 shots per step ({1e13 / f_rep:.3g} s at "
                             f"{f_rep:g} Hz)")
        shots = shots_f.astype(np.int64)
        if np.any(shots < 1):
            raise InputError(where, "scan.dwell_s", float(dwell.min()),
                             f"at least one shot period ({1 / f_rep:g} s) per step")
    is_ref = np.zeros(n, dtype=bool)
    if s.reference_every:
        pos = schedule.insert_reference(n, s.reference_every)
        w_ref = float(np.min(omega)) if s.reference_omega_eV is None else s.reference_omega_eV
        if not (0.0 < w_ref <= half):
            raise InputError(where, "scan.reference_omega_eV", w_ref,
                             f"0 < omega <= {limit_text} = {half:.9g} eV")
        ref_shots = int(np.median(shots))
        omega = np.where(pos < 0, w_ref, omega[np.maximum(pos, 0)])
        shots = np.where(pos < 0, ref_shots, shots[np.maximum(pos, 0)])
        is_ref = pos < 0
    if int(shots.sum()) > 10**13:
        raise InputError(where, "scan", int(shots.sum()), "at most 1e13 shots in total")
    return Steps(omega_eV=np.asarray(omega, float), n_shots=np.asarray(shots, np.int64),
                 dwell_s=np.asarray(shots, float) / f_rep, is_reference=np.asarray(is_ref))


def list_campaign_presets() -> list[str]:
    """Names of the shipped campaign presets."""
    from renpsim._resources import preset_dir

    return sorted(p.stem for p in preset_dir("campaigns").glob("*.toml"))


def load_campaign(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
                  ) -> Campaign:
    """Load, validate and resolve a campaign.

    Parameters
    ----------
    name_or_path : str or Path
        Preset name (``gp21-benchmark``, ``yb-ordering-6pt``, ``yb-threshold-scan``,
        ``xe-example``) or a path to a campaign TOML file.
    overrides : mapping, optional
        Dotted keys: ``"seed"``, ``"scan.n_steps"``, ``"truth.m_lightest_eV"``,
        ``"hardware.target.density_cm3"``, ...; validated like file values.

    Returns
    -------
    Campaign

    Raises
    ------
    InputError
        Any invalid content, naming the file, the dotted key, the value and the expectation.

    """
    path = resolve_preset("campaigns", name_or_path)
    doc = read_toml(path, what="a campaign TOML file")
    return campaign_from_dict(doc, str(path), path.parent, overrides)
