"""The coherence workflow of the experiment layer: eta(t), exposure per shot, PSR yield."""

from __future__ import annotations

import numpy as np
import pytest

from renpsim.errors import InputError
from renpsim.experiment import CoherenceResponse, coherence_response
from renpsim.hardware import load_hardware

#: A small z grid: the test is about the workflow, not the solver's convergence.
SMALL = {"maxwell_bloch.n_cells": 8, "coherence.eta_model": "maxwell-bloch"}


def test_exposure_is_the_gate_integral_of_the_returned_eta():
    hw = load_hardware("yb-vapour", SMALL)
    r = coherence_response(hw)
    assert isinstance(r, CoherenceResponse) and r.n_cells == 8 and r.eta_model == "maxwell-bloch"
    assert r.t_s.shape == r.eta_t.shape and np.all(np.diff(r.t_s) > 0)
    assert np.all(np.isfinite(r.eta_t)) and np.all(r.eta_t >= 0.0)
    assert r.eta_peak == pytest.approx(float(r.eta_t.max()), rel=1e-12)
    lo, hi = r.gate_s
    inside = (r.t_s >= lo) & (r.t_s <= hi)
    assert r.exposure_per_shot_s == pytest.approx(
        float(np.trapezoid(r.eta_t[inside], r.t_s[inside])), rel=1e-6)


def test_same_numbers_as_the_rate_model_uses():
    # the DAQ rates read the exposure and PSR yield through the hardware's lookup table
    hw = load_hardware("yb-vapour", SMALL)
    r = coherence_response(hw)
    assert r.exposure_per_shot_s == pytest.approx(hw.exposure_per_shot_s(), rel=1e-12)
    assert r.psr_photons_per_shot == pytest.approx(hw.psr_photons_per_shot(), rel=1e-12)
    assert r.psr_photons_per_shot > 0.0 and r.psr_linewidth_Hz is not None


def test_a_pump_that_does_not_fit_names_the_hardware_key():
    with pytest.raises(InputError, match=r"maxwell_bloch\.pump1_eV = 5\.0.*< E_eg"):
        coherence_response(load_hardware("yb-vapour", {**SMALL, "maxwell_bloch.pump1_eV": 5.0}))
