"""Charge-radius and anapole contact terms, evaluated with vectorised explicit spinors.

[physics §4.3]: with f_Q = q^2 <r^2>/6 and f_A q^2 the photon propagator cancels and, on the M1
magnetisation current <v|J_em|e> = -(i e/2 m_e) q x <S>, the normalised amplitude (SM vertex
u-bar gamma^k a P_L v) gains [D]::

    Z_c^k = -i e^2/(24 sqrt2 G_F m_e) (W x q)^k,   W^l = u-bar gamma^l (<r^2> + 6 a_A gamma5) v

(the q^mu qslash/q^2 part drops: J_em.q = 0). The spin-summed bracket is a quadratic polynomial
in the neutrino energy E_i, so a 2-node Gauss-Legendre rule over the E_i range is exact; the
spinors are built as arrays (no Python loop over points). Returned is the contact contribution
(1/3)<|Z_c|^2 + 2 Re(Z_w* Z_c)>/2-spin-summed, to be added to the channel bracket B_ij of
:mod:`renpsim.physics.bsm.model`; Z_w is the weak + Z' amplitude. Interference with the scalar
term vanishes (q.(W x q) = 0); contact x dipole cross terms are neglected (product of two
negligible amplitudes). Dirac neutrinos only. The overall phase of Z_c relative to the weak
amplitude is derived but not cross-checked with a source; it only affects the interference,
which is ~1e-22 of the SM.
"""

from __future__ import annotations

import math

import numpy as np

from renpsim.constants import E_HL, G_F_EV2, M_E_EV
from renpsim.physics.dirac import GAMMA, GAMMA5, P_L, P_R, SIGMA
from renpsim.physics.kinematics import pair_mass2

_COEF = -1j * E_HL**2 / (24.0 * math.sqrt(2.0) * G_F_EV2 * M_E_EV)
_G0 = GAMMA[0]
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(2)


def _sigma_dot(px, pz):
    # sigma . p for p = (px, 0, pz): returns (..., 2, 2)
    return px[..., None, None] * SIGMA[0] + pz[..., None, None] * SIGMA[2]


def _spinors(E, m, px, pz, kind):
    """Spinors u or v for both spins, shape (..., 2 spins, 4)."""
    norm = np.sqrt(E + m)
    sp = _sigma_dot(px, pz)
    out = np.zeros((*np.shape(E), 2, 4), dtype=complex)
    for s in (0, 1):
        chi = np.zeros(2, dtype=complex)
        chi[s if kind == "u" else 1 - s] = 1.0
        lower = sp @ chi
        if kind == "u":
            out[..., s, :2] = norm[..., None] * chi
            out[..., s, 2:] = lower / norm[..., None]
        else:
            out[..., s, :2] = lower / norm[..., None]
            out[..., s, 2:] = norm[..., None] * chi
    return out


def _bilinear(ubar, G, v):
    """u-bar G v for all spin pairs: shape (..., 2, 2)."""
    return np.einsum("...ia,ab,...jb->...ij", ubar, G, v)


def contact_brackets(omega, E_eg, state, contacts, amp):
    """Contact contribution to B_ij for the nine ordered channels, as nested lists [p][q]."""
    s = pair_mass2(omega, E_eg)
    e_pair = E_eg - omega
    m = state.masses_eV
    r2 = sum(t.r2_inv_eV2 for t in contacts)
    ana = sum(t.anapole_inv_eV2 for t in contacts)
    out = [[0.0] * 3 for _ in range(3)]
    for p in range(3):
        for q in range(3):
            if r2[p, q] == 0 and ana[p, q] == 0:
                continue
            mp, mq = m[..., p], m[..., q]
            open_ = s > (mp + mq) ** 2
            ss = np.where(open_, s, (mp + mq) ** 2 + 1.0)
            M = np.sqrt(ss)
            lam = np.maximum((ss - (mp + mq) ** 2) * (ss - (mp - mq) ** 2), 0.0)
            e_star = (ss + mp * mp - mq * mq) / (2.0 * M)
            p_star = np.sqrt(lam) / (2.0 * M)
            lo = (e_pair * e_star - omega * p_star) / M
            hi = (e_pair * e_star + omega * p_star) / M
            L, R = amp.L(p, q), amp.R(p, q)
            Gc = r2[p, q] * np.eye(4) + 6.0 * ana[p, q] * GAMMA5
            acc = 0.0
            for x, w in zip(_NODES, _WEIGHTS, strict=True):
                Ei = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
                Ej = e_pair - Ei
                pi2 = np.maximum(Ei * Ei - mp * mp, 0.0)
                pj2 = np.maximum(Ej * Ej - mq * mq, 0.0)
                pz = (pj2 - pi2 - omega * omega) / (2.0 * omega)
                px = np.sqrt(np.maximum(pi2 - pz * pz, 0.0))
                ub = np.conj(_spinors(Ei, mp, px, pz, "u")) @ _G0
                v = _spinors(Ej, mq, -px, -omega - pz, "v")
                # q = p_i + p_j = (0, 0, -omega): (W x q) = (-omega W_y, omega W_x, 0)
                Wx = _bilinear(ub, GAMMA[1] @ Gc, v)
                Wy = _bilinear(ub, GAMMA[2] @ Gc, v)
                wq = _COEF * np.asarray(omega)[..., None, None]
                zc = (-wq * Wy, wq * Wx)
                c2 = 0.0
                for k, z in zip((1, 2), zc, strict=True):
                    zw = (L[..., None, None] if np.ndim(L) else L) * _bilinear(
                        ub, GAMMA[k] @ P_L, v)
                    if not (np.isscalar(R) and R == 0):
                        zw = zw + (R[..., None, None] if np.ndim(R) else R) * _bilinear(
                            ub, GAMMA[k] @ P_R, v)
                    c2 = c2 + np.sum(np.abs(z) ** 2 + 2.0 * np.real(np.conj(zw) * z),
                                     axis=(-2, -1))
                acc = acc + 0.5 * w * 0.5 * c2
            out[p][q] = np.where(open_, acc / 3.0, 0.0)
    return out
