"""The statistics engine's spectra: thin wrappers of the physics layer (SM and one coupling)."""

import numpy as np
import pytest

from renpsim.constants import G_F_EV2
from renpsim.errors import InputError
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.kinematics import pair_mass2, phase_space_delta
from renpsim.physics.spectrum import dirac_kernel
from renpsim.stats.spectra import bsm_spectral_function, parse_coupling

TGT = load_target("Yb-gp21")
OMEGA = np.array([1.0688, 1.0699, 1.0711])


def _ours(state, **kw):
    return bsm_spectral_function(OMEGA, state.masses_eV, state.coupling,
                                 E_eg_eV=TGT.E_eg_eV, E_vg_eV=TGT.E_vg_eV,
                                 majorana=state.majorana, **kw)


@pytest.mark.parametrize("ordering", ["NO", "IO"])
@pytest.mark.parametrize("nature", ["dirac", "majorana"])
@pytest.mark.parametrize("ml", [0.0, 0.01, 0.04])
def test_sm_limit_equals_physics_engine(ordering, nature, ml):
    st = neutrino_state(ordering, ml, nature, "nufit-5.0", alpha21=0.7)
    ref = spectral_function(OMEGA, st, TGT)
    assert np.allclose(_ours(st), ref, rtol=1e-12, atol=0)
    c = parse_coupling("gL11")
    assert np.allclose(_ours(st, coupling=c, coupling_value=0.0), ref, rtol=1e-12)


def test_vector_gl11_against_hand_formula_dirac():
    st = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    g, M = 3e-26, 1e-3
    full = _ours(st, coupling=parse_coupling("gL11"), coupling_value=g, mediator_mass_eV=M,
                 width_fraction=0.0)
    sm = _ours(st)
    # only channel (11) changes: a11 -> a11 + g / (sqrt2 G_F (s - M^2)) ([physics §4.1])
    s = pair_mass2(OMEGA, TGT.E_eg_eV)
    m1 = st.masses_eV[0]
    a11 = st.coupling[0, 0].real
    d = phase_space_delta(s, m1, m1)
    kD = dirac_kernel(OMEGA, s, d, TGT.E_eg_eV, m1, m1)
    aL = a11 + g / (np.sqrt(2) * G_F_EV2 * (s - M * M))
    expect = sm + d * (aL**2 - a11**2) * kD / (TGT.E_vg_eV - OMEGA) ** 2
    assert np.allclose(full, expect, rtol=1e-10)


def test_majorana_only_gl_minus_gr_matters():
    st = neutrino_state("NO", 0.01, "majorana", "nufit-5.0")
    kw = dict(mediator_mass_eV=0.5, width_fraction=0.0)
    a = _ours(st, coupling=parse_coupling("gL11"), coupling_value=2e-25, **kw)
    b = _ours(st, coupling=parse_coupling("gR11"), coupling_value=-2e-25, **kw)
    assert np.allclose(a, b, rtol=1e-12)


def test_scalar_quadratic_in_gp21_phase_and_linear_term_physical():
    st = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    kw = dict(mediator_mass_eV=1e-3, coupling=parse_coupling("yP11"))
    p = _ours(st, coupling_value=1e-18, scalar_phase="gp21", **kw)
    m = _ours(st, coupling_value=-1e-18, scalar_phase="gp21", **kw)
    assert np.allclose(p, m, rtol=1e-13)  # GP21 phase: no interference for diagonal y
    pp = _ours(st, coupling_value=1e-18, scalar_phase="physical", **kw)
    mp = _ours(st, coupling_value=-1e-18, scalar_phase="physical", **kw)
    assert np.all(np.abs(pp - mp) > 0)  # [physics §0] item 7: linear term ~ 2 m1 a11


def test_large_mass_scaling_is_inverse_mass_squared():
    st = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    sm = _ours(st)
    c = parse_coupling("gL11")
    d1 = _ours(st, coupling=c, coupling_value=1e-22, mediator_mass_eV=1e3) - sm
    d2 = _ours(st, coupling=c, coupling_value=1e-22, mediator_mass_eV=1e4) - sm
    assert np.allclose(d1 / d2, 100.0, rtol=1e-3)


def test_bad_inputs():
    with pytest.raises(InputError):
        parse_coupling("gX11")
    with pytest.raises(InputError):
        parse_coupling("gL14")
    st = neutrino_state("NO", 0.01, "majorana", "nufit-5.0")
    with pytest.raises(InputError, match=r"mu11.*diagonal Majorana dipole moments vanish"):
        _ours(st, coupling=parse_coupling("mu11"), coupling_value=1e-11)
    with pytest.raises(InputError, match=r"yP11.*would have no effect"):
        _ours(st, coupling=parse_coupling("yP11"), coupling_value=1e-18, scalar_phase="gp21")
    with pytest.raises(InputError):
        _ours(st, scalar_phase="weird")


@pytest.mark.parametrize("ordering", ["NO", "IO"])
@pytest.mark.parametrize("nature", ["dirac", "majorana"])
@pytest.mark.parametrize("ml", [0.0, 0.02])
def test_fast_sm_path_equals_physics_engine(ordering, nature, ml):
    from renpsim.stats.spectra import sm_spectral_fast

    st = neutrino_state(ordering, ml, nature, "nufit-5.0", alpha21=1.1, alpha31=0.4)
    w = np.linspace(1.05, TGT.E_eg_eV / 2, 301)
    ref = spectral_function(w, st, TGT)
    ours = sm_spectral_fast(w, st.masses_eV, st.coupling, TGT.E_eg_eV, TGT.E_vg_eV,
                            st.majorana)
    assert np.allclose(ours, ref, rtol=1e-12, atol=1e-300)


def test_likelihood_deviance_equals_reference_deviance():
    from renpsim.stats.benchmark import gp21_benchmark
    from renpsim.stats.deviance import poisson_deviance
    from renpsim.stats.model import BinnedLikelihood, ModelSpec

    ds = gp21_benchmark().dataset().with_counts([0.0, 7.0, 3.5])
    lik = BinnedLikelihood(ds, ModelSpec())
    x = lik.vector({"norm": 1.3, "m_lightest_eV": 0.03})
    assert lik.data_deviance(x) == pytest.approx(
        float(poisson_deviance(ds.counts, lik.expected(x))), rel=1e-12)


@pytest.mark.parametrize("ordering", ["NO", "IO"])
def test_likelihood_state_equals_physics_state(ordering):
    from renpsim.stats.benchmark import gp21_benchmark
    from renpsim.stats.model import BinnedLikelihood, ModelSpec

    spec = ModelSpec(ordering=ordering, nature="majorana", alpha21=0.8, alpha31=2.0)
    lik = BinnedLikelihood(gp21_benchmark().dataset(), spec)
    masses, a = lik._state(lik.vector({"m_lightest_eV": 0.015}))
    st = neutrino_state(ordering, 0.015, "majorana", "nufit-5.0", alpha21=0.8, alpha31=2.0)
    assert np.allclose(masses, st.masses_eV, rtol=1e-14)
    assert np.allclose(a, st.coupling, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kind,expected", [("mu11", 1.9118e-4), ("eps11", 1.7409e-4)])
def test_dipole_term_reproduces_physics_md_b6(kind, expected):
    # [physics §8.4] B6: F^EM for (11), m1 = 0.01 eV, omega = 1.0688 eV, 1e-11 mu_B
    from renpsim.physics.kinematics import pair_mass2, phase_space_delta
    from renpsim.stats.spectra import K_EM_INV_EV2

    assert K_EM_INV_EV2 == pytest.approx(4.7216e18, rel=1e-4)  # B5
    st = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    w = np.array([1.0688])
    kw = dict(E_eg_eV=2.14349, E_vg_eV=TGT.E_vg_eV)
    full = bsm_spectral_function(w, st.masses_eV, st.coupling, coupling=parse_coupling(kind),
                                 coupling_value=1e-11, **kw)
    sm = bsm_spectral_function(w, st.masses_eV, st.coupling, **kw)
    s = pair_mass2(w, 2.14349)
    d = phase_space_delta(s, 0.01, 0.01)
    F = (full - sm) * (TGT.E_vg_eV - w) ** 2 / d
    assert F[0] == pytest.approx(expected, rel=2e-4)
    maj = neutrino_state("NO", 0.01, "majorana", "nufit-5.0")
    with pytest.raises(InputError):
        bsm_spectral_function(w, maj.masses_eV, maj.coupling, majorana=True,
                              coupling=parse_coupling(kind), coupling_value=1e-11, **kw)


def test_likelihood_rejects_nan_parameters_and_clamps_impossible_masses():
    # a minimiser probing NaN must see the rejection value, not a massless spectrum
    from renpsim.stats.benchmark import gp21_benchmark
    from renpsim.stats.model import BinnedLikelihood, ModelSpec

    lik = BinnedLikelihood(gp21_benchmark().dataset(), ModelSpec(ordering="IO"))
    assert lik(lik.vector({"m_lightest_eV": float("nan")})) == 1e300
    # IO with dm2_3l pushed above zero: m2^2 < 0 is clamped to m2 = 0, m1 = 0 (no NaN)
    masses, _ = lik._state(lik.vector({"m_lightest_eV": 0.0, "dm2_3l_eV2": 1e-4}))
    assert np.array_equal(masses, [0.0, 0.0, 0.0])


def test_bare_pole_of_the_gp21_scalar_phase_excludes_without_warnings():
    # the paper convention has no width: at M^2 = s of a step any coupling gives an infinite
    # rate; the scan reports "excluded at the lower end of the search" (status 1), no NaN
    from renpsim.physics.kinematics import pole_mass
    from renpsim.stats.benchmark import gp21_benchmark
    from renpsim.stats.sensitivity import AsimovSetup, coupling_limits_vs_mass

    M = float(pole_mass(1.0699, TGT.E_eg_eV))
    setup = AsimovSetup.from_campaign(gp21_benchmark(), scalar_phase="gp21")
    r = coupling_limits_vs_mass(setup, "yS11", [M, 1.001 * M], 3.84)
    assert list(r["status"]) == [1, 0]
    assert r["limit"][0] < 1e-30 < r["limit"][1] < 1e-15
