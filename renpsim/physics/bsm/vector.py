"""Light vector mediator Z' coupled to the electron axial current ([physics §4.1]; GP21 eqs. 18-22).

Lagrangian (GP21 eq. 18)::

    L_V = g^e e-bar gamma^mu gamma5 e Z'_mu
          + nu-bar_i gamma^mu (g^nu_L,ij P_L + g^nu_R,ij P_R) nu_j Z'_mu

Only the electron axial coupling gives the M1 (spin) transition (GP21 Table I). Exchanging the Z'
adds to the SM axial coupling (GP21 eq. 20, sign checked against L_W = -H_W, [physics §4.1])::

    a^L_ij = a_ij + g^e g^nu_L,ij / [sqrt2 G_F (s - m^2 + i m Gamma)]
    a^R_ij =        g^e g^nu_R,ij / [sqrt2 G_F (s - m^2 + i m Gamma)]

with s = E_eg (E_eg - 2 omega). The width is off by default (GP21 keeps the bare pole); use
:func:`vector_width_eV` to compute it from the bare neutrino couplings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.physics.bsm.couplings import as_coupling_matrix, as_mass, check_hermitian


@dataclass(frozen=True)
class VectorMediator:
    """A light Z' term of the RENP amplitude.

    Parameters
    ----------
    mass_eV : array_like
        Mediator mass m_Z' in eV (>= 0). Arrays broadcast against omega and the couplings' batch
        axes (e.g. a column of masses against a row of photon energies).
    gL, gR : number, mapping or array (..., 3, 3)
        The products g^e g^nu_L,ij and g^e g^nu_R,ij (dimensionless), complex, mass basis. A number
        sets the (11) element. Must be hermitian (hermitian Lagrangian; g^e is real).
    width_eV : array_like
        Total width Gamma_Z' in eV in the propagator s - m^2 + i m Gamma (default 0: bare pole, as
        in GP21). See :func:`vector_width_eV`.

    """

    mass_eV: ArrayLike
    gL: object = 0.0
    gR: object = 0.0
    width_eV: ArrayLike = 0.0
    where: str = field(default="vector term", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mass_eV", as_mass(self.mass_eV, "m", self.where))
        object.__setattr__(self, "width_eV", as_mass(self.width_eV, "width", self.where))
        for name in ("gL", "gR"):
            mat = as_coupling_matrix(getattr(self, name), name, self.where)
            check_hermitian(mat, name, self.where)
            object.__setattr__(self, name, mat)

    @property
    def has_width(self) -> bool:
        """True if any width is non-zero."""
        return bool(np.any(self.width_eV > 0.0))

    def describe(self) -> dict:
        """JSON-ready echo of the inputs (couplings as [re, im] pairs of non-zero elements)."""
        return {
            "kind": "vector",
            "m_eV": _plain(self.mass_eV),
            "width_eV": _plain(self.width_eV),
            "gL": _nonzero_elements(self.gL),
            "gR": _nonzero_elements(self.gR),
            "couplings": "products g^e g^nu_{L/R,ij}, mass basis",
        }


def vector_width_eV(
    mass_eV: ArrayLike, gnu_L: ArrayLike, gnu_R: ArrayLike = 0.0,
    masses_eV: ArrayLike | None = None, nature: str = "dirac",
) -> NDArray[np.float64]:
    """Width of Z' -> nu nu-bar from the bare neutrino couplings ([physics §4.1] [U, standard]).

    Gamma = m/(24 pi) * sum over open ordered channels of (|g_L,ij|^2 + |g_R,ij|^2) for Dirac;
    for Majorana only C = g_L - g_R^T is physical and Gamma = m/(24 pi) sum_ij |C_ij|^2. Neutrino
    masses enter only through the threshold m > m_i + m_j (massless matrix elements otherwise);
    decays to e+e- (m > 1.022 MeV) are not included.

    Parameters
    ----------
    mass_eV : array_like
        m_Z' in eV.
    gnu_L, gnu_R : number, mapping or array (..., 3, 3)
        Bare neutrino couplings g^nu (not the products with g^e).
    masses_eV : array_like, optional
        Neutrino masses (..., 3) for the thresholds; default all channels open.
    nature : {"dirac", "majorana"}
        Neutrino nature.

    """
    m = as_mass(mass_eV, "m", "vector_width_eV")
    gl = as_coupling_matrix(gnu_L, "gL", "vector_width_eV")
    gr = as_coupling_matrix(gnu_R, "gR", "vector_width_eV")
    if nature == "majorana":
        c = gl - np.swapaxes(gr, -1, -2)
        w2 = np.abs(c) ** 2
    else:
        w2 = np.abs(gl) ** 2 + np.abs(gr) ** 2
    return m / (24.0 * math.pi) * _open_sum(w2, m, masses_eV)


def _open_sum(w2, m, masses_eV):
    if masses_eV is None:
        return np.sum(w2, axis=(-2, -1))
    nu = np.asarray(masses_eV, dtype=float)
    msum = nu[..., :, None] + nu[..., None, :]
    mm = np.asarray(m)[..., None, None]
    return np.sum(np.where(mm > msum, w2, 0.0), axis=(-2, -1))


def _plain(x):
    arr = np.asarray(x)
    return arr.item() if arr.ndim == 0 else arr.tolist()


def _nonzero_elements(mat) -> dict:
    arr = np.asarray(mat)
    out = {}
    for i in range(3):
        for j in range(3):
            v = arr[..., i, j]
            if np.any(v != 0):
                if v.ndim == 0:
                    z = complex(v)
                    out[f"{i + 1}{j + 1}"] = z.real if z.imag == 0 else [z.real, z.imag]
                else:
                    out[f"{i + 1}{j + 1}"] = [[float(z.real), float(z.imag)] for z in v.ravel()]
    return out
