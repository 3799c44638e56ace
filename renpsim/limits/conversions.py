"""Conversions between bounds: product rule, CL rescaling, model mappings, effective moments.

Every function cites its source. Tags as in docs/reference/physics.md: [Q] quoted, [D] derived, [C]
computed.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special, stats

from renpsim.constants import G_F_EV2, M_E_EV
from renpsim.errors import InputError
from renpsim.physics.bsm.effective_moments import mu_eff_flavour as _physics_mu_eff_flavour
from renpsim.physics.bsm.effective_moments import mu_stellar as _physics_mu_stellar
from renpsim.stats.deviance import delta_chi2_threshold  # Wilks, [physics §6.2]

__all__ = [
    "bansal_bbn_c_nu",
    "bl_to_product",
    "combine_product_bound",
    "delta_chi2_threshold",
    "effective_moment",
    "half_normal_product_factor",
    "invert_lambda_cubed",
    "mu_eff_flavour",
    "mu_eff_mass_mixture",
    "mu_eff_stellar",
    "mu_nu_sm_dirac",
    "nsi_eps_to_vector_product",
    "product_to_bl",
    "rescale_delta_chi2",
    "rescale_gaussian",
    "ye_from_electron_g2",
]


def _check_cl(cl: float, name: str = "cl") -> float:
    if not (isinstance(cl, int | float) and 0.0 < cl < 1.0):
        raise InputError("conversion", name, cl, "a confidence level strictly between 0 and 1")
    return float(cl)


def _check_positive(value: float, name: str) -> float:
    if not (isinstance(value, int | float | np.floating) and math.isfinite(value) and value > 0):
        raise InputError("conversion", name, value, "a finite number > 0")
    return float(value)


# ------------------------------------------------------------------ product of two couplings
def _abs_product_cdf(t: float) -> float:
    """P(|XY| <= t) for independent unit normals X, Y.

    The density of Z = XY is K0(|z|)/pi (a Bessel function, as GP21 Sec. IV says), so
    P(|Z| <= t) = (2/pi) int_0^t K0(z) dz [standard result].
    """
    val, _ = integrate.quad(special.k0, 0.0, t, limit=200)
    return 2.0 / math.pi * val


def half_normal_product_factor(cl: float = 0.95) -> float:
    """Factor f with (xy)_CL = f * x_CL * y_CL for two half-normal bounds at the same CL.

    Source: GP21 Sec. IV, "(y^e y^nu)_95% ~ 0.57 (y^e)_95% (y^nu)_95%" [Q]; [physics §6.4]:
    the 95% quantile of |XY| for unit normals is 2.182 and 2.182/1.96^2 = 0.568 [C].

    Assumptions: each coupling's bound is the CL-quantile of |N(0, sigma)| (a half-normal, i.e.
    a two-sided Gaussian bound on the signed coupling centred at zero) and the two are
    independent.

    Parameters
    ----------
    cl : float
        Confidence level of both inputs and of the output.

    """
    cl = _check_cl(cl)
    z = stats.norm.ppf(0.5 * (1.0 + cl))
    hi = 1.0
    while _abs_product_cdf(hi) < cl:
        hi *= 2.0
    q = optimize.brentq(lambda t: _abs_product_cdf(t) - cl, 0.0, hi, xtol=1e-12)
    return q / z**2


def combine_product_bound(bound_a: float, bound_b: float, cl: float = 0.95) -> float:
    """Bound on |a b| from separate half-normal bounds on |a| and |b| at the same CL.

    Source: GP21 Sec. IV and [physics §6.4] (see :func:`half_normal_product_factor`).
    Example: y^e < 1e-9 (GP21 ref. [49]) and |y^nu| < 1.5e-3 (pion decay) give
    0.568 * 1.5e-12 = 8.5e-13, quoted by GP21 as (y^e y^nu)_95% < 1e-12.
    """
    a = _check_positive(bound_a, "bound_a")
    b = _check_positive(bound_b, "bound_b")
    return half_normal_product_factor(cl) * a * b


# ------------------------------------------------------------------ CL rescaling
def rescale_delta_chi2(limit: float, from_cl: float, to_cl: float, from_dof: int = 1,
                       to_dof: int = 1, power: int = 1) -> float:
    """Move a Delta chi^2 (Wilks) limit to another CL and/or number of dof.

    Source: [physics §6.2]: with Delta chi^2 proportional to coupling^(2 power) near the limit,
    the limit scales as (Delta chi^2_to / Delta chi^2_from)^(1/(2 power)); e.g. GP21's 5.99
    (2 dof) to 3.84 (1 dof) is a factor (5.99/3.84)^(1/2) = 1.25 for effects linear in the
    coupling (power=1) and (5.99/3.84)^(1/4) = 1.12 for quadratic ones (power=2) [C].

    Assumptions: Asimov (no fluctuation), the chi^2 is a power law in the coupling near the
    limit (true for small BSM effects: linear interference or pure quadratic terms).
    """
    lim = _check_positive(limit, "limit")
    if power not in (1, 2):
        raise InputError("conversion", "power", power,
                         "1 (effect linear in the coupling) or 2 (quadratic)")
    ratio = delta_chi2_threshold(to_cl, to_dof) / delta_chi2_threshold(from_cl, from_dof)
    return lim * ratio ** (1.0 / (2 * power))


def rescale_gaussian(limit: float, from_cl: float, to_cl: float, sided: str = "two") -> float:
    """Move a Gaussian upper limit (estimator centred at zero) to another CL.

    The limit is z(CL) sigma with z = Phi^-1(CL) for a one-sided bound and
    z = Phi^-1((1+CL)/2) for a two-sided bound on a signed quantity (equivalently a half-normal
    bound on its modulus) [standard]. Not valid for bounds dominated by a fluctuation or by a
    physical boundary (e.g. Feldman-Cousins near zero): use the source's own numbers there.

    Parameters
    ----------
    limit : float
        The upper limit at ``from_cl``.
    from_cl, to_cl : float
        Confidence levels (fractions).
    sided : {"one", "two"}
        Convention of both input and output.

    """
    lim = _check_positive(limit, "limit")
    f, t = _check_cl(from_cl, "from_cl"), _check_cl(to_cl, "to_cl")
    if sided == "one":
        zf, zt = stats.norm.ppf(f), stats.norm.ppf(t)
        if zf <= 0 or zt <= 0:
            raise InputError("conversion", "cl", min(f, t), "> 0.5 for a one-sided limit")
    elif sided == "two":
        zf, zt = stats.norm.ppf(0.5 * (1 + f)), stats.norm.ppf(0.5 * (1 + t))
    else:
        raise InputError("conversion", "sided", sided, "'one' or 'two'")
    return lim * zt / zf


# ------------------------------------------------------------------ model mappings
def bl_to_product(g_bl: ArrayLike) -> NDArray[np.float64]:
    """g^e g^nu = g_{B-L}^2 in U(1)_{B-L}, where g^e = g^nu = g_{B-L} (GP21 Sec. IV, Fig. 3)."""
    g = np.asarray(g_bl, dtype=float)
    if np.any(~np.isfinite(g)) or np.any(g <= 0):
        raise InputError("conversion", "g_bl", g_bl, "finite couplings > 0")
    return g**2


def product_to_bl(product: ArrayLike) -> NDArray[np.float64]:
    """Inverse of :func:`bl_to_product`: g_{B-L} = sqrt(g^e g^nu) (GP21 Sec. IV)."""
    p = np.asarray(product, dtype=float)
    if np.any(~np.isfinite(p)) or np.any(p <= 0):
        raise InputError("conversion", "product", product, "finite products > 0")
    return np.sqrt(p)


def nsi_eps_to_vector_product(eps: float, m_eV: ArrayLike) -> NDArray[np.float64]:
    """|g^e g^nu| corresponding to an NSI strength eps for a mediator of mass m (eV).

    Relation g^e g^nu / m^2 = 2 sqrt2 G_F eps ([physics §7.1] row V5, tag D; convention
    dependent: the NSI normalisation and the fermion the NSI refers to must match the source,
    Coloma et al. arXiv:2009.14220). Valid for m >> the momentum transfer of coherent forward
    scattering (a line of slope 2 on the log-log plane, GP21 Sec. IV).
    """
    e = _check_positive(eps, "eps")
    m = np.asarray(m_eV, dtype=float)
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise InputError("conversion", "m_eV", m_eV, "masses > 0 in eV")
    return 2.0 * math.sqrt(2.0) * G_F_EV2 * e * m**2


def ye_from_electron_g2(delta_a_e: float = 1e-12, coupling: str = "pseudoscalar") -> float:
    """Estimate of the electron Yukawa bound from |Delta a_e| for m_phi << m_e.

    Source: [physics §7.2] row S5 [D, estimate]: Delta a_e = -y_P^2/(16 pi^2) (pseudoscalar),
    +3 y_S^2/(16 pi^2) (scalar), with |Delta a_e| < 1e-12 assumed; gives 1.3e-5 and 7e-6.
    """
    d = _check_positive(delta_a_e, "delta_a_e")
    if coupling == "pseudoscalar":
        return math.sqrt(16 * math.pi**2 * d)
    if coupling == "scalar":
        return math.sqrt(16 * math.pi**2 * d / 3)
    raise InputError("conversion", "coupling", coupling, "'pseudoscalar' or 'scalar'")


def invert_lambda_cubed(scale_GeV: float) -> float:
    """C/Lambda^3 in GeV^-3 from a bound written as Lambda^3/C >~ scale^3 (Bansal Table 1)."""
    return _check_positive(scale_GeV, "scale_GeV") ** -3


def bansal_bbn_c_nu(m_phi_eV: ArrayLike) -> NDArray[np.float64]:
    """BBN bound on c_nu: 1/[(5e-9 MeV/m_phi)^-1 + (4e-5)^-1] (Bansal eq. 3.6; [physics §7.5]).

    Assumes Gamma(phi -> gamma gamma) << Gamma(phi -> nu nu).
    """
    m = np.asarray(m_phi_eV, dtype=float)
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise InputError("conversion", "m_phi_eV", m_phi_eV, "masses > 0 in eV")
    m_MeV = m * 1e-6
    return 1.0 / (m_MeV / 5e-9 + 1.0 / 4e-5)


def mu_nu_sm_dirac(m_nu_eV: ArrayLike) -> NDArray[np.float64]:
    """SM magnetic moment of a Dirac neutrino in mu_B: 3 e G_F m_nu / (8 sqrt2 pi^2).

    Source: [physics §7.3] row M14 [Q: GEMMA paper; NF22]. In units of mu_B = e/(2 m_e) this is
    3 G_F m_e m_nu / (4 sqrt2 pi^2) = 3.20e-19 (m_nu/eV).
    """
    m = np.asarray(m_nu_eV, dtype=float)
    return 3.0 * G_F_EV2 * M_E_EV * m / (4.0 * math.sqrt(2.0) * math.pi**2)


# ------------------------------------------------------------------ effective magnetic moments
def _moment_matrices(mu: ArrayLike, eps: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mu, dtype=complex)
    e = np.zeros_like(m) if eps is None else np.asarray(eps, dtype=complex)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or e.shape != m.shape:
        raise InputError("conversion", "mu/eps", m.shape,
                         "square matrices of the same shape (mass basis, units of mu_B)")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(e))):
        raise InputError("conversion", "mu/eps", "non-finite", "finite matrix elements")
    return m, e


def mu_eff_flavour(mu: ArrayLike, eps: ArrayLike | None, U: ArrayLike) -> NDArray[np.float64]:
    """Effective moment seen in nu_alpha - e scattering, for alpha = e, mu, tau.

    (mu^eff_alpha)^2 = sum_j | sum_k U*_{alpha k} (mu_jk - i eps_jk) |^2
    [Q: NF22 slides; [physics §4.3] and [physics §7.3]]. Applies to solar (at the source flavour,
    before
    propagation) and accelerator experiments, and to reactor nubar_e with alpha = e.

    Parameters
    ----------
    mu, eps : (n, n) array_like
        Magnetic and electric dipole moments in the mass basis, units of mu_B (eps may be None).
    U : (n, n) array_like
        Lepton mixing matrix, rows = flavour, columns = mass state.

    Returns
    -------
    ndarray, shape (n,)
        mu^eff_alpha in mu_B.

    """
    m, e = _moment_matrices(mu, eps)
    u = np.asarray(U, dtype=complex)
    if u.shape != m.shape:
        raise InputError("conversion", "U", u.shape, f"a {m.shape} mixing matrix")
    if m.shape != (3, 3):
        raise InputError("conversion", "mu/eps", m.shape, "3x3 mass-basis matrices")
    return _physics_mu_eff_flavour(m, e, u)


def mu_eff_mass_mixture(mu: ArrayLike, eps: ArrayLike | None,
                        probabilities: ArrayLike) -> float:
    """Effective moment for an incoherent mixture of mass states k with probabilities P_k.

    For example solar neutrinos at the Earth: mu_eff^2 = sum_k P_k sum_j |mu_jk - i eps_jk|^2
    [D, standard: mass states do not interfere after decoherence].
    """
    m, e = _moment_matrices(mu, eps)
    p = np.asarray(probabilities, dtype=float)
    if p.shape != (m.shape[0],) or np.any(p < 0) or not math.isclose(p.sum(), 1.0, rel_tol=1e-9):
        raise InputError("conversion", "probabilities", probabilities,
                         f"{m.shape[0]} non-negative probabilities summing to 1")
    col = np.sum(np.abs(m - 1j * e) ** 2, axis=0)  # sum_j over rows, per k
    return float(np.sqrt(np.dot(p, col)))


def mu_eff_stellar(mu: ArrayLike, eps: ArrayLike | None = None) -> float:
    """Stellar (plasmon-decay) combination (mu^star)^2 = sum_ij (|mu_ij|^2 + |eps_ij|^2).

    Source: NF22 slides [Q]; [physics §4.3] and [physics §7.3].
    """
    m, e = _moment_matrices(mu, eps)
    if m.shape != (3, 3):
        raise InputError("conversion", "mu/eps", m.shape, "3x3 mass-basis matrices")
    return float(_physics_mu_stellar(m, e))


_FLAVOURS = {"e": 0, "mu": 1, "tau": 2}


def effective_moment(mu: ArrayLike, eps: ArrayLike | None = None, definition: str = "stellar",
                     U: ArrayLike | None = None, flavour: str = "e",
                     probabilities: ArrayLike | None = None) -> float:
    """Map a (mu, eps) matrix onto the effective moment one experiment type bounds.

    Glue between RENP's mass-basis matrices and the ``mu_definition`` of the limit records
    ([physics §4.3], [physics §7.3]; NF22):

    - ``"stellar"``: :func:`mu_eff_stellar`;
    - ``"accelerator_flavour"``, ``"reactor_nubar_e"``: :func:`mu_eff_flavour` for ``flavour``
      (``"e"`` for reactors; needs ``U``);
    - ``"solar_flavour"``: :func:`mu_eff_mass_mixture` with the mass-state probabilities of the
      solar flux at the detector if ``probabilities`` is given, else :func:`mu_eff_flavour` at
      the source flavour ``e`` (needs ``U``).

    Parameters
    ----------
    mu, eps : (n, n) array_like
        Mass-basis moments in mu_B.
    definition : str
        One of the records' ``mu_definition`` values listed above.
    U : (n, n) array_like, optional
        Mixing matrix (rows flavour).
    flavour : {"e", "mu", "tau"}
        Flavour of the beam for flavour definitions.
    probabilities : array_like, optional
        Mass-state probabilities P_k for an incoherent beam.

    Returns
    -------
    float
        The effective moment in mu_B.

    """
    if definition == "stellar":
        return mu_eff_stellar(mu, eps)
    if definition == "solar_flavour" and probabilities is not None:
        return mu_eff_mass_mixture(mu, eps, probabilities)
    if definition in ("solar_flavour", "accelerator_flavour", "reactor_nubar_e"):
        if U is None:
            raise InputError("conversion", "U", None,
                             f"the mixing matrix for the {definition} definition")
        if definition == "reactor_nubar_e":
            flavour = "e"
        if flavour not in _FLAVOURS:
            raise InputError("conversion", "flavour", flavour, "'e', 'mu' or 'tau'")
        return float(mu_eff_flavour(mu, eps, U)[_FLAVOURS[flavour]])
    raise InputError("conversion", "definition", definition,
                     "stellar, solar_flavour, accelerator_flavour or reactor_nubar_e")
