"""The Standard-Model RENP photon spectral function I(omega), Dirac and Majorana.

Formula ([physics §1.3] = GP21 eqs. 16-17 with the corrections of [physics §0]
items 1-3: theta direction, momentum term, placement of |a_ij|^2)::

    I(omega) = sum_{i,j=1..3} Theta(omega_ij^max - omega) Delta_ij(omega) / (E_vg - omega)^2
               * [ |a_ij|^2 I^D_ij(omega) - delta_M Re(a_ij^2) m_i m_j ]

    I^D_ij = (1/3) { s - (m_i^2 + m_j^2)/2 + (omega^2/2)(1 - Delta_ij^2/3)
                     - (E_eg - omega)^2 (m_i^2 - m_j^2)^2 / (2 s^2) }

with s = E_eg (E_eg - 2 omega), delta_M = 1 for Majorana and 0 for Dirac. The sum runs over all
nine ordered channels; for Majorana neutrinos the identical-particle factor 1/2 is already inside
(GP21 text after eq. 7). I is dimensionless (I^D and (E_vg - omega)^2 are both in eV^2).

Everything broadcasts: ``omega`` against the batch shape of the :class:`NeutrinoState` (arrays of
lightest mass or phases) and an optional array of ``E_eg``; there is no Python loop over points
or channels: the six distinct mass pairs are stacked on one axis (:func:`pair_terms`).
:func:`spectral_function_arrays` is the same computation from plain arrays (masses, a_ij), the
fast path of the fitter and the sensitivity scans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import PhysicsDomainError
from renpsim.physics.kinematics import (
    UNORDERED_PAIRS,
    pair_mass2,
    phase_space_delta,
    threshold_matrix,
)
from renpsim.physics.neutrino import NeutrinoArrays, NeutrinoState
from renpsim.physics.targets import AtomicTarget


def dirac_kernel(
    omega_eV: ArrayLike, s_eV2: ArrayLike, delta: ArrayLike, E_eg_eV: ArrayLike,
    m_i_eV: ArrayLike, m_j_eV: ArrayLike,
) -> NDArray[np.float64]:
    """I^D_ij(omega) in eV^2 (GP21 eq. 17a as corrected in [physics §1.3]).

    The last term (E_eg - omega)^2 (m_i^2 - m_j^2)^2 / (2 s^2) is set to zero where s <= 0; the
    channel is closed there (or, for a massless pair, the term vanishes identically).
    """
    w = np.asarray(omega_eV, dtype=float)
    s = np.asarray(s_eV2, dtype=float)
    mi = np.asarray(m_i_eV, dtype=float)
    mj = np.asarray(m_j_eV, dtype=float)
    dm2 = mi * mi - mj * mj
    if s.size and s.min() > 0.0:
        ratio = dm2 / s
    else:
        ratio = np.zeros(np.broadcast_shapes(s.shape, dm2.shape))
        np.divide(dm2, s, out=ratio, where=s > 0.0)
    e_pair = np.asarray(E_eg_eV, dtype=float) - w
    d = np.asarray(delta, dtype=float)
    return (
        s - 0.5 * (mi * mi + mj * mj) + 0.5 * w * w * (1.0 - d * d / 3.0)
        - 0.5 * e_pair * e_pair * ratio * ratio
    ) / 3.0


def _validate_omega(omega: NDArray[np.float64], E_eg: NDArray[np.float64]) -> None:
    if not np.all(np.isfinite(omega)):
        raise PhysicsDomainError("spectrum", "omega_eV", omega, "finite photon energies")
    bad_low = omega <= 0.0
    if np.any(bad_low):
        raise PhysicsDomainError(
            "spectrum", "omega_eV", float(omega[bad_low].flat[0]), "omega > 0"
        )
    half = 0.5 * np.broadcast_to(E_eg, np.broadcast_shapes(omega.shape, E_eg.shape))
    bad_high = np.broadcast_to(omega, half.shape) > half
    if np.any(bad_high):
        raise PhysicsDomainError(
            "spectrum", "omega_eV", float(np.broadcast_to(omega, half.shape)[bad_high][0]),
            f"omega <= E_eg/2 = {float(half.flat[0]):.9g} eV",
        )


#: The six unordered mass pairs as index arrays (stacked evaluation) and their multiplicities.
_PAIR_I = np.array([p[0] for p in UNORDERED_PAIRS])
_PAIR_J = np.array([p[1] for p in UNORDERED_PAIRS])
_PAIR_MULT = np.array([float(p[2]) for p in UNORDERED_PAIRS])


def _stack_pairs(values: NDArray, ndim: int) -> NDArray:
    """Move a trailing pair axis (length 6) to the front, padded to ``ndim`` broadcast axes."""
    batch = values.shape[:-1]
    lead = (1,) * (ndim - len(batch))
    if not batch:  # the common unbatched case, without the cost of moveaxis
        return values.reshape((len(UNORDERED_PAIRS), *lead))
    return np.moveaxis(values, -1, 0).reshape((len(UNORDERED_PAIRS), *lead, *batch))


def pair_terms(
    omega_eV: ArrayLike,
    masses_eV: ArrayLike,
    coupling: ArrayLike,
    *,
    E_eg_eV: ArrayLike,
    E_vg_eV: ArrayLike,
    majorana: bool,
) -> NDArray[np.float64]:
    """Return the six unordered-pair terms I_ij(omega) of the SM spectrum, stacked on axis 0.

    I_ij = Delta_ij [|a_ij|^2 I^D_ij - delta_M Re(a_ij^2) m_i m_j] / (E_vg - omega)^2
    ([physics §1.3], GP21 eqs. 16-17 corrected) for the pairs of
    :data:`~renpsim.physics.kinematics.UNORDERED_PAIRS`; the ordered channel (ji) equals (ij),
    so I = sum_pairs multiplicity x I_ij. All six pairs are evaluated in one set of array
    operations (no Python loop over channels): this is the single implementation behind
    :func:`spectral_function`, :func:`channel_matrix` and :func:`spectral_function_arrays`.

    Parameters
    ----------
    omega_eV : array_like
        Photon energies (no domain check: closed channels give 0).
    masses_eV : array_like
        (m1, m2, m3), shape ``batch_m + (3,)``.
    coupling : array_like
        a_ij, complex, shape ``batch_a + (3, 3)`` ([physics §1.2]).
    E_eg_eV, E_vg_eV : array_like
        Level energies; E_eg broadcasts like omega.
    majorana : bool
        Neutrino nature (delta_M).

    Returns
    -------
    numpy.ndarray
        Shape ``(6,) + broadcast(omega, batch_m, batch_a, E_eg)``.

    """
    omega = np.asarray(omega_eV, dtype=float)
    E_eg = np.asarray(E_eg_eV, dtype=float)
    m = np.asarray(masses_eV, dtype=float)
    a = np.asarray(coupling, dtype=complex)
    nd = max(omega.ndim, E_eg.ndim, m.ndim - 1, a.ndim - 2)
    mi = _stack_pairs(m[..., _PAIR_I], nd)
    mj = _stack_pairs(m[..., _PAIR_J], nd)
    aij = _stack_pairs(a[..., _PAIR_I, _PAIR_J], nd)
    s = pair_mass2(omega, E_eg)
    d = phase_space_delta(s, mi, mj)
    bracket = np.abs(aij) ** 2 * dirac_kernel(omega, s, d, E_eg, mi, mj)
    if majorana:
        bracket = bracket - np.real(aij * aij) * mi * mj
    return d * bracket / (np.asarray(E_vg_eV, dtype=float) - omega) ** 2


def _pair_multiplicity(ndim: int) -> NDArray[np.float64]:
    return _PAIR_MULT.reshape((len(UNORDERED_PAIRS),) + (1,) * (ndim - 1))


def spectral_function_arrays(
    omega_eV: ArrayLike,
    masses_eV: ArrayLike,
    coupling: ArrayLike,
    *,
    E_eg_eV: ArrayLike,
    E_vg_eV: ArrayLike,
    majorana: bool,
) -> NDArray[np.float64]:
    """I(omega) from plain arrays ([physics §1.3]): the fast path for fitters and scans.

    Same formula and implementation as :func:`spectral_function` (both sum
    :func:`pair_terms`), without building a :class:`NeutrinoState` and without the domain
    check (points beyond a threshold give 0 for that channel). Batch axes of ``masses_eV``
    (``batch + (3,)``) and ``coupling`` (``batch + (3, 3)``) broadcast against ``omega_eV`` and
    ``E_eg_eV`` as in :func:`spectral_function`; e.g. masses (B, 1, 3) against omega (B, N)
    evaluates B parameter sets at once.
    """
    terms = pair_terms(omega_eV, masses_eV, coupling, E_eg_eV=E_eg_eV, E_vg_eV=E_vg_eV,
                       majorana=majorana)
    return np.sum(_pair_multiplicity(terms.ndim) * terms, axis=0)


def _channel_terms(omega_eV, state, target, E_eg_eV, validate):
    """Stacked pair terms (:func:`pair_terms`) of a state and target, optionally validated."""
    omega = np.asarray(omega_eV, dtype=float)
    E_eg = np.asarray(target.E_eg_eV if E_eg_eV is None else E_eg_eV, dtype=float)
    if validate:
        _validate_omega(omega, E_eg)
    return pair_terms(omega, state.masses_eV, state.coupling, E_eg_eV=E_eg,
                      E_vg_eV=target.E_vg_eV, majorana=state.majorana)


def spectral_function(
    omega_eV: ArrayLike,
    state: NeutrinoState | NeutrinoArrays,
    target: AtomicTarget,
    *,
    E_eg_eV: ArrayLike | None = None,
    validate: bool = True,
) -> NDArray[np.float64]:
    """Return I(omega), the dimensionless SM RENP spectral function ([physics §1.3]).

    Parameters
    ----------
    omega_eV : array_like
        Photon (trigger) energies in eV, 0 < omega <= E_eg/2.
    state : NeutrinoState or NeutrinoArrays
        Masses, mixing and nature; its batch shape broadcasts against ``omega_eV``.
    target : AtomicTarget
        Supplies E_eg and E_vg.
    E_eg_eV : array_like, optional
        Override of the target's E_eg (e.g. an isotope-shift nuisance); broadcasts too.
    validate : bool
        Check the domain 0 < omega <= E_eg/2 and raise :class:`PhysicsDomainError` outside it.
        With ``False`` points beyond the endpoint give 0 (every channel is closed there).

    Returns
    -------
    numpy.ndarray
        I(omega), shape ``broadcast(omega, state.batch_shape, E_eg)``. Finite everywhere.

    """
    terms = _channel_terms(omega_eV, state, target, E_eg_eV, validate)
    return np.sum(_pair_multiplicity(terms.ndim) * terms, axis=0)


def channel_matrix(
    omega_eV: ArrayLike,
    state: NeutrinoState | NeutrinoArrays,
    target: AtomicTarget,
    *,
    E_eg_eV: ArrayLike | None = None,
    validate: bool = True,
) -> NDArray[np.float64]:
    """Per-channel contributions I_ij(omega), shape ``broadcast + (3, 3)``; they sum to I.

    Entry ``[..., i, j]`` is the ordered channel nu_i nubar_j (Dirac) or the (ij) term of the
    nine-term Majorana sum. I_ij = I_ji for the SM.
    """
    terms = _channel_terms(omega_eV, state, target, E_eg_eV, validate)
    out = np.empty((*terms.shape[1:], 3, 3))
    for k, (i, j, _) in enumerate(UNORDERED_PAIRS):
        out[..., i, j] = terms[k]
        out[..., j, i] = terms[k]
    return out


@dataclass(frozen=True)
class SpectrumResult:
    """I(omega) with its decomposition and thresholds.

    Attributes
    ----------
    omega_eV : numpy.ndarray
        Photon energies.
    total : numpy.ndarray
        I(omega) (dimensionless).
    channels : numpy.ndarray
        Per ordered channel, shape ``total.shape + (3, 3)``.
    thresholds_eV : numpy.ndarray
        omega_ij^max, shape ``batch + (3, 3)``.
    state : NeutrinoState
        The neutrino inputs used.
    target : AtomicTarget
        The target used.

    """

    omega_eV: NDArray[np.float64]
    total: NDArray[np.float64]
    channels: NDArray[np.float64]
    thresholds_eV: NDArray[np.float64]
    state: NeutrinoState
    target: AtomicTarget


def spectrum(
    omega_eV: ArrayLike, state: NeutrinoState, target: AtomicTarget, *, validate: bool = True
) -> SpectrumResult:
    """Compute I(omega), its nine channels and the thresholds in one call."""
    omega = np.asarray(omega_eV, dtype=float)
    channels = channel_matrix(omega, state, target, validate=validate)
    return SpectrumResult(
        omega_eV=omega,
        total=channels.sum(axis=(-2, -1)),
        channels=channels,
        thresholds_eV=threshold_matrix(target.E_eg_eV, state.masses_eV),
        state=state,
        target=target,
    )
