"""Hardware configuration: strict TOML loading of presets and user files.

A hardware file has the tables ``[target]``, ``[coherence]``, ``[lasers]``, ``[waveguide]``,
``[backgrounds]``, ``[detector]`` and ``[daq]`` plus top-level ``name`` and ``description``.
Every key is declared in the dataclasses of this package (units in the names, evidence tags and
sources in the metadata; see docs/hardware-and-campaigns.md). ``[detector] preset = "..."``
starts from a section of ``hardware/detectors.toml``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim._resources import load_toml, preset_dir
from renpsim._toml import read_toml
from renpsim.errors import InputError, MissingInputError
from renpsim.hardware.coherence.config import MaxwellBlochConfig
from renpsim.hardware.detector import DetectorConfig
from renpsim.hardware.lasers import LaserConfig, hz_to_eV, n_gamma_from_laser, photons_per_pulse
from renpsim.hardware.schema import as_dict, build, knob, unknown_key_error
from renpsim.hardware.target_cell import CoherenceConfig, TargetConfig, envelope_integral_s
from renpsim.hardware.waveguide import BackgroundConfig, WaveguideConfig
from renpsim.physics.rate import rate_scale
from renpsim.physics.targets import AtomicTarget, load_target


@dataclass(frozen=True)
class DaqConfig:
    """Data-acquisition settings ([hardware §7.1] "DAQ")."""

    time_unit_s: float = knob(1e-12, unit="s", lo=0.0, lo_open=True,
                              doc="Time-tag resolution of /events (T3-like).",
                              source="[hardware §7.1] ([Swabian])")
    slow_control_period_s: float = knob(1.0, unit="s", lo=0.0, lo_open=True, hi=3600.0,
                                        doc="Nominal slow-control sampling period; the "
                                            "simulator writes one averaged row per block of "
                                            "shots (see docs).", source="[hardware §7.1]")


SECTIONS: dict[str, type] = {
    "target": TargetConfig,
    "coherence": CoherenceConfig,
    "lasers": LaserConfig,
    "waveguide": WaveguideConfig,
    "backgrounds": BackgroundConfig,
    "detector": DetectorConfig,
    "daq": DaqConfig,
    "maxwell_bloch": MaxwellBlochConfig,
}
TOP_KEYS = ("name", "description")
#: Media without RENP data, usable with the Maxwell-Bloch coherence model only.
COHERENCE_ONLY = ("para-H2",)


@dataclass(frozen=True)
class HardwareConfig:
    """A complete, validated hardware configuration."""

    name: str
    description: str
    source: str
    target: TargetConfig
    coherence: CoherenceConfig
    lasers: LaserConfig
    waveguide: WaveguideConfig
    backgrounds: BackgroundConfig
    detector: DetectorConfig
    daq: DaqConfig
    maxwell_bloch: MaxwellBlochConfig

    # ------------------------------------------------------------------ derived quantities
    @cached_property
    def atomic(self) -> AtomicTarget:
        """The physics target with this configuration's E_eg."""
        if self.target.species in COHERENCE_ONLY:
            raise InputError(self.source, "target.species", self.target.species,
                             "Yb or Xe: " + self.target.species + " has no RENP data (a "
                             "medium for coherence studies only)")
        base = load_target(self.target.species, self.target.isotope)
        if self.target.E_eg_eV is None and self.target.E_eg_sigma_eV is None:
            return base
        E = base.E_eg_eV if self.target.E_eg_eV is None else self.target.E_eg_eV
        return base.with_E_eg(E, self.target.E_eg_sigma_eV)

    @property
    def E_eg_eV(self) -> float:
        """E_eg in eV."""
        if self.target.species in COHERENCE_ONLY:
            return float(self.target.E_eg_eV)
        return self.atomic.E_eg_eV

    @property
    def period_s(self) -> float:
        """Shot period 1/f_rep."""
        return 1.0 / self.lasers.rep_rate_Hz

    @property
    def gate(self) -> tuple[float, float]:
        """Counting window (start, stop) in s relative to the pulse peak."""
        return self.detector.gate(self.period_s)

    @property
    def gate_width_s(self) -> float:
        """Gate live time per shot in s."""
        lo, hi = self.gate
        return hi - lo

    def gamma0_per_s(self) -> float:
        """Gamma_0 at the reference point (explicit, placeholder or the target's value)."""
        if self.target.gamma0_per_s is not None:
            return self.target.gamma0_per_s
        if self.target.gamma0_placeholder:
            if self.atomic.gamma0_placeholder_per_s is None:
                raise InputError(self.source, "target.gamma0_placeholder", True,
                                 f"false: {self.target.species} has no placeholder Gamma_0 "
                                 "(its value comes from the target data)")
            return float(self.atomic.gamma0_placeholder_per_s)
        if self.atomic.gamma0_ref_per_s is None:
            raise MissingInputError(self.source, "target.gamma0_per_s", None,
                                    "an explicit Gamma_0 in s^-1 or gamma0_placeholder = true "
                                    f"(no source gives Gamma_0 for {self.target.species})")
        return self.atomic.gamma0_ref_per_s

    def n_gamma_cm3(self, omega_eV: float | None = None) -> float:
        """Trigger photon density n_gamma in cm^-3 ([hardware §8.4])."""
        mode = self.target.n_gamma
        if mode == "explicit":
            return float(self.target.n_gamma_cm3)
        if mode == "from_laser":
            w = self.E_eg_eV / 2.0 if omega_eV is None else omega_eV
            return n_gamma_from_laser(self.lasers, w)
        return self.target.density_cm3

    def rate_per_unit_I(self, omega_eV: float | None = None) -> float:
        """Gamma_0 (V/V_ref)(n_a/n_ref)^2 (n_gamma/n_ref) in s^-1, eta = 1 ([hardware §8.1])."""
        return float(rate_scale(self.atomic, volume_cm3=self.target.volume_cm3,
                                n_atoms_cm3=self.target.density_cm3,
                                n_gamma_cm3=self.n_gamma_cm3(omega_eV), eta=1.0,
                                gamma0_per_s=self.gamma0_per_s()))

    def exposure_per_shot_s(self) -> float:
        """Mean coherent exposure of one shot inside the gate, int eta dt ([hardware §5.2]).

        Constant model: eta0 x gate width (= eta0 / f_rep for an always-open gate).
        Maxwell-Bloch model: the lookup table at the configured point on every axis
        (docs/coherence.md section 8).
        """
        if self.coherence.eta_model == "maxwell-bloch":
            from renpsim.hardware.coherence.from_hardware import hardware_lookup

            return hardware_lookup(self, "exposure_s")
        lo, hi = self.gate
        return self.coherence.eta_peak * envelope_integral_s(self.coherence,
                                                             self.lasers.duration_s, lo, hi)

    def trigger_photons_in_gate(self, omega_eV: float) -> float:
        """Trigger photons of the omega beam inside the gate (Gaussian pulse at t = 0)."""
        lo, hi = self.gate
        s = self.lasers.duration_s / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        frac = 0.5 * (math.erf(hi / (s * math.sqrt(2))) - math.erf(lo / (s * math.sqrt(2))))
        return photons_per_pulse(self.lasers.pulse_energy_J, omega_eV) * frac

    def psr_profile(self, omega_eV: ArrayLike) -> NDArray[np.float64]:
        """Gaussian McQ2/PSR line in 2 omega - E_eg, peak 1 ([hardware §8.4] [A]).

        Maxwell-Bloch model: the finite cell's phase matching sinc^2(dk L / 2) of the PSR pair
        (omega, E_eg - omega), exactly 1 at the solved trigger energy (default E_eg/2), with
        power-law tails (docs/coherence.md section 6a).
        """
        if self.coherence.eta_model == "maxwell-bloch":
            from renpsim.hardware.coherence.from_hardware import psr_phase_matching

            return psr_phase_matching(self, omega_eV)
        width = self.backgrounds.psr_width_eV
        if width is None:
            width = max(2.0 * hz_to_eV(self.lasers.linewidth_Hz), 1e-6)
        x = (2.0 * np.asarray(omega_eV, dtype=float) - self.E_eg_eV) / width
        return np.exp(-4.0 * math.log(2.0) * x * x)

    # ------------------------------------------------------------------ Maxwell-Bloch model
    def coherence_solution(self) -> Any:
        """One Maxwell-Bloch shot at the configured point (memoised; docs/coherence.md)."""
        from renpsim.hardware.coherence.from_hardware import solve_hardware

        return solve_hardware(self)

    def coherence_table(self, executor: Any = None) -> Any:
        """Return the cached Maxwell-Bloch lookup table of this configuration."""
        from renpsim.hardware.coherence.from_hardware import hardware_table

        return hardware_table(self, executor=executor)

    def psr_near_line(self, omega_eV: ArrayLike) -> NDArray[np.bool_]:
        """Return True for steps within three widths of the McQ2/PSR line (run-file flag bit 2).

        Gaussian line: within 3 FWHM in 2 omega - E_eg. Maxwell-Bloch model: within three
        times the first zero of the phase-matching factor around the solved trigger energy.
        """
        w = np.asarray(omega_eV, dtype=float)
        if self.coherence.eta_model == "maxwell-bloch":
            from renpsim.hardware.coherence.from_hardware import mb_parameters, psr_first_zero_eV

            w0 = mb_parameters(self).pulses[2].photon_eV
            return np.abs(w - w0) < 3.0 * psr_first_zero_eV(self)
        return self.psr_profile(w) > math.exp(-4 * math.log(2) * 9)

    def psr_photons_per_shot(self) -> float:
        """PSR (McQ2) photons per shot leaving the cell (Maxwell-Bloch model; 0 otherwise).

        The lookup table at the configured point on every axis, phase matched (the solved
        trigger energy; :meth:`psr_profile` gives the factor of another pair).
        """
        if self.coherence.eta_model != "maxwell-bloch":
            return 0.0
        from renpsim.hardware.coherence.from_hardware import hardware_lookup

        return max(0.0, hardware_lookup(self, "psr_photons"))

    def coherence_energy_factor(self, efac: NDArray) -> NDArray:
        """Shot exposure over the mean for relative pulse energies ``efac`` (n, 2).

        Maxwell-Bloch model with a table over the pulse energies (table_points > 1), looked
        up at the configured value of every other axis.
        """
        from renpsim.hardware.coherence.from_hardware import hardware_lookup

        e = np.asarray(efac, dtype=float)
        val = hardware_lookup(self, "exposure_s", energy_factors=e)
        ref = hardware_lookup(self, "exposure_s")
        return val / ref if ref > 0 else np.ones(len(e))

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Nested dict of every configuration value (TOML/JSON ready, None omitted).

        The ``maxwell_bloch`` table appears only with ``eta_model = "maxwell-bloch"`` (it is
        unused otherwise, and files of the other models stay as they were).
        """
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for sec in SECTIONS:
            if sec == "maxwell_bloch" and self.coherence.eta_model != "maxwell-bloch":
                continue
            out[sec] = as_dict(getattr(self, sec))
        out["detector"].pop("preset", None)
        return out


def list_hardware_presets() -> list[str]:
    """Names of the shipped hardware presets."""
    return sorted(p.stem for p in preset_dir("hardware").glob("*.toml") if p.stem != "detectors")


def list_detector_presets() -> list[str]:
    """Names of the detector presets in hardware/detectors.toml."""
    return sorted(load_toml(preset_dir("hardware") / "detectors.toml"))


def resolve_preset(kind: str, name_or_path: str | Path) -> Path:
    """Find a preset by name, or accept a path to a TOML file.

    Raises
    ------
    InputError
        Neither an existing path nor a known preset name.

    """
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in str(name_or_path):
        if not p.is_file():
            raise InputError(str(p), "-", str(name_or_path), f"an existing {kind} TOML file")
        return p
    cand = preset_dir(kind) / f"{name_or_path}.toml"
    if cand.is_file() and cand.stem != "detectors":
        return cand
    names = list_hardware_presets() if kind == "hardware" else sorted(
        q.stem for q in preset_dir(kind).glob("*.toml"))
    raise InputError(kind, "name", str(name_or_path), "a preset (" + ", ".join(names) +
                     ") or a path to a .toml file")


def _merge_overrides(data: dict, overrides: Mapping[str, Any] | None, where: str) -> None:
    """Apply {"section.key": value} or nested {"section": {"key": value}} overrides in place."""
    if not overrides:
        return
    for key, value in overrides.items():
        if isinstance(value, Mapping) and key in SECTIONS:
            for k2, v2 in value.items():
                data.setdefault(key, {})[k2] = v2
            continue
        parts = str(key).split(".")
        if len(parts) == 1 and key in TOP_KEYS:
            data[key] = value
            continue
        if len(parts) != 2 or parts[0] not in SECTIONS:
            raise unknown_key_error(where, str(key), value,
                                    [f"{s}.{f.name}" for s, c in SECTIONS.items()
                                     for f in dataclasses.fields(c)])
        data.setdefault(parts[0], {})[parts[1]] = value


def hardware_from_dict(data: dict, where: str, overrides: Mapping[str, Any] | None = None
                       ) -> HardwareConfig:
    """Validate a hardware table (as read from TOML) and build a :class:`HardwareConfig`.

    Parameters
    ----------
    data : dict
        The parsed TOML document (not modified).
    where : str
        File name (or description) used in error messages.
    overrides : mapping, optional
        Dotted ``"section.key"`` overrides (or nested tables), validated like file values.

    """
    if not isinstance(data, dict):
        raise InputError(where, "hardware", data, "a table")
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    _merge_overrides(data, overrides, where)
    for key, value in data.items():
        if key not in SECTIONS and key not in TOP_KEYS:
            raise unknown_key_error(where, key, value, [*SECTIONS, *TOP_KEYS])
    for key in TOP_KEYS:
        if key in data and not isinstance(data[key], str):
            raise InputError(where, key, data[key], "a string")
    det_table = dict(data.get("detector", {}))
    if not isinstance(data.get("detector", {}), dict):
        raise InputError(where, "detector", data["detector"], "a table")
    if "preset" in det_table:
        presets = load_toml(preset_dir("hardware") / "detectors.toml")  # shipped, cached
        name = det_table["preset"]
        if not isinstance(name, str) or name not in presets:
            raise InputError(where, "detector.preset", name,
                             "one of " + ", ".join(sorted(presets)))
        base = {k: v for k, v in presets[name].items() if k not in ("description", "source")}
        det_table = {**base, **det_table}
    parts = {}
    for sec, cls in SECTIONS.items():
        table = det_table if sec == "detector" else data.get(sec, {})
        parts[sec] = build(cls, table, where, sec)
    tgt: TargetConfig = parts["target"]
    coh: CoherenceConfig = parts["coherence"]
    if tgt.species in COHERENCE_ONLY:
        if tgt.E_eg_eV is None:
            raise InputError(where, "target.E_eg_eV", None,
                             f"the transition energy in eV for species = '{tgt.species}'")
        if coh.eta_model != "maxwell-bloch":
            raise InputError(where, "coherence.eta_model", coh.eta_model,
                             f"'maxwell-bloch' for species = '{tgt.species}'")
        E = tgt.E_eg_eV
    else:
        try:
            atomic = load_target(tgt.species, tgt.isotope)
        except InputError as exc:
            raise InputError(where, f"target.{exc.key}", exc.value, exc.expected) from None
        E = atomic.E_eg_eV if tgt.E_eg_eV is None else tgt.E_eg_eV
        if not E < atomic.E_vg_eV:
            raise InputError(where, "target.E_eg_eV", E, f"E_eg < E_vg = {atomic.E_vg_eV} eV")
    if tgt.n_gamma == "explicit" and tgt.n_gamma_cm3 is None:
        raise InputError(where, "target.n_gamma_cm3", None,
                         "a density in cm^-3 when target.n_gamma = 'explicit'")
    if coh.eta_model == "level1" and coh.rho_ge0 is None and coh.f_exc is None:
        raise InputError(where, "coherence.rho_ge0", None, "rho_ge0 or f_exc for eta_model = "
                         "'level1'")
    det: DetectorConfig = parts["detector"]
    period = 1.0 / parts["lasers"].rep_rate_Hz
    if det.dead_time_s >= period:
        raise InputError(where, "detector.dead_time_s", det.dead_time_s,
                         f"a dead time shorter than the shot period {period:g} s")
    wg = parts["waveguide"].resolved(E)
    if wg.enabled and not (0.0 < wg.cutoff_eV < E / 2.0):
        raise InputError(where, "waveguide.cutoff_eV", wg.cutoff_eV,
                         f"0 < cutoff < E_eg/2 = {E / 2:.6g} eV (signal above cutoff)")
    if wg.gap_lo_eV > wg.gap_hi_eV:
        raise InputError(where, "waveguide.gap_hi_eV", wg.gap_hi_eV,
                         f">= gap_lo_eV = {wg.gap_lo_eV:g} eV")
    parts["waveguide"] = wg
    hw = HardwareConfig(
        name=str(data.get("name", Path(where).stem)),
        description=str(data.get("description", "")),
        source=where,
        **parts,
    )
    if tgt.species not in COHERENCE_ONLY:
        hw.gamma0_per_s()  # Xe without an explicit Gamma_0 fails here, naming the key
    if coh.eta_model == "maxwell-bloch":
        from renpsim.hardware.coherence.from_hardware import mb_parameters

        mb_parameters(hw)  # photon energies consistent with E_eg (fails naming the key)
    return hw


def load_hardware(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
                  ) -> HardwareConfig:
    """Load and validate a hardware configuration.

    Parameters
    ----------
    name_or_path : str or Path
        A preset name (``gp21-benchmark``, ``yb-vapour``, ``xe-gas``) or a path to a TOML file.
    overrides : mapping, optional
        ``{"target.density_cm3": 1e16, ...}`` (or nested tables), validated as file values.

    Returns
    -------
    HardwareConfig

    Raises
    ------
    InputError
        Unknown name, unreadable file, unknown/misspelled key, missing required key, wrong type
        or out-of-range value: the message names the file, the dotted key, the value and the
        expectation.

    """
    path = resolve_preset("hardware", name_or_path)
    return hardware_from_dict(read_toml(path, what="a hardware TOML file"), str(path),
                              overrides)
