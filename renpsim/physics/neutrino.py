"""Neutrino masses, the first PMNS row and the RENP axial coupling matrix.

Conventions ([physics §1.2] and [physics §3.2]):

* PDG parametrisation U = R23 U13(delta) R12 diag(1, e^{i alpha21/2}, e^{i alpha31/2}), so the
  first row is U_e1 = c12 c13, U_e2 = s12 c13 e^{i alpha21/2},
  U_e3 = s13 e^{i(alpha31/2 - delta)}.
* Axial coupling a_ij = U_ei U*_ej - delta_ij/2 (GP21 eq. 4; [physics §1.2], with the minus sign
  of correction 14).
* Masses from the lightest mass: NO m1 = m_l, m2 = sqrt(m_l^2 + dm21), m3 = sqrt(m_l^2 + dm31);
  IO m3 = m_l, m2 = sqrt(m_l^2 - dm32), m1 = sqrt(m2^2 - dm21) ([physics §3.2]).

Every function broadcasts over array inputs (lightest mass, phases, mixing parameters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError
from renpsim.physics.oscillation import DEFAULT_PRESET, OscillationParameters, load_preset

Nature = Literal["dirac", "majorana"]


def masses_from_lightest(
    m_lightest_eV: ArrayLike, ordering: str, dm2_21_eV2: ArrayLike, dm2_3l_eV2: ArrayLike
) -> NDArray[np.float64]:
    """Return the three masses (m1, m2, m3) in eV, stacked on a trailing axis of length 3.

    Parameters
    ----------
    m_lightest_eV : array_like
        Lightest mass (m1 for NO, m3 for IO), >= 0.
    ordering : {"NO", "IO"}
        Mass ordering.
    dm2_21_eV2 : array_like
        m2^2 - m1^2 (> 0).
    dm2_3l_eV2 : array_like
        m3^2 - m1^2 (> 0) for NO, m3^2 - m2^2 (< 0) for IO ([physics §3.1], [physics §3.2]).

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(inputs) + (3,)``.

    """
    if all(isinstance(v, float | int | np.floating | np.integer)
           for v in (m_lightest_eV, dm2_21_eV2, dm2_3l_eV2)):
        return _masses_scalar(float(m_lightest_eV), ordering, float(dm2_21_eV2),
                              float(dm2_3l_eV2))
    ml = np.asarray(m_lightest_eV, dtype=float)
    dm21 = np.asarray(dm2_21_eV2, dtype=float)
    dm3l = np.asarray(dm2_3l_eV2, dtype=float)
    ml2 = ml * ml
    if ordering == "NO":
        m1 = ml + 0.0 * (dm21 + dm3l)
        m2 = np.sqrt(ml2 + dm21) + 0.0 * dm3l
        m3 = np.sqrt(ml2 + dm3l) + 0.0 * dm21
    elif ordering == "IO":
        m3 = ml + 0.0 * (dm21 + dm3l)
        m2sq = ml2 - dm3l
        m2 = np.sqrt(m2sq) + 0.0 * dm21
        m1 = np.sqrt(m2sq - dm21)
    else:
        raise InputError("neutrino", "ordering", ordering, "'NO' or 'IO'")
    return np.stack(np.broadcast_arrays(m1, m2, m3), axis=-1)


def _sqrt(v: float) -> float:
    """IEEE square root of a Python float, NaN for a negative value (as numpy, silently)."""
    return math.sqrt(v) if v >= 0.0 else math.nan


def _masses_scalar(ml: float, ordering: str, dm21: float, dm3l: float) -> NDArray[np.float64]:
    """:func:`masses_from_lightest` for scalar inputs: the same expressions on Python floats.

    Bit-identical to the array path (IEEE arithmetic and correctly rounded square roots in
    both), without the cost of 0-d array operations in a fitter's inner loop.
    """
    ml2 = ml * ml
    if ordering == "NO":
        return np.array([ml + 0.0 * (dm21 + dm3l), _sqrt(ml2 + dm21) + 0.0 * dm3l,
                         _sqrt(ml2 + dm3l) + 0.0 * dm21])
    if ordering == "IO":
        m2sq = ml2 - dm3l
        return np.array([_sqrt(m2sq - dm21), _sqrt(m2sq) + 0.0 * dm21,
                         ml + 0.0 * (dm21 + dm3l)])
    raise InputError("neutrino", "ordering", ordering, "'NO' or 'IO'")


def electron_row(
    sin2_theta12: ArrayLike,
    sin2_theta13: ArrayLike,
    delta_rad: ArrayLike,
    alpha21_rad: ArrayLike = 0.0,
    alpha31_rad: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """Return the first PMNS row (U_e1, U_e2, U_e3) in the PDG convention ([physics §1.2]).

    Returns
    -------
    numpy.ndarray
        Complex array of shape ``broadcast(inputs) + (3,)``.

    """
    if all(isinstance(v, float | int | np.floating | np.integer)
           for v in (sin2_theta12, sin2_theta13, delta_rad, alpha21_rad, alpha31_rad)):
        # scalar inputs: the same expressions on Python floats (bit-identical, faster)
        s12sq, s13sq = float(sin2_theta12), float(sin2_theta13)
        c13, s13 = _sqrt(1.0 - s13sq), _sqrt(s13sq)
        return np.array([complex(_sqrt(1.0 - s12sq) * c13),
                         _sqrt(s12sq) * c13 * np.exp(0.5j * float(alpha21_rad)),
                         s13 * np.exp(1j * (0.5 * float(alpha31_rad) - float(delta_rad)))],
                        dtype=complex)
    s12sq = np.asarray(sin2_theta12, dtype=float)
    s13sq = np.asarray(sin2_theta13, dtype=float)
    c12 = np.sqrt(1.0 - s12sq)
    s12 = np.sqrt(s12sq)
    c13 = np.sqrt(1.0 - s13sq)
    s13 = np.sqrt(s13sq)
    a21 = np.asarray(alpha21_rad, dtype=float)
    a31 = np.asarray(alpha31_rad, dtype=float)
    d = np.asarray(delta_rad, dtype=float)
    u1 = (c12 * c13).astype(complex)
    u2 = s12 * c13 * np.exp(0.5j * a21)
    u3 = s13 * np.exp(1j * (0.5 * a31 - d))
    return np.stack(np.broadcast_arrays(u1, u2, u3), axis=-1)


def pmns_matrix(
    sin2_theta12: ArrayLike,
    sin2_theta13: ArrayLike,
    sin2_theta23: ArrayLike,
    delta_rad: ArrayLike,
    alpha21_rad: ArrayLike = 0.0,
    alpha31_rad: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """Full PMNS matrix U (rows e, mu, tau; columns 1, 2, 3), PDG convention ([physics §1.2]).

    U = R23 U13(delta) R12 diag(1, e^{i alpha21/2}, e^{i alpha31/2}); its first row equals
    :func:`electron_row`. Shape ``broadcast(inputs) + (3, 3)``.
    """
    s12 = np.sqrt(np.asarray(sin2_theta12, dtype=float))
    s13 = np.sqrt(np.asarray(sin2_theta13, dtype=float))
    s23 = np.sqrt(np.asarray(sin2_theta23, dtype=float))
    c12, c13, c23 = np.sqrt(1 - s12**2), np.sqrt(1 - s13**2), np.sqrt(1 - s23**2)
    d = np.asarray(delta_rad, dtype=float)
    ed = np.exp(1j * d)
    emd = np.exp(-1j * d)
    shape = np.broadcast_shapes(s12.shape, s13.shape, s23.shape, d.shape,
                                np.shape(alpha21_rad), np.shape(alpha31_rad))
    U = np.zeros((*shape, 3, 3), dtype=complex)
    U[..., 0, 0] = c12 * c13
    U[..., 0, 1] = s12 * c13
    U[..., 0, 2] = s13 * emd
    U[..., 1, 0] = -s12 * c23 - c12 * s23 * s13 * ed
    U[..., 1, 1] = c12 * c23 - s12 * s23 * s13 * ed
    U[..., 1, 2] = s23 * c13
    U[..., 2, 0] = s12 * s23 - c12 * c23 * s13 * ed
    U[..., 2, 1] = -c12 * s23 - s12 * c23 * s13 * ed
    U[..., 2, 2] = c23 * c13
    a21 = np.asarray(alpha21_rad, dtype=float)
    a31 = np.asarray(alpha31_rad, dtype=float)
    U[..., :, 1] *= np.exp(0.5j * a21)[..., None]
    U[..., :, 2] *= np.exp(0.5j * a31)[..., None]
    return U


def coupling_matrix(Ue: ArrayLike) -> NDArray[np.complex128]:
    """Return the axial coupling a_ij = U_ei U*_ej - delta_ij/2 (GP21 eq. 4), shape (..., 3, 3)."""
    u = np.asarray(Ue, dtype=complex)
    return u[..., :, None] * np.conj(u[..., None, :]) - _HALF_EYE3


_HALF_EYE3 = 0.5 * np.eye(3)


@dataclass(frozen=True)
class NeutrinoState:
    """Everything about the neutrinos that the RENP spectrum needs.

    All array attributes share one batch shape (possibly ``()``); trailing axes of length 3
    index the mass eigenstates.

    Attributes
    ----------
    ordering : {"NO", "IO"}
        Mass ordering.
    nature : {"dirac", "majorana"}
        Neutrino nature.
    masses_eV : numpy.ndarray
        (m1, m2, m3) in eV, shape ``batch + (3,)``.
    Ue : numpy.ndarray
        First PMNS row, complex, shape ``batch + (3,)``.
    m_lightest_eV, alpha21, alpha31, delta : numpy.ndarray
        The inputs (phases in radians), shape ``batch``.
    oscillation : OscillationParameters
        The preset the mixing and splittings come from.

    """

    ordering: str
    nature: str
    masses_eV: NDArray[np.float64]
    Ue: NDArray[np.complex128]
    m_lightest_eV: NDArray[np.float64]
    alpha21: NDArray[np.float64]
    alpha31: NDArray[np.float64]
    delta: NDArray[np.float64]
    oscillation: OscillationParameters

    @property
    def majorana(self) -> bool:
        """True for Majorana neutrinos."""
        return self.nature == "majorana"

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the parameter batch (without the mass-index axis)."""
        return self.masses_eV.shape[:-1]

    @property
    def coupling(self) -> NDArray[np.complex128]:
        """Axial coupling matrix a_ij, shape ``batch + (3, 3)``."""
        return coupling_matrix(self.Ue)

    @property
    def sum_masses_eV(self) -> NDArray[np.float64]:
        """Sum of the three masses in eV."""
        return self.masses_eV.sum(axis=-1)

    @property
    def m_beta_eV(self) -> NDArray[np.float64]:
        """Effective beta-decay mass sqrt(sum_i |U_ei|^2 m_i^2) in eV."""
        return np.sqrt(np.sum(np.abs(self.Ue) ** 2 * self.masses_eV**2, axis=-1))

    @property
    def m_betabeta_eV(self) -> NDArray[np.float64]:
        """Effective Majorana mass |sum_i U_ei^2 m_i| in eV (meaningful for Majorana only)."""
        return np.abs(np.sum(self.Ue**2 * self.masses_eV, axis=-1))


@dataclass(frozen=True)
class NeutrinoArrays:
    """The neutrino inputs of the spectral functions as plain arrays: masses, a_ij, nature.

    A lighter stand-in for :class:`NeutrinoState` where the masses and the axial coupling come
    from elsewhere (a fitter varying the oscillation parameters, a batched scan): the spectral
    functions (:func:`renpsim.physics.spectrum.spectral_function`,
    :func:`renpsim.physics.bsm.spectral_function_bsm`) only read ``masses_eV``, ``coupling``,
    ``nature`` and ``majorana``. Build the arrays with :func:`masses_from_lightest`,
    :func:`electron_row` and :func:`coupling_matrix` ([physics §1.2], [physics §3.2]).

    Attributes
    ----------
    masses_eV : numpy.ndarray
        (m1, m2, m3) in eV, shape ``batch + (3,)``.
    coupling : numpy.ndarray
        a_ij, complex, shape ``batch + (3, 3)``.
    nature : {"dirac", "majorana"}
        Neutrino nature.

    """

    masses_eV: NDArray[np.float64]
    coupling: NDArray[np.complex128]
    nature: str = "dirac"

    def __post_init__(self) -> None:
        if self.nature not in ("dirac", "majorana"):
            raise InputError("neutrino", "nature", self.nature, "'dirac' or 'majorana'")

    @property
    def majorana(self) -> bool:
        """True for Majorana neutrinos."""
        return self.nature == "majorana"

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the parameter batch (without the mass-index axis)."""
        return np.shape(self.masses_eV)[:-1]


def _check_finite_nonnegative(name: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError("neutrino", name, value, "a real number") from None
    if not np.all(np.isfinite(arr)):
        raise InputError("neutrino", name, value, "finite values")
    return arr


def neutrino_state(
    ordering: str = "NO",
    m_lightest_eV: ArrayLike = 0.0,
    nature: str = "dirac",
    oscillation: str | OscillationParameters = DEFAULT_PRESET,
    alpha21: ArrayLike = 0.0,
    alpha31: ArrayLike = 0.0,
    delta: ArrayLike | None = None,
) -> NeutrinoState:
    """Build a (possibly batched) neutrino state.

    Parameters
    ----------
    ordering : {"NO", "IO"}
        Mass ordering.
    m_lightest_eV : array_like
        Lightest neutrino mass in eV (>= 0). Arrays broadcast against the phases.
    nature : {"dirac", "majorana"}
        Neutrino nature.
    oscillation : str or OscillationParameters
        Preset name (see :func:`renpsim.physics.oscillation.list_presets`) or parameters.
    alpha21, alpha31 : array_like
        Majorana phases in radians (PDG convention); irrelevant for Dirac.
    delta : array_like, optional
        Dirac CP phase in radians; defaults to the preset's best fit.

    Returns
    -------
    NeutrinoState

    Raises
    ------
    InputError
        Negative or non-finite mass, unknown nature/ordering/preset.

    """
    if nature not in ("dirac", "majorana"):
        raise InputError("neutrino", "nature", nature, "'dirac' or 'majorana'")
    if ordering not in ("NO", "IO"):
        raise InputError("neutrino", "ordering", ordering, "'NO' or 'IO'")
    osc = oscillation if isinstance(oscillation, OscillationParameters) else load_preset(
        oscillation, ordering
    )
    if osc.ordering != ordering:
        raise InputError("neutrino", "oscillation", osc.preset, f"parameters for {ordering}")
    ml = _check_finite_nonnegative("m_lightest_eV", m_lightest_eV)
    if np.any(ml < 0):
        raise InputError("neutrino", "m_lightest_eV", m_lightest_eV, "a mass >= 0 eV")
    a21 = _check_finite_nonnegative("alpha21", alpha21)
    a31 = _check_finite_nonnegative("alpha31", alpha31)
    d = _check_finite_nonnegative("delta", osc.delta_cp_rad if delta is None else delta)
    ml, a21, a31, d = np.broadcast_arrays(ml, a21, a31, d)
    masses = masses_from_lightest(ml, ordering, osc.dm2_21_eV2.value, osc.dm2_3l_eV2.value)
    ue = electron_row(osc.sin2_theta12.value, osc.sin2_theta13.value, d, a21, a31)
    return NeutrinoState(
        ordering=ordering,
        nature=nature,
        masses_eV=masses,
        Ue=ue,
        m_lightest_eV=np.array(ml),
        alpha21=np.array(a21),
        alpha31=np.array(a31),
        delta=np.array(d),
        oscillation=osc,
    )
