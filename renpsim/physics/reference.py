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
