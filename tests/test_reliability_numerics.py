"""Numerical robustness over the whole parameter space (docs/reliability.md).

Spectra (SM and SM + BSM) and likelihoods stay finite (and spectra non-negative) for photon
energies from 0 to E_eg/2 including exact thresholds and the endpoint, lightest masses 0 to
0.5 eV, both orderings and natures, couplings from 0 to 1e6 times the Asimov sensitivity, and
mediator masses 1e-6 to 1e6 eV. Every floating-point warning is an error here (numpy
``errstate(all="raise")`` for divide/overflow/invalid and Python warnings as errors), so no
NaN can appear silently. Out-of-domain input gives the documented PhysicsDomainError.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renpsim.errors import PhysicsDomainError
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.bsm import DipoleMoments, ScalarMediator, VectorMediator, spectral_function_bsm
from renpsim.physics.kinematics import threshold_matrix
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.model import BinnedLikelihood, ModelSpec
from renpsim.stats.sensitivity import AsimovSetup, coupling_limits_vs_mass, dipole_limits

TARGETS = ["Yb-gp21", "Yb-174", "Xe"]
MASSES = np.logspace(-6, 6, 25)


class _Strict:
    """Floating-point problems raise instead of producing a silent NaN or inf."""

    def __enter__(self):
        self._np = np.errstate(divide="raise", over="raise", invalid="raise")
        self._np.__enter__()
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("error")
        return self

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
        return self._np.__exit__(*exc)


def _target(name: str):
    return load_target(name)


def _omegas(target, state) -> np.ndarray:
    """Random energies plus every exact threshold, its neighbours, and the endpoint."""
    half = target.E_eg_eV / 2
    thr = np.asarray(threshold_matrix(target.E_eg_eV, state.masses_eV)).ravel()
    thr = thr[(thr > 0) & (thr <= half)]
    pts = [np.linspace(1e-9, half, 41), thr, np.nextafter(thr, 0), np.nextafter(thr, 2 * half),
           [half, np.nextafter(half, 0), 1e-12]]
    out = np.concatenate([np.ravel(p) for p in pts])
    return out[out <= half]


STATES = st.fixed_dictionaries({
    "target": st.sampled_from(TARGETS),
    "ordering": st.sampled_from(["NO", "IO"]),
    "nature": st.sampled_from(["dirac", "majorana"]),
    "m_lightest_eV": st.one_of(st.just(0.0), st.just(0.5), st.floats(0, 0.5)),
    "alpha21": st.floats(0, 2 * np.pi),
    "alpha31": st.floats(0, 2 * np.pi),
})


def _state(p):
    return neutrino_state(m_lightest_eV=p["m_lightest_eV"], ordering=p["ordering"],
                          nature=p["nature"], alpha21=p["alpha21"], alpha31=p["alpha31"])


@settings(deadline=None)
@given(p=STATES)
def test_sm_spectrum_finite_everywhere(p):
    target, state = _target(p["target"]), _state(p)
    omega = _omegas(target, state)
    with _Strict():
        i = spectral_function(omega, state, target)
    assert np.all(np.isfinite(i)) and np.all(i >= 0)
    assert i[-1] >= 0


@pytest.mark.parametrize("omega", [0.0, -1.0, np.nan, np.inf, 2.0])
def test_out_of_domain_is_the_documented_error(omega):
    target, state = _target("Yb-gp21"), neutrino_state(m_lightest_eV=0.01)
    with pytest.raises(PhysicsDomainError):
        spectral_function(np.array([omega]), state, target)


@pytest.fixture(scope="module")
def sensitivity():
    """Asimov 95 % CL limits of the GP21 benchmark (the scale of the coupling ranges)."""
    setup = AsimovSetup.from_campaign(gp21_benchmark())
    lim = {c: np.asarray(coupling_limits_vs_mass(setup, c, MASSES, 3.84)["limit"], float)
           for c in ("gL11", "gR11", "yS11", "yP11")}
    lim.update({k: np.full(MASSES.shape, v) for k, v in dipole_limits(setup, 3.84).items()
                if k in ("mu11", "mu12", "eps12")})
    for v in lim.values():
        assert np.all(np.isfinite(v)) and np.all(v > 0)
    return lim


def _limit_at(sens, name, mass):
    return float(np.exp(np.interp(np.log(mass), np.log(MASSES), np.log(sens[name]))))


def _term(name: str, value: float, mass: float, nature: str):
    width = 1e-6 * mass
    if name in ("gL11", "gR11"):
        return VectorMediator(mass, **{name[:2]: value}, width_eV=width)
    if name in ("yS11", "yP11"):
        return ScalarMediator(mass, **{name[:2]: value}, width_eV=width)
    m = np.zeros((3, 3), complex)
    i, j = int(name[-2]) - 1, int(name[-1]) - 1
    if nature == "majorana":
        m[i, j], m[j, i] = value, -value        # antisymmetric ([physics §4.3])
    else:
        m[i, j] = m[j, i] = value                # hermitian
    return DipoleMoments(**{name[:-2]: m})


@settings(deadline=None)
@given(p=STATES, name=st.sampled_from(["gL11", "gR11", "yS11", "yP11", "mu11", "mu12",
                                       "eps12"]),
       log_mass=st.floats(-6, 6), scale=st.one_of(st.just(0.0), st.just(1e6),
                                                  st.floats(1e-3, 1e6)),
       sign=st.sampled_from([1.0, -1.0]))
def test_bsm_spectrum_finite_up_to_1e6_times_the_sensitivity(p, name, log_mass, scale, sign,
                                                              sensitivity):
    if name == "mu11" and p["nature"] == "majorana":
        p = {**p, "nature": "dirac"}      # diagonal Majorana moments vanish ([physics §4.3])
    mass = 10.0 ** log_mass
    target, state = _target(p["target"]), _state(p)
    value = sign * scale * _limit_at(sensitivity, name, mass)
    omega = _omegas(target, state)
    with _Strict():
        i = spectral_function_bsm(omega, state, target, [_term(name, value, mass, p["nature"])])
    assert np.all(np.isfinite(i)) and np.all(i >= 0)
    if scale == 0.0:
        np.testing.assert_allclose(i, spectral_function(omega, state, target), rtol=1e-12,
                                   atol=0)


@settings(deadline=None)
@given(coupling=st.sampled_from(["gL11", "gR11", "yS11", "yP11"]), log_mass=st.floats(-6, 6),
       scale=st.one_of(st.just(0.0), st.just(1e6), st.floats(1e-3, 1e6)),
       m_lightest=st.one_of(st.just(0.0), st.just(0.5), st.floats(0, 0.5)),
       ordering=st.sampled_from(["NO", "IO"]))
def test_likelihood_finite_over_the_parameter_space(coupling, log_mass, scale, m_lightest,
                                                    ordering, sensitivity):
    mass = 10.0 ** log_mass
    ds = gp21_benchmark().dataset()
    truth = BinnedLikelihood(ds, ModelSpec(m_lightest_eV=0.01))
    ds = ds.with_counts(truth.asimov())
    lik = BinnedLikelihood(ds, ModelSpec(ordering=ordering, coupling=coupling,
                                         mediator_mass_eV=mass, m_lightest_eV=m_lightest))
    x = lik.vector({coupling: scale * _limit_at(sensitivity, coupling, mass),
                    "m_lightest_eV": m_lightest})
    with _Strict():
        chi2 = lik(x)
        mu = lik.expected(x)
    assert np.isfinite(chi2) and chi2 >= 0
    assert np.all(np.isfinite(mu)) and np.all(mu >= 0)
    if scale >= 1e3:      # far beyond the sensitivity the data must reject the hypothesis
        assert chi2 > 3.84
