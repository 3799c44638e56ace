"""RENP kinematics: pair invariant mass, channel thresholds, the phase-space factor Delta_ij.

Formulas ([physics §1.1]; GP21 eqs. 12-15):

* s(omega) = (E_eg - omega)^2 - omega^2 = E_eg (E_eg - 2 omega), zero net initial phase.
* omega_ij^max = E_eg/2 - (m_i + m_j)^2 / (2 E_eg) (GP21 eq. 13); channel (ij) is open only for
  omega < omega_ij^max ([physics §0] item 1).
* Delta_ij = sqrt{[s - (m_i+m_j)^2][s - (m_i-m_j)^2]} / s (GP21 eq. 17).
* Mediator pole at s = M^2, i.e. omega = E_eg/2 - M^2/(2 E_eg) (GP21 section IV).

Imprinted pair momentum (docs/sterile-and-momentum.md section 2, [physics §1.1]): when the
excitation scheme imprints a net momentum P0 on the coherence, the pair carries P0 - k and

* s(omega) = (E_eg - omega)^2 - |P0 - k|^2 = E_eg^2 - P0^2 - 2 omega (E_eg - P0 c), with c the
  cosine of the angle between P0 and the photon momentum k;
* omega_ij^max = [E_eg^2 - P0^2 - (m_i + m_j)^2] / [2 (E_eg - P0 c)], the photon endpoint
  (s = 0) at (E_eg^2 - P0^2) / [2 (E_eg - P0 c)].

Every function taking ``imprinted_momentum_eV`` uses the zero-momentum expressions above,
operation for operation, when it is 0 (the default), so results are unchanged bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError

#: Channel labels in the order of a flattened 3x3 matrix.
CHANNEL_LABELS = tuple(f"{i}{j}" for i in range(1, 4) for j in range(1, 4))
#: The six distinct thresholds (omega_ij^max = omega_ji^max).
THRESHOLD_LABELS = ("11", "12", "13", "22", "23", "33")
#: Unordered channel pairs (0-based) with the number of ordered channels they stand for.
UNORDERED_PAIRS = ((0, 0, 1), (0, 1, 2), (0, 2, 2), (1, 1, 1), (1, 2, 2), (2, 2, 1))


def unordered_pairs(n_states: int) -> tuple[tuple[int, int, int], ...]:
    """Unordered pairs (i <= j, 0-based) of ``n_states`` mass states with their multiplicity.

    ``unordered_pairs(3)`` is :data:`UNORDERED_PAIRS`; ``unordered_pairs(4)`` adds the four
    pairs (14), (24), (34), (44) of a sterile state after them (ten thresholds in all).
    """
    pairs: list[tuple[int, int, int]] = []
    for top in range(n_states):
        pairs += [(i, top, 1 if i == top else 2) for i in range(top + 1)]
    if n_states >= 3:  # the three-state pairs in their historical order, first
        pairs = list(UNORDERED_PAIRS) + pairs[6:]
    return tuple(pairs)


def channel_labels(n_states: int) -> tuple[str, ...]:
    """Ordered channel labels "ij" (1-based) of ``n_states`` mass states."""
    return tuple(f"{i}{j}" for i in range(1, n_states + 1) for j in range(1, n_states + 1))


def threshold_labels(n_states: int) -> tuple[str, ...]:
    """Labels "ij" (i <= j, 1-based) of the distinct thresholds of ``n_states`` mass states."""
    return tuple(f"{i + 1}{j + 1}" for i, j, _ in unordered_pairs(n_states))


def check_imprinted_momentum(
    imprinted_momentum_eV: float, imprinted_cos: float, E_eg_eV: ArrayLike
) -> None:
    """Raise :class:`~renpsim.errors.InputError` unless 0 <= P0 < E_eg and -1 <= c <= 1.

    P0 >= E_eg would leave no photon energy with a timelike pair (s > 0).
    """
    try:
        p0 = float(imprinted_momentum_eV)
    except (TypeError, ValueError):
        raise InputError("kinematics", "imprinted_momentum_eV", imprinted_momentum_eV,
                         "a momentum in eV") from None
    try:
        c = float(imprinted_cos)
    except (TypeError, ValueError):
        raise InputError("kinematics", "imprinted_cos", imprinted_cos,
                         "a cosine between -1 and 1") from None
    e_min = float(np.min(np.asarray(E_eg_eV, dtype=float)))
    if not (np.isfinite(p0) and 0.0 <= p0 < e_min):
        raise InputError("kinematics", "imprinted_momentum_eV", imprinted_momentum_eV,
                         f"a momentum 0 <= P0 < E_eg = {e_min:.9g} eV")
    if not (np.isfinite(c) and -1.0 <= c <= 1.0):
        raise InputError("kinematics", "imprinted_cos", imprinted_cos,
                         "a cosine between -1 and 1")


def pair_momentum2(
    omega_eV: ArrayLike, imprinted_momentum_eV: float = 0.0, imprinted_cos: float = 1.0
) -> NDArray[np.float64]:
    """Squared pair 3-momentum |P0 - k|^2 = P0^2 + omega^2 - 2 P0 omega c in eV^2.

    With P0 = 0 this is omega * omega, exactly.
    """
    w = np.asarray(omega_eV, dtype=float)
    if imprinted_momentum_eV == 0.0:
        return w * w
    p0 = float(imprinted_momentum_eV)
    return p0 * p0 + w * w - 2.0 * p0 * float(imprinted_cos) * w


def photon_endpoint(
    E_eg_eV: ArrayLike, imprinted_momentum_eV: float = 0.0, imprinted_cos: float = 1.0
) -> NDArray[np.float64]:
    """Largest photon energy with s >= 0: E_eg/2, or (E_eg^2 - P0^2)/[2(E_eg - P0 c)]."""
    E = np.asarray(E_eg_eV, dtype=float)
    if imprinted_momentum_eV == 0.0:
        return 0.5 * E
    p0 = float(imprinted_momentum_eV)
    return (E * E - p0 * p0) / (2.0 * (E - p0 * float(imprinted_cos)))


def outside_photon_range(
    omega_eV: ArrayLike, E_eg_eV: ArrayLike, imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.bool_]:
    """Return True where omega lies outside the RENP photon range 0 < omega <= endpoint.

    The pair must be timelike, s >= 0 ([physics §1.1], [GP21] eq. 12): the endpoint is E_eg/2
    without imprinted momentum, :func:`photon_endpoint` with it; the same rule as the domain
    check of :func:`renpsim.physics.spectrum.spectral_function`. NaN counts as outside.
    """
    w = np.asarray(omega_eV, dtype=float)
    if imprinted_momentum_eV == 0.0:
        return ~((w > 0.0) & (w <= 0.5 * np.asarray(E_eg_eV, dtype=float)))
    end = photon_endpoint(E_eg_eV, imprinted_momentum_eV, imprinted_cos)
    return ~((w > 0.0) & (w <= end))


def pair_mass2(
    omega_eV: ArrayLike, E_eg_eV: ArrayLike, imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.float64]:
    """Invariant mass squared of the neutrino pair in eV^2.

    s = E_eg (E_eg - 2 omega) for zero imprinted momentum; with P0 (cosine c to the photon)
    s = (E_eg - omega)^2 - |P0 - k|^2 = E_eg^2 - P0^2 - 2 omega (E_eg - P0 c).
    """
    E = np.asarray(E_eg_eV, dtype=float)
    if imprinted_momentum_eV == 0.0:
        return E * (E - 2.0 * np.asarray(omega_eV, dtype=float))
    p0 = float(imprinted_momentum_eV)
    w = np.asarray(omega_eV, dtype=float)
    return E * E - p0 * p0 - 2.0 * w * (E - p0 * float(imprinted_cos))


def threshold(
    E_eg_eV: ArrayLike, m_i_eV: ArrayLike, m_j_eV: ArrayLike, imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.float64]:
    """Channel threshold omega_ij^max in eV, where s(omega) = (m_i + m_j)^2.

    E_eg/2 - (m_i + m_j)^2 / (2 E_eg) (GP21 eq. 13) without imprinted momentum;
    [E_eg^2 - P0^2 - (m_i + m_j)^2] / [2 (E_eg - P0 c)] with it.
    """
    E = np.asarray(E_eg_eV, dtype=float)
    msum = np.asarray(m_i_eV, dtype=float) + np.asarray(m_j_eV, dtype=float)
    if imprinted_momentum_eV == 0.0:
        return 0.5 * E - msum * msum / (2.0 * E)
    p0 = float(imprinted_momentum_eV)
    return (E * E - p0 * p0 - msum * msum) / (2.0 * (E - p0 * float(imprinted_cos)))


def threshold_matrix(
    E_eg_eV: ArrayLike, masses_eV: ArrayLike, imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.float64]:
    """All thresholds omega_ij^max, shape ``broadcast + (n, n)`` (symmetric; n = 3 or 4)."""
    m = np.asarray(masses_eV, dtype=float)
    E = np.asarray(E_eg_eV, dtype=float)[..., None, None]
    return threshold(E, m[..., :, None], m[..., None, :], imprinted_momentum_eV, imprinted_cos)


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
