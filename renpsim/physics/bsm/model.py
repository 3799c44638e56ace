"""RENP spectrum = SM + any set of BSM terms ([physics §4.1] to [physics §4.3]), vectorised.

All terms act on one amplitude per ordered channel nu_i nubar_j. Written as <S> . Z with the
atom-averaged rate proportional to sum_k |Z^k|^2 (GP21 eq. 9), and normalised to the SM vertex
([physics §1.3], [physics §8.5]), the Dirac vertex is::

    Gamma^k = gamma^k (L P_L + R P_R) + i q^k (sigma + i gamma5 pi) + [dipole part]

    L = a_ij + sum_Z' g^e g_L,ij / [sqrt2 G_F D],   R = sum_Z' g^e g_R,ij / [sqrt2 G_F D]
    sigma = sum_phi y^e y_S,ij / [2 sqrt2 G_F m_e D],   pi = same with y_P,ij
    D = s - m^2 + i m Gamma,   q = p_i + p_j (|q| = omega)

(the scalar part comes from J_P = i q.J_A/(2 m_e), [physics §0] item 7). Squaring, summing spins
and averaging over the neutrino energy E_i (uniform, [physics §1.3]) gives, per ordered channel
and before the common factor Delta_ij/(E_vg - omega)^2 [D, derived for renpsim and checked
against explicit spinors in tests/test_bsm_amplitudes.py]::

    B_ij = (|L|^2 + |R|^2) I^D_ij + 2 m_i m_j Re(L* R)                             (GP21 eq. 22)
         + (omega^2/3) [|sigma|^2 (s - (m_i+m_j)^2) + |pi|^2 (s - (m_i-m_j)^2)]       (GP21 eq. 29)
         + (omega^2/3) Re{-i [ L (m_i (sigma* + i pi*)(1-d) - m_j (sigma* - i pi*)(1+d))
                             + R (m_i (sigma* - i pi*)(1-d) - m_j (sigma* + i pi*)(1+d)) ]}
         + K omega^2 { |mu|^2 [Delta^2/3 + (m_i+m_j)^2 (s-(m_i-m_j)^2)/s^2]
                     + |eps|^2 [Delta^2/3 + (m_i-m_j)^2 (s-(m_i+m_j)^2)/s^2] }     ([physics §4.3])

with d = (m_i^2 - m_j^2)/s and K = e^4/(192 G_F^2 m_e^4). For L = a, R = 0 and real
propagators the third line is [physics §4.2]'s "physical phase" interference. The dipole
amplitude does not interfere with the weak or scalar ones after the E_i average (checked
numerically), and mu-eps cross terms vanish.

Majorana ([physics §4.1] note, 4.2, 4.3) [D]: the exchange amplitude turns the vertex into
Gamma_ij + C Gamma_ji^T C^-1, i.e. effective couplings::

    L_eff = L_ij - R_ji,  R_eff = R_ij - L_ji,  sigma_eff = sigma_ij + sigma_ji,
    pi_eff = pi_ij + pi_ji,  mu_eff = mu_ij, eps_eff = eps_ij (antisymmetric, G-S normalisation)

and B^M_ij = (1/2) B_ij(effective couplings) (identical particles). For the SM this is
|a|^2 I^D - Re(a^2) m_i m_j ([physics §1.3]); for a Z' only g_L - g_R^T enters.

The Theta(omega_ij^max - omega) of every channel is in Delta_ij (zero when closed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.constants import E_HL, G_F_EV2, M_E_EV
from renpsim.errors import InputError
from renpsim.physics.bsm.dipole import ChargeRadiusAnapole, DipoleMoments
from renpsim.physics.bsm.scalar import ScalarMediator
from renpsim.physics.bsm.vector import VectorMediator
from renpsim.physics.kinematics import pair_mass2, phase_space_delta, threshold_matrix
from renpsim.physics.neutrino import NeutrinoArrays, NeutrinoState
from renpsim.physics.spectrum import _validate_omega, dirac_kernel, spectral_function, spectrum
from renpsim.physics.targets import AtomicTarget

#: sqrt(2) G_F in eV^-2.
SQRT2_GF = math.sqrt(2.0) * G_F_EV2
#: EM dipole constant K = e^4/(192 G_F^2 m_e^4) in eV^-2 ([physics §4.3], [physics §8.4] B5).
K_EM_INV_EV2 = E_HL**4 / (192.0 * G_F_EV2**2 * M_E_EV**4)

BSMTerm = VectorMediator | ScalarMediator | DipoleMoments | ChargeRadiusAnapole


def _propagator(term, s, norm):
    """1 / [norm (s - m^2 + i m Gamma)]; real if the width is zero."""
    m2 = term.mass_eV * term.mass_eV
    if term.has_width:
        den = norm * ((s - m2) + 1j * (term.mass_eV * term.width_eV))
    else:
        den = norm * (s - m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / den


def _check_terms(terms: Iterable, nature: str) -> list:
    out = []
    for k, term in enumerate(terms):
        if not isinstance(term, VectorMediator | ScalarMediator | DipoleMoments
                          | ChargeRadiusAnapole):
            raise InputError("bsm terms", f"terms[{k}]", type(term).__name__,
                             "VectorMediator, ScalarMediator, DipoleMoments or "
                             "ChargeRadiusAnapole")
        if isinstance(term, DipoleMoments | ChargeRadiusAnapole):
            term.validate_for(nature)
        out.append(term)
    return out


class _Amplitudes:
    """Per-element coupling functions of omega: L, R, sigma, pi (complex or real arrays)."""

    def __init__(self, state: NeutrinoState | NeutrinoArrays, terms: Sequence,
                 s: NDArray[np.float64]):
        self.a = state.coupling
        self.vectors = [(t, _propagator(t, s, SQRT2_GF)) for t in terms
                        if isinstance(t, VectorMediator)]
        self.scalars = [(t, _propagator(t, s, 2.0 * SQRT2_GF * M_E_EV)) for t in terms
                        if isinstance(t, ScalarMediator) and t.convention == "physical"]
        self.paper = [(t, _propagator(t, s, 1.0)) for t in terms
                      if isinstance(t, ScalarMediator) and t.convention == "paper"]
        self.dipoles = [t for t in terms if isinstance(t, DipoleMoments)]
        self.contacts = [t for t in terms if isinstance(t, ChargeRadiusAnapole)]
        self.finite = all(np.all(np.isfinite(p)) for _, p in
                          self.vectors + self.scalars + self.paper)

    def _times(self, g, p):
        # coupling x propagator; at an exact pole (p = inf) a zero coupling contributes 0
        if self.finite:
            return g * p
        return np.where(g != 0, g * p, 0.0)

    def L(self, i, j):
        out = self.a[..., i, j]
        for t, p in self.vectors:
            g = t.gL[..., i, j]
            if np.any(g != 0):
                out = out + self._times(g, p)
        return out

    def R(self, i, j):
        out = 0.0
        for t, p in self.vectors:
            g = t.gR[..., i, j]
            if np.any(g != 0):
                out = out + self._times(g, p)
        return out

    def sigma(self, i, j):
        return self._scalar_sum("yS", i, j)

    def pi(self, i, j):
        return self._scalar_sum("yP", i, j)

    def _scalar_sum(self, name, i, j):
        out = None
        for t, p in self.scalars:
            y = getattr(t, name)[..., i, j]
            if np.any(y != 0):
                yp = self._times(y, p)
                out = yp if out is None else out + yp
        return out

    def mu2_eps2(self, i, j):
        mu2 = 0.0
        eps2 = 0.0
        for t in self.dipoles:
            mu2 = mu2 + np.abs(t.mu[..., i, j]) ** 2
            eps2 = eps2 + np.abs(t.eps[..., i, j]) ** 2
        return mu2, eps2


def _abs2(z):
    if np.iscomplexobj(z):
        return z.real * z.real + z.imag * z.imag
    return z * z


def _dirac_bracket(omega, s, delta, ID, mp, mq, L, R, sig, pi, mu2, eps2):
    """Integrated Dirac bracket B_pq (module docstring) for one ordered channel."""
    no_r = np.isscalar(R) and R == 0
    if no_r:
        out = _abs2(L) * ID
    else:
        out = (_abs2(L) + _abs2(R)) * ID + 2.0 * mp * mq * np.real(np.conj(L) * R)
    w2_3 = omega * omega / 3.0
    if sig is not None or pi is not None:
        sig = 0.0 if sig is None else sig
        pi = 0.0 if pi is None else pi
        msum2 = (mp + mq) ** 2
        mdif2 = (mp - mq) ** 2
        out = out + w2_3 * (_abs2(sig) * (s - msum2) + _abs2(pi) * (s - mdif2))
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s > 0, (mp * mp - mq * mq) / np.where(s > 0, s, 1.0), 0.0)
        u = mp * (1.0 - d)
        v = mq * (1.0 + d)
        a1 = np.conj(sig) + 1j * np.conj(pi)
        a2 = -(np.conj(sig) - 1j * np.conj(pi))
        x = (L * a1 - R * a2) * u + (L * a2 - R * a1) * v
        out = out + w2_3 * x.imag  # Re(-i x) = Im(x)
    if not (np.isscalar(mu2) and mu2 == 0 and np.isscalar(eps2) and eps2 == 0):
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_s2 = np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0) ** 2, 0.0)
        d2_3 = delta * delta / 3.0
        em = (mu2 * (d2_3 + (mp + mq) ** 2 * (s - (mp - mq) ** 2) * inv_s2)
              + eps2 * (d2_3 + (mp - mq) ** 2 * (s - (mp + mq) ** 2) * inv_s2))
        out = out + K_EM_INV_EV2 * omega * omega * em
    return out


def _paper_delta_I(omega, s, mp, mq, a_pq, yS, yP, prop, majorana):
    """Delta I_ij of GP21 eq. 29, printed form; prop = 1/(s - m^2) ([physics §4.2])."""
    keep_p = 0.0 if majorana else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0), 0.0)
    aS2, aP2 = np.abs(yS) ** 2, keep_p * np.abs(yP) ** 2
    quad = (omega * omega / (M_E_EV**2 * G_F_EV2**2)
            * ((aS2 + aP2) * s - aS2 * (mp + mq) ** 2 - aP2 * (mp - mq) ** 2)
            / 24.0 * prop * prop)
    lin = (omega * omega / (6.0 * math.sqrt(2.0) * G_F_EV2 * M_E_EV) * prop
           * (np.real(a_pq * yS) * (mp - mq) * (1.0 - (mp + mq) ** 2 * inv_s)
              - keep_p * np.imag(a_pq * yP) * (mp + mq) * (1.0 - (mp - mq) ** 2 * inv_s)))
    return quad + lin


def _ordered_channels(omega, E_eg, state, terms, target):
    """List of (p, q, I_pq) for the nine ordered channels."""
    s = pair_mass2(omega, E_eg)
    amp = _Amplitudes(state, terms, s)
    if amp.finite:
        return list(_channels(omega, E_eg, s, state, amp, target))
    # an exact mediator pole without width: open channels give inf, without warnings
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return list(_channels(omega, E_eg, s, state, amp, target))


def _channels(omega, E_eg, s, state, amp, target):
    inv_den = 1.0 / (target.E_vg_eV - omega) ** 2
    m = state.masses_eV
    maj = state.majorana
    contact = None
    if amp.contacts:
        from renpsim.physics.bsm.contact import contact_brackets

        contact = contact_brackets(omega, E_eg, state, amp.contacts, amp)
    for p in range(3):
        for q in range(3):
            mp, mq = m[..., p], m[..., q]
            d = phase_space_delta(s, mp, mq)
            ID = dirac_kernel(omega, s, d, E_eg, mp, mq)
            if maj:
                L = amp.L(p, q) - amp.R(q, p)
                R = amp.R(p, q) - amp.L(q, p)
                sp, sq = amp.sigma(p, q), amp.sigma(q, p)
                pp, pq = amp.pi(p, q), amp.pi(q, p)
                sig = sp if sq is None else (sq if sp is None else sp + sq)
                pi = pp if pq is None else (pq if pp is None else pp + pq)
            else:
                L, R = amp.L(p, q), amp.R(p, q)
                sig, pi = amp.sigma(p, q), amp.pi(p, q)
            mu2, eps2 = amp.mu2_eps2(p, q)
            bracket = _dirac_bracket(omega, s, d, ID, mp, mq, L, R, sig, pi, mu2, eps2)
            if maj:
                bracket = 0.5 * bracket
            for t, prop in amp.paper:
                bracket = bracket + _paper_delta_I(
                    omega, s, mp, mq, state.coupling[..., p, q], t.yS[..., p, q],
                    t.yP[..., p, q], prop, maj)
            if contact is not None:
                bracket = bracket + contact[p][q]
            term = d * bracket * inv_den
            if not amp.finite:  # exact pole: inf - inf cancellations are still a pole
                term = np.where(d > 0.0, np.where(np.isnan(term), np.inf, term), 0.0)
            yield p, q, term


def _prepare(omega_eV, target, E_eg_eV, validate):
    omega = np.asarray(omega_eV, dtype=float)
    E_eg = np.asarray(target.E_eg_eV if E_eg_eV is None else E_eg_eV, dtype=float)
    if validate:
        _validate_omega(omega, E_eg)
    return omega, E_eg


def spectral_function_bsm(
    omega_eV: ArrayLike,
    state: NeutrinoState | NeutrinoArrays,
    target: AtomicTarget,
    terms: Iterable[BSMTerm] = (),
    *,
    E_eg_eV: ArrayLike | None = None,
    validate: bool = True,
) -> NDArray[np.float64]:
    """I(omega) for the SM plus BSM terms (dimensionless; module docstring for the formulas).

    Parameters
    ----------
    omega_eV : array_like
        Photon energies in eV, 0 < omega <= E_eg/2.
    state : NeutrinoState or NeutrinoArrays
        Neutrino masses, mixing and nature (batch axes broadcast).
    target : AtomicTarget
        Supplies E_eg and E_vg.
    terms : iterable of VectorMediator, ScalarMediator, DipoleMoments, ChargeRadiusAnapole
        BSM terms; all act coherently on one amplitude. Their mass/coupling batch axes broadcast
        against ``omega_eV`` and the state (e.g. ``mass_eV[:, None]`` against a row of omegas).
        With no terms this is exactly :func:`renpsim.physics.spectrum.spectral_function`.
    E_eg_eV : array_like, optional
        Override of the target's E_eg.
    validate : bool
        Domain check of omega (raises PhysicsDomainError).

    Returns
    -------
    numpy.ndarray
        I(omega), shape ``broadcast(omega, state batch, term batches)``. At an exact mediator
        pole without width the open channels give inf.

    Raises
    ------
    InputError
        Unknown term type, dipole moments not hermitian (Dirac) / antisymmetric (Majorana).

    """
    terms = _check_terms(terms, state.nature)
    if not terms:
        return spectral_function(omega_eV, state, target, E_eg_eV=E_eg_eV, validate=validate)
    omega, E_eg = _prepare(omega_eV, target, E_eg_eV, validate)
    total = None
    for _, _, term in _ordered_channels(omega, E_eg, state, terms, target):
        total = term if total is None else total + term
    return total


def channel_matrix_bsm(
    omega_eV: ArrayLike,
    state: NeutrinoState | NeutrinoArrays,
    target: AtomicTarget,
    terms: Iterable[BSMTerm] = (),
    *,
    E_eg_eV: ArrayLike | None = None,
    validate: bool = True,
) -> NDArray[np.float64]:
    """Per ordered channel I_ij(omega), shape ``broadcast + (3, 3)``; sums to the total.

    For Majorana neutrinos entry (ij) is the (ij) term of the nine-term sum (each unordered
    final state appears as (ij) and (ji), each with the factor 1/2).
    """
    terms = _check_terms(terms, state.nature)
    omega, E_eg = _prepare(omega_eV, target, E_eg_eV, validate)
    parts = {(p, q): t for p, q, t in _ordered_channels(omega, E_eg, state, terms, target)}
    shape = np.broadcast_shapes(*(np.shape(t) for t in parts.values()))
    out = np.empty((*shape, 3, 3))
    for (p, q), t in parts.items():
        out[..., p, q] = t
    return out


@dataclass(frozen=True)
class BSMSpectrumResult:
    """I(omega) with BSM terms, the SM reference and the ratio.

    Attributes
    ----------
    omega_eV, total, I_sm, ratio : numpy.ndarray
        Photon energies, I (SM + BSM), I_SM and I/I_SM (nan where I_SM = 0).
    channels : numpy.ndarray
        Ordered channels, shape ``total.shape + (3, 3)``.
    thresholds_eV : numpy.ndarray
        omega_ij^max.
    terms : tuple
        The BSM terms used.
    state, target
        Inputs.

    """

    omega_eV: NDArray[np.float64]
    total: NDArray[np.float64]
    I_sm: NDArray[np.float64]
    ratio: NDArray[np.float64]
    channels: NDArray[np.float64]
    thresholds_eV: NDArray[np.float64]
    terms: tuple
    state: NeutrinoState
    target: AtomicTarget


def bsm_spectrum(
    omega_eV: ArrayLike, state: NeutrinoState, target: AtomicTarget,
    terms: Iterable[BSMTerm] = (), *, validate: bool = True,
) -> BSMSpectrumResult:
    """Compute I (SM + BSM), its channels, I_SM and the ratio in one call."""
    terms = tuple(terms)
    omega = np.asarray(omega_eV, dtype=float)
    channels = channel_matrix_bsm(omega, state, target, terms, validate=validate)
    total = channels.sum(axis=(-2, -1))
    i_sm = spectrum(omega, state, target, validate=validate).total
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(i_sm > 0, total / np.where(i_sm > 0, i_sm, 1.0), np.nan)
    return BSMSpectrumResult(
        omega_eV=omega, total=total, I_sm=i_sm, ratio=ratio, channels=channels,
        thresholds_eV=threshold_matrix(target.E_eg_eV, state.masses_eV), terms=terms,
        state=state, target=target,
    )
