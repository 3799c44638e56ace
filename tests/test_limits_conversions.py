"""Conversions reproduce their published inputs and independent computations."""

import math

import numpy as np
import pytest

from renpsim.errors import InputError
from renpsim.limits import conversions as cv
from renpsim.limits import load_database


def test_half_normal_factor_matches_monte_carlo():
    # independent check of [physics §6.4]: 95% quantile of |XY| for unit normals, by Monte Carlo
    rng = np.random.default_rng(np.random.SeedSequence(20261121))
    n = 2_000_000
    q = np.quantile(np.abs(rng.standard_normal(n) * rng.standard_normal(n)), 0.95)
    assert q == pytest.approx(2.182, abs=0.01)  # [physics §6.4]
    mc_factor = q / 1.959963985**2
    assert cv.half_normal_product_factor(0.95) == pytest.approx(mc_factor, rel=0.01)
    assert cv.half_normal_product_factor(0.95) == pytest.approx(0.568, abs=5e-4)  # B7
    assert round(cv.half_normal_product_factor(0.95), 2) == 0.57  # GP21 Sec. IV


def test_half_normal_factor_other_cl_monte_carlo():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    xy = np.abs(rng.standard_normal(1_000_000) * rng.standard_normal(1_000_000))
    for cl in (0.68, 0.90):
        z = {0.68: 0.994457883, 0.90: 1.644853627}[cl]
        assert cv.half_normal_product_factor(cl) == pytest.approx(np.quantile(xy, cl) / z**2,
                                                                  rel=0.01)


def test_gp21_combination_reproduces_1e_minus_12():
    # GP21 Sec. IV: y^e < 1e-9 and |y^nu| < 1.5e-3 give (y^e y^nu)_95% < 1e-12
    combined = cv.combine_product_bound(1e-9, 1.5e-3, cl=0.95)
    assert combined == pytest.approx(0.568 * 1.5e-12, rel=1e-3)
    assert 0.5e-12 < combined <= 1e-12
    assert round(math.log10(combined)) == -12


def test_database_derived_records_agree_with_conversions():
    db = load_database()
    s6, s1 = db.get("S6").value, db.get("S1").value
    assert db.get("S6xS1").value == pytest.approx(cv.combine_product_bound(s6, s1), rel=1e-3)
    s2 = db.get("S2").value
    assert cv.combine_product_bound(s2, s1) <= db.get("S3").value
    # [physics §7.2] S5: y_P ~ 1.3e-5, y_S ~ 7e-6 from |Delta a_e| < 1e-12
    assert cv.ye_from_electron_g2(1e-12, "pseudoscalar") == pytest.approx(1.3e-5, rel=0.05)
    assert cv.ye_from_electron_g2(1e-12, "scalar") == pytest.approx(7e-6, rel=0.05)
    # R13: Lambda^3/C2 >~ (0.2 MeV)^3 -> 1.25e11 GeV^-3; R4: (8 MeV)^3 -> 1.9e6
    assert cv.invert_lambda_cubed(2e-4) == pytest.approx(1.25e11)
    assert cv.invert_lambda_cubed(8e-3) == pytest.approx(1.9e6, rel=0.03)


def test_bansal_bbn_formula_reproduces_table():
    # Bansal eq. 3.6 vs Table 2-3 BBN row: 4e-5, 4.4e-6, 5e-9 at 1 eV, 1 keV, 1 MeV
    vals = cv.bansal_bbn_c_nu([1.0, 1e3, 1e6])
    assert vals == pytest.approx([4e-5, 4.4e-6, 5e-9], rel=0.02)
    curve = load_database().get("P1f").curve
    assert curve["limit"] == pytest.approx(cv.bansal_bbn_c_nu(curve["m_eV"]), rel=1e-5)


def test_sm_magnetic_moment():
    # [physics §7.3] M14: 3.2e-19 (m_nu/eV) mu_B
    assert cv.mu_nu_sm_dirac(1.0) == pytest.approx(3.2e-19, rel=0.01)
    assert cv.mu_nu_sm_dirac(0.05) == pytest.approx(0.05 * 3.2e-19, rel=0.01)


def test_delta_chi2_rescaling_physics_md_6_2():
    assert cv.delta_chi2_threshold(0.95, 2) == pytest.approx(5.99, abs=0.01)
    assert cv.delta_chi2_threshold(0.95, 1) == pytest.approx(3.84, abs=0.01)
    assert cv.delta_chi2_threshold(0.90, 1) == pytest.approx(2.71, abs=0.01)
    # GP21 (5.99, 2 dof) -> 1 dof: factor 1.25 (linear) and 1.12 (quadratic) [[physics §6.2]]
    lin = cv.rescale_delta_chi2(1.0, 0.95, 0.95, from_dof=2, to_dof=1, power=1)
    quad = cv.rescale_delta_chi2(1.0, 0.95, 0.95, from_dof=2, to_dof=1, power=2)
    assert 1 / lin == pytest.approx(1.25, abs=0.01)
    assert 1 / quad == pytest.approx(1.12, abs=0.01)


def test_gaussian_rescaling():
    # two-sided: 90% -> 95% is 1.96/1.645
    assert cv.rescale_gaussian(1.0, 0.90, 0.95, "two") == pytest.approx(1.959964 / 1.644854,
                                                                       rel=1e-6)
    # one-sided: 90% -> 95% is 1.645/1.2816
    assert cv.rescale_gaussian(1.0, 0.90, 0.95, "one") == pytest.approx(1.644854 / 1.281552,
                                                                       rel=1e-6)
    with pytest.raises(InputError):
        cv.rescale_gaussian(1.0, 0.9, 0.95, "three")
    with pytest.raises(InputError):
        cv.rescale_gaussian(1.0, 1.5, 0.95)


def test_bl_mapping():
    assert cv.bl_to_product(1e-8) == pytest.approx(1e-16)
    assert cv.product_to_bl(cv.bl_to_product([3e-7, 1e-9])) == pytest.approx([3e-7, 1e-9])
    with pytest.raises(InputError):
        cv.bl_to_product(-1.0)


def test_nsi_relation_slope_two():
    g = cv.nsi_eps_to_vector_product(0.1, [1.0, 10.0])
    assert g[1] / g[0] == pytest.approx(100.0)
    # 2 sqrt2 G_F eps m^2 with G_F = 1.1663788e-23 eV^-2
    assert g[0] == pytest.approx(2 * math.sqrt(2) * 1.1663788e-23 * 0.1)


def _random_unitary(rng):
    z = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def test_mu_eff_flavour_explicit_sum():
    rng = np.random.default_rng(3)
    U = _random_unitary(rng)
    mu = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    mu = mu + mu.conj().T  # Dirac hermiticity ([physics §4.3])
    eps = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    got = cv.mu_eff_flavour(mu, eps, U)
    for a in range(3):
        total = 0.0
        for j in range(3):
            amp = sum(np.conj(U[a, k]) * (mu[j, k] - 1j * eps[j, k]) for k in range(3))
            total += abs(amp) ** 2
        assert got[a] == pytest.approx(math.sqrt(total), rel=1e-12)
    # unitarity: sum over flavours of mu_eff^2 equals the stellar combination when eps = 0
    assert np.sum(cv.mu_eff_flavour(mu, None, U) ** 2) == pytest.approx(
        cv.mu_eff_stellar(mu) ** 2, rel=1e-12)


def test_mu_eff_limits():
    mu = np.diag([1e-11, 0.0, 0.0])
    assert cv.mu_eff_stellar(mu, np.diag([0.0, 1e-11, 0.0])) == pytest.approx(math.sqrt(2) * 1e-11)
    # identity mixing: flavour e sees only column 1
    assert cv.mu_eff_flavour(mu, None, np.eye(3)) == pytest.approx([1e-11, 0.0, 0.0])
    assert cv.mu_eff_mass_mixture(mu, None, [0.5, 0.3, 0.2]) == pytest.approx(
        math.sqrt(0.5) * 1e-11)
    with pytest.raises(InputError):
        cv.mu_eff_stellar(np.ones((3, 2)))
    with pytest.raises(InputError):
        cv.mu_eff_mass_mixture(mu, None, [0.5, 0.5, 0.5])


def test_bad_inputs():
    with pytest.raises(InputError):
        cv.combine_product_bound(-1e-9, 1e-3)
    with pytest.raises(InputError):
        cv.half_normal_product_factor(1.0)
    with pytest.raises(InputError):
        cv.delta_chi2_threshold(0.95, 0)
    with pytest.raises(InputError):
        cv.rescale_delta_chi2(1.0, 0.95, 0.9, power=3)


def test_effective_moment_dispatch():
    rng = np.random.default_rng(11)
    U = _random_unitary(rng)
    mu = np.diag([2e-12, 1e-12, 0.0]).astype(complex)
    assert cv.effective_moment(mu, None, "stellar") == pytest.approx(math.sqrt(5) * 1e-12)
    assert cv.effective_moment(mu, None, "reactor_nubar_e", U=U) == pytest.approx(
        cv.mu_eff_flavour(mu, None, U)[0])
    assert cv.effective_moment(mu, None, "accelerator_flavour", U=U, flavour="mu") == \
        pytest.approx(cv.mu_eff_flavour(mu, None, U)[1])
    # solar with mass-state probabilities: sum_k P_k |mu_kk|^2 for a diagonal matrix
    assert cv.effective_moment(mu, None, "solar_flavour", probabilities=[0.6, 0.4, 0.0]) == \
        pytest.approx(math.sqrt(0.6 * 4e-24 + 0.4 * 1e-24))
    with pytest.raises(InputError):
        cv.effective_moment(mu, None, "solar_flavour")
    with pytest.raises(InputError):
        cv.effective_moment(mu, None, "intrinsic")
