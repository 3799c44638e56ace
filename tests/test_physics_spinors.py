"""Amplitude-level checks with explicit Dirac spinors ([physics §8.5]), and the spectral function
rebuilt end to end from spinor-level |M|^2 integrated over the neutrino energy."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from renpsim.physics import load_target, neutrino_state
from renpsim.physics.dirac import (
    GAMMA,
    P_L,
    bar,
    charge_conjugate_v,
    minkowski_dot,
    renp_momenta,
    slash,
    spatial_current_sum,
    u_spinor,
    v_spinor,
)
from renpsim.physics.reference import energy_limits
from renpsim.physics.spectrum import channel_matrix

YB = load_target("Yb")


def _kinematics(draw_omega_depth, mi, mj, frac, phi):
    omega = YB.E_eg_eV / 2 - draw_omega_depth
    lo, hi = energy_limits(omega, YB.E_eg_eV, mi, mj)
    E_i = lo + frac * (hi - lo)
    return omega, renp_momenta(omega, YB.E_eg_eV, mi, mj, E_i, phi)


masses = st.floats(0.0, 0.1)


@given(mi=masses, mj=masses, frac=st.floats(0, 1), phi=st.floats(0, 6.28),
       depth=st.floats(0.03, 0.3))
def test_spin_sums_and_momentum_conservation(mi, mj, frac, phi, depth):
    depth = depth + (mi + mj) ** 2  # keep the channel open
    _, (k, pi, pj) = _kinematics(depth, mi, mj, frac, phi)
    np.testing.assert_allclose(k + pi + pj, [YB.E_eg_eV, 0, 0, 0], atol=1e-12)
    assert minkowski_dot(pi, pi) == pytest.approx(mi * mi, abs=1e-12)
    assert minkowski_dot(pj, pj) == pytest.approx(mj * mj, abs=1e-12)
    S = sum(np.outer(u_spinor(pi, mi, s), bar(u_spinor(pi, mi, s))) for s in (0, 1))
    np.testing.assert_allclose(S, slash(pi) + mi * np.eye(4), atol=1e-12)


@given(mi=masses, mj=masses, frac=st.floats(0, 1), phi=st.floats(0, 6.28),
       depth=st.floats(1e-4, 0.3))
def test_dirac_identity(mi, mj, frac, phi, depth):
    depth = depth + (mi + mj) ** 2
    _, (_, pi, pj) = _kinematics(depth, mi, mj, frac, phi)
    lhs = spatial_current_sum(pi, mi, pj, mj, lambda k: GAMMA[k] @ P_L)
    rhs = 2 * (2 * pi[1:] @ pj[1:] + 3 * minkowski_dot(pi, pj))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-14)


def majorana_sum(a, pi, mi, pj, mj):
    total = 0.0
    for si in (0, 1):
        for sj in (0, 1):
            for k in (1, 2, 3):
                g = GAMMA[k] @ P_L
                direct = bar(u_spinor(pi, mi, si)) @ g @ charge_conjugate_v(pj, mj, sj)
                exchange = bar(u_spinor(pj, mj, sj)) @ g @ charge_conjugate_v(pi, mi, si)
                amp = a * direct - np.conj(a) * exchange
                total += abs(amp) ** 2
    return 0.5 * total


@given(mi=masses, mj=masses, frac=st.floats(0, 1), phi=st.floats(0, 6.28),
       depth=st.floats(1e-4, 0.3), re=st.floats(-1, 1), im=st.floats(-1, 1))
def test_majorana_identity(mi, mj, frac, phi, depth, re, im):
    depth = depth + (mi + mj) ** 2
    _, (_, pi, pj) = _kinematics(depth, mi, mj, frac, phi)
    a = complex(re, im)
    rhs = 2 * (abs(a) ** 2 * (2 * pi[1:] @ pj[1:] + 3 * minkowski_dot(pi, pj))
               - 3 * (a * a).real * mi * mj)
    assert majorana_sum(a, pi, mi, pj, mj) == pytest.approx(rhs, rel=1e-9, abs=1e-14)


def test_charge_conjugate_v_spin_sum():
    p = np.array([0.0, 0.03, -0.01, 0.02])
    m = 0.04
    p[0] = np.sqrt(m * m + p[1:] @ p[1:])
    V = sum(np.outer(charge_conjugate_v(p, m, s), bar(charge_conjugate_v(p, m, s))) for s in (0, 1))
    np.testing.assert_allclose(V, slash(p) - m * np.eye(4), atol=1e-14)
    V2 = sum(np.outer(v_spinor(p, m, s), bar(v_spinor(p, m, s))) for s in (0, 1))
    np.testing.assert_allclose(V2, slash(p) - m * np.eye(4), atol=1e-14)


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
@pytest.mark.parametrize("omega", [1.0660, 1.0700, 1.0716])
def test_spectrum_from_spinor_amplitudes_integrated_over_neutrino_energy(nature, omega):
    """I_ij = (1/3)(1/omega) int dE_i [spin-summed |M|^2 / 2] / (E_vg - omega)^2 ([physics §1.3]).

    |M|^2 from explicit spinors is a quadratic polynomial in E_i, so 4-point Gauss-Legendre is
    exact up to rounding.
    """
    state = neutrino_state("NO", 0.01, nature, alpha21=0.9, alpha31=2.2)
    a, m = state.coupling, state.masses_eV
    x, w = np.polynomial.legendre.leggauss(4)
    got = channel_matrix(omega, state, YB)
    for i in range(3):
        for j in range(3):
            lo, hi = energy_limits(omega, YB.E_eg_eV, m[i], m[j])
            if np.isnan(lo):
                assert got[i, j] == 0.0
                continue
            total = 0.0
            for xk, wk in zip(x, w, strict=True):
                E_i = 0.5 * (hi - lo) * xk + 0.5 * (hi + lo)
                _, pi, pj = renp_momenta(omega, YB.E_eg_eV, m[i], m[j], E_i, 0.4)
                if nature == "dirac":
                    msq = abs(a[i, j]) ** 2 * spatial_current_sum(
                        pi, m[i], pj, m[j], lambda k: GAMMA[k] @ P_L) / 2
                else:
                    msq = majorana_sum(a[i, j], pi, m[i], pj, m[j]) / 2
                total += wk * 0.5 * (hi - lo) * msq
            ref = total / (3 * omega) / (YB.E_vg_eV - omega) ** 2
            assert got[i, j] == pytest.approx(ref, rel=1e-9)
