"""The Standard-Model RENP photon spectral function I(omega), Dirac and Majorana.

Formula ([physics §1.3] = GP21 eqs. 16-17 with the corrections of [physics §0]
items 1-3: theta direction, momentum term, placement of |a_ij|^2)::

    I(omega) = sum_{i,j=1..3} Theta(omega_ij^max - omega) Delta_ij(omega) / (E_vg - omega)^2
               * [ |a_ij|^2 I^D_ij(omega) - delta_M Re(a_ij^2) m_i m_j ]

    I^D_ij = (1/3) { s - (m_i^2 + m_j^2)/2 + (omega^2/2)(1 - Delta_ij^2/3)
                     - (E_eg - omega)^2 (m_i^2 - m_j^2)^2 / (2 s^2) }

with s = E_eg (E_eg - 2 omega), delta_M = 1 for Majorana and 0 for Dirac. With an imprinted
pair momentum P0 (docs/sterile-and-momentum.md section 2) s = (E_eg - omega)^2 - |P0 - k|^2 and
the omega^2 of I^D becomes the squared pair momentum |P0 - k|^2; with a fourth (sterile) mass
state the sum runs over 16 ordered channels (docs/sterile-and-momentum.md section 1).
The sum runs over all nine ordered channels; for Majorana neutrinos the identical-particle
factor 1/2 is already inside (GP21 text after eq. 7). I is dimensionless (I^D and
(E_vg - omega)^2 are both in eV^2).

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
    check_imprinted_momentum,
    pair_mass2,
    pair_momentum2,
    phase_space_delta,
    photon_endpoint,
    threshold_matrix,
    unordered_pairs,
)
from renpsim.physics.neutrino import NeutrinoArrays, NeutrinoState
from renpsim.physics.targets import AtomicTarget


def dirac_kernel(
    omega_eV: ArrayLike, s_eV2: ArrayLike, delta: ArrayLike, E_eg_eV: ArrayLike,
    m_i_eV: ArrayLike, m_j_eV: ArrayLike, momentum2_eV2: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """I^D_ij(omega) in eV^2 (GP21 eq. 17a as corrected in [physics §1.3]).

    The last term (E_eg - omega)^2 (m_i^2 - m_j^2)^2 / (2 s^2) is set to zero where s <= 0; the
    channel is closed there (or, for a massless pair, the term vanishes identically).
    ``momentum2_eV2`` is the squared pair 3-momentum |P0 - k|^2 (default omega^2, no imprinted
    momentum); it replaces omega^2 in the (Q^2/2)(1 - Delta^2/3) term
    (docs/sterile-and-momentum.md section 2).
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
    q2 = w * w if momentum2_eV2 is None else np.asarray(momentum2_eV2, dtype=float)
    return (
        s - 0.5 * (mi * mi + mj * mj) + 0.5 * q2 * (1.0 - d * d / 3.0)
        - 0.5 * e_pair * e_pair * ratio * ratio
    ) / 3.0


def _validate_omega(omega: NDArray[np.float64], E_eg: NDArray[np.float64],
                    imprinted_momentum_eV: float = 0.0, imprinted_cos: float = 1.0) -> None:
    if not np.all(np.isfinite(omega)):
        raise PhysicsDomainError("spectrum", "omega_eV", omega, "finite photon energies")
    bad_low = omega <= 0.0
    if np.any(bad_low):
        raise PhysicsDomainError(
            "spectrum", "omega_eV", float(omega[bad_low].flat[0]), "omega > 0"
        )
    if imprinted_momentum_eV != 0.0:
        check_imprinted_momentum(imprinted_momentum_eV, imprinted_cos, E_eg)
        end = np.broadcast_to(photon_endpoint(E_eg, imprinted_momentum_eV, imprinted_cos),
                              np.broadcast_shapes(omega.shape, E_eg.shape))
        bad_high = np.broadcast_to(omega, end.shape) > end
        if np.any(bad_high):
            raise PhysicsDomainError(
                "spectrum", "omega_eV", float(np.broadcast_to(omega, end.shape)[bad_high][0]),
                f"omega <= the photon endpoint (s = 0) {float(end.flat[0]):.9g} eV",
            )
        return
    half = 0.5 * np.broadcast_to(E_eg, np.broadcast_shapes(omega.shape, E_eg.shape))
    bad_high = np.broadcast_to(omega, half.shape) > half
    if np.any(bad_high):
        raise PhysicsDomainError(
            "spectrum", "omega_eV", float(np.broadcast_to(omega, half.shape)[bad_high][0]),
            f"omega <= E_eg/2 = {float(half.flat[0]):.9g} eV",
        )


#: The unordered mass pairs as index arrays (stacked evaluation) and their multiplicities, for
#: three (six pairs) and four (ten pairs, a sterile state) mass states.
_PAIRS = {
    n: (np.array([p[0] for p in unordered_pairs(n)]), np.array([p[1] for p in unordered_pairs(n)]),
        np.array([float(p[2]) for p in unordered_pairs(n)]))
    for n in (3, 4)
}


def _pair_index(n_states: int) -> tuple[NDArray, NDArray, NDArray]:
    try:
        return _PAIRS[n_states]
    except KeyError:
        raise PhysicsDomainError("spectrum", "masses_eV", n_states,
                                 "3 or 4 mass states") from None


def _stack_pairs(values: NDArray, ndim: int) -> NDArray:
    """Move a trailing pair axis (length 6 or 10) to the front, padded to ``ndim`` axes."""
    batch = values.shape[:-1]
    npair = values.shape[-1]
    lead = (1,) * (ndim - len(batch))
    if not batch:  # the common unbatched case, without the cost of moveaxis
        return values.reshape((npair, *lead))
    return np.moveaxis(values, -1, 0).reshape((npair, *lead, *batch))


def pair_terms(
    omega_eV: ArrayLike,
    masses_eV: ArrayLike,
    coupling: ArrayLike,
    *,
    E_eg_eV: ArrayLike,
    E_vg_eV: ArrayLike,
    majorana: bool,
    imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.float64]:
    """Return the unordered-pair terms I_ij(omega) of the SM spectrum, stacked on axis 0.

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
    imprinted_momentum_eV, imprinted_cos : float
        Imprinted pair momentum P0 and the cosine of its angle to the photon momentum
        (docs/sterile-and-momentum.md section 2); 0 (the default) is the zero-phase kinematics.

    Returns
    -------
    numpy.ndarray
        Shape ``(npairs,) + broadcast(omega, batch_m, batch_a, E_eg)``, npairs = 6 for three
        mass states and 10 for four (a sterile state, a 4x4 coupling).

    """
    omega = np.asarray(omega_eV, dtype=float)
    E_eg = np.asarray(E_eg_eV, dtype=float)
    m = np.asarray(masses_eV, dtype=float)
    a = np.asarray(coupling, dtype=complex)
    pi, pj, _ = _pair_index(m.shape[-1])
    nd = max(omega.ndim, E_eg.ndim, m.ndim - 1, a.ndim - 2)
    mi = _stack_pairs(m[..., pi], nd)
    mj = _stack_pairs(m[..., pj], nd)
    aij = _stack_pairs(a[..., pi, pj], nd)
    s = pair_mass2(omega, E_eg, imprinted_momentum_eV, imprinted_cos)
    d = phase_space_delta(s, mi, mj)
    q2 = (None if imprinted_momentum_eV == 0.0
          else pair_momentum2(omega, imprinted_momentum_eV, imprinted_cos))
    bracket = np.abs(aij) ** 2 * dirac_kernel(omega, s, d, E_eg, mi, mj, q2)
    if majorana:
        bracket = bracket - np.real(aij * aij) * mi * mj
    return d * bracket / (np.asarray(E_vg_eV, dtype=float) - omega) ** 2


def _pair_multiplicity(ndim: int) -> NDArray[np.float64]:
    return _PAIRS[3][2].reshape((6,) + (1,) * (ndim - 1))


def _sum_pairs(terms: NDArray[np.float64]) -> NDArray[np.float64]:
    """Multiplicity-weighted sum over the pair axis.

    The six three-state pairs are summed first, exactly as without a sterile state, and the
    four sterile pairs added after: a decoupled sterile state (zero terms) changes nothing.
    """
    total = np.sum(_pair_multiplicity(terms.ndim) * terms[:6], axis=0)
    if terms.shape[0] == 6:
        return total
    mult = _PAIRS[4][2][6:].reshape((4,) + (1,) * (terms.ndim - 1))
    return total + np.sum(mult * terms[6:], axis=0)


def spectral_function_arrays(
    omega_eV: ArrayLike,
    masses_eV: ArrayLike,
    coupling: ArrayLike,
    *,
    E_eg_eV: ArrayLike,
    E_vg_eV: ArrayLike,
    majorana: bool,
    imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.float64]:
    """I(omega) from plain arrays ([physics §1.3]): the fast path for fitters and scans.

    Same formula and implementation as :func:`spectral_function` (both sum
    :func:`pair_terms`), without building a :class:`NeutrinoState` and without the domain
    check (points beyond a threshold give 0 for that channel). Batch axes of ``masses_eV``
    (``batch + (3,)``) and ``coupling`` (``batch + (3, 3)``) broadcast against ``omega_eV`` and
    ``E_eg_eV`` as in :func:`spectral_function`; e.g. masses (B, 1, 3) against omega (B, N)
    evaluates B parameter sets at once. Four masses and a 4x4 coupling (a sterile state,
    :mod:`renpsim.physics.sterile`) give the ten-pair sum.
    """
    terms = pair_terms(omega_eV, masses_eV, coupling, E_eg_eV=E_eg_eV, E_vg_eV=E_vg_eV,
                       majorana=majorana, imprinted_momentum_eV=imprinted_momentum_eV,
                       imprinted_cos=imprinted_cos)
    return _sum_pairs(terms)


def _channel_terms(omega_eV, state, target, E_eg_eV, validate, p0=0.0, cos=1.0):
    """Stacked pair terms (:func:`pair_terms`) of a state and target, optionally validated."""
    omega = np.asarray(omega_eV, dtype=float)
    E_eg = np.asarray(target.E_eg_eV if E_eg_eV is None else E_eg_eV, dtype=float)
    if validate:
        _validate_omega(omega, E_eg, p0, cos)
    return pair_terms(omega, state.masses_eV, state.coupling, E_eg_eV=E_eg,
                      E_vg_eV=target.E_vg_eV, majorana=state.majorana,
                      imprinted_momentum_eV=p0, imprinted_cos=cos)


def spectral_function(
    omega_eV: ArrayLike,
    state: NeutrinoState | NeutrinoArrays,
    target: AtomicTarget,
    *,
    E_eg_eV: ArrayLike | None = None,
    validate: bool = True,
    imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
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
    imprinted_momentum_eV, imprinted_cos : float
        Imprinted pair momentum P0 in eV and the cosine of its angle to the photon (default
        no imprinted momentum); the endpoint moves to s = 0.

    Returns
    -------
    numpy.ndarray
        I(omega), shape ``broadcast(omega, state.batch_shape, E_eg)``. Finite everywhere.

    """
    terms = _channel_terms(omega_eV, state, target, E_eg_eV, validate, imprinted_momentum_eV,
                           imprinted_cos)
    return _sum_pairs(terms)


def channel_matrix(
    omega_eV: ArrayLike,
    state: NeutrinoState | NeutrinoArrays,
    target: AtomicTarget,
    *,
    E_eg_eV: ArrayLike | None = None,
    validate: bool = True,
    imprinted_momentum_eV: float = 0.0,
    imprinted_cos: float = 1.0,
) -> NDArray[np.float64]:
    """Per-channel contributions I_ij(omega), shape ``broadcast + (n, n)``; they sum to I.

    Entry ``[..., i, j]`` is the ordered channel nu_i nubar_j (Dirac) or the (ij) term of the
    nine-term Majorana sum. I_ij = I_ji for the SM. n = 3, or 4 with a sterile state.
    """
    terms = _channel_terms(omega_eV, state, target, E_eg_eV, validate, imprinted_momentum_eV,
                           imprinted_cos)
    n = np.shape(state.masses_eV)[-1]
    out = np.empty((*terms.shape[1:], n, n))
    for k, (i, j, _) in enumerate(unordered_pairs(n)):
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
        omega_ij^max, shape ``batch + (n, n)`` (moved by an imprinted momentum).
    state : NeutrinoState or SterileState
        The neutrino inputs used.
    target : AtomicTarget
        The target used.
    imprinted_momentum_eV, imprinted_cos : float
        Imprinted pair momentum and its cosine to the photon (0 and 1: none).

    """

    omega_eV: NDArray[np.float64]
    total: NDArray[np.float64]
    channels: NDArray[np.float64]
    thresholds_eV: NDArray[np.float64]
    state: NeutrinoState
    target: AtomicTarget
    imprinted_momentum_eV: float = 0.0
    imprinted_cos: float = 1.0


def spectrum(
    omega_eV: ArrayLike, state: NeutrinoState, target: AtomicTarget, *, validate: bool = True,
    imprinted_momentum_eV: float = 0.0, imprinted_cos: float = 1.0,
) -> SpectrumResult:
    """Compute I(omega), its channels and the thresholds in one call.

    ``state`` may be a :class:`~renpsim.physics.sterile.SterileState` (four mass states, 16
    channels, ten thresholds); ``imprinted_momentum_eV`` moves s and every threshold.
    """
    omega = np.asarray(omega_eV, dtype=float)
    channels = channel_matrix(omega, state, target, validate=validate,
                              imprinted_momentum_eV=imprinted_momentum_eV,
                              imprinted_cos=imprinted_cos)
    total = channels[..., :3, :3].sum(axis=(-2, -1))
    if channels.shape[-1] == 4:  # the sterile channels after: a decoupled state adds zeros
        total = total + (channels[..., :3, 3].sum(axis=-1) + channels[..., 3, :].sum(axis=-1))
    return SpectrumResult(
        omega_eV=omega,
        total=total,
        channels=channels,
        thresholds_eV=threshold_matrix(target.E_eg_eV, state.masses_eV, imprinted_momentum_eV,
                                       imprinted_cos),
        state=state,
        target=target,
        imprinted_momentum_eV=float(imprinted_momentum_eV),
        imprinted_cos=float(imprinted_cos),
    )
