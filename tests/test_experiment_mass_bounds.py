"""Sum m_nu and m_beta bounds as lightest-mass bounds (renpsim.experiment.lightest_mass_bound)."""

from __future__ import annotations

import math

import pytest

from renpsim.errors import InputError
from renpsim.experiment import lightest_mass_bound

# nufit-5.0 normal ordering ([physics §3.1] inputs), written out independently
DM21, DM31 = 7.42e-5, 2.517e-3
S12, S13 = 0.304, 0.02219


def _no_masses(m1: float) -> tuple[float, float, float]:
    return m1, math.sqrt(m1 * m1 + DM21), math.sqrt(m1 * m1 + DM31)


def test_sum_bound_is_the_root_of_the_mass_sum():
    m = lightest_mass_bound("sum_mnu", 0.12, "NO", "nufit-5.0", xtol_eV=1e-12)
    assert sum(_no_masses(m)) == pytest.approx(0.12, abs=1e-10)
    assert m == pytest.approx(0.030, abs=1e-3)


def test_m_beta_bound_is_the_root_of_the_effective_mass():
    m = lightest_mass_bound("m_beta", 0.45, "NO", "nufit-5.0", xtol_eV=1e-12)
    m1, m2, m3 = _no_masses(m)
    ue1, ue2, ue3 = (1 - S12) * (1 - S13), S12 * (1 - S13), S13
    assert math.sqrt(ue1 * m1**2 + ue2 * m2**2 + ue3 * m3**2) == pytest.approx(0.45, abs=1e-10)


def test_limiting_cases():
    minimum = sum(_no_masses(0.0))
    assert lightest_mass_bound("sum_mnu", minimum * (1 - 1e-9), "NO", "nufit-5.0") is None
    assert lightest_mass_bound("sum_mnu", minimum * (1 + 1e-6), "NO",
                               "nufit-5.0") == pytest.approx(0.0, abs=1e-4)
    assert lightest_mass_bound("sum_mnu", 0.08, "IO", "nufit-5.0") is None   # IO needs ~0.1
    assert lightest_mass_bound("m_lightest", 0.8) == 0.8
    with pytest.raises(InputError, match="quantity = 'mass'"):
        lightest_mass_bound("mass", 0.1)
    with pytest.raises(InputError, match=r"bound_eV = -1"):
        lightest_mass_bound("sum_mnu", -1)
