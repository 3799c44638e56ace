"""The plain-array fast path of the SM spectrum (spectral_function_arrays, pair_terms,
NeutrinoArrays) against the numerical-integration reference and the state-based API."""

import numpy as np
import pytest

from renpsim.errors import InputError
from renpsim.physics import NeutrinoArrays, load_target, neutrino_state, spectral_function
from renpsim.physics.bsm import VectorMediator, spectral_function_bsm
from renpsim.physics.kinematics import UNORDERED_PAIRS
from renpsim.physics.reference import channel_by_quad
from renpsim.physics.spectrum import channel_matrix, pair_terms, spectral_function_arrays

YB = load_target("Yb-gp21")


@pytest.mark.parametrize("ordering", ["NO", "IO"])
@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_pair_terms_agree_with_quad_integration(ordering, nature):
    st = neutrino_state(ordering, 0.02, nature, "nufit-5.0", alpha21=1.3, alpha31=0.4)
    omega = np.array([1.0600, 1.0688, 1.0705])
    terms = pair_terms(omega, st.masses_eV, st.coupling, E_eg_eV=YB.E_eg_eV,
                       E_vg_eV=YB.E_vg_eV, majorana=st.majorana)
    m, a = st.masses_eV, st.coupling
    for k, (i, j, _) in enumerate(UNORDERED_PAIRS):
        for n, w in enumerate(omega):
            ref = channel_by_quad(w, YB.E_eg_eV, YB.E_vg_eV, m[i], m[j], a[i, j], st.majorana)
            assert terms[k, n] == pytest.approx(ref, rel=1e-9, abs=1e-300)


def test_batched_arrays_equal_the_state_api_point_by_point():
    # B parameter sets x N energies in one call: masses (B, 1, 3), omega (B, N), E_eg (B, 1)
    ml = np.array([0.0, 0.01, 0.05])
    st = neutrino_state("NO", ml, "majorana", "nufit-5.0", alpha21=0.9)
    omega = np.linspace(1.05, YB.E_eg_eV / 2, 41)[None, :] + np.array([0.0, 1e-4, -2e-4])[:, None]
    E = YB.E_eg_eV + np.array([0.0, 3e-6, -5e-6])
    got = spectral_function_arrays(omega, st.masses_eV[:, None, :], st.coupling[:, None],
                                   E_eg_eV=E[:, None], E_vg_eV=YB.E_vg_eV, majorana=True)
    assert got.shape == (3, 41)
    for b in range(3):
        one = neutrino_state("NO", ml[b], "majorana", "nufit-5.0", alpha21=0.9)
        ref = spectral_function(omega[b], one, YB, E_eg_eV=E[b], validate=False)
        np.testing.assert_array_equal(got[b], ref)
    # masses batched, a_ij not: they broadcast separately
    grid = spectral_function_arrays(omega[0], st.masses_eV[:, None, None, :], st.coupling[0],
                                    E_eg_eV=YB.E_eg_eV, E_vg_eV=YB.E_vg_eV, majorana=True)
    assert grid.shape == (3, 1, 41)


def test_neutrino_arrays_is_a_state_for_both_spectral_functions():
    st = neutrino_state("IO", 0.03, "majorana", "nufit-5.0", alpha31=2.0)
    arrays = NeutrinoArrays(st.masses_eV, st.coupling, "majorana")
    w = np.array([1.0688, 1.0699])
    np.testing.assert_array_equal(spectral_function(w, arrays, YB), spectral_function(w, st, YB))
    np.testing.assert_array_equal(channel_matrix(w, arrays, YB), channel_matrix(w, st, YB))
    term = [VectorMediator(0.5, gL=1e-25, gR=2e-25)]
    np.testing.assert_array_equal(spectral_function_bsm(w, arrays, YB, term),
                                  spectral_function_bsm(w, st, YB, term))
    with pytest.raises(InputError):
        NeutrinoArrays(st.masses_eV, st.coupling, "weyl")


def test_below_endpoint_shortcut_gives_the_general_values():
    # phase_space_delta / dirac_kernel take a direct path when every s > 0; appending one point
    # beyond the endpoint forces the general path: the shared points must agree exactly
    from renpsim.physics.kinematics import pair_mass2, phase_space_delta
    from renpsim.physics.spectrum import dirac_kernel

    w = np.linspace(1.0, YB.E_eg_eV / 2 - 1e-9, 57)
    w_all = np.append(w, YB.E_eg_eV / 2 + 0.01)
    mi = np.array([0.0, 0.01, 0.05])[:, None]
    mj = np.array([0.0, 0.0087, 0.05])[:, None]
    s, s_all = pair_mass2(w, YB.E_eg_eV), pair_mass2(w_all, YB.E_eg_eV)
    d, d_all = phase_space_delta(s, mi, mj), phase_space_delta(s_all, mi, mj)
    np.testing.assert_array_equal(d, d_all[:, :-1])
    assert np.all(d_all[:, -1] == 0.0)
    np.testing.assert_array_equal(dirac_kernel(w, s, d, YB.E_eg_eV, mi, mj),
                                  dirac_kernel(w_all, s_all, d_all, YB.E_eg_eV, mi, mj)[:, :-1])


def test_scalar_paths_of_masses_and_electron_row_equal_the_array_paths_bit_for_bit():
    """The fitter calls masses_from_lightest/electron_row with scalars (a fast path on Python
    floats); every value, NaN from an impossible mass^2 included, equals the array path's."""
    from renpsim.physics.neutrino import electron_row, masses_from_lightest

    rng = np.random.default_rng(7)
    for _ in range(500):
        ml = float(rng.choice([0.0, rng.uniform(0.0, 0.3)]))
        d21, d3 = rng.uniform(6e-5, 8e-5), rng.uniform(2e-3, 3e-3) * rng.choice([1, -1])
        for ordering in ("NO", "IO"):
            with np.errstate(invalid="ignore"):
                one = masses_from_lightest(ml, ordering, d21, d3)
                arr = masses_from_lightest(np.array([ml]), ordering, d21, np.array([d3]))[0]
            assert one.shape == (3,)
            assert np.array_equal(one, arr, equal_nan=True)
        s12, s13 = rng.uniform(-0.1, 1.1, 2)
        d, a21, a31 = rng.uniform(-7.0, 7.0, 3)
        with np.errstate(invalid="ignore"):
            one = electron_row(float(s12), float(s13), float(d), float(a21), float(a31))
            arr = electron_row(np.array([s12]), s13, d, a21, a31)[0]
        assert one.shape == (3,) and one.dtype == complex
        assert np.array_equal(one, arr, equal_nan=True)
