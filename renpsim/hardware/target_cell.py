"""Target cell and macro-coherence model eta(t).

Source: [hardware §1.4], [hardware §5], [hardware §7] and [hardware §8.4].

The per-shot coherence follows [hardware §5.1], "Level 1"::

    eta_shot(t) = eta0 * 4|rho_ge(0)|^2 * exp(-2 t/T2) * g_trig(t) * exp(-t/T1),   t >= 0
    eta0_k      = eta0 * (E1_k E2_k / <E1 E2>)^p * LogNormal(-sigma^2/2, sigma)

with g_trig a Gaussian trigger envelope of FWHM tau_L and peak 1 at t = 0 (the time origin is
the trigger-pulse peak). Deviation, documented: the log-normal factor is normalised to mean 1 so
that eta0 is the mean peak coherence factor (docs/reference/hardware.md writes LogNormal(0, sigma)).
``eta_model = "constant"`` is the GP21 convention: eta is constant and coherence lasts the whole
shot period, so the exposure of a shot is eta0 / f_rep ([physics §1.5]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfcx

from renpsim.hardware.schema import knob

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


@dataclass(frozen=True)
class TargetConfig:
    """The atomic target in its cell ([hardware §7.1], [hardware §7.2], [hardware §8.2])."""

    species: str = knob("Yb", kind="str", choices=("Yb", "Xe", "para-H2"), tag="[A]",
                        doc="Atomic species (renpsim/data/targets); 'para-H2' is a coherence-"
                            "only medium (no RENP rate: E_eg_eV required, eta_model = "
                            "'maxwell-bloch').", source="[hardware §7.1]; [hardware §1.2]")
    isotope: str = knob("174", kind="str", tag="[A]",
                        doc="Isotope label: 174, 171, natural, gp21 (Yb); natural (Xe).",
                        source="[hardware §7.1]; PV-RENP favours even isotopes ([YSU])")
    E_eg_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0, lo_open=True,
                                 tag="[V]/[U]",
                                 doc="E_eg; absent = the isotope's value in the target data.",
                                 source="[hardware §7.1] note, [physics §2.1]/[physics §2.2]")
    E_eg_sigma_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0, tag="[A]",
                                       doc="1-sigma uncertainty of E_eg (nuisance for fits).",
                                       source="[hardware §7.1] (6 ueV until pinned)")
    phase: str = knob("vapour", kind="str", choices=("vapour", "gas", "liquid", "solid"),
                      doc="Target phase.", source="[hardware §7.1]/[hardware §7.2]")
    temperature_K: float = knob(800.0, unit="K", lo=0.0, lo_open=True,
                                doc="Cell temperature (slow-control channel).",
                                source="[hardware §7.1], vapour-pressure table [YbVap]")
    temperature_noise_K: float = knob(0.5, unit="K", lo=0.0,
                                      doc="Slow-control temperature readback noise.")
    density_cm3: float = knob(8.9e14, unit="cm^-3", lo=0.0, lo_open=True, hi=1e24, tag="[C]",
                              doc="Atom number density n_a.",
                              source="[hardware §0] item 2 ([YbVap], n = P/kT at 800 K)")
    length_m: float = knob(0.10, unit="m", lo=0.0, lo_open=True, doc="Cell length L.",
                           source="[hardware §7.1]")
    area_m2: float = knob(1e-4, unit="m^2", lo=0.0, lo_open=True, doc="Cell area A.",
                          source="[hardware §7.1]")
    buffer_gas_Pa: float = knob(0.0, unit="Pa", lo=0.0, doc="Buffer gas pressure (recorded).",
                                source="[hardware §7.1]")
    B_field_T: float = knob(0.0, unit="T", doc="Magnetic field (recorded; PV studies).",
                            source="[hardware §7.1] ([YSU])")
    ionisation_loss_per_shot: float = knob(0.0, lo=0.0, hi=1.0,
                                           doc="Fraction of excited atoms ionised per shot "
                                               "(recorded, not applied to rates).",
                                           source="[hardware §7.2] ([Tashiro] qualitative)")
    gamma0_per_s: float | None = knob(None, kind="float?", unit="s^-1", lo=0.0, lo_open=True,
                                      tag="[Q]/[A]",
                                      doc="Gamma_0 at the reference point (V=100 cm^3, n=1e21 "
                                          "cm^-3, eta=1); absent = the target's reference value "
                                          "(Yb 0.002 s^-1; Xe has none: give it, or set "
                                          "gamma0_placeholder = true).",
                                      source="[physics §1.5] (GP21 eq. 11b), 2.2")
    gamma0_placeholder: bool = knob(False, kind="bool", tag="[A]",
                                    doc="Use the target's labelled placeholder Gamma_0 (Xe: "
                                        "0.036 s^-1, an order-of-magnitude estimate).",
                                    source="[physics §2.2]")
    n_gamma: str = knob("equal_n_a", kind="str", choices=("equal_n_a", "from_laser", "explicit"),
                        doc="Trigger photon density: = n_a, derived from the lasers, or "
                            "n_gamma_cm3.", source="[hardware §8.1], [hardware §8.4]")
    n_gamma_cm3: float | None = knob(None, kind="float?", unit="cm^-3", lo=0.0, lo_open=True,
                                     doc="Explicit trigger photon density (n_gamma = 'explicit').")

    @property
    def volume_cm3(self) -> float:
        """V = L * A in cm^3 ([hardware §8.1])."""
        return self.length_m * self.area_m2 * 1e6


@dataclass(frozen=True)
class CoherenceConfig:
    """Macro-coherence model eta(t) and its shot-to-shot fluctuations.

    Source: [hardware §5.1], [hardware §8.4].
    """

    eta_model: str = knob("level1", kind="str", choices=("constant", "level1", "maxwell-bloch"),
                          doc="'constant': eta = eta0 for the whole shot period (GP21); "
                              "'level1': phenomenological eta(t) per shot; 'maxwell-bloch': "
                              "eta(t) and the PSR background from the 1-D Maxwell-Bloch solver "
                              "(table [maxwell_bloch], docs/coherence.md).",
                          source="[hardware §5.1], [hardware §8.4]; [hardware §5.1]")
    eta0: float = knob(1e-2, lo=0.0, lo_open=True, hi=1.0,
                       doc="Mean peak coherence factor (range 1e-5..1).", source="[hardware §7.1]")
    rho_ge0: float | None = knob(0.1, kind="float?", lo=0.0, lo_open=True, hi=0.5,
                                 doc="Prepared coherence |rho_ge(0)| (max 0.5); absent = "
                                     "sqrt(f_exc(1-f_exc)).", source="[hardware §7.1], [hardware "
                                                                     "§5.1]")
    f_exc: float | None = knob(None, kind="float?", lo=0.0, lo_open=True, hi=1.0,
                               doc="Excited fraction (used when rho_ge0 is absent).",
                               source="[hardware §7.2]")
    T1_s: float = knob(1e-6, unit="s", lo=0.0, lo_open=True, doc="Population lifetime T1.",
                       source="[hardware §7.1]")
    T2_s: float = knob(10e-9, unit="s", lo=0.0, lo_open=True, doc="Dephasing time T2.",
                       source="[hardware §4.4], [hardware §7.1]")
    sigma_eta: float = knob(0.2, lo=0.0, hi=3.0,
                            doc="Log-normal shot-to-shot spread of eta0 (mean-1 normalised).",
                            source="[hardware §5.1]")
    energy_exponent: float = knob(1.0, lo=0.0, hi=4.0,
                                  doc="p in eta0_k ~ (E1 E2/<E1 E2>)^p.",
                                  source="[hardware §5.1]")

    @property
    def rho(self) -> float:
        """|rho_ge(0)|: the configured value, or the pure-state value sqrt(f(1-f))."""
        if self.rho_ge0 is not None:
            return self.rho_ge0
        f = 0.5 if self.f_exc is None else self.f_exc
        return math.sqrt(f * (1.0 - f))

    @property
    def eta_peak(self) -> float:
        """eta0 * 4|rho_ge(0)|^2 ([hardware §5.2]); eta0 itself for the constant model."""
        if self.eta_model == "constant":
            return self.eta0
        return self.eta0 * 4.0 * self.rho**2


def _level1_antiderivative(t: NDArray[np.float64], s: float, k: float) -> NDArray[np.float64]:
    """F(t) with dF/dt = exp(-t^2/(2 s^2) - k t) (closed form via erfcx, stable for t >= 0)."""
    u = (t / s + k * s) / math.sqrt(2.0)
    return -s * math.sqrt(math.pi / 2.0) * erfcx(u) * np.exp(-0.5 * (t / s) ** 2 - k * t)


def envelope_integral_s(coh: CoherenceConfig, pulse_fwhm_s: float, t_lo: float,
                        t_hi: float) -> float:
    """Integral of eta_shot(t)/eta_peak over [t_lo, t_hi] in seconds ([hardware §5.2]).

    For the level-1 model the integrand is exp(-t^2/(2 s^2) - (2/T2 + 1/T1) t) for t >= 0 with
    s = FWHM/(2 sqrt(2 ln 2)); for the constant model it is 1 on the whole interval.
    """
    if coh.eta_model == "constant":
        return max(0.0, t_hi - t_lo)
    a, b = max(0.0, t_lo), t_hi
    if b <= a:
        return 0.0
    s = pulse_fwhm_s * FWHM_TO_SIGMA
    k = 2.0 / coh.T2_s + 1.0 / coh.T1_s
    Fa, Fb = _level1_antiderivative(np.array([a, b]), s, k)
    return float(Fb - Fa)


def eta_profile(coh: CoherenceConfig, pulse_fwhm_s: float,
                t: NDArray[np.float64]) -> NDArray[np.float64]:
    """eta_shot(t)/eta_peak on a time grid (zero before the pulse peak for level 1)."""
    t = np.asarray(t, dtype=float)
    if coh.eta_model == "constant":
        return np.ones_like(t)
    s = pulse_fwhm_s * FWHM_TO_SIGMA
    k = 2.0 / coh.T2_s + 1.0 / coh.T1_s
    tp = np.maximum(t, 0.0)
    return np.where(t >= 0.0, np.exp(-0.5 * (tp / s) ** 2 - k * tp), 0.0)
