"""Independent reference for the BSM spectrum: explicit spinor amplitudes integrated over E_i.

For one ordered channel (p, q) the amplitude Z^k (k = 1, 2, 3) is built from explicit Dirac
spinors and gamma matrices (:mod:`renpsim.physics.dirac`) at the **Lagrangian** level, without
the effective-coupling algebra of :mod:`renpsim.physics.bsm.model`:

* weak + Z': u-bar_p gamma^k (L_pq P_L + R_pq P_R) v_q, L = a + g_L P_V, R = g_R P_V,
  P_V = 1/[sqrt2 G_F (s - m^2 + i m Gamma)] (GP21 eqs. 19-20);
* scalar: i q^k u-bar_p (y_S,pq + i gamma5 y_P,pq) v_q / [2 sqrt2 G_F m_e (s - m^2 + i m Gamma)]
  (J_P = i q.J_A/(2 m_e), [physics §0] item 7);
* dipole: -e^2/(8 sqrt2 G_F m_e^2 s) (V x q)^k with
  V^l = u-bar_p sigma^{l nu} q_nu (c mu_pq + i c eps_pq gamma5) v_q, c = 1 (Dirac) or 1/2
  (Majorana Lagrangian normalisation), moments in mu_B ([physics §4.3]);
* charge radius / anapole: e^2/(24 sqrt2 G_F m_e) (W x q)^k with
  W^l = u-bar_p gamma^l (r2_pq + 6 anapole_pq gamma5) v_q ([physics §4.3] contact form).

Majorana: Z = Z_direct(p, q) - Z_direct(q, p with momenta exchanged) using v = C u-bar^T
(:func:`renpsim.physics.dirac.charge_conjugate_v`), bracket (1/4) sum |Z|^2 (identical-particle
1/2 included). Dirac: bracket (1/2) sum |Z|^2. The channel is
(1/(3 omega)) int dE_i bracket / (E_vg - omega)^2 ([physics §1.3]), integrated with Gauss-Legendre
(the bracket is a quadratic polynomial in E_i: 4 nodes are exact) or scipy quad.

Slow by design (loops over spins and k); for tests and benchmarks only.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

from renpsim.constants import E_HL, G_F_EV2, M_E_EV
from renpsim.physics.dirac import (
    GAMMA,
    GAMMA5,
    P_L,
    P_R,
    bar,
    charge_conjugate_v,
    renp_momenta,
    sigma_munu,
    u_spinor,
    v_spinor,
)
from renpsim.physics.reference import energy_limits

_SQRT2_GF = math.sqrt(2.0) * G_F_EV2
_EYE = np.eye(4, dtype=complex)
_CM2 = 1.0 / (1.973269804e-5) ** 2


def _zero():
    return np.zeros((3, 3), dtype=complex)


def couplings_at(s: float, model: dict) -> dict:
    """Evaluate the Lagrangian-level couplings at s.

    ``model`` keys (all optional): ``a`` (3x3 SM), ``vectors`` [(m, gL, gR, width)], ``scalars``
    [(m, yS, yP, width)], ``mu``, ``eps`` (3x3, mu_B), ``r2_cm2``, ``anapole_cm2`` (3x3).
    Returns L, R, sig, pi (3x3 complex, already divided by the propagators) and the rest.
    """
    L = np.array(model.get("a", _zero()), dtype=complex)
    R = _zero()
    sig = _zero()
    pi = _zero()
    for m, gL, gR, width in model.get("vectors", []):
        prop = 1.0 / (_SQRT2_GF * (s - m * m + 1j * m * width))
        L = L + np.asarray(gL) * prop
        R = R + np.asarray(gR) * prop
    for m, yS, yP, width in model.get("scalars", []):
        prop = 1.0 / (2.0 * _SQRT2_GF * M_E_EV * (s - m * m + 1j * m * width))
        sig = sig + np.asarray(yS) * prop
        pi = pi + np.asarray(yP) * prop
    return {
        "L": L, "R": R, "sig": sig, "pi": pi,
        "mu": np.asarray(model.get("mu", _zero()), dtype=complex),
        "eps": np.asarray(model.get("eps", _zero()), dtype=complex),
        "r2": np.asarray(model.get("r2_cm2", _zero()), dtype=complex) * _CM2,
        "ana": np.asarray(model.get("anapole_cm2", _zero()), dtype=complex) * _CM2,
    }


def _amplitude(ub, v, p, q, qvec4, s, c, majorana):
    """Z^k, k = 1..3, for u-bar_p ... v_q with the couplings c (dict of 3x3)."""
    qlow = np.array([qvec4[0], -qvec4[1], -qvec4[2], -qvec4[3]])
    z = np.zeros(3, dtype=complex)
    L, R = c["L"][p, q], c["R"][p, q]
    sig, pi = c["sig"][p, q], c["pi"][p, q]
    scalar_v = ub @ ((sig * _EYE + 1j * pi * GAMMA5) @ v)
    for k in (1, 2, 3):
        z[k - 1] = ub @ (GAMMA[k] @ (L * P_L + R * P_R) @ v) + 1j * qvec4[k] * scalar_v
    half = 0.5 if majorana else 1.0
    mu, eps = half * c["mu"][p, q], half * c["eps"][p, q]
    if mu != 0 or eps != 0:
        V = np.zeros(3, dtype=complex)
        for ll in (1, 2, 3):
            sq = sum(sigma_munu(ll, nu) * qlow[nu] for nu in range(4))
            V[ll - 1] = ub @ (sq @ (mu * _EYE + 1j * eps * GAMMA5) @ v)
        coef = -(E_HL**2) / (8.0 * _SQRT2_GF * M_E_EV**2 * s)
        z = z + coef * np.cross(V, qvec4[1:])
    r2, ana = c["r2"][p, q], c["ana"][p, q]
    if r2 != 0 or ana != 0:
        W = np.array([ub @ (GAMMA[ll] @ (r2 * _EYE + 6.0 * ana * GAMMA5) @ v) for ll in (1, 2, 3)])
        coef = -1j * E_HL**2 / (24.0 * _SQRT2_GF * M_E_EV)
        z = z + coef * np.cross(W, qvec4[1:])
    return z


def bracket_by_spinors(omega, E_eg, m_p, m_q, E_p, p, q, c, majorana, phi=0.3):
    """Spin- and k-summed bracket at one E_p (the energy of nu_p), explicit spinors."""
    _, pp, pq = renp_momenta(omega, E_eg, m_p, m_q, E_p, phi)
    qvec4 = pp + pq
    s = qvec4[0] ** 2 - qvec4[1:] @ qvec4[1:]
    total = 0.0
    for s1 in (0, 1):
        for s2 in (0, 1):
            if majorana:
                z = (_amplitude(bar(u_spinor(pp, m_p, s1)), charge_conjugate_v(pq, m_q, s2),
                                p, q, qvec4, s, c, True)
                     - _amplitude(bar(u_spinor(pq, m_q, s2)), charge_conjugate_v(pp, m_p, s1),
                                  q, p, qvec4, s, c, True))
            else:
                z = _amplitude(bar(u_spinor(pp, m_p, s1)), v_spinor(pq, m_q, s2), p, q, qvec4, s,
                               c, False)
            total += float(np.vdot(z, z).real)
    return 0.25 * total if majorana else 0.5 * total


def channel_by_spinors(omega, E_eg, E_vg, masses, p, q, model, majorana, method="gauss"):
    """Ordered channel I_pq(omega) from explicit spinors integrated over E_p (0 if closed)."""
    m_p, m_q = masses[p], masses[q]
    lo, hi = energy_limits(omega, E_eg, m_p, m_q)
    if math.isnan(lo):
        return 0.0
    s = E_eg * (E_eg - 2.0 * omega)
    c = couplings_at(s, model)

    def f(E):
        return bracket_by_spinors(omega, E_eg, m_p, m_q, E, p, q, c, majorana)

    if method == "quad":
        integral, _ = quad(f, lo, hi, epsabs=0.0, epsrel=1e-11, limit=50)
    else:
        x, w = np.polynomial.legendre.leggauss(4)
        integral = sum(wk * f(0.5 * (hi - lo) * xk + 0.5 * (hi + lo))
                       for xk, wk in zip(x, w, strict=True)) * 0.5 * (hi - lo)
    return integral / (3.0 * omega) / (E_vg - omega) ** 2


def spectral_function_by_spinors(omega, E_eg, E_vg, masses, model, majorana, method="gauss"):
    """Sum of the nine ordered channels by :func:`channel_by_spinors`."""
    return sum(channel_by_spinors(omega, E_eg, E_vg, masses, p, q, model, majorana, method)
               for p in range(3) for q in range(3))
