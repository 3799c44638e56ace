"""RENP kinematics: pair invariant mass, channel thresholds, the phase-space factor Delta_ij.

Formulas ([physics §1.1]; GP21 eqs. 12-15):

* s(omega) = (E_eg - omega)^2 - omega^2 = E_eg (E_eg - 2 omega), zero net initial phase.
* omega_ij^max = E_eg/2 - (m_i + m_j)^2 / (2 E_eg) (GP21 eq. 13); channel (ij) is open only for
  omega < omega_ij^max ([physics §0] item 1).
* Delta_ij = sqrt{[s - (m_i+m_j)^2][s - (m_i-m_j)^2]} / s (GP21 eq. 17).
* Mediator pole at s = M^2, i.e. omega = E_eg/2 - M^2/(2 E_eg) (GP21 section IV).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Channel labels in the order of a flattened 3x3 matrix.
CHANNEL_LABELS = tuple(f"{i}{j}" for i in range(1, 4) for j in range(1, 4))
#: The six distinct thresholds (omega_ij^max = omega_ji^max).
THRESHOLD_LABELS = ("11", "12", "13", "22", "23", "33")
#: Unordered channel pairs (0-based) with the number of ordered channels they stand for.
UNORDERED_PAIRS = ((0, 0, 1), (0, 1, 2), (0, 2, 2), (1, 1, 1), (1, 2, 2), (2, 2, 1))


def outside_photon_range(omega_eV: ArrayLike, E_eg_eV: ArrayLike) -> NDArray[np.bool_]:
    """Return True where omega lies outside the RENP photon range 0 < omega <= E_eg/2.

    The photon is the softer of the pair, so s = E_eg (E_eg - 2 omega) >= 0 ([physics §1.1],
    GP21 eq. 12); the same rule as the domain check of
    :func:`renpsim.physics.spectrum.spectral_function`. NaN counts as outside.
    """
    w = np.asarray(omega_eV, dtype=float)
    return ~((w > 0.0) & (w <= 0.5 * np.asarray(E_eg_eV, dtype=float)))


def pair_mass2(omega_eV: ArrayLike, E_eg_eV: ArrayLike) -> NDArray[np.float64]:
    """Invariant mass squared of the neutrino pair, s = E_eg (E_eg - 2 omega), in eV^2."""
    E = np.asarray(E_eg_eV, dtype=float)
    return E * (E - 2.0 * np.asarray(omega_eV, dtype=float))


def threshold(E_eg_eV: ArrayLike, m_i_eV: ArrayLike, m_j_eV: ArrayLike) -> NDArray[np.float64]:
    """Channel threshold omega_ij^max = E_eg/2 - (m_i + m_j)^2 / (2 E_eg) in eV (GP21 eq. 13)."""
    E = np.asarray(E_eg_eV, dtype=float)
    msum = np.asarray(m_i_eV, dtype=float) + np.asarray(m_j_eV, dtype=float)
    return 0.5 * E - msum * msum / (2.0 * E)


def threshold_matrix(E_eg_eV: ArrayLike, masses_eV: ArrayLike) -> NDArray[np.float64]:
    """All nine thresholds omega_ij^max, shape ``broadcast + (3, 3)`` (symmetric)."""
    m = np.asarray(masses_eV, dtype=float)
    E = np.asarray(E_eg_eV, dtype=float)[..., None, None]
    return threshold(E, m[..., :, None], m[..., None, :])


def pole_omega(mediator_mass_eV: ArrayLike, E_eg_eV: ArrayLike) -> NDArray[np.float64]:
    """Photon energy at which s = M^2: omega = E_eg/2 - M^2/(2 E_eg) (GP21 section IV)."""
    E = np.asarray(E_eg_eV, dtype=float)
    M = np.asarray(mediator_mass_eV, dtype=float)
    return 0.5 * E - M * M / (2.0 * E)


def pole_mass(omega_eV: ArrayLike, E_eg_eV: ArrayLike) -> NDArray[np.float64]:
    """Mediator mass with its pole at omega: M = sqrt(E_eg (E_eg - 2 omega)) ([physics §8.1] K8)."""
    return np.sqrt(pair_mass2(omega_eV, E_eg_eV))


def phase_space_delta(
    s_eV2: ArrayLike, m_i_eV: ArrayLike, m_j_eV: ArrayLike
) -> NDArray[np.float64]:
    """Delta_ij = sqrt{[s-(m_i+m_j)^2][s-(m_i-m_j)^2]}/s for open channels, else 0.

    The channel is open for s > (m_i+m_j)^2, i.e. omega < omega_ij^max. For a massless pair at
    s = 0 (omega = E_eg/2 exactly) the continuous limit Delta = 1 is returned.

    Parameters
    ----------
    s_eV2 : array_like
        Pair invariant mass squared (may be <= 0 beyond the endpoint).
    m_i_eV, m_j_eV : array_like
        Neutrino masses.

    Returns
    -------
    numpy.ndarray
        Delta_ij in [0, 1], never NaN.

    """
    s = np.asarray(s_eV2, dtype=float)
    mi = np.asarray(m_i_eV, dtype=float)
    mj = np.asarray(m_j_eV, dtype=float)
    x = s - (mi + mj) ** 2
    y = s - (mi - mj) ** 2
    root = np.sqrt(np.maximum(x, 0.0) * np.maximum(y, 0.0))
    if s.size and s.min() > 0.0:
        # common case (every point below the endpoint): root is already 0 where x <= 0
        return root / s
    shape = np.broadcast_shapes(x.shape, s.shape)
    out = np.zeros(shape)
    np.divide(root, s, out=out, where=(s > 0.0) & (x > 0.0))
    if np.any(s == 0.0):
        out = np.where((s == 0.0) & ((mi + mj) == 0.0), 1.0, out)
    return out
