"""Limits and validation numbers of the BSM terms.

Source: [physics §4.1] to [physics §4.3], [physics §8.4].

Expected values are typed in from docs/reference/physics.md or computed here from the printed
formulas, never
taken from renpsim itself.
"""

import dataclasses
import math

import numpy as np
import pytest

from renpsim.constants import G_F_EV2, M_E_EV
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.bsm import (
    K_EM_INV_EV2,
    ChargeRadiusAnapole,
    DipoleMoments,
    ScalarMediator,
    VectorMediator,
    channel_matrix_bsm,
    element_matrix,
    scalar_width_eV,
    spectral_function_bsm,
    vector_width_eV,
)
from renpsim.physics.bsm.contact import contact_brackets
from renpsim.physics.bsm.model import _Amplitudes
from renpsim.physics.bsm.reference import spectral_function_by_spinors
from renpsim.physics.kinematics import pair_mass2, phase_space_delta, pole_omega

OMEGA = np.array([1.0688, 1.0699, 1.0711])
TARGET = dataclasses.replace(load_target("Yb", "gp21"), E_vg_eV=2.23072)
E_EG = TARGET.E_eg_eV


def sbench(nature="dirac", m1=0.01, **kw):
    return neutrino_state("NO", m1, nature, "nufit-5.0", kw.get("a21", 0.0), kw.get("a31", 0.0),
                          math.radians(197.0))


# ---- zero couplings and the SM ------------------------------------------------------------------

@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_zero_couplings_give_the_sm(nature):
    state = neutrino_state("NO", 0.02, nature, alpha21=1.3, alpha31=0.4)
    omega = np.linspace(1.065, 1.0717, 41)
    sm = spectral_function(omega, state, TARGET)
    terms = [VectorMediator(0.05), ScalarMediator(1e3), DipoleMoments(),
             VectorMediator(3.0, gL=0.0, gR=0.0, width_eV=0.1),
             ScalarMediator(2.0, convention="paper"), ChargeRadiusAnapole()]
    if nature == "majorana":
        terms.pop()  # contact terms are Dirac-only
    got = spectral_function_bsm(omega, state, TARGET, terms)
    np.testing.assert_allclose(got, sm, rtol=2e-15, atol=0)
    assert np.array_equal(spectral_function_bsm(omega, state, TARGET, []), sm)


# ---- heavy mediator: contact form, slope 2 ------------------------------------------------------

@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_heavy_vector_is_the_contact_form(nature):
    """For m^2 >> s, a^L = a_11 - g/(sqrt2 G_F m^2): compare with the spinor reference built
    with that contact coupling (no propagator)."""
    state = sbench(nature)
    m, g = 1.0e4, 3e-17
    got = spectral_function_bsm(OMEGA, state, TARGET, [VectorMediator(m, gL=g)])
    a = state.coupling.copy()
    a[0, 0] -= g / (math.sqrt(2) * G_F_EV2 * m * m)
    ref = [spectral_function_by_spinors(w, E_EG, TARGET.E_vg_eV, state.masses_eV, {"a": a},
                                        nature == "majorana") for w in OMEGA]
    np.testing.assert_allclose(got, ref, rtol=1e-6)  # s/m^2 ~ 1e-10 corrections


@pytest.mark.parametrize("term", ["gL", "gR", "yS", "yP"])
def test_heavy_mediator_depends_on_coupling_over_mass_squared(term):
    """Slope 2 in log-log ([physics §8.4] B3): (m, c) and (10 m, 100 c) give the same I."""
    state = sbench()

    def make(m, c):
        if term in ("gL", "gR"):
            return VectorMediator(m, **{term: c})
        return ScalarMediator(m, **{term: c})

    c0 = 1e-16 if term in ("gL", "gR") else 1e-9
    base = spectral_function_bsm(OMEGA, state, TARGET, [make(1e4, c0)])
    sm = spectral_function(OMEGA, state, TARGET)
    assert np.all(np.abs(base / sm - 1) > 1e-4)
    for k in (1, 2):
        scaled = spectral_function_bsm(OMEGA, state, TARGET, [make(1e4 * 10**k, c0 * 100**k)])
        np.testing.assert_allclose(scaled - sm, base - sm, rtol=1e-6)


def test_light_mediator_is_mass_independent():
    state = sbench()
    a = spectral_function_bsm(OMEGA, state, TARGET, [VectorMediator(1e-4, gL=1e-26)])
    b = spectral_function_bsm(OMEGA, state, TARGET, [VectorMediator(2e-4, gL=1e-26)])
    sm = spectral_function(OMEGA, state, TARGET)
    assert np.all(np.abs(a / sm - 1) > 1e-3)
    np.testing.assert_allclose(a - sm, b - sm, rtol=1e-3)


# ---- poles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("m_pole", [0.05258, 0.08894, 0.11236])  # [physics §8.1] K8
def test_pole_position(m_pole):
    """The BSM effect peaks at omega = E_eg/2 - m^2/(2 E_eg) (GP21 section IV)."""
    state = sbench(m1=0.0)
    expected = E_EG / 2 - m_pole**2 / (2 * E_EG)
    omega = expected + np.linspace(-2e-5, 2e-5, 401)
    omega = omega[omega <= E_EG / 2]
    sm = spectral_function(omega, state, TARGET)
    dev = np.abs(spectral_function_bsm(omega, state, TARGET,
                                       [VectorMediator(m_pole, gL=1e-27)]) / sm - 1)
    assert abs(omega[np.argmax(dev)] - expected) <= 1.01e-7
    assert float(pole_omega(m_pole, E_EG)) == pytest.approx(expected, rel=1e-15)


def test_width_regularises_the_pole():
    state = sbench(m1=0.0)
    m = 0.08894
    w0 = float(pole_omega(m, E_EG))
    omega = np.array([w0])
    gnu = 1e-3
    width = vector_width_eV(m, gnu_L=np.eye(3) * gnu)
    assert width == pytest.approx(3 * gnu**2 * m / (24 * math.pi), rel=1e-14)
    term = VectorMediator(m, gL=1e-26, width_eV=width)
    val = spectral_function_bsm(omega, state, TARGET, [term])
    assert np.all(np.isfinite(val))
    # Breit-Wigner: at s = m^2 the propagator is -i/(sqrt2 G_F m Gamma), purely imaginary, so the
    # interference with the real a_11 vanishes and only |g P|^2 adds
    sm = spectral_function(omega, state, TARGET)
    assert val[0] > sm[0]


def test_width_helpers_dirac_majorana():
    m, g = 0.2, 1e-4
    gl = element_matrix("11", g)
    assert vector_width_eV(m, gl) == pytest.approx(g * g * m / (24 * math.pi), rel=1e-14)
    assert vector_width_eV(m, gl, nature="majorana") == pytest.approx(
        g * g * m / (24 * math.pi), rel=1e-14)
    # Majorana: only gL - gR^T; equal diagonal L and R cancel
    assert vector_width_eV(m, gl, gl, nature="majorana") == 0.0
    assert scalar_width_eV(m, gl) == pytest.approx(g * g * m / (8 * math.pi), rel=1e-14)
    # closed channel
    assert vector_width_eV(0.01, gl, masses_eV=[0.01, 0.02, 0.05]) == 0.0


# ---- scalar conventions and GP21 Fig. 2 ----------------------------------------------------------

def test_fig2_paper_convention_scalar_and_pseudoscalar_nearly_overlap():
    """GP21 Fig. 2 (Dirac, m_phi = 20 keV, y^e y^nu_11 = 6e-9): S and P curves nearly overlap."""
    state = sbench()
    omega = np.linspace(1.0660, 1.0715, 12)
    sm = spectral_function(omega, state, TARGET)
    s_ = spectral_function_bsm(omega, state, TARGET, [ScalarMediator(2e4, yS=6e-9,
                                                                     convention="paper")])
    p_ = spectral_function_bsm(omega, state, TARGET, [ScalarMediator(2e4, yP=6e-9,
                                                                     convention="paper")])
    assert np.all(s_ > sm) and np.all(p_ > sm)
    # the BSM effect reaches ~7 % of I_SM; S and P differ by < 0.25 % of I_SM everywhere (the
    # (m_i -+ m_j)^2 mass terms), i.e. they overlap on the scale of the figure
    assert (s_ / sm - 1).max() > 0.05
    assert np.all(np.abs(s_ - p_) < 2.5e-3 * sm)


def _paper_minus_physical_pseudoscalar(omega, state, y, m):
    """The documented difference for a real diagonal y_P,11 ([physics §4.2] physical phase):
    I_phys - I_paper = Delta_11/(E_vg-omega)^2 * y omega^2 Re(a_11) 2 m_1
                       / (6 sqrt2 G_F m_e (s - m^2))."""
    s = pair_mass2(omega, E_EG)
    m1 = state.masses_eV[0]
    d = phase_space_delta(s, m1, m1)
    a11 = state.coupling[0, 0].real
    return d / (TARGET.E_vg_eV - omega) ** 2 * y * omega**2 * a11 * 2 * m1 / (
        6 * math.sqrt(2) * G_F_EV2 * M_E_EV * (s - m * m))


def test_default_scalar_differs_from_paper_only_by_documented_terms():
    state = sbench()
    omega = np.linspace(1.0660, 1.0715, 12)
    y, m = 6e-9, 2e4
    # scalar, real diagonal: identical (the interference is proportional to m_i - m_j)
    np.testing.assert_allclose(
        spectral_function_bsm(omega, state, TARGET, [ScalarMediator(m, yS=y)]),
        spectral_function_bsm(omega, state, TARGET, [ScalarMediator(m, yS=y, convention="paper")]),
        rtol=1e-13)
    phys = spectral_function_bsm(omega, state, TARGET, [ScalarMediator(m, yP=y)])
    paper = spectral_function_bsm(omega, state, TARGET,
                                  [ScalarMediator(m, yP=y, convention="paper")])
    np.testing.assert_allclose(phys - paper,
                               _paper_minus_physical_pseudoscalar(omega, state, y, m), rtol=1e-9)


def test_majorana_pseudoscalar_paper_drops_physical_keeps():
    state = sbench("majorana")
    sm = spectral_function(OMEGA, state, TARGET)
    paper = spectral_function_bsm(OMEGA, state, TARGET,
                                  [ScalarMediator(2e4, yP=6e-9, convention="paper")])
    np.testing.assert_allclose(paper, sm, rtol=1e-15)
    phys = spectral_function_bsm(OMEGA, state, TARGET, [ScalarMediator(2e4, yP=6e-9)])
    assert np.all(np.abs(phys / sm - 1) > 1e-3)


# ---- EM moments: B5, B6, no interference, Majorana ----

def test_B5_em_constant():
    assert K_EM_INV_EV2 == pytest.approx(4.7216e18, rel=1e-4)


def test_B6_em_channel_values():
    """[physics §8.4] B6: F^EM_11 at m = 0.01 eV, omega = 1.0688 eV, 1e-11 mu_B."""
    state = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    omega = 1.0688
    s = pair_mass2(omega, E_EG)
    d = phase_space_delta(s, 0.01, 0.01)
    scale = d / (TARGET.E_vg_eV - omega) ** 2
    base = channel_matrix_bsm(omega, state, TARGET, [])[0, 0]
    for moments, expected in ((dict(mu=1e-11), 1.9118e-4), (dict(eps=1e-11), 1.7409e-4)):
        got = channel_matrix_bsm(omega, state, TARGET, [DipoleMoments(**moments)])[0, 0]
        assert (got - base) / scale == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_dipole_effect_is_purely_quadratic(nature):
    """No interference with the weak amplitude and no mu-eps cross term ([physics §4.3])."""
    state = sbench(nature, a21=0.7, a31=2.0)
    mu = np.zeros((3, 3), complex)
    mu[0, 1], mu[1, 0] = 1e-11 * (1 + 1j), 1e-11 * ((1 - 1j) if nature == "dirac" else -(1 + 1j))
    eps = 1j * mu if nature == "majorana" else np.array(mu)
    sm = spectral_function(OMEGA, state, TARGET)
    one = spectral_function_bsm(OMEGA, state, TARGET, [DipoleMoments(mu, eps)]) - sm
    two = spectral_function_bsm(OMEGA, state, TARGET, [DipoleMoments(2 * mu, 2 * eps)]) - sm
    mu_only = spectral_function_bsm(OMEGA, state, TARGET, [DipoleMoments(mu)]) - sm
    eps_only = spectral_function_bsm(OMEGA, state, TARGET, [DipoleMoments(0, eps)]) - sm
    np.testing.assert_allclose(two, 4 * one, rtol=1e-6)
    np.testing.assert_allclose(one, mu_only + eps_only, rtol=1e-6)


def test_majorana_transition_moment_is_half_the_dirac_pair_sum():
    """Derived result (docs/bsm.md): per unordered pair, Majorana = Dirac (ij) channel, i.e. the
    Majorana nine-term sum equals 1/2 of the Dirac one for |mu_ij| = |mu_ji|."""
    dirac, maj = sbench("dirac"), sbench("majorana")
    x = 3e-11
    mu_d = element_matrix("12", x) + element_matrix("21", x)
    mu_m = element_matrix("12", x) - element_matrix("21", x)
    d_em = (spectral_function_bsm(OMEGA, dirac, TARGET, [DipoleMoments(mu_d)])
            - spectral_function(OMEGA, dirac, TARGET))
    m_em = (spectral_function_bsm(OMEGA, maj, TARGET, [DipoleMoments(mu_m)])
            - spectral_function(OMEGA, maj, TARGET))
    np.testing.assert_allclose(m_em, 0.5 * d_em, rtol=1e-9)


def test_charge_radius_and_anapole_are_negligible():
    """[physics §4.3]: <r^2> = 1e-32 cm^2 changes the rate by ~1e-15 and the interference is
    <~1e-22. Computed from the contact bracket directly (no cancellation against the SM)."""
    state = sbench()
    s = pair_mass2(OMEGA, E_EG)
    sm = spectral_function(OMEGA, state, TARGET)

    def contact_total(term):
        cb = contact_brackets(OMEGA, E_EG, state, [term], _Amplitudes(state, [term], s))
        m = state.masses_eV
        return sum(phase_space_delta(s, m[p], m[q]) * cb[p][q] / (TARGET.E_vg_eV - OMEGA) ** 2
                   for p in range(3) for q in range(3))

    for make in (lambda r: ChargeRadiusAnapole(np.eye(3) * r),
                 lambda r: ChargeRadiusAnapole(0, np.eye(3) * r)):
        plus, minus = contact_total(make(1e-32)), contact_total(make(-1e-32))
        square = 0.5 * (plus + minus) / sm
        interference = 0.5 * (plus - minus) / sm
        assert np.all(square > 0) and np.all(square < 1e-14)
        assert np.all(np.abs(interference) < 1e-21)


# ---- vectorisation over mediator mass and coupling -----------------------------------------------

def test_grid_of_mass_and_coupling_in_one_call():
    state = sbench()
    masses = np.array([1e-3, 0.1, 10.0, 1e4])[:, None, None]           # (4, 1, 1)
    couplings = np.array([1e-27, 1e-22, 1e-17])[None, :, None]        # (1, 3, 1)
    grid = spectral_function_bsm(
        OMEGA, state, TARGET,
        [VectorMediator(masses, gL=element_matrix("11", couplings))])
    assert grid.shape == (4, 3, 3)
    for i, m in enumerate(masses.ravel()):
        for j, c in enumerate(couplings.ravel()):
            one = spectral_function_bsm(OMEGA, state, TARGET, [VectorMediator(m, gL=c)])
            np.testing.assert_allclose(grid[i, j], one, rtol=1e-13)


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_exact_pole_without_width_is_inf_without_warnings(nature):
    """pytest turns RuntimeWarning into errors: inf - inf at the pole must not warn or give nan."""
    state = sbench(nature)
    w0 = 1.0699
    m = float(np.sqrt(pair_mass2(w0, E_EG)))
    assert pair_mass2(w0, E_EG) - m * m == 0.0  # exactly on the pole
    got = spectral_function_bsm([w0, 1.068], state, TARGET,
                                [VectorMediator(m, gL=1e-20), ScalarMediator(m, yS=1e-12)])
    assert got[0] == np.inf and np.isfinite(got[1])
    # a zero coupling on the pole (one grid row) is still the SM
    grid = spectral_function_bsm(
        [w0], state, TARGET,
        [VectorMediator(np.array([m, 0.01])[:, None],
                        gL=element_matrix("11", np.array([0.0, 1e-20])[:, None]))])
    assert grid[0, 0] == pytest.approx(float(spectral_function(w0, state, TARGET)), rel=1e-14)


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_diagonal_vector_is_corrected_gp21_eq22(nature):
    """[physics §4.1] (GP21 eq. 22 with the I^M sign of [physics §0] item 4), typed in:
    (|aL|^2+|aR|^2 - 2 dM Re[aL aR]) I^D + (2 Re[aL* aR] - dM Re[aL^2 + aR^2]) m_i m_j."""
    from renpsim.physics.spectrum import dirac_kernel

    state = sbench(nature, m1=0.02)
    m, gL, gR = 0.03, 2e-26, -3e-26
    got = spectral_function_bsm(OMEGA, state, TARGET,
                                [VectorMediator(m, gL=np.eye(3) * gL, gR=np.eye(3) * gR)])
    s = pair_mass2(OMEGA, E_EG)
    prop = 1 / (math.sqrt(2) * G_F_EV2 * (s - m * m))
    dM = 1.0 if nature == "majorana" else 0.0
    a, mass = state.coupling, state.masses_eV
    expected = 0.0
    for i in range(3):
        for j in range(3):
            d = phase_space_delta(s, mass[i], mass[j])
            ID = dirac_kernel(OMEGA, s, d, E_EG, mass[i], mass[j])
            aL = a[i, j] + (gL * prop if i == j else 0.0)
            aR = gR * prop if i == j else 0.0 * prop
            bracket = ((abs(aL) ** 2 + abs(aR) ** 2 - 2 * dM * np.real(aL * aR)) * ID
                       + (2 * np.real(np.conj(aL) * aR) - dM * np.real(aL**2 + aR**2))
                       * mass[i] * mass[j])
            expected = expected + d * bracket / (TARGET.E_vg_eV - OMEGA) ** 2
    sm = spectral_function(OMEGA, state, TARGET)
    assert np.all(np.abs(got / sm - 1) > 1e-2)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_fig2_vector_statements():
    """GP21 Fig. 2/3 text: g_L (8e-16 at 20 keV) interferes destructively with a_11 > 0 and is
    the same for Dirac and Majorana; g_R (1.5e-15) adds, and for Majorana the -2 Re[aL aR] I^D
    mixing term makes it differ strongly."""
    res = {}
    for nature in ("dirac", "majorana"):
        state = sbench(nature)
        sm = spectral_function(OMEGA, state, TARGET)
        for name, term in (("L", VectorMediator(2e4, gL=8e-16)),
                           ("R", VectorMediator(2e4, gR=1.5e-15))):
            res[nature, name] = spectral_function_bsm(OMEGA, state, TARGET, [term]) / sm
    assert np.all(res["dirac", "L"] < 0.97) and np.all(res["dirac", "R"] > 1.05)
    np.testing.assert_allclose(res["majorana", "L"], res["dirac", "L"], rtol=1e-3)
    assert np.all(res["majorana", "R"] - res["dirac", "R"] > 0.1)


def test_gp21_sensitivity_ranges_are_reproduced():
    """GP21 abstract/Fig. 3 ([physics §4.1] to [physics §4.2]): |g^e g^nu| < 1e-26 ... 1e-15 and
    |y^e y^nu| < 1e-19 ... 1e-9 for m = 1e-3 ... 1e4 eV (Yb, NO, m1 = 0.01 eV, Dirac,
    2.3 days split over the three frequencies, Gamma_0 = 0.002/s, Delta chi^2 = 5.99 with the
    corrected Poisson chi^2 of [physics §0] item 5). GP21 quotes rounded decades: we find
    2.9e-26 / 1.3e-15 (vector) and 4.3e-19 / 6.6e-9 (scalar), so the check is "within a
    factor 10"."""
    from scipy.optimize import brentq

    state = sbench()
    sm = spectral_function(OMEGA, state, TARGET)
    n_true = 0.002 * (2.3 * 86400 / 3) * sm

    def limit(make, m):
        def f(log_c):
            n = 0.002 * (2.3 * 86400 / 3) * spectral_function_bsm(OMEGA, state, TARGET,
                                                                  [make(m, 10**log_c)])
            return 2 * np.sum(n - n_true + n_true * np.log(n_true / n)) - 5.99
        return 10 ** brentq(f, -35, 0)

    vec = lambda m, c: VectorMediator(m, gL=c)  # noqa: E731
    sca = lambda m, c: ScalarMediator(m, yS=c, convention="paper")  # noqa: E731
    for make, (low, high) in ((vec, (1e-26, 1e-15)), (sca, (1e-19, 1e-9))):
        flat, heavy = limit(make, 1e-3), limit(make, 1e4)
        assert low / 10 < flat < low * 10
        assert high / 10 < heavy < high * 10
        # slope 2 at large mass ([physics §8.4] B3)
        assert limit(make, 1e3) == pytest.approx(heavy / 100, rel=1e-3)
