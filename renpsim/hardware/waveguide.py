"""Photonic-crystal waveguide and the macro-coherent QED background model.

Source: [hardware §2.2], [hardware §8.4].

Parametric model of [hardware §2.2] (every unknown is an assumption knob [A])::

    f_allowed(omega) = max(0, (E - omega - 2 omega_c) / (E - omega))
    B_McQ3(omega)    = R3_free * [f_allowed + (1 - f_allowed) S_gap + eps_res]
    R3_free          = R3_over_RENP_free * Gamma_0 * eta       (flat in omega, I taken as 1)
    R_sig(omega)     = Gamma_0 I(omega) eta T_sig

The signal must lie above cutoff and outside the band gap: a signal inside the gap is attenuated
by S_gap, below cutoff it is not transmitted (T = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.hardware.schema import knob


@dataclass(frozen=True)
class WaveguideConfig:
    """Photonic-crystal waveguide ([hardware §2.2]; all knobs [A])."""

    enabled: bool = knob(True, kind="bool",
                         doc="false = no waveguide: T_sig = 1, McQ3 unsuppressed (f_allowed = 1).",
                         source="[hardware §8.2]")
    cutoff_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0, lo_open=True,
                                   doc="Guide cutoff omega_c; absent = 0.30 E_eg.",
                                   source="[hardware §2.2] (range 0.25-0.49 E)")
    gap_lo_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0,
                                   doc="Band-gap lower edge; absent = 0.05 E_eg.",
                                   source="[hardware §2.2]")
    gap_hi_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0,
                                   doc="Band-gap upper edge; absent = 0.45 E_eg.",
                                   source="[hardware §2.2]")
    S_gap: float | None = knob(1e-6, kind="float?", lo=0.0, hi=1.0,
                               doc="Gap suppression factor (range 1e-12..1e-2); absent = "
                                   "10^(-N_layers A_dB_per_layer/10).", source="[hardware §2.2]")
    N_layers: float = knob(0.0, lo=0.0, doc="Number of PhC layers (used if S_gap is absent).",
                           source="[hardware §2.2]")
    A_dB_per_layer: float = knob(0.0, unit="dB", lo=0.0, doc="Attenuation per layer.",
                                 source="[hardware §2.2]")
    T_sig: float = knob(0.5, lo=0.0, hi=1.0, doc="Signal transmission (range 0.1-0.9).",
                        source="[hardware §2.2]")
    eps_res: float = knob(1e-9, lo=0.0, hi=1.0,
                          doc="Unsuppressed McQ3 residual, fraction of R3_free (0..1e-3).",
                          source="[hardware §2.2]")

    def resolved(self, E_eg_eV: float) -> WaveguideConfig:
        """Copy with the species-dependent defaults (fractions of E_eg) filled in."""
        from dataclasses import replace

        return replace(
            self,
            cutoff_eV=0.30 * E_eg_eV if self.cutoff_eV is None else self.cutoff_eV,
            gap_lo_eV=0.05 * E_eg_eV if self.gap_lo_eV is None else self.gap_lo_eV,
            gap_hi_eV=0.45 * E_eg_eV if self.gap_hi_eV is None else self.gap_hi_eV,
        )

    @property
    def s_gap(self) -> float:
        """S_gap, given or from the layers: 10^(-N A/10) ([hardware §2.2])."""
        if self.S_gap is not None:
            return self.S_gap
        return 10.0 ** (-self.N_layers * self.A_dB_per_layer / 10.0)

    def signal_transmission(self, omega_eV: ArrayLike) -> NDArray[np.float64]:
        """Return T(omega) for the counted photon.

        T_sig in a pass band, T_sig S_gap in the gap, 0 below cutoff; 1 without a waveguide.
        """
        w = np.asarray(omega_eV, dtype=float)
        if not self.enabled:
            return np.ones_like(w)
        t = np.full_like(w, self.T_sig)
        in_gap = (w >= self.gap_lo_eV) & (w <= self.gap_hi_eV)
        t = np.where(in_gap, t * self.s_gap, t)
        return np.where(w < self.cutoff_eV, 0.0, t)

    def mcq3_factor(self, omega_eV: ArrayLike, E_eg_eV: float) -> NDArray[np.float64]:
        """[f_allowed + (1 - f_allowed) S_gap + eps_res] of [hardware §2.2] (1 if disabled)."""
        w = np.asarray(omega_eV, dtype=float)
        if not self.enabled:
            return np.ones_like(w)
        rest = E_eg_eV - w
        f = np.clip((rest - 2.0 * self.cutoff_eV) / rest, 0.0, None)
        return f + (1.0 - f) * self.s_gap + self.eps_res


@dataclass(frozen=True)
class BackgroundConfig:
    """Background knobs and the detection scheme ([hardware §8.4]; all [A])."""

    detection_scheme: str = knob("leak", kind="str", choices=("ideal", "leak"),
                                 doc="'ideal': signal separable, no trigger leakage; 'leak': "
                                     "trigger photons leak with probability trigger_leak_eps.",
                                 source="[hardware §8.4]")
    trigger_leak_eps: float = knob(1e-20, lo=0.0, hi=1.0,
                                   doc="Probability per trigger photon in the gate to reach the "
                                       "detector as a count (before efficiency); 1e-24..1e-12.",
                                   source="[hardware §8.4]")
    signal_sep_eff: float = knob(1.0, lo=0.0, hi=1.0,
                                 doc="Fraction of stimulated RENP photons kept by the separation "
                                     "scheme (0.01..1).", source="[hardware §8.4]")
    psr_over_sig: float = knob(0.0, lo=0.0,
                               doc="McQ2/PSR at E_eg/2 in units of Gamma_0 eta T_sig (I = 1), "
                                   "with a Gaussian profile in 2 omega - E_eg of FWHM "
                                   "psr_width_eV (0..1e3).",
                               source="[hardware §8.4], [physics §5.1]")
    psr_width_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0, lo_open=True,
                                      doc="FWHM of the PSR/McQ2 line in 2 omega - E_eg; absent = "
                                          "2 x laser linewidth (at least 1 ueV).")
    R3_over_RENP_free: float = knob(1e10, lo=0.0,
                                    doc="Free-space McQ3 rate in units of Gamma_0 eta "
                                        "(placeholder until TTSY17 numbers; 1e5..1e20).",
                                    source="[hardware §8.4], [physics §5.1]")
    stray_rate_Hz: float = knob(0.0, unit="Hz", lo=0.0,
                                doc="Stray light / fluorescence count rate in the gate.",
                                source="[hardware §7.1]")
