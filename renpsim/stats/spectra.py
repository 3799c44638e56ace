"""The statistics engine's seam to the physics layer: coupling names, BSM terms, fast spectra.

Every I(omega) the statistics engine uses comes from the physics layer; nothing here writes a
spectral formula:

* SM ([physics §1.3]): :func:`renpsim.physics.spectrum.spectral_function_arrays` (all six mass
  pairs stacked, plain arrays in, batch axes broadcast).
* SM + one BSM coupling ([physics §4.1] vector Z', 4.2 scalar/pseudoscalar phi, 4.3 dipole
  moments; Dirac and Majorana): :func:`renpsim.physics.bsm.spectral_function_bsm` with the term
  built by :func:`coupling_term` from a coupling name such as ``gL11``.

Speed for the scans and fits comes from one exact property instead of a second kernel: at fixed
mediator mass and width the RENP amplitude is linear in the coupling ([physics §4.1]: a^L = a +
g/[sqrt2 G_F D]; 4.2: the phi amplitude is proportional to y; 4.3: the EM amplitude to mu, eps),
so I(g) = I0 + c1 g + c2 g^2 exactly (for GP21's printed scalar formula too, eq. 29).
:func:`coupling_expansion` obtains (I0, c1, c2) from the physics layer at g = 0 and g = +-g_n
(g_n the coupling at which the new term equals the SM, so the three points carry no
cancellation) and a whole coupling grid then costs one multiply-add.

Conventions (stated because they matter):

* Coupling names: ``gL<ij>``, ``gR<ij>`` (products g^e g^nu, vector), ``yS<ij>``, ``yP<ij>``
  (products y^e_P y^nu, scalar), ``mu<ij>``, ``eps<ij>`` (dipole moments in mu_B); real values,
  applied to the unordered pair {i, j}: element (ij) = g and (ji) = g (hermitian), except the
  Majorana dipole moments, which are antisymmetric ((ji) = -g; [physics §4.3]).
* Majorana neutrinos have no diagonal dipole moments (mu_ii = eps_ii = 0 identically): asking for
  ``mu11`` with Majorana neutrinos raises :class:`~renpsim.errors.InputError`.
* Scalar phase: ``"physical"`` (default; J_P = +i q.J_A/(2 m_e), [physics §0] item 7; the
  Majorana vertex y_ij + y_ji of [physics §0] item 8) or ``"gp21"`` (alias ``"paper"``: GP21's
  printed eq. 29, bare pole, y_P terms times (1 - delta_M), so ``yP`` has no effect for Majorana
  neutrinos and is refused there). See :mod:`renpsim.physics.bsm.scalar`.
* Mediator width: Gamma = ``width_fraction`` x M in s - M^2 + i M Gamma, an assumption knob [A]
  (GP21 keeps the bare pole; [physics §4.1] recommends a width); the default 1e-6 only
  regularises the exact pole. The ``"gp21"`` scalar phase always uses the bare pole (the
  physics layer's paper convention has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError
from renpsim.physics.bsm import (
    K_EM_INV_EV2,
    DipoleMoments,
    ScalarMediator,
    VectorMediator,
    element_matrix,
    spectral_function_bsm,
)
from renpsim.physics.neutrino import NeutrinoArrays
from renpsim.physics.spectrum import spectral_function_arrays

__all__ = [
    "AT_POLE",
    "K_EM_INV_EV2",
    "MEDIATOR_OF",
    "SCALAR_PHASES",
    "Coupling",
    "CouplingExpansion",
    "bsm_spectral_function",
    "check_coupling",
    "coupling_expansion",
    "coupling_term",
    "parse_coupling",
    "sm_spectral_fast",
]

_COUPLING_RE = re.compile(r"^(?P<kind>gL|gR|yS|yP|mu|eps)(?P<i>[123])(?P<j>[123])$")

#: Mediator kind for each coupling family (the photon for the dipole moments).
MEDIATOR_OF = {"gL": "vector", "gR": "vector", "yS": "scalar", "yP": "scalar",
               "mu": "dipole", "eps": "dipole"}

#: Stand-in for the infinite I (or counts) at an exact bare mediator pole with g != 0.
AT_POLE = 1e300

#: Scalar phase conventions of the statistics engine -> ScalarMediator convention.
SCALAR_PHASES = {"physical": "physical", "gp21": "paper", "paper": "paper"}


@dataclass(frozen=True)
class Coupling:
    """A parsed coupling name such as ``gL11`` (g^e g^nu_L,11) or ``yS11`` (y^e y^nu_S,11).

    Attributes
    ----------
    name : str
        The name as given.
    kind : {"gL", "gR", "yS", "yP", "mu", "eps"}
        Coupling family.
    i, j : int
        0-based mass indices (the pair is unordered, i <= j).

    """

    name: str
    kind: str
    i: int
    j: int

    @property
    def mediator(self) -> str:
        """``"vector"``, ``"scalar"`` or ``"dipole"``."""
        return MEDIATOR_OF[self.kind]


def parse_coupling(name: str, where: str = "coupling") -> Coupling:
    """Parse ``gL11``, ``gR12``, ``yS11``, ``yP11``, ``mu12``... into a :class:`Coupling`.

    Raises
    ------
    InputError
        The name does not match ``(gL|gR|yS|yP|mu|eps)[1-3][1-3]``.

    """
    m = _COUPLING_RE.match(str(name))
    if m is None:
        raise InputError(where, "coupling", name,
                         "gL<ij>, gR<ij> (vector), yS<ij>, yP<ij> (scalar) or mu<ij>, eps<ij> "
                         "(dipole moments in mu_B), i,j in 1..3")
    i, j = sorted((int(m["i"]) - 1, int(m["j"]) - 1))
    return Coupling(name=str(name), kind=m["kind"], i=i, j=j)


def _scalar_convention(scalar_phase: str, where: str) -> str:
    try:
        return SCALAR_PHASES[scalar_phase]
    except (KeyError, TypeError):
        raise InputError(where, "scalar_phase", scalar_phase,
                         "'physical' or 'gp21' (alias 'paper')") from None


def check_coupling(coupling: Coupling, nature: str, scalar_phase: str = "physical",
                   where: str = "model") -> None:
    """Refuse a coupling that cannot act for this neutrino nature (clear InputError).

    * Majorana neutrinos have only transition dipole moments (mu, eps antisymmetric in the mass
      basis, [physics §4.3]; Giunti & Studenikin, Rev. Mod. Phys. 87 (2015) 531): a diagonal
      ``mu<ii>``/``eps<ii>`` vanishes identically, so fitting it would fit nothing.
    * GP21's printed scalar formula (``scalar_phase="gp21"``) multiplies the y_P terms by
      (1 - delta_M) (GP21 eq. 29; [physics §4.2]): ``yP`` has no effect for Majorana there.
    """
    _scalar_convention(scalar_phase, where)
    if nature != "majorana":
        return
    if coupling.mediator == "dipole" and coupling.i == coupling.j:
        raise InputError(
            where, "coupling", coupling.name,
            f"an off-diagonal (transition) moment such as {coupling.kind}12, {coupling.kind}13 "
            f"or {coupling.kind}23 for Majorana neutrinos: diagonal Majorana dipole moments "
            "vanish identically (antisymmetric moment matrix, [physics §4.3])")
    if coupling.kind == "yP" and SCALAR_PHASES[scalar_phase] == "paper":
        raise InputError(
            where, "coupling", coupling.name,
            "scalar_phase='physical' for a Majorana pseudoscalar coupling: GP21's printed eq. 29 "
            "(scalar_phase='gp21') multiplies the y_P terms by (1 - delta_M), so yP would have no "
            "effect ([physics §0] item 8, 4.2)")


def _coupling_matrix(coupling: Coupling, value: ArrayLike, nature: str) -> NDArray:
    """Mass-basis matrix with g at (ij) and g (hermitian) or -g (Majorana dipole) at (ji)."""
    i, j = coupling.i, coupling.j
    mat = element_matrix(f"{i + 1}{j + 1}", value)
    if i != j:
        sign = -1.0 if (coupling.mediator == "dipole" and nature == "majorana") else 1.0
        mat = mat + element_matrix(f"{j + 1}{i + 1}", sign * np.asarray(value, dtype=float))
    return mat


def coupling_term(coupling: Coupling, value: ArrayLike, mediator_mass_eV: ArrayLike = 1.0, *,
                  nature: str = "dirac", width_fraction: float = 1e-6,
                  scalar_phase: str = "physical", where: str = "model"):
    """Build the physics-layer BSM term for one named coupling.

    Parameters
    ----------
    coupling : Coupling
        Which coupling (see :func:`parse_coupling`).
    value : array_like
        Real coupling value(s); an array adds batch axes (broadcast like the physics terms).
    mediator_mass_eV : array_like
        Mediator mass (ignored for dipole moments).
    nature : {"dirac", "majorana"}
        Neutrino nature (antisymmetric Majorana dipole matrices).
    width_fraction : float
        Gamma/M of the mediator [A] (bare pole for the GP21 scalar phase).
    scalar_phase : {"physical", "gp21", "paper"}
        Scalar convention (module docstring).
    where : str
        Label for error messages.

    Returns
    -------
    VectorMediator, ScalarMediator or DipoleMoments

    Raises
    ------
    InputError
        See :func:`check_coupling`.

    """
    check_coupling(coupling, nature, scalar_phase, where)
    mat = _coupling_matrix(coupling, value, nature)
    if coupling.mediator == "dipole":
        return DipoleMoments(**{coupling.kind: mat}, where=where)
    M = np.asarray(mediator_mass_eV, dtype=float)
    if coupling.mediator == "vector":
        return VectorMediator(M, **{coupling.kind: mat}, width_eV=width_fraction * M, where=where)
    convention = SCALAR_PHASES[scalar_phase]
    width = width_fraction * M if convention == "physical" else 0.0
    return ScalarMediator(M, **{coupling.kind: mat}, convention=convention, width_eV=width,
                          where=where)


@dataclass(frozen=True)
class CouplingExpansion:
    """I(g) = I0 + c1 g + c2 g^2 at fixed neutrino state, mediator mass and width (exact).

    Attributes
    ----------
    I0, c1, c2 : numpy.ndarray
        Coefficients, all of one broadcast shape (omega last).
    pole : numpy.ndarray or None
        Where the bare mediator pole makes I infinite for any g != 0 (GP21 scalar phase only);
        there the value is :data:`AT_POLE` (finite, so that deviances stay finite and exclude).

    """

    I0: NDArray[np.float64]
    c1: NDArray[np.float64]
    c2: NDArray[np.float64]
    pole: NDArray[np.bool_] | None = None

    def __call__(self, g: ArrayLike) -> NDArray[np.float64]:
        """I at coupling(s) ``g`` (broadcast against the coefficients)."""
        g = np.asarray(g, dtype=float)
        out = self.I0 + g * (self.c1 + g * self.c2)
        if self.pole is not None:
            out = np.where(self.pole & (g != 0.0), AT_POLE, out)
        return out

    def scaled(self, factor: ArrayLike) -> CouplingExpansion:
        """Return the expansion of ``factor`` x I (e.g. counts per unit I; poles stay AT_POLE)."""
        f = np.asarray(factor, dtype=float)
        return CouplingExpansion(f * self.I0, f * self.c1, f * self.c2, self.pole)


def _three_points(omega, state, target, coupling, g_scale, mediator_mass_eV, E_eg_eV, kw):
    """I at g = 0, +g_scale, -g_scale on a new leading axis of length 3."""
    nd = len(np.broadcast_shapes(np.shape(omega), state.batch_shape, np.shape(g_scale),
                                 np.shape(mediator_mass_eV), np.shape(E_eg_eV)))
    sign = np.array([0.0, 1.0, -1.0]).reshape((3,) + (1,) * nd)
    term = coupling_term(coupling, sign * g_scale, mediator_mass_eV, nature=state.nature, **kw)
    with np.errstate(over="ignore"):
        return spectral_function_bsm(omega, state, target, [term], E_eg_eV=E_eg_eV,
                                     validate=False)


def coupling_expansion(omega_eV: ArrayLike, state, target, coupling: Coupling,
                       mediator_mass_eV: ArrayLike = 1.0, *, E_eg_eV: ArrayLike | None = None,
                       width_fraction: float = 1e-6, scalar_phase: str = "physical",
                       where: str = "model") -> CouplingExpansion:
    """Coefficients of I(g) = I0 + c1 g + c2 g^2 from the physics layer (module docstring).

    Two calls of :func:`renpsim.physics.bsm.spectral_function_bsm` (each at g = 0, +-g): first
    at g = 1 to find the natural scale g_n = sqrt(I0/c2) of every element, then at +-g_n, where
    the three values are of the same size and the differences carry no cancellation (relative
    rounding ~1e-15 for any g). Every input broadcasts as in the physics layer (e.g. mediator
    masses ``M[:, None]`` against a row of omegas).

    Parameters
    ----------
    omega_eV : array_like
        Photon energies (no domain check: closed channels give 0).
    state : NeutrinoState or NeutrinoArrays
        Neutrino masses, a_ij and nature.
    target : AtomicTarget
        Supplies E_vg (and E_eg unless ``E_eg_eV`` is given).
    coupling : Coupling
        The coupling varied.
    mediator_mass_eV : array_like
        Mediator mass(es).
    E_eg_eV : array_like, optional
        Override of E_eg (isotope-shift nuisance).
    width_fraction, scalar_phase, where
        As in :func:`coupling_term`.

    Returns
    -------
    CouplingExpansion

    """
    omega = np.asarray(omega_eV, dtype=float)
    kw = dict(width_fraction=width_fraction, scalar_phase=scalar_phase, where=where)
    unit = _three_points(omega, state, target, coupling, 1.0, mediator_mass_eV, E_eg_eV, kw)
    I0 = unit[0]
    with np.errstate(invalid="ignore", over="ignore"):
        c2_unit = 0.5 * (unit[1] + unit[2]) - I0
        ok = np.isfinite(c2_unit) & (c2_unit > 0.0) & (I0 > 0.0)
        g_n = np.where(ok, np.sqrt(np.where(ok, I0, 1.0) / np.where(ok, c2_unit, 1.0)), 1.0)
    pts = _three_points(omega, state, target, coupling, g_n, mediator_mass_eV, E_eg_eV, kw)
    with np.errstate(invalid="ignore", over="ignore"):
        c1 = (pts[1] - pts[2]) / (2.0 * g_n)
        c2 = (0.5 * (pts[1] + pts[2]) - pts[0]) / (g_n * g_n)
    finite = np.isfinite(c1) & np.isfinite(c2)
    if np.all(finite):
        return CouplingExpansion(pts[0], c1, c2)
    return CouplingExpansion(pts[0], np.where(finite, c1, 0.0), np.where(finite, c2, 0.0),
                             pole=~finite)


@dataclass(frozen=True)
class _Levels:
    """E_eg and E_vg: the part of an AtomicTarget the spectral functions read."""

    E_eg_eV: ArrayLike
    E_vg_eV: float


def sm_spectral_fast(omega_eV: ArrayLike, masses_eV: ArrayLike, a: ArrayLike,
                     E_eg_eV: ArrayLike, E_vg_eV: float, majorana: bool) -> NDArray[np.float64]:
    """SM I(omega) with an optional leading batch axis over parameter sets (fitter gradient).

    Thin wrapper of :func:`renpsim.physics.spectrum.spectral_function_arrays` ([physics §1.3]).
    ``omega_eV`` (B, N) or (N,), ``masses_eV`` (B, 3) or (3,), ``a`` (B, 3, 3) or (3, 3),
    ``E_eg_eV`` (B,) or scalar; the result is (B, N) or (N,).
    """
    m = np.asarray(masses_eV, dtype=float)
    return spectral_function_arrays(
        omega_eV, m[..., None, :], np.asarray(a, dtype=complex)[..., None, :, :],
        E_eg_eV=np.asarray(E_eg_eV, dtype=float)[..., None], E_vg_eV=E_vg_eV,
        majorana=majorana)


def bsm_spectral_function(
    omega_eV: ArrayLike,
    masses_eV: ArrayLike,
    a: ArrayLike,
    *,
    E_eg_eV: ArrayLike,
    E_vg_eV: float,
    majorana: bool = False,
    coupling: Coupling | None = None,
    coupling_value: ArrayLike = 0.0,
    mediator_mass_eV: ArrayLike = 1.0,
    width_fraction: float = 1e-6,
    scalar_phase: str = "physical",
) -> NDArray[np.float64]:
    """I(omega) for the SM (+ one named coupling) from plain arrays, fully broadcast.

    Thin wrapper: :func:`renpsim.physics.spectrum.spectral_function_arrays` for the SM,
    :func:`renpsim.physics.bsm.spectral_function_bsm` with :func:`coupling_term` otherwise.

    Parameters
    ----------
    omega_eV : array_like
        Photon energies (eV). Points beyond every threshold give 0.
    masses_eV : array_like
        (m1, m2, m3), shape ``batch + (3,)``.
    a : array_like
        Axial coupling a_ij, complex, shape ``batch + (3, 3)`` ([physics §1.2]).
    E_eg_eV : array_like
        E_eg (may carry an isotope-shift nuisance).
    E_vg_eV : float
        Intermediate-level energy.
    majorana : bool
        Neutrino nature.
    coupling : Coupling, optional
        Which BSM coupling is switched on (None: pure SM).
    coupling_value : array_like
        Its value (real), broadcast.
    mediator_mass_eV : array_like
        Mediator mass, broadcast.
    width_fraction : float
        Gamma/M of the mediator [A].
    scalar_phase : {"physical", "gp21", "paper"}
        Scalar convention (module docstring).

    Returns
    -------
    numpy.ndarray
        I(omega), dimensionless.

    """
    _scalar_convention(scalar_phase, "spectrum")
    if coupling is None:
        return spectral_function_arrays(omega_eV, masses_eV, a, E_eg_eV=E_eg_eV,
                                        E_vg_eV=E_vg_eV, majorana=majorana)
    state = NeutrinoArrays(np.asarray(masses_eV, dtype=float), np.asarray(a, dtype=complex),
                           "majorana" if majorana else "dirac")
    term = coupling_term(coupling, coupling_value, mediator_mass_eV, nature=state.nature,
                         width_fraction=width_fraction, scalar_phase=scalar_phase,
                         where="spectrum")
    return spectral_function_bsm(omega_eV, state, _Levels(E_eg_eV, E_vg_eV), [term],
                                 validate=False)
