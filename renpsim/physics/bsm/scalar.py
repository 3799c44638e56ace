"""Light scalar/pseudoscalar mediator phi ([physics §4.2]; GP21 eqs. 23-29, corrected).

Lagrangian (GP21 eq. 23; "+h.c." convention below)::

    L_S = i y^e_P e-bar gamma5 e phi + nu-bar_i (y^nu_S,ij + i gamma5 y^nu_P,ij) nu_j phi

Only the electron pseudoscalar coupling is M1-like; its non-relativistic atomic current is
J_P = +i q.J_A/(2 m_e) ([physics §0] item 7), suppressed by |q|/m_e = omega/m_e.

Conventions
-----------
``convention="physical"`` (default)
    * "+h.c." convention: the Lagrangian above *is* hermitian (y_S, y_P hermitian matrices), so
      the effective Dirac vertex is y_ij, with no doubling of real diagonal couplings (this is
      the normalisation of GP21 eq. 29's |y|^2 term, [physics §4.2]).
    * Pseudoscalar atomic current with its factor i: the interference with the weak amplitude
      carries Im[a^L y_S*] and Re[a^L y_P*] ([physics §4.2] "Physical phase"), so a real
      diagonal y_P,11 interferes linearly (~ 2 m_1 a_11).
    * Majorana: effective vertices y_ij + y_ji for S and P ([physics §0] item 8; the majoron-type
      pseudoscalar coupling survives), identical-particle factor 1/2.
    * Interference with a Z' term in the same model is included (one amplitude).
``convention="paper"``
    GP21's printed eq. 29 exactly: interference Re[a_ij y_S,ij] (m_i - m_j)(...) -
    (1 - delta_M) Im[a_ij y_P,ij] (m_i + m_j)(...) (no complex conjugate, real J_P), the y_P
    terms multiplied by (1 - delta_M), y_ij not symmetrised for Majorana, no width, no
    interference with other BSM terms. For comparison with GP21 Fig. 2/3 only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError
from renpsim.physics.bsm.couplings import as_coupling_matrix, as_mass, check_hermitian
from renpsim.physics.bsm.vector import _nonzero_elements, _open_sum, _plain

CONVENTIONS = ("physical", "paper")


@dataclass(frozen=True)
class ScalarMediator:
    """A light scalar/pseudoscalar phi term of the RENP amplitude.

    Parameters
    ----------
    mass_eV : array_like
        Mediator mass m_phi in eV (>= 0); broadcasts like :class:`VectorMediator`.
    yS, yP : number, mapping or array (..., 3, 3)
        Products y^e_P y^nu_S,ij and y^e_P y^nu_P,ij (dimensionless), mass basis; a number sets
        the (11) element. Hermitian (hermitian Lagrangian, no extra "+h.c." doubling).
    convention : {"physical", "paper"}
        See the module docstring and docs/bsm.md.
    width_eV : array_like
        Gamma_phi in the propagator s - m^2 + i m Gamma (default 0). Not allowed with "paper".

    """

    mass_eV: ArrayLike
    yS: object = 0.0
    yP: object = 0.0
    convention: str = "physical"
    width_eV: ArrayLike = 0.0
    where: str = field(default="scalar term", compare=False)

    def __post_init__(self) -> None:
        if self.convention not in CONVENTIONS:
            raise InputError(self.where, "convention", self.convention, "'physical' or 'paper'")
        object.__setattr__(self, "mass_eV", as_mass(self.mass_eV, "m", self.where))
        object.__setattr__(self, "width_eV", as_mass(self.width_eV, "width", self.where))
        if self.convention == "paper" and np.any(self.width_eV > 0):
            raise InputError(self.where, "width", _plain(self.width_eV),
                             "no width with convention=paper (GP21 eq. 29 has the bare pole)")
        for name in ("yS", "yP"):
            mat = as_coupling_matrix(getattr(self, name), name, self.where)
            if self.convention == "physical":
                check_hermitian(mat, name, self.where)
            object.__setattr__(self, name, mat)

    @property
    def has_width(self) -> bool:
        """True if any width is non-zero."""
        return bool(np.any(self.width_eV > 0.0))

    def describe(self) -> dict:
        """JSON-ready echo of the inputs."""
        return {
            "kind": "scalar",
            "m_eV": _plain(self.mass_eV),
            "width_eV": _plain(self.width_eV),
            "yS": _nonzero_elements(self.yS),
            "yP": _nonzero_elements(self.yP),
            "convention": self.convention,
            "couplings": "products y^e_P y^nu_{S/P,ij}, mass basis",
        }


def scalar_width_eV(
    mass_eV: ArrayLike, ynu_S: ArrayLike, ynu_P: ArrayLike = 0.0,
    masses_eV: ArrayLike | None = None, nature: str = "dirac",
) -> NDArray[np.float64]:
    """Width of phi -> nu nu-bar from the bare neutrino couplings (massless matrix elements).

    Dirac: Gamma = m/(8 pi) sum_ij (|y_S,ij|^2 + |y_P,ij|^2); Majorana (vertex y_ij + y_ji and
    factor 1/2 for identical particles): Gamma = m/(16 pi) sum_ij (|y_S,ij + y_S,ji|^2 +
    |y_P,ij + y_P,ji|^2). Channels with m_i + m_j > m are closed. phi -> gamma gamma through
    the electron loop is neglected.
    """
    m = as_mass(mass_eV, "m", "scalar_width_eV")
    ys = as_coupling_matrix(ynu_S, "yS", "scalar_width_eV")
    yp = as_coupling_matrix(ynu_P, "yP", "scalar_width_eV")
    if nature == "majorana":
        w2 = 0.5 * (np.abs(ys + np.swapaxes(ys, -1, -2)) ** 2
                    + np.abs(yp + np.swapaxes(yp, -1, -2)) ** 2)
    else:
        w2 = np.abs(ys) ** 2 + np.abs(yp) ** 2
    return m / (8.0 * math.pi) * _open_sum(w2, m, masses_eV)
