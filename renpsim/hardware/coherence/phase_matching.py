"""Phase matching of a non-degenerate PSR pair in a finite cell: the sinc^2 factor.

The Maxwell-Bloch solver treats its configured trigger/signal pair as phase matched (the carrier
wavenumbers are absorbed into the envelopes). A pair moved to (omega, E_eg - omega) away from the
solved trigger omega_0 gains the extra mismatch

    dk(omega) = [k(E_eg - omega) - k(omega)] - [k(E_eg - omega_0) - k(omega_0)]
              = 2 n (omega_0 - omega) / (hbar c),        k(x) = n x / (hbar c),

and a uniform coherence radiates the fraction sinc^2(dk L / 2) of the phase-matched PSR field
energy out of a cell of length L (docs/coherence.md section 6a). The index n is that of the
unexcited medium, n = 1 + n_a alpha_g / (2 eps0), frequency independent (alpha_g is a static
knob [A]; group-velocity dispersion neglected [A]).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.constants import HBARC_EV_M
from renpsim.hardware.coherence.model import EPS0_F_PER_M


def ground_state_index(density_m3: float, alpha_g_SI: float) -> float:
    """Refractive index of the unexcited dilute medium, 1 + n_a alpha_g / (2 eps0).

    Parameters
    ----------
    density_m3 : float
        Number density n_a (m^-3).
    alpha_g_SI : float
        Ground-state polarisability (C m^2 V^-1).

    """
    return 1.0 + density_m3 * alpha_g_SI / (2.0 * EPS0_F_PER_M)


def pair_mismatch_per_m(omega_eV: ArrayLike, omega0_eV: float, index: float = 1.0
                        ) -> NDArray[np.float64]:
    """Extra phase mismatch dk (1/m) of the pair (omega, E_eg - omega) over (omega_0, ...).

    dk = 2 n (omega_0 - omega) / (hbar c) for a counter-propagating trigger (+z) and signal (-z)
    in a medium of frequency-independent index n; E_eg cancels.

    Parameters
    ----------
    omega_eV : array_like
        Photon energy of the trigger (the detected photon) of the moved pair.
    omega0_eV : float
        Trigger photon energy of the solved (phase-matched) pair.
    index : float
        Refractive index n of the medium.

    """
    return 2.0 * index * (omega0_eV - np.asarray(omega_eV, dtype=float)) / HBARC_EV_M


def phase_matching_factor(omega_eV: ArrayLike, omega0_eV: float, length_m: float,
                          index: float = 1.0) -> NDArray[np.float64]:
    """sinc^2(dk L / 2): PSR photons of the pair at omega over those of the matched pair.

    Exactly 1 at omega = omega_0; zeros at |omega - omega_0| = m pi hbar c / (n L) (m = 1, 2,
    ...); mean tail (hbar c / (n L (omega - omega_0)))^2 / 2 (a power law, no exponential
    cut-off).

    Parameters
    ----------
    omega_eV : array_like
        Photon energy of the trigger (the detected photon) of the moved pair.
    omega0_eV : float
        Trigger photon energy of the solved pair.
    length_m : float
        Cell length L.
    index : float
        Refractive index n of the medium.

    """
    x = pair_mismatch_per_m(omega_eV, omega0_eV, index) * length_m / 2.0
    s = np.sinc(x / np.pi)  # numpy's sinc(u) = sin(pi u) / (pi u); exactly 1 at u = 0
    return s * s


def first_zero_eV(length_m: float, index: float = 1.0) -> float:
    """Distance |omega - omega_0| of the first zero of the factor, pi hbar c / (n L) (eV)."""
    return float(np.pi * HBARC_EV_M / (index * length_m))
