"""Expected counts per scan step and the binned likelihood with its nuisance parameters.

Expected counts of step k in detector channel c ([physics §1.5] rate model; GP21 eq. 31
extended by the detector model of [hardware §5.2] and a background model)::

    mu_kc = T_k * eps_c * w_c * ( norm * R0 * I(omega_k + d_omega ; E_eg + dE_eg, theta)
                                + b_scale * b_k )
            + L_kc * r_dark,c

with R0 the nominal rate per unit I (``LikelihoodCalibration.rate_scale_per_s``), I the
spectral function of the physics layer (through :mod:`renpsim.stats.spectra`), theta the
neutrino parameters (lightest mass, oscillation parameters, BSM coupling and mediator mass),
eps_c the efficiency of channel c (one nuisance per channel when each channel has its own
calibration, else one common ``efficiency``), w_c the channel's share of the photons
(``BinnedDataset.channel_weight``, sum 1; w = 1 for one channel), b_k the background photon
rate before the detector, r_dark,c the dark rate of channel c (not scaled by the efficiency;
one nuisance per channel, each constrained by that channel's dark run) and L_kc the detector
live time of the step (default T_k).

Objective ("chi^2", minimised; iminuit errordef = 1)::

    chi^2 = D(n, mu)                               Poisson deviance over steps x channels,
                                                   [physics §6.1]
          + sum_gauss ((p - p0)/sigma)^2           norm, efficiency, background scale,
                                                   frequency offset, E_eg shift, oscillation
          + sum_c D(n_dark,c, r_dark,c * T_dark,c)  dark runs, Poisson (deviance form)

Parameter roles: ``poi`` (free, of interest), ``profiled`` (free nuisance) or ``fixed``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from renpsim.errors import InputError
from renpsim.physics.kinematics import check_imprinted_momentum
from renpsim.physics.neutrino import (
    NeutrinoArrays,
    coupling_matrix,
    electron_row,
    masses_from_lightest,
)
from renpsim.physics.oscillation import OscillationParameters, load_preset
from renpsim.physics.spectrum import spectral_function_arrays
from renpsim.physics.sterile import coupling_from_rows, theta14_rows
from renpsim.physics.targets import load_target
from renpsim.stats.dataset import BinnedDataset
from renpsim.stats.spectra import (
    Coupling,
    CouplingExpansion,
    check_coupling,
    coupling_expansion,
    parse_coupling,
)

#: Physics models accepted by the fitter (CLI ``--model``).
MODELS = ("sm-dirac", "sm-majorana", "vector", "scalar", "dipole")

OSC_PARAMS = ("sin2_theta12", "sin2_theta13", "dm2_21_eV2", "dm2_3l_eV2")
#: The Majorana-phase fit parameters: the two combinations the spectrum depends on
#: (alpha21 and alpha31 - 2 delta, [physics §1.2]), in radians.
PHASE_PARAMS = ("alpha21", "alpha31_minus_2delta")
#: Treatments of the Majorana phases in a Majorana model.
PHASE_MODES = ("profiled", "fixed")
NUISANCES = ("norm", "efficiency", "dark_rate_per_s", "bkg_scale", "freq_offset_eV",
             "dE_eg_eV", *OSC_PARAMS)


def efficiency_parameter_names(n_eff: int) -> list[str]:
    """Names of the efficiency nuisances: ``efficiency`` for one, else ``efficiency_c<c>``."""
    return ["efficiency"] if n_eff == 1 else [f"efficiency_c{c}" for c in range(n_eff)]


def dark_parameter_names(n_dark: int) -> list[str]:
    """Names of the dark-rate nuisances: ``dark_rate_per_s`` for one, else ``..._c<c>``."""
    return ["dark_rate_per_s"] if n_dark == 1 else [f"dark_rate_per_s_c{c}"
                                                    for c in range(n_dark)]
#: Parameters that change I(omega) (the others are linear and reuse a cached spectrum).
#: Parameters of the 3+1 sterile model: |U_e4|^2 (parameter of interest), m4 (fitted by
#: default; fix it with ``fixed={"m4_eV": ...}`` for a scan) and, Majorana only, the phase of
#: U_e4 (:data:`STERILE_PHASE`, fitted by default).
STERILE_PARAMS = ("Ue4_sq", "m4_eV")
#: The phase of U_e4, a fit parameter of Majorana sterile models (Dirac spectra do not
#: depend on it).
STERILE_PHASE = "Ue4_phase"
_SPECTRAL = ("m_lightest_eV", "coupling", "mediator_mass_eV", "freq_offset_eV", "dE_eg_eV",
             *OSC_PARAMS, *PHASE_PARAMS, *STERILE_PARAMS, STERILE_PHASE)


@dataclass(frozen=True)
class ModelSpec:
    """Which physics hypothesis to fit or test.

    Attributes
    ----------
    ordering : {"NO", "IO"}
        Mass ordering.
    nature : {"dirac", "majorana"}
        Neutrino nature.
    coupling : str or None
        BSM coupling name (``gL11``, ``gR11``, ``yS11``, ``yP11``...), None for the SM.
    mediator_mass_eV : float
        Mediator mass (fixed by default).
    m_lightest_eV : float
        Starting / nominal lightest mass.
    alpha21, alpha31 : float
        Majorana phases, radians: the truth / starting values. With ``majorana_phases =
        "profiled"`` (the default) a Majorana model fits alpha21 and alpha31 - 2 delta
        (parameters :data:`PHASE_PARAMS`, multi-started over the phase torus by
        :func:`renpsim.stats.fit.fit_multistart`); with ``"fixed"`` they stay at these values.
        Dirac models ignore them.
    majorana_phases : {"profiled", "fixed"}
        Treatment of the Majorana phases in a Majorana model.
    sterile_m4_eV : float or None
        3+1 sterile model (docs/sterile-and-momentum.md 1): the starting (or, fixed by
        request, the scanned) mass of the fourth state, fit parameter ``m4_eV``, with
        |U_e4|^2 as the parameter of interest ``Ue4_sq`` (only U_e4 mixes). None: three
        flavours.
    sterile_phase : float
        Phase of U_e4 (radians) of the sterile model: the start of the fit parameter
        ``Ue4_phase`` of a Majorana model (Dirac spectra do not depend on it).
    scalar_phase : {"physical", "gp21", "paper"}
        See :mod:`renpsim.stats.spectra` (``"gp21"`` = ``"paper"``: GP21's printed eq. 29).
    width_fraction : float
        Mediator Gamma/M [A].

    """

    ordering: str = "NO"
    nature: str = "dirac"
    coupling: str | None = None
    mediator_mass_eV: float = 1.0
    m_lightest_eV: float = 0.01
    alpha21: float = 0.0
    alpha31: float = 0.0
    scalar_phase: str = "physical"
    width_fraction: float = 1e-6
    majorana_phases: str = "profiled"
    sterile_m4_eV: float | None = None
    sterile_phase: float = 0.0

    def __post_init__(self) -> None:
        if self.ordering not in ("NO", "IO"):
            raise InputError("model", "ordering", self.ordering, "'NO' or 'IO'")
        if self.nature not in ("dirac", "majorana"):
            raise InputError("model", "nature", self.nature, "'dirac' or 'majorana'")
        if self.coupling is not None:
            # Majorana scalar and dipole terms come from renpsim.physics.bsm ([physics §4.2] to
            # [physics §4.3]);
            # refused only where they cannot act (diagonal Majorana dipole moments vanish)
            check_coupling(parse_coupling(self.coupling, "model"), self.nature,
                           self.scalar_phase, "model")
        elif self.scalar_phase not in ("physical", "gp21", "paper"):
            raise InputError("model", "scalar_phase", self.scalar_phase,
                             "'physical' or 'gp21' (alias 'paper')")
        if self.sterile_m4_eV is not None:
            if not (np.isfinite(self.sterile_m4_eV) and self.sterile_m4_eV >= 0):
                raise InputError("model", "sterile_m4_eV", self.sterile_m4_eV, "a mass >= 0 eV")
            if self.coupling is not None:
                raise InputError("model", "sterile_m4_eV", self.sterile_m4_eV,
                                 "no sterile state together with a BSM coupling")
        if not np.isfinite(self.sterile_phase):
            raise InputError("model", "sterile_phase", self.sterile_phase, "a finite phase")
        if self.majorana_phases not in PHASE_MODES:
            raise InputError("model", "majorana_phases", self.majorana_phases,
                             "'profiled' or 'fixed'")
        for name in ("alpha21", "alpha31"):
            if not np.isfinite(getattr(self, name)):
                raise InputError("model", name, getattr(self, name), "a finite phase in radians")
        if not (np.isfinite(self.mediator_mass_eV) and self.mediator_mass_eV > 0):
            raise InputError("model", "mediator_mass_eV", self.mediator_mass_eV, "a mass > 0 eV")
        if not (np.isfinite(self.m_lightest_eV) and self.m_lightest_eV >= 0):
            raise InputError("model", "m_lightest_eV", self.m_lightest_eV, "a mass >= 0 eV")


def model_from_name(name: str, *, ordering: str = "NO", coupling: str | None = None,
                    nature: str | None = None, **kw) -> ModelSpec:
    """Build a :class:`ModelSpec` from a CLI model name (see :data:`MODELS`).

    ``vector`` defaults to coupling ``gL11``, ``scalar`` to ``yS11`` and ``dipole`` to ``mu11``
    for Dirac and ``mu12`` for Majorana neutrinos (moments in units of mu_B; Majorana neutrinos
    have transition moments only, [physics §4.3]).
    """
    if name not in MODELS:
        raise InputError("model", "model", name, "one of " + ", ".join(MODELS))
    if name.startswith("sm-"):
        if coupling is not None:
            raise InputError("model", "coupling", coupling,
                             "no coupling for an SM model (use model 'vector' or 'scalar')")
        if nature is not None and nature != name[3:]:
            raise InputError("model", "nature", nature,
                             f"'{name[3:]}' for model {name} (or no nature)")
        return ModelSpec(ordering=ordering, nature=nature or name[3:], **kw)
    default = {"vector": "gL11", "scalar": "yS11",
               "dipole": "mu12" if nature == "majorana" else "mu11"}[name]
    c = parse_coupling(coupling or default, "model")
    if c.mediator != name:
        families = {"vector": "gL/gR", "scalar": "yS/yP", "dipole": "mu/eps"}[name]
        raise InputError("model", "coupling", coupling,
                         f"a {name} coupling ({families}ij)")
    return ModelSpec(ordering=ordering, nature=nature or "dirac", coupling=c.name, **kw)


@dataclass
class Parameter:
    """One fit parameter: nominal value, role, limits and constraint."""

    name: str
    value: float
    role: str  # "poi" | "profiled" | "fixed"
    limits: tuple[float | None, float | None] = (None, None)
    sigma: float | None = None  # Gaussian constraint width (None: none)
    center: float | None = None  # Gaussian constraint centre
    step: float | None = None
    reason: str = ""


#: Entries kept by the likelihood's caches of spectra and neutrino states (recent points).
_CACHE_SIZE = 64


def _remember(cache: dict, key: tuple, value):
    """Store ``value`` under ``key`` in a bounded first-in-first-out cache; return it."""
    if len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


@dataclass
class BinnedLikelihood:
    """Extended binned Poisson likelihood of a :class:`BinnedDataset` under a :class:`ModelSpec`.

    Parameters
    ----------
    dataset : BinnedDataset
        Data and calibration.
    model : ModelSpec
        Physics hypothesis.
    free : iterable of str
        Parameters of interest to float (in addition to the default profiled nuisances).
    fixed : dict
        name -> value to fix.
    profile : iterable of str
        Extra nuisances to profile (must have a calibration if they need one).
    oscillation_constraints : bool
        Profile the oscillation parameters with the preset's 1 sigma (else fixed at best fit).
    analytic_gradient : bool
        Give MIGRAD the gradient of :meth:`gradient` (SM models): it halves the objective
        calls and doubles the fit rate on a 200-step run (measured 70 vs 35 fits/s).

    Raises
    ------
    InputError
        Unknown parameter names, a name both free and fixed, or a free nuisance without the
        calibration that constrains it.

    """

    dataset: BinnedDataset
    model: ModelSpec
    free: tuple[str, ...] = ()
    fixed: dict = field(default_factory=dict)
    profile: tuple[str, ...] = ()
    oscillation_constraints: bool = True
    analytic_gradient: bool = True

    def __post_init__(self) -> None:
        ds, cal, mdl = self.dataset, self.dataset.calibration, self.model
        self.target = load_target(ds.target)
        self.osc: OscillationParameters = load_preset(ds.oscillation, mdl.ordering)
        self._coupling: Coupling | None = (
            parse_coupling(mdl.coupling) if mdl.coupling is not None else None
        )
        self._imprinted = {"imprinted_momentum_eV": float(ds.imprinted_momentum_eV),
                           "imprinted_cos": float(ds.imprinted_cos)}
        if self._imprinted["imprinted_momentum_eV"] != 0.0:
            check_imprinted_momentum(ds.imprinted_momentum_eV, ds.imprinted_cos,
                                     self.target.E_eg_eV)
            if self._coupling is not None:
                raise InputError(f"dataset {ds.label}".strip(), "imprinted_momentum_eV",
                                 ds.imprinted_momentum_eV,
                                 "0 for a BSM coupling model (the BSM terms assume no "
                                 "imprinted momentum)")
        params: list[Parameter] = [
            Parameter("m_lightest_eV", mdl.m_lightest_eV, "poi", (0.0, 1.0), step=0.005),
        ]
        if self._coupling is not None:
            scale = {"vector": 1e-24, "scalar": 1e-18, "dipole": 1e-10}[self._coupling.mediator]
            params.append(Parameter(self._coupling.name, 0.0, "poi", step=scale))
            params.append(Parameter("mediator_mass_eV", mdl.mediator_mass_eV, "fixed",
                                    (1e-9, None), reason="scanned, not fitted"))
        params.append(Parameter("norm", 1.0, "profiled", (0.0, None), sigma=cal.norm_sigma_rel,
                                center=1.0 if cal.norm_sigma_rel else None, step=0.05))
        if np.ndim(cal.efficiency) == 0:
            eff_role = "profiled" if cal.efficiency_sigma else "fixed"
            params.append(Parameter("efficiency", cal.efficiency, eff_role, (0.0, 1.0),
                                    sigma=cal.efficiency_sigma, center=cal.efficiency,
                                    reason="" if cal.efficiency_sigma else "no calibration"))
            self._eff_names = ["efficiency"]
        else:  # independent per-channel calibrations: one nuisance per channel
            self._eff_names = efficiency_parameter_names(np.size(cal.efficiency))
            sig = (np.full(np.size(cal.efficiency), np.nan) if cal.efficiency_sigma is None
                   else cal.efficiency_sigma)
            for name, e, s_e in zip(self._eff_names, cal.efficiency, sig, strict=True):
                ok = bool(np.isfinite(s_e))
                params.append(Parameter(name, float(e), "profiled" if ok else "fixed",
                                        (0.0, 1.0), sigma=float(s_e) if ok else None,
                                        center=float(e), reason="" if ok else "no calibration"))
        has_dark = cal.dark_counts is not None
        # one dark rate per channel with a per-channel dark run; a single (common) one otherwise
        r_nom = np.atleast_1d(np.asarray(cal.dark_rate_nominal_per_s, dtype=float))
        self._dark_names = dark_parameter_names(r_nom.size)
        for name, r in zip(self._dark_names, r_nom, strict=True):
            params.append(Parameter(
                name, float(r), "profiled" if has_dark else "fixed",
                (0.0, None), step=max(float(r), 1e-9) * 0.1 + 1e-9,
                reason="" if has_dark else "no dark run"))
        has_bkg = cal.background_rate_per_s is not None and cal.background_sigma_rel is not None
        params.append(Parameter("bkg_scale", 1.0, "profiled" if has_bkg else "fixed",
                                (0.0, None), sigma=cal.background_sigma_rel, center=1.0,
                                reason="" if has_bkg else "no background calibration"))
        s_w = cal.freq_offset_sigma_eV
        params.append(Parameter("freq_offset_eV", 0.0, "profiled" if s_w else "fixed",
                                sigma=s_w, center=0.0, step=s_w,
                                reason="" if s_w else "no frequency calibration"))
        s_e = cal.E_eg_sigma_eV
        params.append(Parameter("dE_eg_eV", 0.0, "profiled" if s_e else "fixed", sigma=s_e,
                                center=0.0, step=s_e,
                                reason="" if s_e else "no E_eg calibration"))
        for name in OSC_PARAMS:
            meas = getattr(self.osc, name)
            role = "profiled" if self.oscillation_constraints else "fixed"
            params.append(Parameter(name, meas.value, role, sigma=meas.sigma, center=meas.value,
                                    step=meas.sigma,
                                    reason="" if self.oscillation_constraints else "fixed"))
        self._phases = mdl.nature == "majorana" and mdl.majorana_phases == "profiled"
        if self._phases:
            # periodic, no limits; multi-started over the torus by fit_multistart
            params.append(Parameter("alpha21", mdl.alpha21, "profiled", step=0.3))
            params.append(Parameter("alpha31_minus_2delta",
                                    mdl.alpha31 - 2.0 * self.osc.delta_cp_rad, "profiled",
                                    step=0.3))
        self._sterile = mdl.sterile_m4_eV is not None
        self._sterile_phase = self._sterile and mdl.nature == "majorana"
        if self._sterile:
            params.append(Parameter("Ue4_sq", 0.0, "poi", (0.0, 0.99), step=0.01))
            m4 = float(mdl.sterile_m4_eV)
            params.append(Parameter("m4_eV", m4, "profiled", (0.0, None),
                                    step=max(0.05 * m4, 1e-3)))
            if self._sterile_phase:   # periodic, no limits
                params.append(Parameter(STERILE_PHASE, float(mdl.sterile_phase), "profiled",
                                        step=0.3))
        self.parameters = {p.name: p for p in params}
        self._apply_requests()
        self.names = list(self.parameters)
        self._index = {n: k for k, n in enumerate(self.names)}
        self._nominal = np.array([p.value for p in params], dtype=float)
        gauss = [(self._index[p.name], p.center, p.sigma) for p in params
                 if p.sigma is not None and p.center is not None]
        self._g_idx = np.array([g[0] for g in gauss], dtype=int)
        self._g_c = np.array([g[1] for g in gauss], dtype=float)
        self._g_s = np.array([g[2] for g in gauss], dtype=float)
        self._spec_idx = [self._index[n] for n in self.names
                          if n in _SPECTRAL or (self._coupling and n == self._coupling.name)]
        self._bkg = (np.zeros(ds.n_steps) if cal.background_rate_per_s is None
                     else np.broadcast_to(cal.background_rate_per_s, (ds.n_steps,)).astype(float))
        self._w = ds.channel_weight
        self._t_dark = np.array(ds.dark_exposure_2d)
        self._dark_idx = [self._index[n] for n in self._dark_names]
        self._eff_idx = [self._index[n] for n in self._eff_names]
        self._eff_channel = len(self._eff_names) > 1
        # dark parameter j -> channels it acts on (one per channel, or one common rate)
        n_dark, n_ch = len(self._dark_names), ds.n_channels
        self._dark_map = np.eye(n_ch) if n_dark == n_ch else np.ones((1, n_ch))
        self._dark_n = (None if cal.dark_counts is None
                        else np.atleast_1d(np.asarray(cal.dark_counts, dtype=float)))
        self._dark_t = (None if cal.dark_live_s is None
                        else np.atleast_1d(np.asarray(cal.dark_live_s, dtype=float)))
        self._set_data_terms()
        # spectra by their spectral parameters: a few recent points, since HESSE and the
        # gradient revisit the same spectral point between steps in the linear parameters
        self._spectra: dict[tuple, NDArray[np.float64]] = {}
        self._exp_idx = [k for k in self._spec_idx
                         if not (self._coupling and self.names[k] == self._coupling.name)]
        self._exp_key: tuple | None = None
        self._state_idx = [self._index[n] for n in ("m_lightest_eV", *OSC_PARAMS)
                           + ((*PHASE_PARAMS,) if self._phases else ())
                           + ((*STERILE_PARAMS,) if self._sterile else ())
                           + ((STERILE_PHASE,) if self._sterile_phase else ())]
        self._states: dict[tuple, tuple] = {}
        self._mass_idx = [self._index[n] for n in ("m_lightest_eV", "dm2_21_eV2",
                                                   "dm2_3l_eV2")]
        self._row_idx = [self._index[n] for n in ("sin2_theta12", "sin2_theta13")
                         + ((*PHASE_PARAMS,) if self._phases else ())]
        self._masses_key: tuple | None = None
        self._row_key: tuple | None = None
        self._exp: CouplingExpansion | None = None

    def _set_data_terms(self) -> None:
        n = self.dataset.counts_2d
        self._n = n
        self._pos = n > 0
        self._n_pos = n[self._pos]
        self._n_sum = float(n.sum())
        self._nlogn = float(np.sum(self._n_pos * np.log(self._n_pos)))

    def with_counts(self, counts) -> BinnedLikelihood:
        """Return a copy with other counts (toys): no data files are re-read."""
        new = copy.copy(self)
        # the spectra do not depend on the counts: the copy starts from this one's caches
        # (its own dicts, so copies used in parallel never share a mutable cache)
        new._spectra, new._states = dict(self._spectra), dict(self._states)
        new.dataset = self.dataset.with_counts(counts)
        new._set_data_terms()
        return new

    # ---------------------------------------------------------------- configuration
    def _apply_requests(self) -> None:
        known = self.parameters
        free = tuple(self.free)
        fixed = dict(self.fixed)
        profile = tuple(self.profile)
        for group, names in (("free", free), ("fixed", tuple(fixed)), ("profile", profile)):
            for n in names:
                if n not in known:
                    raise InputError(group, "parameter", n,
                                     "one of " + ", ".join(known))
        both = (set(free) | set(profile)) & set(fixed)
        if both:
            n = sorted(both)[0]
            raise InputError("fixed", "parameter", n,
                             "a parameter that is not also requested free/profiled")
        needs = {**dict.fromkeys(self._eff_names, "efficiency_sigma"),
                 **dict.fromkeys(self._dark_names, "dark_counts"),
                 "bkg_scale": "background_rate_per_s", "freq_offset_eV": "freq_offset_sigma_eV",
                 "dE_eg_eV": "E_eg_sigma_eV"}
        cal = self.dataset.calibration
        for n in (*free, *profile):
            p = known[n]
            if n in needs and getattr(cal, needs[n]) is None:
                raise InputError("calibration", needs[n], None,
                                 f"a calibration value to let '{n}' float (none in the data)")
            if n in self._eff_names and p.sigma is None:
                raise InputError("calibration", f"efficiency_sigma of {n}", None,
                                 f"a calibration value to let '{n}' float (none in the data)")
            if n == "bkg_scale" and cal.background_sigma_rel is None:
                raise InputError("calibration", "background_sigma_rel", None,
                                 "a background-scale uncertainty to let 'bkg_scale' float")
            p.role = "poi" if n in free else "profiled"
            p.reason = ""
        for n, v in fixed.items():
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise InputError("fixed", n, v, "a number") from None
            lo, hi = known[n].limits
            if not np.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
                raise InputError("fixed", n, v, f"a finite value within {known[n].limits}")
            known[n].value = v
            known[n].role = "fixed"
            known[n].reason = "fixed by request"

    # ---------------------------------------------------------------- evaluation
    @property
    def nominal(self) -> NDArray[np.float64]:
        """Nominal parameter vector (order of :attr:`names`)."""
        return self._nominal.copy()

    @property
    def floating_phases(self) -> list[str]:
        """The Majorana-phase parameters that are minimised (empty unless profiled)."""
        return [n for n in PHASE_PARAMS if n in self.parameters
                and self.parameters[n].role != "fixed"]

    @property
    def floating(self) -> list[str]:
        """Names of parameters that are minimised (poi and profiled)."""
        return [n for n in self.names if self.parameters[n].role != "fixed"]

    def vector(self, values: dict | None = None) -> NDArray[np.float64]:
        """Full parameter vector from the nominal with ``values`` overriding by name."""
        x = self._nominal.copy()
        for n, v in (values or {}).items():
            if n not in self._index:
                raise InputError("parameters", "name", n, "one of " + ", ".join(self.names))
            x[self._index[n]] = float(v)
        return x

    def _get(self, x, name, default=0.0):
        k = self._index.get(name)
        return default if k is None else x[k]

    def _state(self, x: NDArray[np.float64]) -> tuple:
        """Return the masses and a_ij at ``x`` through the physics layer.

        Source: [physics §1.2], [physics §3.2].

        ``x`` may carry leading batch axes (shape ``batch + (n_parameters,)``); the result is
        masses ``batch + (3,)`` and a ``batch + (3, 3)``. Out-of-range values a minimiser may
        probe are clamped (m_lightest >= 0, sin^2 in [0, 1], an impossible mass^2 gives 0).
        """
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            # one parameter set (a minimiser's step): masses and the electron row are cached
            # separately, so a step in a mixing angle reuses the masses and vice versa
            mkey = tuple(x[self._mass_idx].tolist())
            if mkey != self._masses_key:
                self._masses_key, self._masses_val = mkey, self._masses(x)
            ukey = tuple(x[self._row_idx].tolist())
            if ukey != self._row_key:
                self._row_key, self._row_val = ukey, self._electron_row(x)
            masses, ue = self._masses_val, self._row_val
        else:
            masses, ue = self._masses(x), self._electron_row(x)
        idx = self._index
        if self._sterile:
            # 3+1, only U_e4 mixing: four masses and the 4x4 a_ij (physics.sterile)
            u = np.clip(x[..., idx["Ue4_sq"]], 0.0, 0.999999)
            m4 = np.maximum(x[..., idx["m4_eV"]], 0.0)
            masses = np.concatenate([masses, np.broadcast_to(
                np.asarray(m4, float)[..., None], (*masses.shape[:-1], 1))], axis=-1)
            phase = (x[..., idx[STERILE_PHASE]] if self._sterile_phase
                     else self.model.sterile_phase)
            return masses, coupling_from_rows(*theta14_rows(ue, u, phase))
        return masses, coupling_matrix(ue)

    def _masses(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the three masses at ``x`` ([physics §3.2]; clamps as in :meth:`_state`)."""
        idx = self._index
        ml = np.maximum(x[..., idx["m_lightest_eV"]], 0.0)
        dm21, dm3l = x[..., idx["dm2_21_eV2"]], x[..., idx["dm2_3l_eV2"]]
        with np.errstate(invalid="ignore"):
            masses = masses_from_lightest(ml, self.model.ordering, dm21, dm3l)
        nan = np.isnan(masses)
        if nan.any():
            # sqrt of a negative mass^2 -> 0; a NaN input stays NaN (the objective rejects it)
            finite = np.isfinite(ml) & np.isfinite(dm21) & np.isfinite(dm3l)
            masses = np.where(nan & finite[..., None], 0.0, masses)
        return masses

    def _electron_row(self, x: NDArray[np.float64]) -> NDArray[np.complex128]:
        """Return the first PMNS row at ``x`` ([physics §1.2]; sin^2 clamped to [0, 1])."""
        idx = self._index
        s12, s13 = x[..., idx["sin2_theta12"]], x[..., idx["sin2_theta13"]]
        if x.ndim == 1:  # scalar clamps without the cost of np.clip on 0-d values
            s12, s13 = min(max(s12, 0.0), 1.0), min(max(s13, 0.0), 1.0)
        else:
            s12, s13 = np.clip(s12, 0.0, 1.0), np.clip(s13, 0.0, 1.0)
        if self._phases:
            # U_e3 = s13 e^{i(alpha31/2 - delta)} = s13 e^{i(alpha31 - 2 delta)/2}
            return electron_row(s12, s13, 0.0, x[..., idx["alpha21"]],
                                x[..., idx["alpha31_minus_2delta"]])
        return electron_row(s12, s13, self.osc.delta_cp_rad, self.model.alpha21,
                            self.model.alpha31)

    def spectral(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return I(omega_k) at the step energies for parameter vector ``x``.

        SM: :func:`renpsim.physics.spectrum.spectral_function_arrays`. With a coupling: the
        exact expansion I0 + c1 g + c2 g^2 of :func:`renpsim.stats.spectra.coupling_expansion`
        (physics layer), cached on the other spectral parameters, so a change of the coupling
        alone costs one multiply-add. The result is cached on the spectral parameters, so
        changes of the linear ones (normalisation, efficiency, background, dark rate) reuse it.
        """
        key = tuple(x[self._spec_idx].tolist())
        out = self._spectra.get(key)
        if out is not None:
            return out
        g = self._get
        c = self._coupling
        state_key = tuple(x[self._state_idx].tolist())
        state = self._states.get(state_key)
        if state is None:
            state = _remember(self._states, state_key, self._state(x))
        masses, a = state
        omega = self.dataset.omega_eV + g(x, "freq_offset_eV")
        E_eg = self.target.E_eg_eV + g(x, "dE_eg_eV")
        if c is None:
            out = spectral_function_arrays(omega, masses, a, E_eg_eV=E_eg,
                                           E_vg_eV=self.target.E_vg_eV,
                                           majorana=self.model.nature == "majorana",
                                           **self._imprinted)
        else:
            exp_key = tuple(x[self._exp_idx])
            if exp_key != self._exp_key:
                self._exp = coupling_expansion(
                    omega, NeutrinoArrays(masses, a, self.model.nature), self.target, c,
                    g(x, "mediator_mass_eV", 1.0), E_eg_eV=E_eg,
                    width_fraction=self.model.width_fraction,
                    scalar_phase=self.model.scalar_phase)
                self._exp_key = exp_key
            out = self._exp(g(x, c.name))
        return _remember(self._spectra, key, out)

    def expected_2d(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the expected counts mu_kc, shape (n_steps, n_channels), at ``x``."""
        g = self._get
        cal = self.dataset.calibration
        signal = g(x, "norm") * cal.rate_scale_per_s * self.spectral(x)
        dark = x[self._dark_idx] @ self._dark_map
        if self._eff_channel:
            rate = signal + g(x, "bkg_scale") * self._bkg
            return (self.dataset.exposure_s * rate)[:, None] * (x[self._eff_idx] * self._w) \
                + self._t_dark * dark
        rate = g(x, "efficiency") * (signal + g(x, "bkg_scale") * self._bkg)
        return (self.dataset.exposure_s * rate)[:, None] * self._w + self._t_dark * dark

    def expected(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the expected counts for parameter vector ``x``, shaped like the counts.

        (n_steps,) for 1-d counts, (n_steps, n_channels) for per-channel counts.
        """
        mu = self.expected_2d(x)
        return mu[:, 0] if self.dataset.counts.ndim == 1 else mu

    def data_deviance(self, x: NDArray[np.float64]) -> float:
        """Poisson deviance of the counts at ``x`` ([physics §6.1]).

        Evaluated as 2[sum mu - sum n + sum_{n>0} n ln n - sum_{n>0} n ln mu] with the data
        terms precomputed (equal to :func:`~renpsim.stats.deviance.poisson_deviance`; zero-count
        bins contribute 2 mu exactly).
        """
        mu = self.expected_2d(x)
        mp = mu[self._pos]
        if np.any(mp <= 0.0):
            return float("inf")
        return 2.0 * (float(mu.sum()) - self._n_sum + self._nlogn
                      - float(np.dot(self._n_pos, np.log(mp))))

    def constraint_chi2(self, x: NDArray[np.float64]) -> float:
        """Sum of the Gaussian and dark-run Poisson constraint terms at ``x``."""
        total = float(np.sum(((x[self._g_idx] - self._g_c) / self._g_s) ** 2)) if len(
            self._g_idx) else 0.0
        if self._dark_n is not None:
            for k, n_d, t_d in zip(self._dark_idx, self._dark_n, self._dark_t, strict=True):
                mu_d = x[k] * t_d
                if n_d > 0.0:
                    total += (2.0 * (mu_d - n_d + n_d * math.log(n_d / mu_d)) if mu_d > 0.0
                              else math.inf)
                else:
                    total += 2.0 * mu_d
        return total

    def active_constraints(self) -> int:
        """Count the constraint terms acting on floating parameters (pseudo-measurements)."""
        fl = set(self.floating)
        n = sum(1 for p in self.parameters.values() if p.sigma is not None
                and p.center is not None and p.name in fl)
        if self.dataset.calibration.dark_counts is not None:
            n += sum(1 for name in self._dark_names if name in fl)
        return n

    @property
    def has_gradient(self) -> bool:
        """True when :meth:`gradient` is used (requested and an SM model)."""
        return self.analytic_gradient and self._coupling is None

    def gradient(self, x: NDArray[np.float64], h_rel: float = 1e-3) -> NDArray[np.float64]:
        """Return d chi^2 / dx for the floating parameters (0 for fixed ones), SM models.

        Linear parameters (norm, efficiency, background scale, dark rate) and the constraint
        terms are differentiated analytically; the spectral parameters by central differences
        (steps ``h_rel`` x their scale, one-sided at a lower limit), all shifted spectra
        evaluated in ONE stacked kernel call.
        """
        x = np.asarray(x, dtype=float)
        g = self._get
        ds, cal = self.dataset, self.dataset.calibration
        I0 = self.spectral(x)
        norm, R0 = g(x, "norm"), cal.rate_scale_per_s
        mu = self.expected_2d(x)
        r2 = 2.0 * (1.0 - np.divide(self._n, mu, out=np.zeros_like(mu), where=mu > 0))
        # signal and photon background split among the channels (weights w_c, efficiencies)
        if self._eff_channel:
            eff, r = 1.0, r2 @ (x[self._eff_idx] * self._w)
        else:
            eff, r = g(x, "efficiency"), r2 @ self._w
        out = np.zeros(len(self.names))
        floating = [k for k, n in enumerate(self.names) if self.parameters[n].role != "fixed"]
        spec = [k for k in floating if k in self._spec_idx]
        if spec:
            xs, hs = [], []
            for k in spec:
                p = self.parameters[self.names[k]]
                h = h_rel * (p.step or p.sigma or 1e-3)
                lo = p.limits[0]
                down = x[k] - h
                if lo is not None and down < lo:
                    down = x[k]
                for v in (x[k] + h, down):
                    xx = x.copy()
                    xx[k] = v
                    xs.append(xx)
                hs.append(x[k] + h - down)
            X = np.array(xs)
            masses, a = self._state(X)
            Ib = spectral_function_arrays(
                ds.omega_eV + X[:, self._index["freq_offset_eV"], None], masses[:, None, :],
                a[:, None, :, :], E_eg_eV=self.target.E_eg_eV + X[:, self._index["dE_eg_eV"], None],
                E_vg_eV=self.target.E_vg_eV, majorana=self.model.nature == "majorana",
                **self._imprinted)
            dI = (Ib[0::2] - Ib[1::2]) / np.array(hs)[:, None]
            out[spec] = np.sum(dI * (ds.exposure_s * eff * norm * R0 * r), axis=1)
        idx = self._index
        fl = set(floating)
        if idx["norm"] in fl:
            out[idx["norm"]] = float(np.dot(r, ds.exposure_s * eff * R0 * I0))
        if any(k in fl for k in self._eff_idx):
            photons = ds.exposure_s * (norm * R0 * I0 + g(x, "bkg_scale") * self._bkg)
            if self._eff_channel:
                out[self._eff_idx] = self._w * (photons @ r2)
            else:
                out[self._eff_idx[0]] = float(np.dot(r, photons))
        if idx["bkg_scale"] in fl:
            out[idx["bkg_scale"]] = float(np.dot(r, ds.exposure_s * eff * self._bkg))
        if any(k in fl for k in self._dark_idx):
            d_dark = self._dark_map @ np.sum(r2 * self._t_dark, axis=0)
            for j, k in enumerate(self._dark_idx):
                out[k] = float(d_dark[j])
                if self._dark_n is not None:
                    n_d, t_d = self._dark_n[j], self._dark_t[j]
                    mu_d = x[k] * t_d
                    out[k] += 2.0 * t_d * (1.0 - (n_d / mu_d if mu_d > 0 else 0.0))
        if len(self._g_idx):
            np.add.at(out, self._g_idx, 2.0 * (x[self._g_idx] - self._g_c) / self._g_s**2)
        out[[k for k in range(len(out)) if k not in fl]] = 0.0
        return out

    def __call__(self, x: NDArray[np.float64]) -> float:
        """Objective chi^2(x) = deviance + constraints (errordef 1)."""
        x = np.asarray(x, dtype=float)
        value = self.data_deviance(x) + self.constraint_chi2(x)
        return value if math.isfinite(value) else 1e300

    def asimov(self, values: dict | None = None) -> NDArray[np.float64]:
        """Return the expected counts at the nominal parameters (overridden by ``values``)."""
        return self.expected(self.vector(values))
