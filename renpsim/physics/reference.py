"""Straightforward reference implementation of one RENP channel by numerical integration.

It integrates the atom-averaged, spin-summed squared matrix element over the energy of the
neutrino nu_i with :func:`scipy.integrate.quad`, using kinematic limits from an explicit boost of
the two-body decay of the pair (not the closed-form Delta_ij). It is the independent check of
:mod:`renpsim.physics.spectrum` and the baseline of the spectrum benchmark.

Origin ([physics §1.3] "Origin of I^D", 8.5): the bracket is
``|a|^2 (2 p_i.p_j [3-vectors] + 3 p_i.p_j [4-vectors]) - 3 delta_M Re(a^2) m_i m_j``; the
phase-space measure is dE_i/|k| = dE_i/omega; the channel contributes
``(1/3) int dE_i/omega bracket / (E_vg - omega)^2``.
"""

from __future__ import annotations

import math

from scipy.integrate import quad


def energy_limits(omega: float, E_eg: float, m_i: float, m_j: float) -> tuple[float, float]:
    """Range of E_i for a pair of invariant mass sqrt(s), energy E_eg - omega, momentum omega.

    Boost of the rest-frame energy E* = (s + m_i^2 - m_j^2)/(2 sqrt s) and momentum
    p* = sqrt(lambda(s, m_i^2, m_j^2))/(2 sqrt s) along the pair momentum. Returns (nan, nan) if
    the channel is closed.
    """
    s = (E_eg - omega) ** 2 - omega**2
    if s <= (m_i + m_j) ** 2:
        return math.nan, math.nan
    M = math.sqrt(s)
    lam = (s - (m_i + m_j) ** 2) * (s - (m_i - m_j) ** 2)
    e_star = (s + m_i**2 - m_j**2) / (2.0 * M)
    p_star = math.sqrt(lam) / (2.0 * M)
    e_pair = E_eg - omega
    return (e_pair * e_star - omega * p_star) / M, (e_pair * e_star + omega * p_star) / M


def bracket(
    E_i: float, omega: float, E_eg: float, m_i: float, m_j: float,
    abs_a2: float, re_a2: float, majorana: bool,
) -> float:
    """Spin-summed bracket at one value of E_i (momenta fixed by energy-momentum conservation)."""
    E_j = E_eg - omega - E_i
    p_i2 = E_i * E_i - m_i * m_i
    p_j2 = E_j * E_j - m_j * m_j
    p3 = 0.5 * (omega * omega - p_i2 - p_j2)  # p_i . p_j (3-vectors), from p_i + p_j = -k
    p4 = E_i * E_j - p3  # 4-vector product
    value = abs_a2 * (2.0 * p3 + 3.0 * p4)
    if majorana:
        value -= 3.0 * re_a2 * m_i * m_j
    return value


def channel_by_quad(
    omega: float, E_eg: float, E_vg: float, m_i: float, m_j: float,
    a_ij: complex, majorana: bool,
) -> float:
    """One ordered channel I_ij(omega) by numerical integration (zero if closed)."""
    lo, hi = energy_limits(omega, E_eg, m_i, m_j)
    if math.isnan(lo):
        return 0.0
    abs_a2 = abs(a_ij) ** 2
    re_a2 = (a_ij * a_ij).real
    integral, _ = quad(
        bracket, lo, hi, args=(omega, E_eg, m_i, m_j, abs_a2, re_a2, majorana),
        epsabs=0.0, epsrel=1e-13, limit=200,
    )
    return integral / (3.0 * omega) / (E_vg - omega) ** 2


def spectral_function_by_quad(
    omega: float, E_eg: float, E_vg: float, masses, coupling, majorana: bool
) -> float:
    """I(omega) as the sum of the nine ordered channels, each by :func:`channel_by_quad`."""
    return sum(
        channel_by_quad(omega, E_eg, E_vg, masses[i], masses[j], complex(coupling[i][j]), majorana)
        for i in range(3)
        for j in range(3)
    )


def _boost(p4, beta_vec):
    """Boost the four-vector ``p4`` by velocity ``beta_vec`` (rest frame -> moving frame)."""
    import numpy as np

    b2 = float(beta_vec @ beta_vec)
    if b2 == 0.0:
        return np.array(p4, dtype=float)
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = float(beta_vec @ p4[1:])
    e = gamma * (p4[0] + bp)
    vec = p4[1:] + ((gamma - 1.0) * bp / b2 + gamma * p4[0]) * beta_vec
    return np.concatenate([[e], vec])


def channel_by_phase_space(
    omega: float, E_eg: float, E_vg: float, m_i: float, m_j: float, a_ij: complex,
    majorana: bool, P0: float = 0.0, cos_P0: float = 1.0, n_phi: int = 16,
) -> float:
    """One ordered channel I_ij(omega) with an imprinted pair momentum, by explicit phase space.

    Independent of the closed form (docs/sterile-and-momentum.md section 2): the photon is along
    +z, the imprinted momentum P0 in the x-z plane at cosine ``cos_P0`` to it, so the pair has
    energy E_eg - omega and 3-momentum Q = P0 - k. The two-body decay is isotropic in the pair
    rest frame; each direction (theta*, phi*) about the z axis (not about the boost axis, so no
    symmetry is assumed) is boosted to the atom frame as explicit four-vectors, where the
    spin-summed bracket
    |a|^2 (2 p_i.p_j [3-vectors] + 3 p_i.p_j [4-vectors]) - 3 delta_M Re(a^2) m_i m_j is
    evaluated. The Lorentz-invariant phase space sum_spins int dPhi_2 = pi p*/sqrt(s) equals
    (pi/2) int dE_i/|Q|, so the channel is (1/3) (2 p*/sqrt(s)) <bracket> / (E_vg - omega)^2
    with <.> the average over the rest-frame solid angle: quad over cos(theta*) of the
    trapezoid average over ``n_phi`` azimuths (exact for the bracket, a quadratic in the
    direction, and spectrally accurate for any smooth periodic integrand).
    """
    import numpy as np

    k = np.array([0.0, 0.0, omega])
    sin_p = math.sqrt(max(0.0, 1.0 - cos_P0 * cos_P0))
    q_vec = np.array([P0 * sin_p, 0.0, P0 * cos_P0]) - k
    e_pair = E_eg - omega
    s = e_pair * e_pair - float(q_vec @ q_vec)
    if s <= (m_i + m_j) ** 2:
        return 0.0
    M = math.sqrt(s)
    lam = (s - (m_i + m_j) ** 2) * (s - (m_i - m_j) ** 2)
    p_star = math.sqrt(lam) / (2.0 * M)
    e_i = (s + m_i * m_i - m_j * m_j) / (2.0 * M)
    e_j = (s - m_i * m_i + m_j * m_j) / (2.0 * M)
    beta = q_vec / e_pair
    abs_a2 = abs(a_ij) ** 2
    re_a2 = (a_ij * a_ij).real

    phis = 2.0 * math.pi * (np.arange(n_phi) + 0.5) / n_phi

    def point(cos_t: float, phi: float) -> float:
        sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
        n = np.array([sin_t * math.cos(phi), sin_t * math.sin(phi), cos_t])
        p_i = _boost(np.concatenate([[e_i], p_star * n]), beta)
        p_j = _boost(np.concatenate([[e_j], -p_star * n]), beta)
        p3 = float(p_i[1:] @ p_j[1:])
        p4 = float(p_i[0] * p_j[0]) - p3
        value = abs_a2 * (2.0 * p3 + 3.0 * p4)
        if majorana:
            value -= 3.0 * re_a2 * m_i * m_j
        return value

    def integrand(cos_t: float) -> float:
        return sum(point(cos_t, phi) for phi in phis) / n_phi

    integral, _ = quad(integrand, -1.0, 1.0, epsabs=0.0, epsrel=1e-13, limit=200)
    average = 0.5 * integral
    return (2.0 * p_star / M) * average / 3.0 / (E_vg - omega) ** 2


def spectral_function_by_phase_space(
    omega: float, E_eg: float, E_vg: float, masses, coupling, majorana: bool,
    P0: float = 0.0, cos_P0: float = 1.0,
) -> float:
    """I(omega): all n x n ordered channels (n = 3 or 4) by :func:`channel_by_phase_space`."""
    n = len(masses)
    return sum(
        channel_by_phase_space(omega, E_eg, E_vg, masses[i], masses[j], complex(coupling[i][j]),
                               majorana, P0, cos_P0)
        for i in range(n)
        for j in range(n)
    )
