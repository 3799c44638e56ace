"""The shared rate model: line-shape smearing, per-shot fluctuations, frequency bookkeeping."""

import json
import math

import h5py
import numpy as np
import pytest
from scipy.integrate import quad

from renpsim.campaign import load_campaign
from renpsim.constants import H_EV_S
from renpsim.daq import expected_counts, simulate, smeared_I, step_model
from renpsim.physics.spectrum import spectral_function


def test_smeared_I_matches_quadrature_convolution():
    c = load_campaign("gp21-benchmark")
    state = c.neutrinos
    half = c.hardware.E_eg_eV / 2
    sigma = 20e-6  # 20 ueV: several kinks ([physics §8.1]) inside the kernel
    for w0 in (half - 150e-6, half - 60e-6, half - 5e-6):
        def f(x, w0=w0):
            w = w0 + x
            val = spectral_function(np.array([w]), state, c.hardware.atomic,
                                    validate=False)[0] if w > 0 else 0.0
            return val * math.exp(-0.5 * (x / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        ref, _ = quad(f, -8 * sigma, 8 * sigma, limit=400, epsabs=0, epsrel=1e-9,
                      points=[half - w0])
        got = float(smeared_I(np.array([w0]), sigma, state, c)[0])
        assert got == pytest.approx(ref, rel=3e-3, abs=2e-5)


def test_shots_level_exposure_and_frequency_bookkeeping(tmp_path):
    c = load_campaign("yb-threshold-scan", overrides={
        "scan.n_steps": 2, "scan.shots_per_step": 40000, "scan.reference_every": 0})
    m = step_model(c)
    path = simulate(c, tmp_path / "s.h5", level="shots", seed=4)
    with h5py.File(path) as f:
        tau = f["shots/coherent_exposure_s"][:].astype(float)
        nu = f["shots/laser_freq_Hz"][:, 0]
        step = f["shots/subrun_index"][:]
        params = json.loads(f["truth/params_json"][()])
        scan_exp = f["scan/coherent_exposure_s"][:]
        set_nu = f["scan/set_frequency_Hz"][:, 0]
        e = f["shots/laser_energy_J"][:, 0].astype(float)
    # log-normal (sigma 0.2, mean 1) x energy factor (5% each beam): mean exposure = tau_bar
    sd = tau.std() / math.sqrt(len(tau))
    assert abs(tau.mean() - m.tau_mean_s) < 5 * sd
    np.testing.assert_allclose(np.bincount(step, weights=tau), scan_exp, rtol=1e-6)
    # measured - set = drift + jitter + wavemeter offset (+ readback noise)
    off = params["wavemeter_offset_Hz"]
    resid = nu - set_nu[step] - m.drift_eV[step] / H_EV_S - off
    assert abs(resid.mean()) < 5 * 30e6 / math.sqrt(len(resid)) + 2e6  # drift within a step
    assert resid.std() == pytest.approx(math.hypot(30e6, 1e6), rel=0.03)
    # energy monitor: true 5% jitter and 2% readback noise
    assert e.mean() == pytest.approx(10e-3, rel=3e-3)
    assert e.std() / e.mean() == pytest.approx(math.hypot(0.05, 0.02), rel=0.05)


def test_expected_counts_hypothesis_override():
    from renpsim.physics.neutrino import neutrino_state

    c = load_campaign("gp21-benchmark")
    base = expected_counts(c)["signal"].to_numpy()
    heavy = expected_counts(c, neutrinos=neutrino_state("NO", 0.05, "dirac", "nufit-5.0"))
    # [physics §8.1] K9: omega = 1.0711 eV is closed for m1 > 0.0263 eV
    assert heavy["signal"].iloc[2] == 0.0
    assert np.all(heavy["signal"].to_numpy() <= base)


def test_per_shot_table_matches_direct_convolution():
    from renpsim.daq.levels import _Sim

    c = load_campaign("yb-threshold-scan", overrides={
        "scan.n_steps": 12, "scan.shots_per_step": 100, "scan.reference_every": 0,
        "hardware.lasers.linewidth_Hz": 1e9})          # 1 GHz line ([hardware §7.1] max)
    sim = _Sim(c, 0)
    m = step_model(c)          # the whole scan at once (the simulation reads it in blocks)
    for s in range(len(m.n_shots)):
        x, table = sim.I_table(s)
        w0 = m.omega_eV[s] + m.drift_eV[s]
        direct = smeared_I(w0 + x, m.sigma_laser_eV, c.neutrinos, c)
        # I ~ 0.05 in the scan region: 1e-5 absolute is 2e-4 of the signal scale
        np.testing.assert_allclose(table, direct, rtol=2e-3, atol=1e-5)
