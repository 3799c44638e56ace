"""A light sterile neutrino (3+1): the 4x4 mixing, the fourth mass and the 4x4 axial coupling.

Convention (docs/sterile-and-momentum.md section 1; Dinh and Petcov, PLB 742 (2015) 107 for
the physics, [physics §4.4]): rows e, mu, tau, s; columns the mass states 1..4::

    V = R34(theta34) U24(theta24, phi_mu4) U14(theta14, phi_e4) (U_PMNS (+) 1)
        diag(1, 1, 1, e^{i alpha41/2})

where U_PMNS is the three-flavour matrix of :func:`renpsim.physics.neutrino.pmns_matrix`, R34 a
real rotation in the (tau, s) plane and U_k4(theta, phi) the complex rotation of the (k, s)
plane with entries (k, k) = (s, s) = cos theta, (k, s) = sin theta e^{i phi},
(s, k) = -sin theta e^{-i phi}. Hence

    U_e4 = sin theta14 e^{i (phi_e4 + alpha41/2)},  U_mu4 = cos theta14 sin theta24 e^{i(...)},
    U_tau4 = cos theta14 cos theta24 sin theta34 e^{i alpha41/2},

and the first three columns of the electron row are cos theta14 times the PMNS row. The inputs
are the moduli |U_e4| (and optionally |U_mu4|, |U_tau4|) and the phases.

Axial coupling of the mass states (docs/sterile-and-momentum.md section 1.2): the charged
current gives U_ei U*_ej, the neutral current (electron axial charge -1/2) sums over the three
active flavours only::

    a_ij = U_ei U*_ej - (1/2) sum_{alpha = e, mu, tau} U_alpha,i U*_alpha,j
         = U_ei U*_ej - delta_ij / 2 + (1/2) U_si U*_sj          (V unitary)

The 3x3 active block is no longer unitary; without sterile mixing (U_s = (0, 0, 0, 1)) the
three-state block is the unitary a_ij = U_ei U*_ej - delta_ij/2 exactly and a_i4 = a_44 = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from renpsim.errors import InputError
from renpsim.physics.neutrino import NeutrinoState, pmns_matrix

_WHERE = "sterile"


@dataclass(frozen=True)
class SterileParameters:
    """Inputs of the 3+1 scheme.

    Attributes
    ----------
    m4_eV : float
        Mass of the fourth state in eV (>= 0). Give it directly or through
        :meth:`from_dm2_41`.
    Ue4 : float
        |U_e4| in [0, 1).
    phase_e4_rad : float
        phi_e4, the phase of U_e4 besides alpha41/2 (radians).
    Umu4, Utau4 : float
        |U_mu4| and |U_tau4| (default 0); they enter through the sterile row of V.
    phase_mu4_rad : float
        phi_mu4 (radians).
    alpha41_rad : float
        Majorana phase of the fourth state (radians); irrelevant for Dirac.

    """

    m4_eV: float
    Ue4: float
    phase_e4_rad: float = 0.0
    Umu4: float = 0.0
    phase_mu4_rad: float = 0.0
    Utau4: float = 0.0
    alpha41_rad: float = 0.0

    def __post_init__(self) -> None:
        for name in ("m4_eV", "Ue4", "phase_e4_rad", "Umu4", "phase_mu4_rad", "Utau4",
                     "alpha41_rad"):
            value = getattr(self, name)
            try:
                ok = math.isfinite(float(value))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise InputError(_WHERE, name, value, "a finite real number")
        if self.m4_eV < 0.0:
            raise InputError(_WHERE, "m4_eV", self.m4_eV, "a mass >= 0 eV")
        for name in ("Ue4", "Umu4", "Utau4"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InputError(_WHERE, name, getattr(self, name), "a modulus 0 <= |U| < 1")
        if self.Ue4**2 + self.Umu4**2 + self.Utau4**2 >= 1.0:
            raise InputError(_WHERE, "Ue4, Umu4, Utau4", (self.Ue4, self.Umu4, self.Utau4),
                             "|U_e4|^2 + |U_mu4|^2 + |U_tau4|^2 < 1")

    @classmethod
    def from_dm2_41(cls, dm2_41_eV2: float, m1_eV: float, **kwargs) -> SterileParameters:
        """Build from Delta m^2_41 = m4^2 - m1^2 (eV^2) and the mass m1 (eV)."""
        m4sq = float(m1_eV) ** 2 + float(dm2_41_eV2)
        if not (math.isfinite(m4sq) and m4sq >= 0.0):
            raise InputError(_WHERE, "dm2_41_eV2", dm2_41_eV2, f"m1^2 + dm2_41 >= 0 (m1 = "
                             f"{float(m1_eV):.6g} eV)")
        return cls(m4_eV=math.sqrt(m4sq), **kwargs)

    @property
    def decoupled(self) -> bool:
        """True without any active-sterile mixing (the three-flavour limit)."""
        return self.Ue4 == 0.0 and self.Umu4 == 0.0 and self.Utau4 == 0.0


def _rotation(k: int, theta_sin: float, phase: float) -> NDArray[np.complex128]:
    """4x4 complex rotation of the (k, s) plane (s = index 3)."""
    s = float(theta_sin)
    c = math.sqrt(1.0 - s * s)
    r = np.eye(4, dtype=complex)
    r[k, k] = c
    r[3, 3] = c
    r[k, 3] = s * np.exp(1j * phase)
    r[3, k] = -s * np.exp(-1j * phase)
    return r


def mixing_matrix_4(pmns: NDArray[np.complex128], p: SterileParameters) -> NDArray[np.complex128]:
    """Return the unitary 4x4 mixing V (rows e, mu, tau, s) of the module's convention.

    Parameters
    ----------
    pmns : numpy.ndarray
        The three-flavour matrix, shape ``batch + (3, 3)``.
    p : SterileParameters
        Moduli and phases.

    Returns
    -------
    numpy.ndarray
        Shape ``batch + (4, 4)``.

    """
    u = np.asarray(pmns, dtype=complex)
    full = np.zeros((*u.shape[:-2], 4, 4), dtype=complex)
    full[..., :3, :3] = u
    full[..., 3, 3] = 1.0
    if p.decoupled and p.alpha41_rad == 0.0:
        return full
    s14 = p.Ue4
    c14 = math.sqrt(1.0 - s14 * s14)
    s24 = p.Umu4 / c14
    c24 = math.sqrt(1.0 - s24 * s24)
    s34 = p.Utau4 / (c14 * c24)
    rot = _rotation(2, s34, 0.0) @ _rotation(1, s24, p.phase_mu4_rad) @ _rotation(
        0, s14, p.phase_e4_rad)
    out = rot @ full
    out[..., :, 3] *= np.exp(0.5j * p.alpha41_rad)
    return out


def coupling_matrix_4(mixing: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """a_ij = U_ei U*_ej - delta_ij/2 + U_si U*_sj/2 (i, j = 1..4) from the unitary 4x4 V.

    The neutral-current term -(1/2) sum_{alpha active} U_alpha,i U*_alpha,j written with the
    unitarity of V (docs/sterile-and-momentum.md section 1.2); shape ``batch + (4, 4)``.
    """
    v = np.asarray(mixing, dtype=complex)
    return coupling_from_rows(v[..., 0, :], v[..., 3, :])


def coupling_from_rows(ue: NDArray[np.complex128], us: NDArray[np.complex128]
                       ) -> NDArray[np.complex128]:
    """a_ij = U_ei U*_ej - delta_ij/2 + U_si U*_sj/2 from the e and s rows (``batch + (4,)``)."""
    ue = np.asarray(ue, dtype=complex)
    us = np.asarray(us, dtype=complex)
    return (ue[..., :, None] * np.conj(ue[..., None, :])
            - 0.5 * (np.eye(4) - us[..., :, None] * np.conj(us[..., None, :])))


def theta14_rows(Ue3: NDArray[np.complex128], Ue4_sq, phase_rad=0.0
                 ) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Return the e and s rows of V when only U_e4 mixes (theta24 = theta34 = alpha41 = 0).

    U_e = (c U_e1, c U_e2, c U_e3, s e^{i phi}), U_s = (-s e^{-i phi} U_e1, ..., c) with
    s^2 = |U_e4|^2 = ``Ue4_sq`` (broadcasts, batched) and c = sqrt(1 - s^2); the same rows as
    :func:`mixing_matrix_4` for those inputs. Every a_ij is then a polynomial of degree 2 in
    |U_e4|^2 (docs/sterile-and-momentum.md section 1.2), hence so is I(omega).
    """
    u3 = np.asarray(Ue3, dtype=complex)
    s2 = np.asarray(Ue4_sq, dtype=float)
    s = np.sqrt(s2)[..., None]
    c = np.sqrt(1.0 - s2)[..., None]
    ph = np.exp(1j * np.asarray(phase_rad, dtype=float))[..., None]
    shape = np.broadcast_shapes(u3.shape[:-1], s.shape[:-1], ph.shape[:-1])
    ue = np.concatenate([np.broadcast_to(c * u3, (*shape, 3)),
                         np.broadcast_to(s * ph, (*shape, 1))], axis=-1)
    us = np.concatenate([np.broadcast_to(-s * np.conj(ph) * u3, (*shape, 3)),
                         np.broadcast_to(c + 0j, (*shape, 1))], axis=-1)
    return ue, us


@dataclass(frozen=True)
class SterileState:
    """A three-flavour :class:`NeutrinoState` extended by a fourth (sterile) mass state.

    The spectral functions read ``masses_eV`` (four masses), ``coupling`` (4x4) and
    ``majorana``; the three-flavour attributes are those of ``base``.

    Attributes
    ----------
    base : NeutrinoState
        The three-flavour state (masses, PMNS, phases, nature).
    sterile : SterileParameters
        The sterile inputs.
    masses_eV : numpy.ndarray
        (m1, m2, m3, m4), shape ``batch + (4,)``.
    mixing : numpy.ndarray
        The 4x4 mixing V, shape ``batch + (4, 4)``.

    """

    base: NeutrinoState
    sterile: SterileParameters
    masses_eV: NDArray[np.float64]
    mixing: NDArray[np.complex128]

    def __getattr__(self, name: str):
        # ordering, nature, oscillation, alpha21, alpha31, delta, m_lightest_eV, ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.base, name)

    @property
    def majorana(self) -> bool:
        """True for Majorana neutrinos."""
        return self.base.majorana

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the parameter batch (without the mass-index axis)."""
        return self.masses_eV.shape[:-1]

    @property
    def Ue(self) -> NDArray[np.complex128]:
        """The first row (U_e1, U_e2, U_e3, U_e4), shape ``batch + (4,)``."""
        return self.mixing[..., 0, :]

    @property
    def coupling(self) -> NDArray[np.complex128]:
        """The 4x4 axial coupling a_ij (:func:`coupling_matrix_4`)."""
        return coupling_matrix_4(self.mixing)

    @property
    def sum_masses_eV(self) -> NDArray[np.float64]:
        """Sum of the four masses in eV."""
        return self.masses_eV.sum(axis=-1)

    @property
    def m_beta_eV(self) -> NDArray[np.float64]:
        """Effective beta-decay mass sqrt(sum_i |U_ei|^2 m_i^2), i = 1..4, in eV."""
        return np.sqrt(np.sum(np.abs(self.Ue) ** 2 * self.masses_eV**2, axis=-1))


def sterile_state(base: NeutrinoState, sterile: SterileParameters) -> SterileState:
    """Extend a three-flavour state by a sterile state (module convention).

    Parameters
    ----------
    base : NeutrinoState
        Three-flavour state; its mixing angles, delta and Majorana phases build U_PMNS.
    sterile : SterileParameters
        m4, |U_e4|, ... and the phases.

    Returns
    -------
    SterileState

    """
    osc = base.oscillation
    pmns = pmns_matrix(osc.sin2_theta12.value, osc.sin2_theta13.value, osc.sin2_theta23.value,
                       base.delta, base.alpha21, base.alpha31)
    # the electron row exactly as the three-flavour state has it (no rounding difference)
    pmns[..., 0, :] = base.Ue
    m4 = np.broadcast_to(np.asarray(sterile.m4_eV, dtype=float), base.batch_shape)
    masses = np.concatenate([base.masses_eV, m4[..., None]], axis=-1)
    return SterileState(base=base, sterile=sterile, masses_eV=masses,
                        mixing=mixing_matrix_4(pmns, sterile))


#: Keys of a sterile specification string and the :class:`SterileParameters` field they set.
SPEC_KEYS = {"m4": "m4_eV", "dm41": "dm2_41_eV2", "Ue4": "Ue4", "phase": "phase_e4_rad",
             "Umu4": "Umu4", "phase_mu4": "phase_mu4_rad", "Utau4": "Utau4",
             "alpha41": "alpha41_rad"}
_ANGLE_KEYS = ("phase", "phase_mu4", "alpha41")


def parse_sterile_spec(spec: str, m1_eV: float, where: str) -> SterileParameters:
    """Build :class:`SterileParameters` from ``"m4=0.3,Ue4=0.1[,phase=...]"``.

    Parameters
    ----------
    spec : str
        Comma-separated ``key=value`` pairs: ``m4`` (eV) or ``dm41`` (Delta m^2_41 in eV^2),
        ``Ue4`` (required), and optionally ``phase`` (of U_e4), ``Umu4``, ``phase_mu4``,
        ``Utau4``, ``alpha41``. Angles are radians, or degrees with a ``deg`` suffix.
    m1_eV : float
        The mass m1, used with ``dm41``.
    where : str
        Where the string came from, for error messages (a file field or a command-line option).

    Raises
    ------
    InputError
        Unknown or repeated key, not a number, m4 and dm41 both or neither, Ue4 missing.

    """
    expected = "comma-separated key=value pairs: m4 or dm41, Ue4, optional " + ", ".join(
        k for k in SPEC_KEYS if k not in ("m4", "dm41", "Ue4"))
    values: dict[str, float] = {}
    if not spec or not spec.strip():
        raise InputError(where, "sterile", spec, expected)
    for item in spec.split(","):
        key, sep, text = (part.strip() for part in item.partition("="))
        if not sep or key not in SPEC_KEYS:
            raise InputError(where, key or item, item, expected)
        if key in values:
            raise InputError(where, key, item, "each key once")
        try:
            low = text.lower()
            if key in _ANGLE_KEYS and low.endswith("deg"):
                value = math.radians(float(low[:-3]))
            else:
                value = float(text)
        except ValueError:
            raise InputError(where, key, text, "a number" + (
                " (radians, or degrees as '90deg')" if key in _ANGLE_KEYS else "")) from None
        if not math.isfinite(value):
            raise InputError(where, key, text, "a finite number")
        values[key] = value
    if ("m4" in values) == ("dm41" in values):
        raise InputError(where, "m4", spec, "exactly one of m4 (eV) and dm41 (eV^2)")
    if "Ue4" not in values:
        raise InputError(where, "Ue4", spec, "|U_e4| given as Ue4=...")
    kwargs = {SPEC_KEYS[k]: v for k, v in values.items() if k not in ("m4", "dm41")}
    try:
        if "dm41" in values:
            return SterileParameters.from_dm2_41(values["dm41"], m1_eV, **kwargs)
        return SterileParameters(m4_eV=values["m4"], **kwargs)
    except InputError as exc:
        inverse = {v: k for k, v in SPEC_KEYS.items()}
        key = inverse.get(exc.key, exc.key)
        raise InputError(where, key, exc.value, exc.expected) from None


def describe(state: SterileState) -> dict:
    """JSON-ready record of the sterile inputs and the mixing convention."""
    p = state.sterile
    return {
        "m4_eV": p.m4_eV,
        "Ue4": p.Ue4,
        "phase_e4_rad": p.phase_e4_rad,
        "Umu4": p.Umu4,
        "phase_mu4_rad": p.phase_mu4_rad,
        "Utau4": p.Utau4,
        "alpha41_rad": p.alpha41_rad,
        "convention": "V = R34 U24(phi_mu4) U14(phi_e4) (U_PMNS (+) 1) diag(1,1,1,e^{i alpha41/2});"
                      " a_ij = U_ei U*_ej - (1/2) sum_active U_ai U*_aj "
                      "(docs/sterile-and-momentum.md section 1)",
    }
