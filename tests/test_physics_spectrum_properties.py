"""Properties of the SM spectral function: agreement with independent integration, limits,
phase dependence, thresholds, broadcasting, and finiteness everywhere in the domain."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from renpsim.errors import InputError, PhysicsDomainError
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.kinematics import threshold_matrix
from renpsim.physics.reference import channel_by_quad
from renpsim.physics.spectrum import channel_matrix, spectrum

YB = load_target("Yb")
XE = load_target("Xe")

phases = st.floats(0.0, 2 * math.pi)


@given(
    ordering=st.sampled_from(["NO", "IO"]),
    nature=st.sampled_from(["dirac", "majorana"]),
    ml=st.floats(0.0, 0.2),
    depth=st.floats(1e-7, 0.02),  # omega = E_eg/2 - depth
    a21=phases, a31=phases, delta=phases,
    species=st.sampled_from(["Yb", "Xe"]),
)
def test_channels_agree_with_quad_integration(ordering, nature, ml, depth, a21, a31, delta,
                                              species):
    target = YB if species == "Yb" else XE
    state = neutrino_state(ordering, ml, nature, "nufit-6.0", a21, a31, delta)
    omega = target.E_eg_eV / 2 - depth
    fast = channel_matrix(omega, state, target)
    a = state.coupling
    m = state.masses_eV
    ref = np.array([
        [channel_by_quad(omega, target.E_eg_eV, target.E_vg_eV, m[i], m[j], a[i, j],
                         nature == "majorana") for j in range(3)]
        for i in range(3)
    ])
    scale = max(abs(ref).max(), 1e-300)
    np.testing.assert_allclose(fast, ref, rtol=1e-9, atol=1e-12 * scale)
    assert fast.sum() == pytest.approx(ref.sum(), rel=1e-9, abs=1e-12 * scale)


def test_majorana_equals_dirac_where_every_open_channel_has_a_massless_neutrino():
    # NO with m1 = 0: between omega_22^max and omega_12^max only (11), (12), (21) are open,
    # each carrying m1 = 0 in its m_i m_j term.
    dirac = neutrino_state("NO", 0.0, "dirac")
    maj = neutrino_state("NO", 0.0, "majorana", alpha21=1.1, alpha31=2.3)
    thr = threshold_matrix(YB.E_eg_eV, dirac.masses_eV)
    omega = np.linspace(thr[1, 1], thr[0, 1], 50)[1:-1]
    open_ = channel_matrix(omega, dirac, YB) > 0
    assert open_[:, 0, 0].all() and open_[:, 0, 1].all() and not open_[:, 1, 1].any()
    np.testing.assert_array_equal(
        spectral_function(omega, maj, YB), spectral_function(omega, dirac, YB)
    )
    # ... and below omega_22^max the Majorana exchange term makes them differ.
    below = thr[1, 1] - 1e-5
    assert spectral_function(below, maj, YB) != spectral_function(below, dirac, YB)


def test_majorana_term_is_the_documented_difference():
    # I_D - I_M = sum_ij Delta_ij Re(a_ij^2) m_i m_j / (E_vg - omega)^2 ([physics §1.3])
    from renpsim.physics.kinematics import pair_mass2, phase_space_delta

    omega = np.linspace(1.0685, 1.0716, 40)
    d = neutrino_state("NO", 0.02, "dirac", alpha21=0.4, alpha31=1.9)
    mj = neutrino_state("NO", 0.02, "majorana", alpha21=0.4, alpha31=1.9)
    s = pair_mass2(omega, YB.E_eg_eV)
    m, a = d.masses_eV, d.coupling
    expected = sum(
        phase_space_delta(s, m[i], m[j]) * (a[i, j] ** 2).real * m[i] * m[j]
        for i in range(3) for j in range(3)
    ) / (YB.E_vg_eV - omega) ** 2
    diff = spectral_function(omega, d, YB) - spectral_function(omega, mj, YB)
    np.testing.assert_allclose(diff, expected, rtol=1e-10, atol=1e-18)


@given(a21=phases, a31=phases, delta=phases, ordering=st.sampled_from(["NO", "IO"]))
def test_dirac_spectrum_is_independent_of_all_phases(a21, a31, delta, ordering):
    omega = np.linspace(1.066, YB.E_eg_eV / 2, 30)
    ref = spectral_function(omega, neutrino_state(ordering, 0.01, "dirac"), YB)
    got = spectral_function(
        omega, neutrino_state(ordering, 0.01, "dirac", alpha21=a21, alpha31=a31, delta=delta), YB
    )
    np.testing.assert_allclose(got, ref, rtol=1e-13)


@given(a21=phases, a31=phases, delta=phases, shift=phases)
def test_majorana_depends_on_alpha21_and_alpha31_minus_2delta_only(a21, a31, delta, shift):
    omega = np.linspace(1.066, YB.E_eg_eV / 2, 30)
    ref = neutrino_state("NO", 0.03, "majorana", alpha21=a21, alpha31=a31, delta=delta)
    moved = neutrino_state("NO", 0.03, "majorana", alpha21=a21, alpha31=a31 + 2 * shift,
                           delta=delta + shift)
    np.testing.assert_allclose(
        spectral_function(omega, moved, YB), spectral_function(omega, ref, YB), rtol=1e-12
    )


def test_majorana_phase_can_raise_the_rate_physics_md_1_4():
    # NuFIT 6.0 IO, m3 = 0, omega = 1.0660 eV: Majorana(alpha=0) < Dirac < Majorana(alpha21=pi)
    args = ("IO", 0.0)
    w = 1.0660
    dirac = spectral_function(w, neutrino_state(*args, "dirac"), YB)
    maj0 = spectral_function(w, neutrino_state(*args, "majorana"), YB)
    maj_pi = spectral_function(w, neutrino_state(*args, "majorana", alpha21=math.pi), YB)
    assert maj0 < dirac < maj_pi


@pytest.mark.parametrize("ordering", ["NO", "IO"])
@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_square_root_onset_and_continuity_at_every_threshold(ordering, nature):
    state = neutrino_state(ordering, 0.015, nature)
    thr = threshold_matrix(YB.E_eg_eV, state.masses_eV)
    for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)):
        t = thr[i, j]
        eps = np.array([1e-12, 4e-12, 1e-11, 4e-11])
        ch = channel_matrix(t - eps, state, YB)[:, i, j]
        # at the threshold itself only rounding (s - (m_i+m_j)^2 ~ 1e-17 eV^2) is left
        assert channel_matrix(t, state, YB)[i, j] < ch[0]
        assert channel_matrix(t + 1e-9, state, YB)[i, j] == 0.0
        assert np.all(ch > 0)
        # sqrt onset: quadrupling the distance doubles the channel
        np.testing.assert_allclose(ch[1] / ch[0], 2.0, rtol=1e-3)
        np.testing.assert_allclose(ch[3] / ch[2], 2.0, rtol=1e-3)
        # continuity of the total across the threshold
        # continuity: the jump across the threshold vanishes like sqrt(distance)
        above = spectral_function(t + 1e-15, state, YB)
        jumps = np.abs(spectral_function(t - np.array([1e-10, 1e-12]), state, YB) - above)
        np.testing.assert_allclose(jumps[0] / jumps[1], 10.0, rtol=0.02)


def test_massless_endpoint_is_finite_and_continuous():
    state = neutrino_state("NO", 0.0, "dirac")
    half = YB.E_eg_eV / 2
    at_end = spectral_function(half, state, YB)
    near = spectral_function(half - 1e-12, state, YB)
    assert np.isfinite(at_end) and at_end > 0
    assert at_end == pytest.approx(near, rel=1e-6)
    # limit value: |a_11|^2 (omega^2/9) / (E_vg - omega)^2 ([physics §1.3]: channel 11 finite)
    a11 = abs(state.coupling[0, 0]) ** 2
    assert at_end == pytest.approx(a11 * half**2 / 9 / (YB.E_vg_eV - half) ** 2, rel=1e-12)


@pytest.mark.parametrize("target", [YB, XE], ids=["Yb", "Xe"])
@pytest.mark.parametrize("ordering", ["NO", "IO"])
@pytest.mark.parametrize("nature", ["dirac", "majorana"])
@pytest.mark.parametrize("ml", [0.0, 1e-4, 0.01, 0.5])
def test_finite_everywhere_including_exact_thresholds(target, ordering, nature, ml):
    state = neutrino_state(ordering, ml, nature, alpha21=1.0, alpha31=2.0)
    thr = threshold_matrix(target.E_eg_eV, state.masses_eV).ravel()
    half = target.E_eg_eV / 2
    grid = np.concatenate([
        np.linspace(1e-6, half, 2001), thr[thr > 0], np.nextafter(thr[thr > 0], 0), [half]
    ])
    res = spectrum(grid, state, target)
    assert np.all(np.isfinite(res.total)) and np.all(np.isfinite(res.channels))
    assert np.all(res.total >= 0.0)
    np.testing.assert_allclose(res.channels.sum(axis=(-2, -1)), res.total, rtol=1e-12)


def test_broadcasting_over_omega_and_parameter_arrays_matches_scalar_calls():
    omega = np.linspace(1.066, YB.E_eg_eV / 2, 7)[:, None]
    ml = np.array([0.0, 0.005, 0.02, 0.08])
    a21 = np.array([0.0, 1.0, 2.0, 3.0])
    batch = neutrino_state("NO", ml, "majorana", alpha21=a21)
    grid = spectral_function(omega, batch, YB)
    assert grid.shape == (7, 4)
    for k in range(4):
        single = neutrino_state("NO", ml[k], "majorana", alpha21=a21[k])
        np.testing.assert_array_equal(grid[:, k], spectral_function(omega[:, 0], single, YB))
    # E_eg as a third broadcast axis (isotope-shift nuisance)
    E = YB.E_eg_eV + np.array([-2e-6, 0.0, 2e-6])[:, None, None]
    cube = spectral_function(omega, batch, YB, E_eg_eV=E, validate=False)
    assert cube.shape == (3, 7, 4)
    np.testing.assert_array_equal(cube[1], grid)


@pytest.mark.parametrize("bad", [0.0, -1.0, 1.5, float("nan")])
def test_out_of_domain_omega_raises_project_error(bad):
    with pytest.raises(PhysicsDomainError, match="omega"):
        spectral_function(bad, neutrino_state(), YB)


def test_beyond_endpoint_without_validation_is_zero():
    assert spectral_function(1.2, neutrino_state("NO", 0.0), YB, validate=False) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [dict(m_lightest_eV=-0.01), dict(nature="weyl"), dict(ordering="XO"),
     dict(oscillation="nufit-9.9"), dict(m_lightest_eV=float("inf"))],
)
def test_bad_neutrino_inputs(kwargs):
    with pytest.raises(InputError):
        neutrino_state(**kwargs)


def test_derived_mass_quantities():
    # [physics §3.2]: minimum sum of masses from NuFIT 6.0 inputs, 0.0590 (NO) and 0.0994 (IO)
    assert float(neutrino_state("NO", 0.0).sum_masses_eV) == pytest.approx(0.0590, abs=6e-5)
    assert float(neutrino_state("IO", 0.0).sum_masses_eV) == pytest.approx(0.0994, abs=6e-5)
    st_ = neutrino_state("NO", 0.2)
    # quasi-degenerate: m_beta -> m_lightest
    assert float(st_.m_beta_eV) == pytest.approx(0.2, rel=0.01)


def test_coupling_matrix_properties():
    s = neutrino_state("NO", 0.01, "majorana", alpha21=0.7, alpha31=1.3, delta=0.4)
    a = s.coupling
    np.testing.assert_allclose(a, np.conj(a.T), atol=1e-15)  # hermitian
    ue2 = np.abs(s.Ue) ** 2
    assert ue2.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(np.diag(a).real, ue2 - 0.5, atol=1e-15)
    # [physics §1.2]: Re(a_12^2) = c12^2 s12^2 c13^4 cos(alpha21)
    s12, s13 = s.oscillation.sin2_theta12.value, s.oscillation.sin2_theta13.value
    assert (a[0, 1] ** 2).real == pytest.approx((1 - s12) * s12 * (1 - s13) ** 2 * math.cos(0.7))
    assert (a[0, 2] ** 2).real == pytest.approx(
        (1 - s12) * (1 - s13) * s13 * math.cos(1.3 - 2 * 0.4))
