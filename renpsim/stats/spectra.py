"""Spectral function with optional light-mediator terms, batched for the statistics engine.

This is the seam through which the statistics engine evaluates I(omega) for every hypothesis:
SM (physics.md 1.3), SM + light vector Z' (physics.md 4.1, GP21 eq. 22 **with the corrected sign
of the I^M bracket**, physics.md 0 item 4) and SM + light scalar/pseudoscalar phi (physics.md 4.2,
GP21 eqs. 28-29 with the Theta of physics.md 0 item 1) and SM + neutrino dipole moments
(physics.md 4.3, Dirac, derived there). Everything broadcasts: omega, the
mediator mass, the coupling and the neutrino batch (masses, a_ij) may be arrays of compatible
shapes, so a whole mass grid x coupling grid x scan steps is one call.

TEMPORARY: the vector, scalar and dipole terms below are a small internal implementation,
written so that the statistics engine could be developed before ``renpsim.physics.bsm``
(branch ``bsm``) landed. It was cross-checked against that branch's
``spectral_function_bsm`` (vector Dirac/Majorana incl. off-diagonal, scalar in both phase
conventions: equal to 3e-16 relative); once merged, the tests compare the two and the
statistics engine keeps this batched kernel as its fast path. The tests in
``tests/test_stats_spectra.py`` pin the SM limit against
:func:`renpsim.physics.spectral_function`.

Conventions (stated because they matter):

* Couplings are the products g^e g^nu_{L/R,ij} (vector) and y^e_P y^nu_{S/P,ij} (scalar), real,
  applied to the unordered pair {i, j} (both ordered channels, hermitian real coupling).
* Scalar: effective vertex y with no "+h.c." doubling (physics.md 4.2 "convention trap"); Dirac
  only (the Majorana scalar/pseudoscalar terms are unconfirmed, physics.md 4.2).
* Scalar interference phase: ``"gp21"`` (J_P real, reproduces GP21) or ``"physical"``
  (J_P = +i q.J_A/(2 m_e), physics.md 0 item 7). Default ``"physical"`` (issue 3: the physically
  consistent form by default; ``"gp21"`` reproduces the printed GP21 eq. 29).
* Mediator width: s - M^2 -> s - M^2 + i M Gamma with Gamma = ``width_fraction`` x M, an
  assumption knob [A] (GP21 keeps the pole without a width; physics.md 4.1 recommends one).
  The default 1e-6 only regularises the exact pole.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.constants import ALPHA, G_F_EV2, M_E_EV
from renpsim.errors import InputError
from renpsim.physics.kinematics import UNORDERED_PAIRS, pair_mass2, phase_space_delta
from renpsim.physics.spectrum import dirac_kernel

SQRT2_GF = math.sqrt(2.0) * G_F_EV2

_COUPLING_RE = re.compile(r"^(?P<kind>gL|gR|yS|yP|mu|eps)(?P<i>[123])(?P<j>[123])$")

#: Mediator kind for each coupling family (the photon for the dipole moments).
MEDIATOR_OF = {"gL": "vector", "gR": "vector", "yS": "scalar", "yP": "scalar",
               "mu": "dipole", "eps": "dipole"}

#: K = e^4 / (192 G_F^2 m_e^4) in eV^-2 with e^2 = 4 pi alpha (physics.md 4.3; 8.4 B5).
K_EM_INV_EV2 = (4.0 * math.pi * ALPHA) ** 2 / (192.0 * G_F_EV2**2 * M_E_EV**4)


@dataclass(frozen=True)
class Coupling:
    """A parsed coupling name such as ``gL11`` (g^e g^nu_L,11) or ``yS11`` (y^e y^nu_S,11).

    Attributes
    ----------
    name : str
        The name as given.
    kind : {"gL", "gR", "yS", "yP"}
        Coupling family.
    i, j : int
        0-based mass indices (the pair is unordered).

    """

    name: str
    kind: str
    i: int
    j: int

    @property
    def mediator(self) -> str:
        """``"vector"`` or ``"scalar"``."""
        return MEDIATOR_OF[self.kind]


def parse_coupling(name: str, where: str = "coupling") -> Coupling:
    """Parse ``gL11``, ``gR12``, ``yS11``, ``yP11``... into a :class:`Coupling`.

    Raises
    ------
    InputError
        The name does not match ``(gL|gR|yS|yP)[1-3][1-3]``.

    """
    m = _COUPLING_RE.match(str(name))
    if m is None:
        raise InputError(where, "coupling", name,
                         "gL<ij>, gR<ij> (vector), yS<ij>, yP<ij> (scalar) or mu<ij>, eps<ij> "
                         "(dipole moments in mu_B), i,j in 1..3")
    i, j = sorted((int(m["i"]) - 1, int(m["j"]) - 1))
    return Coupling(name=str(name), kind=m["kind"], i=i, j=j)


_PI = np.array([0, 0, 0, 1, 1, 2])
_PJ = np.array([0, 1, 2, 1, 2, 2])
_PMULT = np.array([1.0, 2.0, 2.0, 1.0, 2.0, 1.0])[:, None]


def sm_spectral_fast(omega_eV: NDArray[np.float64], masses_eV: NDArray[np.float64],
                     a: NDArray[np.complex128], E_eg_eV: ArrayLike, E_vg_eV: float,
                     majorana: bool) -> NDArray[np.float64]:
    """Return the SM I(omega) on a 1-d omega grid, the six channels stacked on one axis.

    Same formula as :func:`renpsim.physics.spectral_function` (physics.md 1.3), evaluated with
    the six distinct channels stacked on an axis instead of a Python loop: this is the fitter's
    hot path (hundreds of evaluations per fit). Tested equal to the physics engine.

    Optional leading batch axis B (used for the fitter's gradient): ``omega_eV`` (B, N) or
    (N,), ``masses_eV`` (B, 3), ``a`` (B, 3, 3), ``E_eg_eV`` (B,); the result is (B, N).
    """
    omega_eV = np.asarray(omega_eV, dtype=float)
    E = np.asarray(E_eg_eV, dtype=float)[..., None, None]
    w = omega_eV[..., None, :]
    s = E * (E - 2.0 * w)
    mi = masses_eV[..., _PI][..., :, None]
    mj = masses_eV[..., _PJ][..., :, None]
    x = s - (mi + mj) ** 2
    if s.min() > 0.0:
        # common case (every step below the endpoint); y >= x, so x > 0 implies y > 0
        inv_s = 1.0 / s
        d = np.sqrt(np.maximum(x, 0.0) * (s - (mi - mj) ** 2)) * inv_s
        ratio = (mi * mi - mj * mj) * inv_s
    else:
        y = s - (mi - mj) ** 2
        pos = s > 0.0
        s_safe = np.where(pos, s, 1.0)
        open_ = (x > 0.0) & pos
        d = np.where(open_, np.sqrt(np.maximum(x, 0.0) * np.maximum(y, 0.0)) / s_safe, 0.0)
        d = np.where((s == 0.0) & ((mi + mj) == 0.0), 1.0, d)
        ratio = np.where(pos, (mi * mi - mj * mj) / s_safe, 0.0)
    e_pair = E - w
    kD = (s - 0.5 * (mi * mi + mj * mj) + 0.5 * w * w * (1.0 - d * d / 3.0)
          - 0.5 * e_pair * e_pair * ratio * ratio) / 3.0
    aij = a[..., _PI, _PJ][..., :, None]
    bracket = (aij.real ** 2 + aij.imag ** 2) * kD
    if majorana:
        bracket = bracket - np.real(aij * aij) * mi * mj
    return np.sum(_PMULT * d * bracket, axis=-2) / (E_vg_eV - omega_eV) ** 2


def _propagator(s, mass, width_fraction):
    """1/(s - M^2 + i M Gamma), Gamma = width_fraction * M (physics.md 4.1 'Propagator')."""
    M = np.asarray(mass, dtype=float)
    return 1.0 / (s - M * M + 1j * M * M * width_fraction)


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
    """I(omega) for SM (+ one light-mediator coupling), fully broadcast.

    Parameters
    ----------
    omega_eV : array_like
        Photon energies (eV). Points beyond every threshold give 0.
    masses_eV : array_like
        (m1, m2, m3), shape ``batch + (3,)``.
    a : array_like
        Axial coupling a_ij, complex, shape ``batch + (3, 3)`` (physics.md 1.2).
    E_eg_eV : array_like
        E_eg (may carry an isotope-shift nuisance).
    E_vg_eV : float
        Intermediate-level energy.
    majorana : bool
        Neutrino nature.
    coupling : Coupling, optional
        Which BSM coupling is switched on (None: pure SM).
    coupling_value : array_like
        Product coupling g^e g^nu or y^e y^nu (real), broadcast.
    mediator_mass_eV : array_like
        Mediator mass, broadcast.
    width_fraction : float
        Gamma/M of the mediator [A].
    scalar_phase : {"gp21", "physical"}
        Phase convention of the pseudoscalar atomic current (physics.md 0 item 7).

    Returns
    -------
    numpy.ndarray
        I(omega), dimensionless, shape of the broadcast of all inputs (without the mass axes).

    Notes
    -----
    Vector (physics.md 4.1, corrected eq. 22)::

        a^L = a + g_L / [sqrt2 G_F (s - M^2)],  a^R = g_R / [sqrt2 G_F (s - M^2)]
        bracket = (|aL|^2 + |aR|^2 - 2 dM Re[aL aR]) I^D
                  + (2 Re[aL* aR] - dM Re[aL^2 + aR^2]) m_i m_j

    Scalar, Dirac (physics.md 4.2)::

        dI = Y^2 w^2/(m_e^2 G_F^2)
             [ (S^2+P^2) s - S^2 (m_i+m_j)^2 - P^2 (m_i-m_j)^2 ] / (24 |s-M^2|^2)
           + Y w^2/(6 sqrt2 G_F m_e) Re[1/(s-M^2)] {interference, phase dependent}

    """
    if scalar_phase not in ("gp21", "physical"):
        raise InputError("spectrum", "scalar_phase", scalar_phase, "'gp21' or 'physical'")
    w = np.asarray(omega_eV, dtype=float)
    E_eg = np.asarray(E_eg_eV, dtype=float)
    s = pair_mass2(w, E_eg)
    m = np.asarray(masses_eV, dtype=float)
    a = np.asarray(a, dtype=complex)
    inv_den = 1.0 / (E_vg_eV - w) ** 2
    if coupling is not None:
        g = np.asarray(coupling_value, dtype=float)
        prop = _propagator(s, mediator_mass_eV, width_fraction)
        if coupling.mediator == "scalar" and majorana:
            raise InputError("spectrum", "nature", "majorana",
                             "Dirac for scalar couplings (the Majorana scalar terms are "
                             "unconfirmed, physics.md 4.2)")
        if coupling.mediator == "dipole" and majorana:
            raise InputError("spectrum", "nature", "majorana",
                             "Dirac for dipole moments (the Majorana EM term is not derived, "
                             "physics.md 4.3)")
    total = None
    for i, j, mult in UNORDERED_PAIRS:
        mi, mj = m[..., i], m[..., j]
        d = phase_space_delta(s, mi, mj)
        kD = dirac_kernel(w, s, d, E_eg, mi, mj)
        aij = a[..., i, j]
        hit = coupling is not None and (coupling.i, coupling.j) == (i, j)
        if hit and coupling.mediator == "vector":
            extra = g * prop / SQRT2_GF
            aL = aij + extra if coupling.kind == "gL" else aij + 0.0 * extra
            aR = extra if coupling.kind == "gR" else 0.0 * extra
            c1 = np.abs(aL) ** 2 + np.abs(aR) ** 2
            c2 = 2.0 * np.real(np.conj(aL) * aR)
            if majorana:
                c1 = c1 - 2.0 * np.real(aL * aR)
                c2 = c2 - np.real(aL * aL + aR * aR)
            bracket = c1 * kD + c2 * mi * mj
        else:
            bracket = np.abs(aij) ** 2 * kD
            if majorana:
                bracket = bracket - np.real(aij * aij) * mi * mj
            if hit and coupling.mediator == "dipole":
                # physics.md 4.3 (Dirac; adds incoherently, no interference with the SM)
                with np.errstate(divide="ignore", invalid="ignore"):
                    s_ok = np.where(s > 0, s, 1.0)
                    if coupling.kind == "mu":
                        shape = d * d / 3.0 + (mi + mj) ** 2 * (s - (mi - mj) ** 2) / s_ok**2
                    else:
                        shape = d * d / 3.0 + (mi - mj) ** 2 * (s - (mi + mj) ** 2) / s_ok**2
                bracket = bracket + K_EM_INV_EV2 * w * w * g * g * np.where(s > 0, shape, 0.0)
            elif hit:  # scalar
                S = g if coupling.kind == "yS" else 0.0
                P = g if coupling.kind == "yP" else 0.0
                with np.errstate(divide="ignore", invalid="ignore"):
                    sq = w * w / (M_E_EV**2 * G_F_EV2**2) * (
                        (S * S + P * P) * s - S * S * (mi + mj) ** 2 - P * P * (mi - mj) ** 2
                    ) * np.abs(prop) ** 2 / 24.0
                    ratio_p = np.where(s > 0, (mi - mj) ** 2 / np.where(s > 0, s, 1.0), 0.0)
                    ratio_s = np.where(s > 0, (mi + mj) ** 2 / np.where(s > 0, s, 1.0), 0.0)
                pref = w * w / (6.0 * SQRT2_GF * M_E_EV) * np.real(prop)
                if scalar_phase == "gp21":
                    brace = (np.real(aij) * S * (mi - mj) * (1.0 - ratio_s)
                             - np.imag(aij) * P * (mi + mj) * (1.0 - ratio_p))
                else:
                    brace = (np.imag(aij) * S * (mi - mj) * (1.0 - ratio_s)
                             + np.real(aij) * P * (mi + mj) * (1.0 - ratio_p))
                bracket = bracket + sq + pref * brace
        term = (mult * d) * bracket
        total = term if total is None else total + term
    return total * inv_den
