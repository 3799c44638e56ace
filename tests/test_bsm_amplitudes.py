"""BSM squared amplitudes and integrated spectral terms against explicit spinor numerics.

The closed forms of renpsim.physics.bsm.model are compared with
renpsim.physics.bsm.reference, which builds the amplitude from explicit Dirac spinors and gamma
matrices at the Lagrangian level (Majorana: direct minus exchange amplitude with v = C u-bar^T)
and integrates over the neutrino energy ([physics §8.5]).
"""

import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from renpsim.constants import G_F_EV2, M_E_EV
from renpsim.physics import load_target, neutrino_state
from renpsim.physics.bsm import (
    ChargeRadiusAnapole,
    DipoleMoments,
    ScalarMediator,
    VectorMediator,
    channel_matrix_bsm,
)
from renpsim.physics.bsm.reference import (
    bracket_by_spinors,
    channel_by_spinors,
    couplings_at,
)
from renpsim.physics.dirac import GAMMA, P_L, P_R, minkowski_dot, renp_momenta, spatial_current_sum
from renpsim.physics.reference import energy_limits

YB = load_target("Yb")
E_EG = YB.E_eg_eV


def _herm(rng, scale):
    a = (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))) * scale
    return 0.5 * (a + a.conj().T)


def _anti(rng, scale):
    a = (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))) * scale
    return 0.5 * (a - a.T)


def _point(mi, mj, frac, depth, phi=0.4):
    omega = E_EG / 2 - depth - (mi + mj) ** 2
    lo, hi = energy_limits(omega, E_EG, mi, mj)
    E_i = lo + frac * (hi - lo)
    return omega, E_i, renp_momenta(omega, E_EG, mi, mj, E_i, phi)


masses = st.floats(0.0, 0.08)
cplx = st.complex_numbers(max_magnitude=2.0, allow_nan=False, allow_infinity=False)


@given(mi=masses, mj=masses, frac=st.floats(0, 1), depth=st.floats(1e-4, 0.2), aL=cplx, aR=cplx)
def test_zprime_dirac_identity(mi, mj, frac, depth, aL, aR):
    """[physics §8.5]: sum |u-bar gamma^k (aL P_L + aR P_R) v|^2."""
    _, _, (_, pi, pj) = _point(mi, mj, frac, depth)
    lhs = spatial_current_sum(pi, mi, pj, mj, lambda k: GAMMA[k] @ (aL * P_L + aR * P_R))
    P = 2 * pi[1:] @ pj[1:] + 3 * minkowski_dot(pi, pj)
    rhs = 2 * ((abs(aL) ** 2 + abs(aR) ** 2) * P + 6 * mi * mj * (np.conj(aL) * aR).real)
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-12)


@given(mi=masses, mj=masses, frac=st.floats(0, 1), depth=st.floats(1e-4, 0.2), aL=cplx, aR=cplx,
       sig=cplx, pi_=cplx)
def test_scalar_pointwise_bracket(mi, mj, frac, depth, aL, aR, sig, pi_):
    """Pointwise bracket of the vector + scalar amplitude (derivation in model.py docstring):

    (1/2) sum = (|L|^2+|R|^2) P + 6 m m Re(L*R) + omega^2 [|sig|^2 (s-(mi+mj)^2)
    + |pi|^2 (s-(mi-mj)^2)] + Re{-i [L (2 mi (sig*+i pi*) q.p_j - 2 mj (sig*-i pi*) q.p_i)
    + R (2 mi (sig*-i pi*) q.p_j - 2 mj (sig*+i pi*) q.p_i)]}.
    """
    omega, E_i, (_, p_i, p_j) = _point(mi, mj, frac, depth)
    s = E_EG * (E_EG - 2 * omega)
    c = {"L": np.full((3, 3), aL), "R": np.full((3, 3), aR), "sig": np.full((3, 3), sig),
         "pi": np.full((3, 3), pi_), "mu": np.zeros((3, 3)), "eps": np.zeros((3, 3)),
         "r2": np.zeros((3, 3)), "ana": np.zeros((3, 3))}
    lhs = bracket_by_spinors(omega, E_EG, mi, mj, E_i, 0, 1, c, majorana=False, phi=0.4)
    P = 2 * p_i[1:] @ p_j[1:] + 3 * minkowski_dot(p_i, p_j)
    q = p_i[1:] + p_j[1:]
    qpi, qpj = q @ p_i[1:], q @ p_j[1:]
    sc, pc = np.conj(sig), np.conj(pi_)
    x = (aL * (2 * mi * (sc + 1j * pc) * qpj - 2 * mj * (sc - 1j * pc) * qpi)
         + aR * (2 * mi * (sc - 1j * pc) * qpj - 2 * mj * (sc + 1j * pc) * qpi))
    rhs = ((abs(aL) ** 2 + abs(aR) ** 2) * P + 6 * mi * mj * (np.conj(aL) * aR).real
           + omega**2 * (abs(sig) ** 2 * (s - (mi + mj) ** 2)
                         + abs(pi_) ** 2 * (s - (mi - mj) ** 2))
           + (-1j * x).real)
    scale = (abs(aL) ** 2 + abs(aR) ** 2 + abs(sig) ** 2 + abs(pi_) ** 2) * omega**2 + 1e-12
    assert lhs == pytest.approx(rhs, abs=1e-10 * scale)


@given(mi=masses, mj=masses, frac=st.floats(0, 1), depth=st.floats(1e-4, 0.2), aL=cplx, bL=cplx,
       aR=cplx, bR=cplx)
def test_majorana_vector_effective_couplings_pointwise(mi, mj, frac, depth, aL, bL, aR, bR):
    """Majorana direct - exchange amplitude == Dirac form with L_eff = L_ij - R_ji,
    R_eff = R_ij - L_ji and a factor 1/2 (model.py docstring), spin by spin summed."""
    omega, E_i, _ = _point(mi, mj, frac, depth)
    L = np.array([[0, aL, 0], [bL, 0, 0], [0, 0, 0]], dtype=complex)
    R = np.array([[0, aR, 0], [bR, 0, 0], [0, 0, 0]], dtype=complex)
    z = np.zeros((3, 3))
    c = {"L": L, "R": R, "sig": z, "pi": z, "mu": z, "eps": z, "r2": z, "ana": z}
    maj = bracket_by_spinors(omega, E_EG, mi, mj, E_i, 0, 1, c, majorana=True, phi=0.4)
    Le, Re = L[0, 1] - R[1, 0], R[0, 1] - L[1, 0]
    ceff = dict(c, L=np.full((3, 3), Le), R=np.full((3, 3), Re))
    dirac = bracket_by_spinors(omega, E_EG, mi, mj, E_i, 0, 1, ceff, majorana=False, phi=0.4)
    assert maj == pytest.approx(0.5 * dirac, rel=1e-9, abs=1e-12)


def _random_model(rng, nature, state, kinds):
    """Terms and the matching reference model with BSM effects comparable to the SM."""
    terms, model = [], {"a": state.coupling}
    if "vector" in kinds:
        gL, gR = _herm(rng, 2e-25), _herm(rng, 2e-25)
        terms.append(VectorMediator(0.06, gL, gR, width_eV=0.004))
        model["vectors"] = [(0.06, gL, gR, 0.004)]
    if "heavy" in kinds:
        gL, gR = _herm(rng, 3e-16), _herm(rng, 3e-16)
        terms.append(VectorMediator(2.0e4, gL, gR))
        model.setdefault("vectors", []).append((2.0e4, gL, gR, 0.0))
    if "scalar" in kinds:
        yS, yP = _herm(rng, 3e-19), _herm(rng, 3e-19)
        terms.append(ScalarMediator(0.03, yS, yP, width_eV=0.002))
        model["scalars"] = [(0.03, yS, yP, 0.002)]
    if "dipole" in kinds:
        make = _anti if nature == "majorana" else _herm
        mu, eps = make(rng, 2e-11), make(rng, 2e-11)
        terms.append(DipoleMoments(mu, eps))
        model["mu"], model["eps"] = mu, eps
    return terms, model


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
@pytest.mark.parametrize("kinds", [("vector",), ("heavy",), ("scalar",), ("dipole",),
                                   ("vector", "scalar", "dipole"), ("heavy", "scalar")])
def test_integrated_channels_match_spinor_numerics(nature, kinds):
    # a seed that does not change between processes (hash() of str is salted per process)
    rng = np.random.default_rng(zlib.crc32(repr((nature, kinds)).encode()))
    state = neutrino_state("NO", 0.015, nature, alpha21=0.9, alpha31=2.2)
    terms, model = _random_model(rng, nature, state, kinds)
    for omega in (1.0655, 1.0702, 1.0714):
        got = channel_matrix_bsm(omega, state, YB, terms)
        sm = channel_matrix_bsm(omega, state, YB, [])
        ref = np.array([[channel_by_spinors(omega, E_EG, YB.E_vg_eV, state.masses_eV, p, q,
                                            model, nature == "majorana")
                         for q in range(3)] for p in range(3)])
        # the BSM change is O(1) of the SM here, so this tests the interference terms too
        change = np.abs(ref - sm).max() / np.abs(sm).max()
        assert change > 1e-3
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-11 * np.abs(ref).max())


def test_quad_integration_agrees_with_gauss_legendre():
    """The E_i integral by scipy quad (the reference approach of physics/reference.py)."""
    rng = np.random.default_rng(7)
    state = neutrino_state("NO", 0.015, "dirac")
    terms, model = _random_model(rng, "dirac", state, ("vector", "scalar", "dipole"))
    omega = 1.0699
    got = channel_matrix_bsm(omega, state, YB, terms)
    for p, q in ((0, 0), (0, 1), (1, 2)):
        ref = channel_by_spinors(omega, E_EG, YB.E_vg_eV, state.masses_eV, p, q, model, False,
                                 method="quad")
        assert got[p, q] == pytest.approx(ref, rel=1e-8)


def test_contact_terms_match_spinor_numerics():
    rng = np.random.default_rng(11)
    state = neutrino_state("NO", 0.02, "dirac")
    r2, ana, gR = _herm(rng, 3e-25), _herm(rng, 1e-25), _herm(rng, 1e-25)
    terms = [ChargeRadiusAnapole(r2, ana), VectorMediator(0.05, 0, gR)]
    model = {"a": state.coupling, "r2_cm2": r2, "anapole_cm2": ana,
             "vectors": [(0.05, np.zeros((3, 3)), gR, 0.0)]}
    for omega in (1.066, 1.0705):
        got = channel_matrix_bsm(omega, state, YB, terms)
        base = channel_matrix_bsm(omega, state, YB, terms[1:])
        ref = np.array([[channel_by_spinors(omega, E_EG, YB.E_vg_eV, state.masses_eV, p, q,
                                            model, False) for q in range(3)] for p in range(3)])
        assert np.abs(ref - base).max() > 1e-3 * np.abs(base).max()
        np.testing.assert_allclose(got - base, ref - base, rtol=1e-8,
                                   atol=1e-10 * np.abs(ref - base).max())


def test_reference_propagator_normalisation():
    """The reference's Z' and scalar normalisations are GP21 eq. 20 and J_P/(2 m_e).

    Source: [physics §4.1], [physics §4.2]; written out here independently.
    """
    s, m = 0.01, 0.05
    c = couplings_at(s, {"a": np.zeros((3, 3)), "vectors": [(m, np.eye(3), 2 * np.eye(3), 0.0)],
                         "scalars": [(m, 3 * np.eye(3), np.zeros((3, 3)), 0.0)]})
    pv = 1 / (np.sqrt(2) * G_F_EV2 * (s - m * m))
    assert c["L"][0, 0] == pytest.approx(pv, rel=1e-14)
    assert c["R"][1, 1] == pytest.approx(2 * pv, rel=1e-14)
    assert c["sig"][2, 2] == pytest.approx(3 * pv / (2 * M_E_EV), rel=1e-14)
