"""Two counter-propagating trigger lasers ([hardware §4] and [hardware §7.1]).

The pair satisfies omega + omega' = E_eg (two-photon resonance, [hardware §4.3]); the scan sets
omega and omega' = E_eg - omega follows. The true frequency of shot k in a step is
([hardware §4.3])::

    nu_true,k = nu_set + delta_drift(t) + delta_jitter,k,   delta_jitter ~ N(0, sigma_j)
    nu_meas,k = nu_true,k + wavemeter_offset + N(0, sigma_meas)

with a linear drift [A] and a run-wide wavemeter offset drawn once from N(0, sigma_offset).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from renpsim.constants import C_M_PER_S, E_CHARGE_C, H_EV_S
from renpsim.hardware.schema import knob


@dataclass(frozen=True)
class LaserConfig:
    """Trigger laser pair (identical settings for both beams unless stated)."""

    source_type: str = knob("seeded ns OPO", kind="str", doc="Source description (recorded).",
                            source="[hardware §4.1], [hardware §7.1] ([Mes01], [TiSapph])")
    pulse_energy_J: float = knob(10e-3, unit="J", lo=0.0, lo_open=True,
                                 doc="Pulse energy of the omega beam.", source="[hardware §7.1]")
    pulse_energy_prime_J: float | None = knob(None, kind="float?", unit="J", lo=0.0,
                                              lo_open=True,
                                              doc="Pulse energy of the omega' beam (absent = "
                                                  "same as pulse_energy_J).")
    energy_jitter_rel: float = knob(0.05, lo=0.0, hi=1.0,
                                    doc="True shot-to-shot relative pulse-energy spread.")
    energy_monitor_noise_rel: float = knob(0.02, lo=0.0, hi=1.0,
                                           doc="Relative noise of the energy monitor readback.",
                                           source="[hardware §7.1]")
    duration_s: float = knob(5e-9, unit="s", lo=0.0, lo_open=True, doc="Pulse FWHM tau_L.",
                             source="[hardware §7.1]")
    rep_rate_Hz: float = knob(10.0, unit="Hz", lo=0.0, lo_open=True, hi=1e9,
                              doc="Repetition rate f_rep (one shot per pulse).",
                              source="[hardware §7.1] (H2 experiments 10 Hz [U])")
    waist_m: float = knob(2e-3, unit="m", lo=0.0, lo_open=True,
                          doc="Beam waist (1/e^2 radius).", source="[hardware §7.1]")
    linewidth_Hz: float = knob(100e6, unit="Hz", lo=0.0, tag="[C]",
                               doc="Laser FWHM linewidth (Gaussian); >= Fourier limit.",
                               source="[hardware §4.1], [hardware §7.1] ([Mes01])")
    jitter_Hz: float = knob(30e6, unit="Hz", lo=0.0, doc="Shot-to-shot frequency jitter sigma_j.",
                            source="[hardware §4.3], [hardware §7.1]")
    drift_Hz_per_h: float = knob(10e6, unit="Hz/h", doc="Linear frequency drift.",
                                 source="[hardware §4.3], [hardware §7.1]")
    wavemeter_offset_sigma_Hz: float = knob(20e6, unit="Hz", lo=0.0,
                                            doc="Sigma of the run-wide wavemeter offset.",
                                            source="[hardware §7.1] ([Wavemeter])")
    wavemeter_noise_Hz: float = knob(1e6, unit="Hz", lo=0.0,
                                     doc="Per-shot wavemeter readback noise.",
                                     source="[hardware §4.2] ([Wavemeter]: ~0.8 MHz)")
    polarisation: str = knob("linear", kind="str", choices=("linear", "sigma+", "sigma-",
                                                             "sigma_flip"),
                             doc="Polarisation (recorded).", source="[hardware §7.1] ([YSU])")
    imprinted_momentum_eV: float = knob(0.0, unit="eV", lo=0.0,
                                        doc="Net momentum P0 the trigger geometry imprints on "
                                            "the coherence (0: none); moves s and every "
                                            "threshold, must be < E_eg.",
                                        source="[physics §1.1]; docs/sterile-and-momentum.md 2")
    imprinted_cos: float = knob(1.0, lo=-1.0, hi=1.0,
                                doc="Cosine of the angle between P0 and the emitted photon's "
                                    "momentum.", source="docs/sterile-and-momentum.md 2")

    @property
    def imprinted(self) -> dict:
        """Keyword arguments of the physics layer for the imprinted momentum."""
        return {"imprinted_momentum_eV": self.imprinted_momentum_eV,
                "imprinted_cos": self.imprinted_cos}


def photons_per_pulse(energy_J: float, omega_eV: float) -> float:
    """Return the number of photons in a pulse, E_pulse / (omega e) ([hardware §0] item 5)."""
    return energy_J / (omega_eV * E_CHARGE_C)


def n_gamma_from_laser(lasers: LaserConfig, omega_eV: float) -> float:
    """Trigger photon density in cm^-3: N / (pi w^2/2 * c tau_L) ([hardware §8.4])."""
    volume_cm3 = (math.pi * lasers.waist_m**2 / 2.0) * (C_M_PER_S * lasers.duration_s) * 1e6
    return photons_per_pulse(lasers.pulse_energy_J, omega_eV) / volume_cm3


def hz_to_eV(nu_Hz: float) -> float:
    """Convert a frequency (or frequency offset) in Hz to eV."""
    return nu_Hz * H_EV_S
