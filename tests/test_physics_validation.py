"""Validation numbers of [physics §8] (K1-K9, threshold offsets, I1-I5, N1-N5).

Expected values are typed in from docs/reference/physics.md, never computed by renpsim.
"""

import dataclasses
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from renpsim.constants import CM3_IN_INV_EV3, G_F_EV2, SECONDS_PER_DAY
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.kinematics import pole_mass, threshold, threshold_matrix
from renpsim.physics.rate import expected_events, gamma0_first_principles_per_s, rate_scale
from renpsim.physics.spectrum import channel_matrix

S_BENCH_OMEGA = np.array([1.0688, 1.0699, 1.0711])


@pytest.fixture(scope="module")
def sbench_target():
    # [physics §8]: E_eg = 2.14349 eV, E_vg = 2.23072 eV
    return dataclasses.replace(load_target("Yb", "gp21"), E_vg_eV=2.23072)


def sbench_state(nature="dirac", m1=0.01):
    # NuFIT 5.0-like inputs, delta = 197 deg, alpha21 = alpha31 = 0
    return neutrino_state("NO", m1, nature, "nufit-5.0", 0.0, 0.0, math.radians(197.0))


def test_gp21_target_energy_is_the_sbench_value(sbench_target):
    assert sbench_target.E_eg_eV == 2.14349


def test_K1_masses():
    np.testing.assert_allclose(
        sbench_state().masses_eV, [0.0100000, 0.0131985, 0.0511566], rtol=0, atol=6e-8
    )


@pytest.mark.parametrize(
    ("i", "j", "expected"),
    [(0, 0, 1.071652), (0, 1, 1.071619), (1, 1, 1.071582), (0, 2, 1.070873),
     (1, 2, 1.070779), (2, 2, 1.069303)],
)
def test_K2_K7_thresholds(sbench_target, i, j, expected):
    thr = threshold_matrix(sbench_target.E_eg_eV, sbench_state().masses_eV)
    assert thr[i, j] == pytest.approx(expected, abs=6e-7)
    assert thr[j, i] == thr[i, j]


def test_K8_pole_masses(sbench_target):
    np.testing.assert_allclose(
        pole_mass(S_BENCH_OMEGA, sbench_target.E_eg_eV), [0.11236, 0.08894, 0.05258], atol=6e-6
    )


@pytest.mark.parametrize(("omega", "m1_expected"), [(1.0711, 0.0263), (1.0699, 0.0445)])
def test_K9_closing_mass(sbench_target, omega, m1_expected):
    # The (11) channel is the last one open in NO; it closes when omega_11^max(m1) = omega.
    m1 = brentq(lambda m: threshold(sbench_target.E_eg_eV, m, m) - omega, 0.0, 0.2)
    assert m1 == pytest.approx(m1_expected, abs=6e-5)
    below = spectral_function(omega, sbench_state(m1=m1 * 0.999), sbench_target)
    above = spectral_function(omega, sbench_state(m1=m1 * 1.001), sbench_target)
    assert below > 0.0
    assert above == 0.0


# [physics §8.1] threshold-offset table, E_eg/2 - omega_ij^max in micro-eV, NuFIT 6.0 with SK.
OFFSETS = {
    ("Yb", "NO", 0.0): (0.0, 17.5, 69.9, 591.1, 811.8, 2364.4),
    ("Yb", "NO", 0.01): (93.3, 125.8, 163.2, 877.2, 971.9, 2457.7),
    ("Yb", "NO", 0.05): (2332.6, 2367.5, 2402.5, 3412.4, 3454.5, 4697.0),
    ("Yb", "IO", 0.0): (2272.1, 2306.9, 2342.0, 568.0, 585.5, 0.0),
    ("Yb", "IO", 0.01): (2365.4, 2400.2, 2435.3, 849.6, 870.5, 93.3),
    ("Xe", "NO", 0.01): (24.1, 32.4, 42.1, 226.1, 250.5, 633.5),
    ("Xe", "IO", 0.01): (609.7, 618.7, 627.8, 219.0, 224.4, 24.1),
}
PAIRS = ((0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2))


@pytest.mark.parametrize("case", sorted(OFFSETS))
def test_threshold_offset_table(case):
    species, ordering, ml = case
    E_eg = 2.14349 if species == "Yb" else 8.315317
    state = neutrino_state(ordering, ml, oscillation="nufit-6.0")
    thr = threshold_matrix(E_eg, state.masses_eV)
    got = [1e6 * (E_eg / 2 - thr[i, j]) for i, j in PAIRS]
    np.testing.assert_allclose(got, OFFSETS[case], rtol=0, atol=0.06)


def test_I1_dirac_values(sbench_target):
    np.testing.assert_allclose(
        spectral_function(S_BENCH_OMEGA, sbench_state(), sbench_target),
        [6.2864e-2, 4.8982e-2, 4.4852e-2], rtol=2e-5,
    )


def test_I2_majorana_values(sbench_target):
    np.testing.assert_allclose(
        spectral_function(S_BENCH_OMEGA, sbench_state("majorana"), sbench_target),
        [6.2624e-2, 4.8926e-2, 4.4809e-2], rtol=2e-5,
    )


def test_I3_relative_dirac_majorana_difference(sbench_target):
    d = spectral_function(S_BENCH_OMEGA, sbench_state(), sbench_target)
    m = spectral_function(S_BENCH_OMEGA, sbench_state("majorana"), sbench_target)
    np.testing.assert_allclose((d - m) / d, [3.8e-3, 1.1e-3, 9.5e-4], rtol=0.05)


def test_I4_majorana_to_dirac_term_ratio_channel_11(sbench_target):
    dirac = channel_matrix(1.0688, sbench_state(), sbench_target)[0, 0]
    maj = channel_matrix(1.0688, sbench_state("majorana"), sbench_target)[0, 0]
    assert (dirac - maj) / dirac == pytest.approx(7.5e-4, rel=0.01)


def test_I5_dirac_values(sbench_target):
    np.testing.assert_allclose(
        spectral_function([1.0660, 1.0680, 1.0705, 1.0715], sbench_state(), sbench_target),
        [7.1956e-2, 6.7750e-2, 4.7574e-2, 3.9379e-2], rtol=2e-5,
    )


def test_N1_events_per_day(sbench_target):
    I = spectral_function(S_BENCH_OMEGA, sbench_state(), sbench_target)
    per_day = expected_events(I, SECONDS_PER_DAY, rate_scale(sbench_target))
    np.testing.assert_allclose(per_day, [10.9, 8.5, 7.8], atol=0.051)


def test_N2_N3_gp21_benchmark_totals(sbench_target):
    I = spectral_function(S_BENCH_OMEGA, sbench_state(), sbench_target)
    scale = rate_scale(sbench_target)
    split = expected_events(I, 2.3 * SECONDS_PER_DAY / 3, scale)
    np.testing.assert_allclose(split, [8.3, 6.5, 5.9], atol=0.051)
    assert split.sum() == pytest.approx(20.8, abs=0.051)
    each = expected_events(I, 2.3 * SECONDS_PER_DAY, scale)
    assert each.sum() == pytest.approx(62.3, abs=0.051)


def test_N5_gf2_n3_v():
    n = 1e21 / CM3_IN_INV_EV3  # 1e21 cm^-3 in eV^3
    V = 100.0 * CM3_IN_INV_EV3
    assert G_F_EV2**2 * n**3 * V == pytest.approx(8.0315e-10, rel=2e-4)


def test_N4_gamma0_first_principles(sbench_target):
    assert gamma0_first_principles_per_s(sbench_target) == pytest.approx(2.1e-3, abs=0.05e-3)


def test_xe_gamma0_is_never_assumed():
    from renpsim.errors import MissingInputError

    xe = load_target("Xe")
    assert xe.gamma0_ref_per_s is None
    assert xe.two_Jv_plus_1_C_ev is None
    with pytest.raises(MissingInputError, match="gamma0"):
        rate_scale(xe)
    assert rate_scale(xe, gamma0_per_s="placeholder") == pytest.approx(0.036)
    with pytest.raises(MissingInputError):
        gamma0_first_principles_per_s(xe)
