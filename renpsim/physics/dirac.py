"""Explicit Dirac algebra: gamma matrices, spinors and spin sums, for amplitude-level checks.

Dirac representation, metric (+, -, -, -). Spinors are normalised to u-bar u = 2m (and
v-bar v = -2m), so that sum_s u u-bar = pslash + m and sum_s v v-bar = pslash - m. They are valid
for massless particles too (E > 0).

These functions are deliberately explicit (4x4 complex matrices, loops over spin states): they
are the independent check of the closed-form squared amplitudes ([physics §8.5]), not a fast
path.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

I2 = np.eye(2, dtype=complex)
SIGMA = (
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
)
_Z2 = np.zeros((2, 2), dtype=complex)

#: gamma^0 .. gamma^3 (upper index), Dirac representation.
GAMMA = (
    np.block([[I2, _Z2], [_Z2, -I2]]),
    *(np.block([[_Z2, s], [-s, _Z2]]) for s in SIGMA),
)
#: gamma^5 = i gamma^0 gamma^1 gamma^2 gamma^3.
GAMMA5 = 1j * GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3]
#: Left and right chirality projectors.
P_L = 0.5 * (np.eye(4) - GAMMA5)
P_R = 0.5 * (np.eye(4) + GAMMA5)
#: Minkowski metric diag(+1, -1, -1, -1).
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])


def sigma_munu(mu: int, nu: int) -> NDArray[np.complex128]:
    """sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu]."""
    return 0.5j * (GAMMA[mu] @ GAMMA[nu] - GAMMA[nu] @ GAMMA[mu])


def minkowski_dot(p: ArrayLike, q: ArrayLike) -> float:
    """p.q = p^0 q^0 - p_vec . q_vec."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    return float(p[0] * q[0] - p[1:] @ q[1:])


def slash(p: ArrayLike) -> NDArray[np.complex128]:
    """Pslash = gamma^mu p_mu = p^0 gamma^0 - p_vec . gamma_vec."""
    p = np.asarray(p, dtype=float)
    return p[0] * GAMMA[0] - p[1] * GAMMA[1] - p[2] * GAMMA[2] - p[3] * GAMMA[3]


def _chi(spin: int) -> NDArray[np.complex128]:
    return np.array([1.0, 0.0], dtype=complex) if spin == 0 else np.array([0.0, 1.0], complex)


def u_spinor(p: ArrayLike, mass: float, spin: int) -> NDArray[np.complex128]:
    """Positive-energy spinor u(p, s), s in {0, 1} (spin up/down along z in the rest frame)."""
    p = np.asarray(p, dtype=float)
    E = p[0]
    sp = sum(p[k + 1] * SIGMA[k] for k in range(3))
    chi = _chi(spin)
    norm = math.sqrt(E + mass)
    return np.concatenate([norm * chi, (sp @ chi) / norm])


def v_spinor(p: ArrayLike, mass: float, spin: int) -> NDArray[np.complex128]:
    """Negative-energy spinor v(p, s), s in {0, 1}."""
    p = np.asarray(p, dtype=float)
    E = p[0]
    sp = sum(p[k + 1] * SIGMA[k] for k in range(3))
    eta = _chi(1 - spin)
    norm = math.sqrt(E + mass)
    return np.concatenate([(sp @ eta) / norm, norm * eta])


def bar(psi: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Dirac adjoint psi-bar = psi^dagger gamma^0 (as a row vector)."""
    return np.conj(psi) @ GAMMA[0]


def renp_momenta(
    omega: float, E_eg: float, m_i: float, m_j: float, E_i: float, phi: float = 0.0
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Four-momenta (k, p_i, p_j) for RENP kinematics with the photon along +z.

    Energy E_eg = omega + E_i + E_j and momentum p_i + p_j = -k (zero net initial phase,
    [physics §1.1]). ``E_i`` must lie inside the kinematic range; ``phi`` is the azimuth of
    the softer of the two neutrino momenta about the z axis.
    """
    E_j = E_eg - omega - E_i
    pi2 = max(E_i * E_i - m_i * m_i, 0.0)
    pj2 = max(E_j * E_j - m_j * m_j, 0.0)
    k_vec = np.array([0.0, 0.0, omega])
    # Place the softer momentum from the law of cosines (|p_soft + k| = |p_hard|) and take the
    # harder one from p_i + p_j = -k: rounding then lands on the particle whose mass shell it
    # perturbs least (relative to its energy squared).
    soft2, hard2 = (pi2, pj2) if pi2 <= pj2 else (pj2, pi2)
    p_soft = math.sqrt(soft2)
    if p_soft == 0.0:
        cos_t = 1.0
    else:
        cos_t = (hard2 - soft2 - omega * omega) / (2.0 * p_soft * omega)
        cos_t = min(1.0, max(-1.0, cos_t))
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    soft_vec = p_soft * np.array([sin_t * math.cos(phi), sin_t * math.sin(phi), cos_t])
    hard_vec = -k_vec - soft_vec
    p_i_vec, p_j_vec = (soft_vec, hard_vec) if pi2 <= pj2 else (hard_vec, soft_vec)
    return (
        np.concatenate([[omega], k_vec]),
        np.concatenate([[E_i], p_i_vec]),
        np.concatenate([[E_j], p_j_vec]),
    )


def spatial_current_sum(
    p_i: ArrayLike, m_i: float, p_j: ArrayLike, m_j: float, vertex
) -> float:
    """Sum over both spins and k = 1..3 of |u-bar(p_i) Gamma^k v(p_j)|^2.

    Parameters
    ----------
    p_i, p_j : array_like
        Four-momenta of the neutrino (u) and the antineutrino (v).
    m_i, m_j : float
        Their masses.
    vertex : callable
        ``vertex(k)`` returns the 4x4 matrix Gamma^k for spatial index k = 1, 2, 3.

    """
    total = 0.0
    for s1 in (0, 1):
        ub = bar(u_spinor(p_i, m_i, s1))
        for s2 in (0, 1):
            v = v_spinor(p_j, m_j, s2)
            for k in (1, 2, 3):
                total += abs(ub @ vertex(k) @ v) ** 2
    return float(total)


#: Charge-conjugation matrix C = i gamma^2 gamma^0 (Dirac representation).
C_MATRIX = 1j * GAMMA[2] @ GAMMA[0]


def charge_conjugate_v(p: ArrayLike, mass: float, spin: int) -> NDArray[np.complex128]:
    """v(p, s) = C u-bar(p, s)^T: the v spinor paired with u(p, s) in a Majorana field.

    With this pairing the Majorana bilinear identity u-bar(p1) Gamma v(p2) =
    -eta_Gamma u-bar(p2) Gamma v(p1) of [physics §4.2] holds spin by spin.
    """
    return C_MATRIX @ bar(u_spinor(p, mass, spin)).T
