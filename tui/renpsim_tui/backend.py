"""The only module of the interface that calls renpsim library APIs.

Everything the screens show is computed here from plain values (target, hypothesis, hardware
sections, steps), so a change of a library API is a local change.

Wired to the library: targets, neutrino states, I(omega) and thresholds (``renpsim.physics``);
hardware presets, detector presets and the resolved hardware knobs (``renpsim.hardware``);
campaign validation and step resolution (``renpsim.campaign``); expected counts per step and
simulation to a run file (``renpsim.daq``); reading and live-following run files
(``renpsim.runfile``); existing bounds (``renpsim.limits``).

Every workflow (expected counts, viability, decisions, separations, reach, dwell optimisation,
simulation, fits) is delegated to the experiment layer (:mod:`renpsim.experiment`), the same
code that ``renpsim`` commands and the ``renpsim run`` report call: the same question gets the
same answer everywhere. This module only adapts the interface's plain values to it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from renpsim.constants import SECONDS_PER_DAY
from renpsim.errors import DataFileError, InputError, MissingInputError
from renpsim.experiment.defaults import (
    DEFAULT_NORMALISATION,
    GP21_OMEGA_EV,
    GP21_TOTAL_DAYS,
    TARGET_EVENTS,
)
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.kinematics import (
    THRESHOLD_LABELS,
    check_imprinted_momentum,
    photon_endpoint,
    threshold_matrix,
)
from renpsim.physics.oscillation import DEFAULT_PRESET, list_presets
from renpsim.physics.rate import resolve_gamma0
from renpsim.physics.targets import list_isotopes, list_targets

#: GP21's three frequencies in eV and total time (2.3 days in total) [hardware §8.2].
PAPER_OMEGAS_EV = GP21_OMEGA_EV
PAPER_TOTAL_S = GP21_TOTAL_DAYS * SECONDS_PER_DAY


#: Sections of a hardware configuration (hardware schema).
HARDWARE_SECTIONS = ("target", "coherence", "lasers", "waveguide", "backgrounds", "detector",
                     "maxwell_bloch")


#: Which implementation is active (shown in the interface).
MODE = "library"


class Cancelled(Exception):  # noqa: N818 (a request, not an error)
    """Raised inside a computation when the interface asked it to stop."""


@dataclass(frozen=True)
class TargetInfo:
    """What the interface needs to know about a target."""

    name: str
    species: str
    E_eg_eV: float
    E_eg_sigma_eV: float
    E_vg_eV: float
    omega_max_eV: float
    gamma0_per_s: float | None
    gamma0_note: str
    V_ref_cm3: float
    n_ref_cm3: float
    E_eg_override_eV: float | None = None
    #: Pair momentum P0 imprinted by the trigger lasers and its cosine to the photon
    #: (hardware ``lasers.imprinted_momentum_eV``, ``lasers.imprinted_cos``).
    imprinted_momentum_eV: float = 0.0
    imprinted_cos: float = 1.0

    @property
    def endpoint_eV(self) -> float:
        """Largest photon energy: E_eg/2, moved by an imprinted pair momentum."""
        return float(photon_endpoint(self.E_eg_eV, self.imprinted_momentum_eV,
                                     self.imprinted_cos))

    @property
    def endpoint_label(self) -> str:
        """``E_eg/2``, or ``the photon endpoint (P0 = ... eV, cos = ...)`` with P0."""
        if self.imprinted_momentum_eV == 0.0:
            return "E_eg/2"
        return (f"the photon endpoint (P0 = {self.imprinted_momentum_eV:g} eV, "
                f"cos = {self.imprinted_cos:g})")

    def imprint(self) -> dict[str, float]:
        """Return P0 and its cosine as keyword arguments of ``renpsim.physics.kinematics``."""
        return {"imprinted_momentum_eV": self.imprinted_momentum_eV,
                "imprinted_cos": self.imprinted_cos}


@dataclass(frozen=True)
class Hypothesis:
    """A neutrino hypothesis: ordering, lightest mass, nature, oscillation preset."""

    ordering: str = "NO"
    m_lightest_eV: float = 0.01
    nature: str = "dirac"
    oscillation: str = DEFAULT_PRESET
    bsm: str = "none"

    def label(self) -> str:
        """Short label for legends, e.g. ``"NO m1=0.01 eV dirac"``."""
        m = "m1" if self.ordering == "NO" else "m3"
        extra = "" if self.bsm == "none" else f" + {self.bsm}"
        return f"{self.ordering} {m}={self.m_lightest_eV:g} eV {self.nature}{extra}"


def list_target_names() -> list[str]:
    """All target labels ``species-isotope`` known to the physics data."""
    return [f"{sp}-{iso}" for sp in list_targets() for iso in list_isotopes(sp)]


def hardware_presets() -> list[str]:
    """Names of the shipped hardware presets (``renpsim.hardware``)."""
    from renpsim.hardware.config import list_hardware_presets

    return list_hardware_presets()


@functools.cache
def _preset_sections(name: str, mtime_ns: int) -> dict[str, dict[str, object]]:
    from renpsim.hardware.config import load_hardware

    d = load_hardware(name).to_dict()
    return {k: dict(v) for k, v in d.items() if isinstance(v, dict)}


def hardware_sections(name: str) -> dict[str, dict[str, object]]:
    """Return a hardware preset or file as sections of knobs (every knob, detector expanded).

    ``name`` is a preset name or the path :func:`hardware_file` returned (a file is read again
    when it changes).
    """
    p = Path(name)
    mtime = p.stat().st_mtime_ns if p.suffix == ".toml" and p.is_file() else 0
    return {k: dict(v) for k, v in _preset_sections(name, mtime).items()}


def write_text_atomically(path: Path, text: str) -> None:
    """Write a text file crash-safely (the library's temporary name, fsync, rename)."""
    from renpsim._atomic import atomic_write_text

    atomic_write_text(path, text)


def check_toml_file(path: Path, what: str) -> None:
    """Raise the library's one-line error if ``path`` is unreadable, not UTF-8 or not TOML."""
    from renpsim._toml import read_toml

    read_toml(path, what=what)


def hardware_file(ref: object, where: str, base_dir: Path | None) -> str:
    """Resolve a campaign's ``hardware`` key: a preset name, or the path of a hardware file.

    Raises
    ------
    InputError
        Not a string, or neither a preset name nor an existing hardware TOML file.

    """
    from renpsim.campaign.campaign import resolve_hardware_ref

    if not isinstance(ref, str):
        raise InputError(where, "hardware", ref, "a hardware preset name (" +
                         ", ".join(hardware_presets()) + ") or a hardware TOML file")
    if ref in hardware_presets():
        return ref
    return str(resolve_hardware_ref(ref, where, base_dir))


def detector_presets() -> dict[str, dict[str, object]]:
    """Detector presets of ``hardware/detectors.toml``: name -> detector knobs.

    Every knob but the description and source; applying one writes them as overrides.
    """
    from renpsim._resources import load_toml, preset_dir

    doc = load_toml(preset_dir("hardware") / "detectors.toml")
    return {name: {k: v for k, v in tbl.items() if k not in ("description", "source")}
            for name, tbl in doc.items() if isinstance(tbl, dict)}


def campaign_preset_path(name: str) -> Path | None:
    """Path of a shipped campaign preset (``campaigns/NAME.toml``), or None."""
    from renpsim._resources import preset_dir

    p = preset_dir("campaigns") / f"{name}.toml"
    return p if p.is_file() else None


def oscillation_presets() -> list[str]:
    """Names of the oscillation-parameter presets."""
    return list_presets()


def _target(info: TargetInfo | str):
    if isinstance(info, str):
        return load_target(info)
    t = load_target(info.name)
    return t if info.E_eg_override_eV is None else t.with_E_eg(info.E_eg_override_eV)


def target_info(name: str, gamma0_per_s: float | str | None = None,
                E_eg_eV: float | None = None, imprinted_momentum_eV: float = 0.0,
                imprinted_cos: float = 1.0) -> TargetInfo:
    """Summarise a target; Gamma_0 is ``None`` (with a note) where no source gives it.

    Parameters
    ----------
    name : str
        ``"Yb-174"``, ``"Yb-gp21"``, ``"Xe-natural"``...
    gamma0_per_s : float, optional
        Explicit Gamma_0 at the reference point.
    E_eg_eV : float, optional
        Override of the isotope's E_eg (hardware ``target.E_eg_eV``).
    imprinted_momentum_eV, imprinted_cos : float, optional
        Pair momentum P0 imprinted by the lasers and its cosine to the photon (hardware
        ``lasers``): they move the thresholds and the photon endpoint.

    Raises
    ------
    InputError
        Unknown target, bad Gamma_0, E_eg or imprinted momentum.

    """
    t = load_target(str(name))
    if E_eg_eV is not None:
        t = t.with_E_eg(float(E_eg_eV))
    check_imprinted_momentum(imprinted_momentum_eV, imprinted_cos, t.E_eg_eV)
    try:
        g0 = resolve_gamma0(t, gamma0_per_s)
        note = "explicit value" if gamma0_per_s is not None else t.sources.get("gamma0", "")
    except MissingInputError as exc:
        g0, note = None, exc.expected
    return TargetInfo(t.name, t.species, t.E_eg_eV, t.E_eg_sigma_eV, t.E_vg_eV, t.omega_max_eV,
                      g0, note, t.V_ref_cm3, t.n_ref_cm3,
                      None if E_eg_eV is None else float(E_eg_eV),
                      float(imprinted_momentum_eV), float(imprinted_cos))


def _state(h: Hypothesis):
    return neutrino_state(h.ordering, h.m_lightest_eV, h.nature, h.oscillation)


def check_bsm_spec(text: str, where: str = "campaign", key: str = "alternative.bsm") -> None:
    """Validate a BSM term written as ``KIND SPEC`` (``none`` for no term).

    KIND is ``vector``, ``scalar`` or ``dipole``; SPEC uses the ``renpsim spectrum`` syntax,
    parsed by :func:`renpsim.physics.bsm.parse_term_spec`.
    """
    _bsm_terms(text, "dirac", where, key)


def _bsm_terms(text: str, nature: str, where: str = "campaign", key: str = "alternative.bsm"):
    from renpsim.errors import InputError
    from renpsim.physics.bsm import parse_term_spec

    text = text.strip()
    if text in ("", "none"):
        return []
    kind, _, spec = text.partition(" ")
    if kind not in ("vector", "scalar", "dipole") or not spec.strip():
        raise InputError(where, key, text, "'none' or 'vector|scalar|dipole key=value,...'")
    return [parse_term_spec(kind, spec.strip(), nature=nature, where=f"{where}: {key}")]


def spectral(omega_eV: Sequence[float] | NDArray, h: Hypothesis,
             target: TargetInfo | str) -> NDArray:
    """I(omega) for one hypothesis, exact at each omega ([physics §1.3]; BSM term: [physics §4]).

    With the target's imprinted pair momentum P0 (no BSM term) the moved spectrum.

    Raises
    ------
    InputError
        A BSM term together with P0 != 0 (the BSM spectra have no imprinted momentum).

    """
    w = np.asarray(omega_eV, float)
    terms = _bsm_terms(h.bsm, h.nature)
    imprint = target.imprint() if isinstance(target, TargetInfo) else {}
    if not terms:
        return np.asarray(spectral_function(w, _state(h), _target(target), **imprint))
    from renpsim.physics.bsm import spectral_function_bsm

    if imprint and imprint["imprinted_momentum_eV"] != 0.0:
        raise InputError("campaign", "alternative.bsm", h.bsm,
                         "'none' with an imprinted pair momentum (lasers.imprinted_momentum_eV "
                         "!= 0): the BSM spectra are for P0 = 0")

    return np.asarray(spectral_function_bsm(w, _state(h), _target(target), terms))


def thresholds(h: Hypothesis, target: TargetInfo | str) -> dict[str, float]:
    """Return the six channel thresholds omega_ij^max in eV, keyed "11".."33".

    GP21 eq. 13, moved by the target's imprinted pair momentum P0 when it has one
    (:func:`renpsim.physics.kinematics.threshold_matrix`).
    """
    t = _target(target)
    imprint = target.imprint() if isinstance(target, TargetInfo) else {}
    thr = threshold_matrix(t.E_eg_eV, _state(h).masses_eV, **imprint)
    return {lab: float(thr[int(lab[0]) - 1, int(lab[1]) - 1]) for lab in THRESHOLD_LABELS}


# -- hardware response (renpsim.hardware) -----------------------------------------------------
Hardware = dict[str, dict[str, object]]


def hardware_config(hw: Hardware):
    """Return the library's validated HardwareConfig for resolved hardware sections."""
    from renpsim.hardware.config import hardware_from_dict

    return hardware_from_dict({k: dict(v) for k, v in hw.items()}, "hardware")


def trigger_photons_per_pulse(info: TargetInfo, hw: Hardware) -> float:
    """Photons per trigger pulse E_pulse / omega at omega = E_eg/2 ([hardware §8.2] notes)."""
    from renpsim.hardware.lasers import photons_per_pulse

    return photons_per_pulse(float(hw["lasers"]["pulse_energy_J"]), info.omega_max_eV)


def n_gamma_from_laser_cm3(info: TargetInfo, hw: Hardware) -> float:
    """n_gamma = E_pulse / (omega pi w^2/2 c tau_L) in cm^-3 ([hardware §8.4] [A])."""
    from renpsim.hardware.lasers import n_gamma_from_laser

    return n_gamma_from_laser(hardware_config(hw).lasers, info.omega_max_eV)


def signal_efficiency(cfg, omega_eV: float) -> float:
    """T_sig(omega) x eps_sep x eps_det x optics ([hardware §8.1])."""
    t_sig = float(np.ravel(cfg.waveguide.signal_transmission(np.array([omega_eV])))[0])
    return t_sig * cfg.backgrounds.signal_sep_eff * cfg.detector.detection_prob


@dataclass(frozen=True)
class Derived:
    """One derived quantity for the Hardware tab."""

    label: str
    value: float | None
    unit: str
    note: str = ""


def derived_quantities(info: TargetInfo, hw: Hardware, h: Hypothesis) -> list[Derived]:
    """Quantities derived with ``renpsim.hardware`` (fast: shown with the first frame).

    Volume, trigger photons, photon density ([hardware §8.4]), coherent exposure per shot and
    duty cycle ([hardware §5.2]) and the signal rate per unit I ([hardware §8.1]); the rates of
    the DAQ model follow from :func:`hardware_response` (in a worker). With the Maxwell-Bloch
    model the exposure needs the solver: it is left to :func:`hardware_response` too.
    """
    cfg = hardware_config(hw)
    solved = is_maxwell_bloch(hw)
    out = [
        Derived("volume V = L x A", cfg.target.volume_cm3, "cm3", "[hardware §8.1]"),
        Derived("trigger photons per pulse", trigger_photons_per_pulse(info, hw), "",
                "E_pulse / (E_eg/2)"),
        Derived("trigger photons in the gate", cfg.trigger_photons_in_gate(info.omega_max_eV),
                "", "renpsim.hardware"),
        Derived("trigger photon density (lasers)", n_gamma_from_laser_cm3(info, hw), "cm-3",
                "E_pulse/(omega pi w^2/2 c tau_L), [hardware §8.4] [A]"),
        Derived("n_gamma used", cfg.n_gamma_cm3(), "cm-3", str(cfg.target.n_gamma)),
    ]
    if not solved:
        out += _exposure_rows(cfg.exposure_per_shot_s(), cfg.period_s)
    try:
        scale = cfg.rate_per_unit_I()
    except MissingInputError:
        out.append(Derived("signal rate per unit I", None, "s-1", "needs target.gamma0_per_s"))
        return out
    out.append(Derived("signal rate per unit I", scale, "s-1",
                       "Gamma_0' per second of full coherence, before T_sig and eps"))
    return out


def is_maxwell_bloch(hw: Hardware) -> bool:
    """Tell whether the hardware's eta(t) comes from the Maxwell-Bloch solver."""
    return hw.get("coherence", {}).get("eta_model") == "maxwell-bloch"


def _exposure_rows(tau: float, period_s: float, note: str = "") -> list[Derived]:
    return [Derived("coherent exposure per shot", tau, "s",
                    f"int eta dt in the gate ([hardware §5.2]){note}"),
            Derived("coherent duty cycle", tau / period_s, "", "exposure per shot x f_rep")]


@dataclass(frozen=True)
class HardwareResponse:
    """What the Hardware tab computes in a worker: eta(t) (Maxwell-Bloch model) and rates."""

    coherence: object | None   # renpsim.experiment.CoherenceResponse, or None (other models)
    rows: list[Derived]


def hardware_response(info: TargetInfo, hw: Hardware, h: Hypothesis) -> HardwareResponse:
    """Compute what the Hardware tab shows after its first frame (run in a worker).

    eta(t), exposure and PSR yield of the Maxwell-Bloch model
    (:func:`renpsim.experiment.coherence_response`), then the signal and background rates of
    the DAQ rate model (``renpsim.daq``) at the peak of I(omega) below E_eg/2 (none without
    Gamma_0).
    """
    cfg = hardware_config(hw)
    rows: list[Derived] = []
    coh = None
    if is_maxwell_bloch(hw):
        from renpsim.experiment import coherence_response

        coh = coherence_response(cfg)
        rows += _exposure_rows(coh.exposure_per_shot_s, cfg.period_s,
                               f", Maxwell-Bloch, {coh.n_cells} cells")
        rows.append(Derived("PSR (McQ2) yield per shot", coh.psr_photons_per_shot, "photons",
                            "Maxwell-Bloch, leaving the cell"))
    return HardwareResponse(coh, rows + _rate_rows(info, hw, h, cfg))


def _rate_rows(info: TargetInfo, hw: Hardware, h: Hypothesis, cfg) -> list[Derived]:
    from renpsim.daq import expected_counts

    try:
        cfg.rate_per_unit_I()
    except MissingInputError:
        return []
    grid = np.linspace(info.omega_max_eV - 2.5e-3, info.omega_max_eV, 2001)
    w_peak = float(grid[int(np.argmax(spectral(grid, h, info)))])
    one = expected_counts(_library_campaign(hw, [w_peak], [cfg.period_s]), neutrinos=_state(h))
    row = one.iloc[0]
    out = [Derived("signal rate at the peak below E_eg/2", float(row["signal"])
                   / cfg.period_s, "s-1", f"wall-clock, at omega = {w_peak:.7f} eV")]
    for name in ("leak", "dark", "stray", "mcq3", "psr"):
        out.append(Derived(f"background per shot: {name}", float(row[name]), "",
                           "renpsim.daq rate model, at the same omega"))
    out.append(Derived("background rate", float(row["background"]) / cfg.period_s, "s-1",
                       "wall-clock"))
    return out


# -- library adapters (renpsim.campaign, renpsim.daq, renpsim.runfile) ---------------------------
def resolve_campaign(doc: dict, where: str, base_dir: Path | None = None):
    """Validate a campaign document with ``renpsim.campaign`` and return it resolved.

    Returns
    -------
    renpsim.campaign.Campaign
        The validated campaign; its ``steps`` hold omega_eV and dwell_s of every step in
        acquisition order (reference steps included).

    Raises
    ------
    InputError
        The library's validation error (file, key, value, expectation).

    """
    from renpsim.campaign import campaign_from_dict

    return campaign_from_dict(doc, where, base_dir)


def scan_orders() -> tuple[str, ...]:
    """Return the step orders a generator can write.

    Those of ``scan.order`` in the campaign schema, but the explicit ``as_listed``.
    """
    import dataclasses

    from renpsim.campaign import ScanConfig
    from renpsim.hardware.schema import spec_of

    order = next(f for f in dataclasses.fields(ScanConfig) if f.name == "order")
    return tuple(c for c in spec_of(order).choices if c != "as_listed")


_CAMPAIGN_CACHE: dict = {}


def _library_campaign(hw: Hardware, omega_eV: Sequence[float], dwell_s: Sequence[float],
                      seed: int = 0):
    """Build (or reuse) a library Campaign from inline hardware sections and explicit steps."""
    import json

    from renpsim.campaign import campaign_from_dict

    key = (json.dumps(hw, sort_keys=True, default=str), tuple(omega_eV), tuple(dwell_s), seed)
    camp = _CAMPAIGN_CACHE.get(key)
    if camp is None:
        doc = {"name": "tui", "seed": int(seed), "hardware": {k: dict(v) for k, v in hw.items()},
               "scan": {"generator": "explicit", "omega_eV": [float(w) for w in omega_eV],
                        "dwell_s": [float(t) for t in dwell_s], "order": "as_listed"}}
        camp = campaign_from_dict(doc, "campaign")
        _CAMPAIGN_CACHE.clear()
        _CAMPAIGN_CACHE[key] = camp
    return camp


def _experiment(hw: Hardware, h: Hypothesis, omega_eV: Sequence[float],
                dwell_s: Sequence[float], seed: int = 0):
    """Return the experiment-layer view of the edited campaign with ``h`` as its truth."""
    import dataclasses
    import json

    from renpsim import experiment as xp
    from renpsim.campaign.campaign import TruthConfig

    key = (json.dumps(hw, sort_keys=True, default=str), tuple(map(float, omega_eV)),
           tuple(map(float, dwell_s)), seed, h)
    exp = _EXPERIMENT_CACHE.get(key)
    if exp is None:
        camp = _library_campaign(hw, omega_eV, dwell_s, seed)
        camp = dataclasses.replace(camp, truth=TruthConfig(
            ordering=h.ordering, m_lightest_eV=h.m_lightest_eV, nature=h.nature,
            oscillation=h.oscillation))
        exp = xp.load_experiment(camp)
        _EXPERIMENT_CACHE.clear()
        _EXPERIMENT_CACHE[key] = exp
    return exp


_EXPERIMENT_CACHE: dict = {}


def _library_forecast(info: TargetInfo, hw: Hardware, h: Hypothesis, w: NDArray,
                      T: NDArray) -> StepForecast:
    """Return the expected counts per step of the experiment layer."""
    try:
        exp = _experiment(hw, h, w, T)
    except MissingInputError as exc:
        nan = np.full(w.size, np.nan)
        return StepForecast(w, T, nan, nan, np.zeros(w.size), None, str(exc))
    df = exp.expected
    I_eff = df["I_eff"].to_numpy()
    signal = df["signal"].to_numpy()
    scale = float(np.max(exp.rate_per_unit_I_per_s))
    return StepForecast(df["omega_eV"].to_numpy(), df["dwell_s"].to_numpy(), I_eff, signal,
                        df["background"].to_numpy(), scale,
                        "library rate model (renpsim.daq.expected_counts; I smeared by the "
                        "laser line and jitter)", experiment=exp)


def simulate_run(info: TargetInfo, hw: Hardware, h: Hypothesis, omega_eV: Sequence[float],
                 dwell_s: Sequence[float], seed: int, path: str | Path, *,
                 progress: Callable[[float], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Path:
    """Simulate the campaign to a run file with ``renpsim.daq.simulate`` (steps level)."""
    from renpsim.experiment.simulation import simulate_run as xp_simulate

    exp = _experiment(hw, h, omega_eV, dwell_s, seed)

    def cb(done: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled
        if progress is not None and total:
            progress(done / total)

    return xp_simulate(exp, path, level="steps", seed=seed, progress=cb).path


# -- forecast ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepForecast:
    """Expected counts per scan step."""

    omega_eV: NDArray
    dwell_s: NDArray
    spectral: NDArray
    signal: NDArray
    background: NDArray
    scale_per_s: float | None
    note: str = ""
    experiment: object = field(default=None, compare=False, repr=False)

    @property
    def total_signal(self) -> float:
        """Sum of the expected signal counts."""
        return float(self.signal.sum())


def forecast(info: TargetInfo, hw: Hardware, h: Hypothesis,
             omega_eV: Sequence[float], dwell_s: Sequence[float]) -> StepForecast:
    """Return the expected signal and background per step (``renpsim.daq.expected_counts``).

    Signal = Gamma_0' T_sig eps I_eff(omega) x coherent exposure (I smeared by the laser line and
    jitter); background = the sum of the rate model's components ([hardware §8.1], [hardware §8.4]).
    When
    Gamma_0 is unknown the signal is NaN and ``note`` says why.
    """
    w = np.asarray(omega_eV, float)
    T = np.asarray(dwell_s, float)
    if w.size == 0:
        return StepForecast(w, T, np.zeros(0), np.zeros(0), np.zeros(0), None, "no steps")
    return _library_forecast(info, hw, h, w, T)


@dataclass(frozen=True)
class Viability:
    """The viability line of the Forecast tab (the library's rule, see renpsim.experiment)."""

    total_signal: float | None
    factor_needed: float | None
    dominant: str | None
    message: str


def viability(info: TargetInfo, hw: Hardware, fc: StepForecast) -> Viability:
    """State the expected signal events and, when far below one, how far rate x exposure must grow.

    The verdict, the growth factor to :data:`~renpsim.experiment.defaults.TARGET_EVENTS` and the
    dominant knob (relative to the GP21 benchmark) are the library's
    (:func:`renpsim.experiment.forecast`).
    """
    from renpsim import experiment as xp

    if fc.scale_per_s is None:
        return Viability(None, None, None, f"no signal forecast: {fc.note}")
    if fc.omega_eV.size == 0 or fc.experiment is None:
        return Viability(0.0, None, None, "no scan steps: add or generate steps")
    v = xp.forecast(fc.experiment, TARGET_EVENTS).viability
    if v.viable:
        return Viability(v.expected_signal, None, None, v.sentence())
    return Viability(v.expected_signal, v.growth_factor, v.dominant.name, v.sentence())


# -- sensitivity ---------------------------------------------------------------------------------
def poisson_deviance(n_true: NDArray, n_test: NDArray, profile_norm: bool = False) -> float:
    """Asimov Delta chi^2 of expected counts (``renpsim.experiment.decisions``).

    With ``profile_norm`` the test expectation is scaled by k = sum N_true / sum N_test.
    """
    from renpsim.experiment.decisions import asimov_delta_chi2

    return asimov_delta_chi2(n_true, n_test, "profiled" if profile_norm else "fixed")


def bsm_reach(info: TargetInfo, hw: Hardware, h: Hypothesis, omega_eV: Sequence[float],
              dwell_s: Sequence[float], threshold: float, dof: int,
              masses_eV: Sequence[float] = (1e-3, 1e-1, 1.0, 1e2, 1e4)) -> dict:
    """Asimov reach on light-mediator couplings and dipole moments, compared with the limits.

    gL11 (vector) and yS11 (scalar) versus mediator mass and |mu_11|, |eps_11| (Majorana: the
    transition moments |mu_12|, |eps_12|) from :mod:`renpsim.experiment`; each compared with the
    applicable existing bounds by ``renpsim.limits.compare`` (the dipole as the stellar
    effective moment).
    """
    from renpsim import experiment as xp
    from renpsim.limits import compare, make_sensitivity

    exp = _experiment(hw, h, omega_eV, dwell_s)
    out: dict = {"delta_chi2": threshold, "dof": dof, "curves": {}}
    for coupling in ("gL11", "yS11"):
        curve = xp.reach_vs_mediator_mass(exp, coupling, np.asarray(masses_eV),
                                          delta_chi2=threshold, dof=dof)
        out["cl"] = curve.assumptions.cl
        m, lim = np.asarray(curve.x), np.asarray(curve.limit)
        ok = np.isfinite(lim) & (lim > 0)
        entry = {"quantity": curve.quantity, "m_eV": m.tolist(), "limit": lim.tolist(),
                 "improves": False, "best_factor": None,
                 "normalisation": curve.assumptions.normalisation}
        if ok.any():
            cmp_ = compare(make_sensitivity(curve.quantity, m[ok], lim[ok], cl=out["cl"],
                                            dof=dof, delta_chi2=threshold))
            f = np.asarray(cmp_.factor, float)
            f = f[np.isfinite(f)]
            entry["improves"] = bool(np.any(cmp_.improves))
            entry["best_factor"] = float(f.max()) if f.size else None
        out["curves"][coupling] = entry
    # Diagonal Majorana moments vanish [physics §4.3]: the transition moments mu12 / eps12
    mu_name = xp.defaults.default_dipole_element(h.nature)
    eps_name = "eps" + mu_name[2:]
    dip = xp.dipole_reach(exp, delta_chi2=threshold, dof=dof, elements=(mu_name, eps_name))
    out["dipole"] = dip.as_dict()
    out["dipole_names"] = (mu_name, eps_name)
    mu = out["dipole"].get(mu_name, np.inf)
    if np.isfinite(mu):
        cmp_ = compare(make_sensitivity("mu_nu_eff", None, [mu], cl=out["cl"], dof=dof,
                                        delta_chi2=threshold, mu_definition="stellar"),
                       mu_definition="stellar")
        out["dipole_improves"] = bool(np.any(cmp_.improves))
    return out


def describe_bsm_reach(res: dict) -> str:
    """Text summary of :func:`bsm_reach` for the Sensitivity tab."""
    lines = [f"BSM reach (Asimov, Delta chi^2 = {res['delta_chi2']:.4g}, {res['dof']} dof = "
             f"{100 * res['cl']:.4g}% CL):"]
    for name, c in res["curves"].items():
        pts = ", ".join(f"{m:.0e} eV: {v:.2e}" for m, v in zip(c["m_eV"], c["limit"],
                                                                 strict=True))
        verdict = ("improves on existing limits by up to x" + f"{c['best_factor']:.3g}"
                   if c["improves"] and c["best_factor"] else
                   "no improvement where numeric limits exist" if c["best_factor"] else
                   "no numeric existing limit on these axes")
        lines.append(f"  {name} ({c['quantity']}): {pts}; {verdict}")
    d = res["dipole"]
    mu_name, eps_name = res.get("dipole_names", ("mu11", "eps11"))
    lines.append(f"  dipole: |{mu_name}| < {d.get(mu_name, float('nan')):.2e} mu_B, "
                 f"|{eps_name}| < {d.get(eps_name, float('nan')):.2e} mu_B; "
                 + ("improves on" if res.get("dipole_improves") else "weaker than")
                 + " the stellar effective-moment bounds (not the same combination)")
    return "\n".join(lines)


def optimise_dwell(info: TargetInfo, hw: Hardware, h: Hypothesis, omega_eV: Sequence[float],
                   dwell_s: Sequence[float], decision: str = "ordering",
                   normalisation: str = DEFAULT_NORMALISATION, *, progress=None,
                   cancelled=None) -> dict:
    """Reallocate the dwell times (total fixed) to maximise a decision's Asimov Delta chi^2.

    :func:`renpsim.experiment.optimise_dwell`. Returns the new wall dwell times (same order and
    total as the input) and the Delta chi^2 before and after.
    """
    from renpsim import experiment as xp

    plan = xp.optimise_dwell(_experiment(hw, h, omega_eV, dwell_s), decision,
                             normalisation=normalisation, progress=progress, cancelled=cancelled)
    wall = np.asarray(dwell_s, float)
    frac = np.asarray(plan.exposure_after_s, float) / float(np.sum(plan.exposure_after_s))
    return {"decision": decision, "dwell_s": (frac * wall.sum()).tolist(),
            "before": plan.before, "after": plan.after, "normalisation": normalisation}


def stats_decision(info: TargetInfo, hw: Hardware, h: Hypothesis, omega_eV: Sequence[float],
                   dwell_s: Sequence[float], decision: str, threshold: float,
                   profile_norm: bool) -> dict:
    """Asimov Delta chi^2 of a discrete decision and its exposure factor to ``threshold``.

    :func:`renpsim.experiment.decision_exposure` with n_sigma = sqrt(threshold); ``decision``
    is ``"ordering"``, ``"nature"`` or ``"lightest-mass"``.
    """
    from renpsim import experiment as xp

    norm = "profiled" if profile_norm else "fixed"
    r = xp.decision_exposure(_experiment(hw, h, omega_eV, dwell_s), decision,
                             math.sqrt(threshold), norm)
    return {"delta_chi2": r.delta_chi2_now, "exposure_factor": r.factor,
            "normalisation": norm, "source": f"renpsim.experiment ({decision})"}


@dataclass
class SensitivityResult:
    """Asimov sensitivity of a campaign against alternative hypotheses."""

    delta_chi2: float
    dof: int
    profile_norm: bool
    rows: list[dict] = field(default_factory=list)
    mass_grid: NDArray | None = None
    mass_dchi2: NDArray | None = None
    allowed_mass: tuple[float, float] | None = None


def sensitivity(info: TargetInfo, hw: Hardware, h: Hypothesis, alt: Hypothesis,
                omega_eV: Sequence[float], dwell_s: Sequence[float], *, threshold: float,
                dof: int, profile_norm: bool, mass_grid: Sequence[float],
                progress: Callable[[float], None] | None = None,
                cancelled: Callable[[], bool] | None = None,
                chunk: int = 8) -> SensitivityResult:
    """Asimov reach of the campaign (every number from :mod:`renpsim.experiment`).

    Rows: the main hypothesis against (a) the chosen alternative (fixed hypothesis,
    :func:`renpsim.experiment.decisions.separation`), and the decisions (b) the other ordering,
    (c) the other nature, (d) lightest mass = 0, each with the lightest mass profiled. Each row
    gives Delta chi^2 at the campaign's exposure and the factor by which all dwell times must
    grow to reach ``threshold``. The mass scan gives Delta chi^2(m_test) for the same ordering
    and nature, and the interval with Delta chi^2 < threshold.

    ``progress(fraction)`` is called between chunks; ``cancelled()`` returning true aborts with
    :class:`Cancelled`.
    """
    from renpsim.experiment.decisions import separation

    fc = forecast(info, hw, h, omega_eV, dwell_s)
    if fc.scale_per_s is None:
        raise MissingInputError(info.name, "target.gamma0_per_s", None, fc.note)
    if fc.omega_eV.size == 0:
        raise InputError("campaign", "scan.steps", [], "at least one scan step")
    exp = fc.experiment
    norm = "profiled" if profile_norm else "fixed"
    grid = np.asarray(mass_grid, float)
    other_order = "IO" if h.ordering == "NO" else "NO"
    other_nature = "majorana" if h.nature == "dirac" else "dirac"
    total = len(grid) + 4
    mass_d = []
    for start in range(0, len(grid), chunk):
        if cancelled is not None and cancelled():
            raise Cancelled
        for m in grid[start:start + chunk]:
            mass_d.append(separation(exp, h.ordering, float(m), h.nature, threshold,
                                     norm)["delta_chi2"])
        if progress is not None:
            progress(min(1.0, (start + chunk) / total))
    res = SensitivityResult(threshold, dof, profile_norm)
    a = separation(exp, alt.ordering, alt.m_lightest_eV, alt.nature, threshold, norm,
                   alt.oscillation)
    res.rows.append({"test": f"alternative: {alt.label()}", "delta_chi2": a["delta_chi2"],
                     "exposure_factor": a["factor"], "normalisation": norm,
                     "source": "renpsim.experiment (fixed alternative)"})
    for decision, label in (("ordering", f"{other_order} (lightest mass profiled)"),
                            ("nature", f"{other_nature} (lightest mass profiled)"),
                            ("lightest-mass", "lightest mass = 0")):
        if cancelled is not None and cancelled():
            raise Cancelled
        d = stats_decision(info, hw, h, fc.omega_eV, fc.dwell_s, decision, threshold,
                           profile_norm)
        res.rows.append({"test": label, **d})
    res.mass_grid = grid
    res.mass_dchi2 = np.asarray(mass_d, float)
    ok = grid[res.mass_dchi2 < threshold]
    res.allowed_mass = (float(ok.min()), float(ok.max())) if ok.size else None
    if progress is not None:
        progress(1.0)
    return res


# -- existing limits (renpsim.limits) ------------------------------------------------------------
@dataclass(frozen=True)
class MassLimit:
    """An existing bound translated into a bound on the lightest mass for one ordering."""

    record_id: str
    quantity: str
    bound_eV: float
    cl: float | None
    description: str
    tag: str
    m_lightest_eV: float | None  # None: the bound excludes this ordering outright


def lightest_mass_limits(h: Hypothesis) -> list[MassLimit]:
    """Existing bounds on m_lightest, sum m_nu and m_beta as bounds on the lightest mass.

    Records from ``renpsim.limits`` ([physics §3.3], [physics §7]). Sum m_nu and m_beta bounds
    are turned into lightest-mass bounds for the hypothesis' ordering and oscillation preset by
    :func:`renpsim.experiment.lightest_mass_bound`; a bound below the ordering's minimum
    (m_l = 0) excludes the ordering and is reported with ``None``. Empty without the limits
    library.
    """
    try:
        from renpsim.limits import applicable_records, record_limit_at
    except ImportError:
        return []
    from renpsim.experiment import lightest_mass_bound

    out = []
    for quantity in ("m_lightest", "sum_mnu", "m_beta"):
        for r in applicable_records(quantity):
            bound = float(np.ravel(record_limit_at(r, None))[0])
            m = lightest_mass_bound(quantity, bound, h.ordering, h.oscillation)
            out.append(MassLimit(r.id, quantity, bound, getattr(r, "cl", None),
                                 str(r.description), str(r.tag), m))
    return out


# -- runs -----------------------------------------------------
@dataclass(frozen=True)
class StepTable:
    """Counts per step, from a simulation or a file, with their expectation."""

    omega_eV: NDArray
    dwell_s: NDArray
    counts: NDArray
    source: str


def simulate_counts(fc: StepForecast, seed: int) -> StepTable:
    """Return counts per step of a steps-level library simulation (no file is kept).

    The run is simulated by :func:`renpsim.experiment.simulation.simulate_run` (the same DAQ
    simulation as ``renpsim simulate``) into a temporary directory and read back.
    """
    import tempfile

    from renpsim.experiment.simulation import observed_steps, simulate_run

    if fc.experiment is None:
        raise InputError("campaign", "scan.steps", [], "at least one scan step")
    with tempfile.TemporaryDirectory(prefix="renpsim-tui-") as tmp:
        run = simulate_run(fc.experiment, Path(tmp) / "quick.h5", level="steps", seed=int(seed))
        steps = observed_steps(run.path)
        counts = steps["counts"].to_numpy(float)
    return StepTable(fc.omega_eV, fc.dwell_s, counts, f"simulated (steps level), seed {seed}")


def fit_run_file(path: str | Path, hypothesis: Hypothesis) -> dict:
    """Fit a run file with :func:`renpsim.experiment.fit_run_file` (as ``renpsim fit``).

    SM model of the hypothesis' nature and ordering, oscillation constraints from the preset the
    run file records, the mass ordering compared by profiled minima.
    """
    from renpsim import experiment as xp

    return xp.fit_run_file(path, model=f"sm-{hypothesis.nature}", ordering=hypothesis.ordering,
                           compare="ordering").report


def describe_fit(rep: dict) -> str:
    """One-paragraph summary of a :func:`fit_run_file` report for the Runs tab."""
    par = rep["parameters"]
    ml = par["m_lightest_eV"]["value"]
    parts = [f"fit {rep['model']['name']} ({rep['model']['ordering']}): "
             f"deviance {rep['deviance']:.4g} for {rep['ndof']} dof"
             + (f", p = {rep['p_value']:.3g}" if rep.get("p_value") is not None else "")]
    iv = rep.get("intervals", {}).get("m_lightest_eV")
    if iv:
        lo, hi = iv["95%"]
        parts.append(f"m_lightest = {ml:.3g} eV, 95% profile interval [{lo:.3g}, {hi:.3g}] eV")
    else:
        parts.append(f"m_lightest = {ml:.3g} eV")
    if "norm" in par:
        parts.append(f"norm = {par['norm']['value']:.4g} +- {par['norm']['error']:.2g}")
    cmp_ = rep.get("comparison")
    if cmp_:
        d = cmp_.get("delta_chi2", {})
        parts.append(f"ordering: {cmp_.get('preferred')} preferred, "
                     + ", ".join(f"Delta chi^2({k}) = {v:.3g}" for k, v in d.items()))
    return "; ".join(parts)


def read_step_table(path: str | Path) -> StepTable:
    """Read counts per step: a run file (``.h5``, renpsim.runfile) or a CSV table.

    A CSV table has the columns omega_eV, dwell_s, counts (the ``renpsim import`` format).

    Raises
    ------
    DataFileError
        Missing file, missing column or non-numeric values.

    """
    import pandas as pd

    p = Path(path)
    if p.suffix in (".h5", ".hdf5"):
        from renpsim.runfile.reader import open_run

        steps = open_run(p).steps
        arr = steps[["omega_eV", "dwell_s", "counts"]].to_numpy(dtype=float)
        return StepTable(arr[:, 0], arr[:, 1], arr[:, 2], str(p))
    try:
        df = pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise DataFileError(str(p), "-", f"cannot read a CSV table: {exc}") from None
    for col in ("omega_eV", "dwell_s", "counts"):
        if col not in df.columns:
            raise DataFileError(str(p), col, "missing column (need omega_eV, dwell_s, counts)")
    try:
        arr = df[["omega_eV", "dwell_s", "counts"]].to_numpy(dtype=float)
    except ValueError:
        raise DataFileError(str(p), "-", "non-numeric values") from None
    if not np.all(np.isfinite(arr)) or np.any(arr[:, 1:] < 0):
        raise DataFileError(str(p), "-", "values must be finite, dwell_s and counts >= 0")
    return StepTable(arr[:, 0], arr[:, 1], arr[:, 2], str(p))


def follow_run_steps(path: str | Path, on_rows: Callable[[StepTable], None],
                     cancelled: Callable[[], bool] | None = None,
                     timeout_s: float = 60.0) -> int:
    """Follow a run file while it is written and report each batch of newly committed steps.

    Uses ``renpsim.runfile.reader.follow_run`` (SWMR reader). Returns the number of steps seen
    when the writer finishes, or raises :class:`Cancelled`.
    """
    from renpsim.runfile.reader import follow_run

    seen = 0
    for df in follow_run(path, poll_s=0.2, timeout_s=timeout_s):
        if cancelled is not None and cancelled():
            raise Cancelled
        channels = sorted(c for c in df.columns if c.startswith("counts_signal_"))
        counts = sum(df[c].to_numpy(float) for c in channels)
        on_rows(StepTable(df["set_photon_energy_eV"].to_numpy(float),
                          df["dwell_s"].to_numpy(float), np.asarray(counts, float),
                          str(path)))
        seen += len(df)
    return seen


def file_stamp(path: str | Path) -> tuple[float, int] | None:
    """(modification time, size) of a file, or None if it cannot be read."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (st.st_mtime, st.st_size)


@dataclass(frozen=True)
class NormFit:
    """Fit of the signal normalisation k to a step table."""

    k: float
    k_error: float
    deviance: float
    ndof: int


def fit_normalisation(table: StepTable, fc: StepForecast) -> NormFit:
    """Maximum-likelihood signal normalisation k (everything else fixed at the forecast).

    :func:`renpsim.experiment.fit.fit_normalisation` (the statistics engine's likelihood and
    minimiser). The table must have the forecast's steps.
    """
    from renpsim.experiment.fit import fit_normalisation as xp_fit_norm

    if fc.experiment is None or np.nansum(fc.signal) <= 0:
        raise InputError("fit", "signal", 0.0, "a campaign with a non-zero signal forecast")
    if table.counts.size != fc.omega_eV.size:
        raise InputError(table.source, "counts", int(table.counts.size),
                         f"one count per step of the campaign ({fc.omega_eV.size})")
    rep = xp_fit_norm(fc.experiment, table.counts).report
    p = rep["parameters"]["norm"]
    return NormFit(float(p["value"]), float(p["error"]), float(rep["deviance"]),
                   int(rep["ndof"]))
