"""3+1 sterile neutrino and imprinted pair momentum (docs/sterile-and-momentum.md).

The closed forms are checked against :func:`renpsim.physics.reference.channel_by_phase_space`,
an explicit integration over the two-body phase space (rest-frame directions boosted to the atom
frame as four-vectors), at random points including each threshold's neighbourhood; the null
limits (U_e4 = 0, P0 = 0) must reproduce the three-flavour, zero-momentum numbers bit for bit.
"""

import dataclasses
import math

import numpy as np
import pytest

from renpsim.errors import InputError, PhysicsDomainError
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.kinematics import (
    outside_photon_range,
    pair_mass2,
    photon_endpoint,
    threshold_matrix,
)
from renpsim.physics.neutrino import NeutrinoArrays, coupling_matrix
from renpsim.physics.reference import spectral_function_by_phase_space
from renpsim.physics.spectrum import channel_matrix, spectrum
from renpsim.physics.sterile import SterileParameters, sterile_state

RTOL = 1e-9


@pytest.fixture(scope="module")
def yb():
    return dataclasses.replace(load_target("Yb", "gp21"), E_vg_eV=2.23072)


def _closed(w, state, target, p0=0.0, c=1.0):
    return float(spectral_function(w, state, target, imprinted_momentum_eV=p0, imprinted_cos=c))


def _numeric(w, state, target, p0=0.0, c=1.0):
    return spectral_function_by_phase_space(
        w, target.E_eg_eV, target.E_vg_eV, state.masses_eV, state.coupling, state.majorana,
        p0, c)


def _points_near_thresholds(thr, rng, end):
    """Random points in a 2 ueV window on each side of each threshold, plus random bulk points."""
    pts = [t + d for t in np.unique(np.round(thr.ravel(), 15)) for d in
           rng.uniform(-2e-6, 2e-6, 2)]
    pts += list(rng.uniform(end - 0.02, end, 3))
    return [w for w in pts if 0.0 < w <= end]


# --- sterile ---------------------------------------------------------------------------------

def test_mixing_is_unitary_with_the_stated_first_row():
    base = neutrino_state("NO", 0.02, "majorana", alpha21=0.7, alpha31=2.1)
    p = SterileParameters(0.3, 0.12, 0.4, Umu4=0.05, phase_mu4_rad=1.1, Utau4=0.03,
                          alpha41_rad=0.9)
    st = sterile_state(base, p)
    v = st.mixing
    np.testing.assert_allclose(v @ v.conj().T, np.eye(4), atol=1e-15)
    # moduli of the fourth column as given; U_e4 phase = phi_e4 + alpha41/2
    assert abs(v[0, 3]) == pytest.approx(0.12, rel=1e-14)
    assert abs(v[1, 3]) == pytest.approx(0.05, rel=1e-14)
    assert abs(v[2, 3]) == pytest.approx(0.03, rel=1e-14)
    assert np.angle(v[0, 3]) == pytest.approx(0.4 + 0.45, rel=1e-13)
    # the electron row's first three entries are cos(theta14) times the PMNS row
    np.testing.assert_allclose(v[0, :3], math.sqrt(1 - 0.12**2) * base.Ue, rtol=1e-14)


def test_coupling_is_the_active_neutral_current_sum():
    """a_ij = U_ei U*_ej - 1/2 sum_{alpha active} U_alpha,i U*_alpha,j, loop by loop."""
    base = neutrino_state("IO", 0.005, "majorana", alpha21=2.0, alpha31=-1.0)
    st = sterile_state(base, SterileParameters(0.1, 0.2, 1.3, Umu4=0.1, Utau4=0.08))
    v = st.mixing
    expected = np.empty((4, 4), dtype=complex)
    for i in range(4):
        for j in range(4):
            nc = sum(v[alpha, i] * np.conj(v[alpha, j]) for alpha in range(3))
            expected[i, j] = v[0, i] * np.conj(v[0, j]) - 0.5 * nc
    np.testing.assert_allclose(st.coupling, expected, atol=1e-15)
    np.testing.assert_allclose(st.coupling, st.coupling.conj().T, atol=0)  # hermitian


def test_e4_only_couplings_in_closed_form():
    # theta14 only: a_ij = (1 - s^2/2) U_ei U*_ej - delta_ij/2 (i, j <= 3),
    # a_i4 = (s c / 2) U_ei e^{-i phi}, a_44 = s^2 / 2
    base = neutrino_state("NO", 0.01, "dirac")
    s, phi = 0.15, 0.8
    st = sterile_state(base, SterileParameters(0.05, s, phi))
    a = st.coupling
    u = base.Ue
    c = math.sqrt(1 - s * s)
    np.testing.assert_allclose(a[:3, :3], (1 - s * s / 2) * np.outer(u, u.conj()) - 0.5 * np.eye(3),
                               atol=1e-16)
    np.testing.assert_allclose(a[:3, 3], 0.5 * s * c * u * np.exp(-1j * phi), atol=1e-16)
    assert a[3, 3].real == pytest.approx(s * s / 2, rel=1e-14)


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
@pytest.mark.parametrize("ordering", ["NO", "IO"])
def test_zero_mixing_reproduces_three_flavours_bit_for_bit(yb, nature, ordering):
    base = neutrino_state(ordering, 0.01, nature, alpha21=1.0, alpha31=2.5)
    st = sterile_state(base, SterileParameters(0.08, 0.0))
    np.testing.assert_array_equal(st.coupling[:3, :3], coupling_matrix(base.Ue))
    omega = np.linspace(yb.omega_max_eV - 3e-3, yb.omega_max_eV, 301)
    np.testing.assert_array_equal(spectral_function(omega, st, yb),
                                  spectral_function(omega, base, yb))
    for w in (1.0660, 1.0680, 1.0690, 1.0700):  # scalar evaluation too
        assert _closed(w, st, yb) == _closed(w, base, yb)


@pytest.mark.parametrize(
    ("nature", "ordering", "m4", "ue4", "seed"),
    [("dirac", "NO", 0.05, 0.1, 1), ("majorana", "NO", 0.1, 0.2, 2),
     ("majorana", "IO", 0.3, 0.15, 3), ("dirac", "IO", 0.6, 0.3, 4),
     ("majorana", "NO", 0.02, 0.05, 5)],
)
def test_sterile_spectrum_matches_phase_space_integration(yb, nature, ordering, m4, ue4, seed):
    rng = np.random.default_rng(seed)
    base = neutrino_state(ordering, float(rng.uniform(0, 0.03)), nature,
                          alpha21=float(rng.uniform(0, 2 * np.pi)),
                          alpha31=float(rng.uniform(0, 2 * np.pi)))
    p = SterileParameters(m4, ue4, float(rng.uniform(0, 2 * np.pi)),
                          Umu4=float(rng.uniform(0, 0.1)), phase_mu4_rad=float(rng.uniform(0, 6)),
                          Utau4=float(rng.uniform(0, 0.1)), alpha41_rad=float(rng.uniform(0, 6)))
    st = sterile_state(base, p)
    thr = threshold_matrix(yb.E_eg_eV, st.masses_eV)
    assert thr.shape == (4, 4)
    for w in _points_near_thresholds(thr, rng, yb.omega_max_eV):
        assert _closed(w, st, yb) == pytest.approx(_numeric(w, st, yb), rel=RTOL, abs=1e-15)


def test_heavy_sterile_decouples_near_the_endpoint(yb):
    """m4 > E_eg/2 closes every channel with nu_4 near E_eg/2: only the (non-unitary) 3x3 block."""
    base = neutrino_state("NO", 0.01, "majorana", alpha21=0.3)
    st = sterile_state(base, SterileParameters(1.2, 0.2, 0.5))
    thr = threshold_matrix(yb.E_eg_eV, st.masses_eV)
    assert np.all(thr[:, 3] < 0.8)
    omega = np.linspace(1.06, yb.omega_max_eV, 50)
    ch = channel_matrix(omega, st, yb)
    assert np.all(ch[..., 3] == 0.0)
    assert np.all(ch[..., 3, :] == 0.0)
    # what remains is the three-state sum with the (non-unitary) 3x3 block of a_ij
    block = NeutrinoArrays(st.masses_eV[:3], st.coupling[:3, :3], "majorana")
    np.testing.assert_allclose(spectral_function(omega, st, yb),
                               spectral_function(omega, block, yb), rtol=1e-14)
    for w in omega[::10]:
        assert _closed(w, st, yb) == pytest.approx(_numeric(w, st, yb), rel=RTOL)
    # and the non-unitary block differs visibly from the three-flavour spectrum
    assert not np.allclose(spectral_function(omega, st, yb), spectral_function(omega, base, yb),
                           rtol=1e-6)


def test_sterile_inputs_are_checked():
    with pytest.raises(InputError, match="Ue4"):
        SterileParameters(0.1, 1.0)
    with pytest.raises(InputError, match="m4_eV"):
        SterileParameters(-0.1, 0.1)
    with pytest.raises(InputError, match="m4_eV"):
        SterileParameters(float("nan"), 0.1)
    p = SterileParameters.from_dm2_41(1.0, 0.01, Ue4=0.1)
    assert p.m4_eV == pytest.approx(math.sqrt(1.0001), rel=1e-15)


# --- imprinted momentum ----------------------------------------------------------------------

def test_zero_momentum_is_bit_for_bit(yb):
    st = neutrino_state("NO", 0.01, "majorana", alpha21=1.0)
    omega = np.linspace(1.06, yb.omega_max_eV, 101)
    np.testing.assert_array_equal(
        spectral_function(omega, st, yb, imprinted_momentum_eV=0.0, imprinted_cos=-0.3),
        spectral_function(omega, st, yb))
    np.testing.assert_array_equal(threshold_matrix(yb.E_eg_eV, st.masses_eV, 0.0, 0.2),
                                  threshold_matrix(yb.E_eg_eV, st.masses_eV))


def test_moved_kinematics_by_explicit_vectors(yb):
    E, p0, c, w = yb.E_eg_eV, 0.37, -0.4, 0.9
    k = np.array([0.0, 0.0, w])
    P = p0 * np.array([math.sqrt(1 - c * c), 0.0, c])
    q = P - k
    assert float(pair_mass2(w, E, p0, c)) == pytest.approx((E - w) ** 2 - q @ q, rel=1e-14)
    st = neutrino_state("NO", 0.01)
    thr = threshold_matrix(E, st.masses_eV, p0, c)
    m = st.masses_eV
    for i in range(3):
        for j in range(3):
            assert float(pair_mass2(thr[i, j], E, p0, c)) == pytest.approx(
                (m[i] + m[j]) ** 2, rel=1e-9)
    end = float(photon_endpoint(E, p0, c))
    assert float(pair_mass2(end, E, p0, c)) == pytest.approx(0.0, abs=1e-14)
    assert not outside_photon_range(end, E, p0, c)
    assert outside_photon_range(end * (1 + 1e-12), E, p0, c)


@pytest.mark.parametrize(
    ("nature", "p0", "c", "seed"),
    [("dirac", 0.2, 1.0, 11), ("majorana", 0.5, 0.3, 12), ("majorana", 1.2, -0.8, 13),
     ("dirac", 1e-3, 0.0, 14), ("majorana", 2.0, 0.95, 15)],
)
def test_momentum_spectrum_matches_phase_space_integration(yb, nature, p0, c, seed):
    rng = np.random.default_rng(seed)
    st = neutrino_state("NO" if seed % 2 else "IO", float(rng.uniform(0, 0.03)), nature,
                        alpha21=float(rng.uniform(0, 6.3)), alpha31=float(rng.uniform(0, 6.3)))
    thr = threshold_matrix(yb.E_eg_eV, st.masses_eV, p0, c)
    end = float(photon_endpoint(yb.E_eg_eV, p0, c))
    assert np.all(thr <= end)
    for w in _points_near_thresholds(thr, rng, end):
        assert _closed(w, st, yb, p0, c) == pytest.approx(_numeric(w, st, yb, p0, c), rel=RTOL,
                                                           abs=1e-15)
    # channels are closed just above their moved thresholds and open just below
    ch_hi = channel_matrix(thr + 1e-9, st, yb, validate=False, imprinted_momentum_eV=p0,
                           imprinted_cos=c)
    ch_lo = channel_matrix(thr - 1e-9, st, yb, validate=False, imprinted_momentum_eV=p0,
                           imprinted_cos=c)
    for i in range(3):
        for j in range(3):
            assert ch_hi[i, j, i, j] == 0.0
            assert ch_lo[i, j, i, j] > 0.0


def test_sterile_with_momentum_matches_phase_space_integration(yb):
    rng = np.random.default_rng(21)
    base = neutrino_state("NO", 0.01, "majorana", alpha21=2.0, alpha31=4.0)
    st = sterile_state(base, SterileParameters(0.3, 0.1, 1.0))
    p0, c = 0.4, 0.6
    thr = threshold_matrix(yb.E_eg_eV, st.masses_eV, p0, c)
    for w in _points_near_thresholds(thr, rng, float(photon_endpoint(yb.E_eg_eV, p0, c))):
        assert _closed(w, st, yb, p0, c) == pytest.approx(_numeric(w, st, yb, p0, c), rel=RTOL,
                                                           abs=1e-15)


def test_small_momentum_is_continuous(yb):
    st = neutrino_state("NO", 0.01, "dirac")
    w = 1.0690
    ref = _closed(w, st, yb)
    d6 = _closed(w, st, yb, 1e-6, 0.5) - ref
    d8 = _closed(w, st, yb, 1e-8, 0.5) - ref
    assert abs(d6) < 1e-3 * ref
    assert d8 / d6 == pytest.approx(1e-2, rel=0.05)  # linear approach to the P0 = 0 value


def test_momentum_domain_and_inputs(yb):
    st = neutrino_state("NO", 0.01)
    end = float(photon_endpoint(yb.E_eg_eV, 0.3, 1.0))
    assert end > yb.omega_max_eV  # a momentum along the photon raises the endpoint
    spectral_function(end, st, yb, imprinted_momentum_eV=0.3)
    with pytest.raises(PhysicsDomainError, match="omega_eV"):
        spectral_function(end + 1e-6, st, yb, imprinted_momentum_eV=0.3)
    with pytest.raises(InputError, match="imprinted_momentum_eV"):
        spectral_function(1.0, st, yb, imprinted_momentum_eV=3.0)
    with pytest.raises(InputError, match="imprinted_cos"):
        spectral_function(1.0, st, yb, imprinted_momentum_eV=0.1, imprinted_cos=1.5)
    res = spectrum([0.8, 0.9], st, yb, imprinted_momentum_eV=0.3, imprinted_cos=-1.0)
    np.testing.assert_array_equal(res.thresholds_eV,
                                  threshold_matrix(yb.E_eg_eV, st.masses_eV, 0.3, -1.0))
    assert res.imprinted_momentum_eV == 0.3
