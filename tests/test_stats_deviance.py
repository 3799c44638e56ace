"""Poisson deviance ([physics §6.1], corrected GP21 eq. 30) and Wilks thresholds (6.2)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from renpsim.errors import InputError
from renpsim.stats.deviance import (
    cl_of_threshold,
    delta_chi2_threshold,
    deviance_terms,
    poisson_deviance,
    significance_from_delta_chi2,
)


def test_zero_count_bins_are_exact():
    assert deviance_terms(0.0, 2.5) == pytest.approx(5.0)  # N_true = 0 -> 2 N_test
    assert deviance_terms(0.0, 0.0) == 0.0  # both zero -> 0
    assert math.isinf(float(deviance_terms(3.0, 0.0)))  # impossible observation
    assert not np.any(np.isnan(deviance_terms([0, 0, 1], [0, 1, 0])))


def test_sign_is_corrected_nonnegative():
    # GP21 eq. 30 as printed is minus this; the corrected form is >= 0
    assert poisson_deviance([10.0, 3.0], [8.0, 5.0]) > 0


@given(st.lists(st.integers(0, 60), min_size=1, max_size=8),
       st.lists(st.floats(0.05, 80.0), min_size=8, max_size=8))
def test_equals_likelihood_ratio_to_saturated_model(n, mu):
    n = np.asarray(n, float)
    mu = np.asarray(mu[: n.size])
    # independent: -2 [ln P(n|mu) - ln P(n|n)] with scipy's Poisson pmf
    ref = -2.0 * np.sum(stats.poisson.logpmf(n, mu) - stats.poisson.logpmf(n, n))
    assert poisson_deviance(n, mu) == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert poisson_deviance(n, n) == pytest.approx(0.0, abs=1e-12)


def test_float_asimov_counts_and_broadcast():
    d = poisson_deviance(np.array([8.3282, 6.489, 5.9419]), np.array([[8.0, 6.0, 6.0]] * 2))
    assert d.shape == (2,) and np.all(d > 0)


def test_thresholds_match_table():
    # [physics §6.2] table
    assert delta_chi2_threshold(0.95, 1) == pytest.approx(3.84, abs=5e-3)
    assert delta_chi2_threshold(0.95, 2) == pytest.approx(5.99, abs=5e-3)
    assert delta_chi2_threshold(0.9, 3) == pytest.approx(6.25, abs=5e-3)
    assert cl_of_threshold(5.99, 2) == pytest.approx(0.95, abs=1e-3)
    assert float(significance_from_delta_chi2(9.0, 1)) == pytest.approx(3.0)
    assert float(significance_from_delta_chi2(11.83, 2)) == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize("cl,dof", [(1.5, 1), (0.95, 0), (0.95, 1.5)])
def test_bad_threshold_input(cl, dof):
    with pytest.raises(InputError):
        delta_chi2_threshold(cl, dof)
