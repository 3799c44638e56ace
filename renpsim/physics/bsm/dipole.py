"""Neutrino electromagnetic form factors with the photon as massless mediator ([physics §4.3]).

Vertex (Giunti-Studenikin form, q = p_i + p_j)::

    Lambda^mu_ij(q) = (gamma^mu - q^mu qslash/q^2)(f_Q + f_A q^2 gamma5)
                      - i sigma^{mu nu} q_nu (mu_ij + i eps_ij gamma5)

The photon couples to the M1 magnetisation current of the atomic e -> v step,
<v|J_em(q)|e> = -(i e/2 m_e) q x <v|S|e> ([physics §4.3]), the same <S> as the weak J_A = 2<S>.

Dipole moments (:class:`DipoleMoments`)
    mu_ij, eps_ij in units of mu_B. Dirac: hermitian matrices, mu_ji = conj(mu_ij). Majorana:
    antisymmetric (transition moments only) in the normalisation where the Majorana Lagrangian
    is -(1/4) nu-bar sigma^{mu nu}(mu + i eps gamma5) nu F_{mu nu} (half the Dirac one), so that
    mu_ij is the matrix-element vertex of nu_j -> nu_i gamma for both natures.

Charge radius and anapole (:class:`ChargeRadiusAnapole`)
    f_Q = q^2 <r^2>_ij / 6 and f_A q^2 = a_ij q^2: the q^2 cancels the photon propagator and the
    result is a contact term (e/6)<r^2> and e a on the same omega/m_e-suppressed magnetisation
    current. They are evaluated exactly (2-node Gauss-Legendre in E_i over vectorised explicit
    spinor amplitudes; the integrand is a quadratic polynomial in E_i).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from renpsim.errors import InputError
from renpsim.physics.bsm.couplings import as_coupling_matrix, check_antisymmetric, check_hermitian
from renpsim.physics.bsm.vector import _nonzero_elements

#: cm^2 to eV^-2, (1 cm / hbar c)^2.
_CM2_TO_INV_EV2 = 1.0 / (1.973269804e-5) ** 2


@dataclass(frozen=True)
class DipoleMoments:
    """Magnetic (mu) and electric (eps) dipole moments in units of mu_B, mass basis.

    Parameters
    ----------
    mu, eps : number, mapping or array (..., 3, 3)
        mu_ij / mu_B and eps_ij / mu_B. A number sets the (11) element (Dirac only: a Majorana
        diagonal moment vanishes). Dirac: hermitian. Majorana: antisymmetric (checked when the
        spectrum is evaluated, since it depends on the neutrino nature).

    """

    mu: object = 0.0
    eps: object = 0.0
    where: str = field(default="dipole term", compare=False)

    def __post_init__(self) -> None:
        for name in ("mu", "eps"):
            object.__setattr__(self, name, as_coupling_matrix(getattr(self, name), name,
                                                              self.where))

    def validate_for(self, nature: str) -> None:
        """Hermitian (Dirac) or antisymmetric (Majorana) moments, else InputError."""
        for name in ("mu", "eps"):
            mat = getattr(self, name)
            if nature == "majorana":
                check_antisymmetric(mat, name, self.where)
            else:
                check_hermitian(mat, name, self.where)

    def describe(self) -> dict:
        """JSON-ready echo of the inputs."""
        return {"kind": "dipole", "mu": _nonzero_elements(self.mu),
                "eps": _nonzero_elements(self.eps), "unit": "mu_B"}


@dataclass(frozen=True)
class ChargeRadiusAnapole:
    """Charge radius <r^2>_ij (cm^2) and anapole a_ij (cm^2) contact terms ([physics §4.3]).

    Parameters
    ----------
    r2_cm2 : number, mapping or array (3, 3)
        Charge-radius matrix <r^2>_ij in cm^2 (hermitian for Dirac, as the vector current).
    anapole_cm2 : number, mapping or array (3, 3)
        Anapole moment a_ij in cm^2 (f_A(0) in the vertex; hermitian for Dirac).

    Notes
    -----
    Evaluated with a slower exact path (explicit vectorised spinors at 2 Gauss-Legendre nodes);
    no batch axes on these couplings. [physics §4.3] predicts a relative effect ~1e-15 for
    <r^2> = 1e-32 cm^2.

    """

    r2_cm2: object = 0.0
    anapole_cm2: object = 0.0
    where: str = field(default="charge-radius/anapole term", compare=False)

    def __post_init__(self) -> None:
        for name in ("r2_cm2", "anapole_cm2"):
            mat = as_coupling_matrix(getattr(self, name), name, self.where)
            if mat.shape != (3, 3):
                raise InputError(self.where, name, f"array of shape {mat.shape}",
                                 "a plain 3x3 matrix (no batch axes for contact terms)")
            object.__setattr__(self, name, mat)

    def validate_for(self, nature: str) -> None:
        """Check hermiticity; Dirac only.

        The Majorana contact terms (<r^2> antisymmetric, anapole symmetric) are not implemented.
        """
        if nature == "majorana":
            raise InputError(self.where, "nature", nature,
                             "Dirac neutrinos (the Majorana contact terms are not implemented)")
        for name in ("r2_cm2", "anapole_cm2"):
            check_hermitian(getattr(self, name), name, self.where)

    @property
    def r2_inv_eV2(self) -> np.ndarray:
        """<r^2> in eV^-2."""
        return self.r2_cm2 * _CM2_TO_INV_EV2

    @property
    def anapole_inv_eV2(self) -> np.ndarray:
        """Anapole in eV^-2."""
        return self.anapole_cm2 * _CM2_TO_INV_EV2

    def describe(self) -> dict:
        """JSON-ready echo of the inputs."""
        return {"kind": "charge_radius_anapole", "r2_cm2": _nonzero_elements(self.r2_cm2),
                "anapole_cm2": _nonzero_elements(self.anapole_cm2)}
