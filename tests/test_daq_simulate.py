"""DAQ simulation: GP21 benchmark statistics, levels, reproducibility, chunking, file content."""

import hashlib
import math

import h5py
import numpy as np
import pytest
from scipy import stats

from renpsim.campaign import load_campaign
from renpsim.daq import BLOCK_SHOTS, expected_counts, simulate
from renpsim.errors import InputError
from renpsim.physics.neutrino import neutrino_state
from renpsim.physics.spectrum import spectral_function
from renpsim.runfile import validate_run

# [physics §8.3] N2: 8.3 + 6.5 + 5.9 = 20.8 events (2.3 d total split equally)
N2 = 20.8


def _fast_gp21(**extra):
    # rep rate 0.01 Hz: each 'shot' holds 100 s of full coherence; expectations are unchanged
    return load_campaign("gp21-benchmark", overrides={"hardware.lasers.rep_rate_Hz": 0.01,
                                                      **extra})


def test_gp21_expected_counts_match_physics_reference():
    c = load_campaign("gp21-benchmark")
    e = expected_counts(c)
    np.testing.assert_allclose(e["signal"], [8.3, 6.5, 5.9], atol=0.05)
    assert e["signal"].sum() == pytest.approx(N2, abs=0.05)
    assert e["background"].sum() == 0.0
    # independent recomputation: Gamma_0 I(omega) T with the S-bench state
    state = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    I = spectral_function(np.array([1.0688, 1.0699, 1.0711]), state, c.hardware.atomic)
    np.testing.assert_allclose(e["signal"], 0.002 * I * 66240.0, rtol=1e-12)
    np.testing.assert_allclose(e["exposure_s"], 66240.0)


@pytest.mark.parametrize("level", ["steps", "shots", "events"])
def test_gp21_average_over_seeds_is_poisson_consistent(tmp_path, level):
    c = _fast_gp21()
    mu = expected_counts(c)["signal"].to_numpy()
    n_seeds = {"steps": 40, "shots": 30, "events": 30}[level]
    per_step = []
    for seed in range(n_seeds):
        path = simulate(c, tmp_path / f"r{seed}.h5", level=level, seed=seed)
        with h5py.File(path) as f:
            per_step.append(f["scan/counts_signal"][:, 0].astype(float))
            if level != "steps":
                k = f["shots/counts_signal"][:, 0]
                sid = f["shots/subrun_index"][:]
                np.testing.assert_array_equal(np.bincount(sid, weights=k, minlength=3),
                                              per_step[-1])
            if level == "events":
                assert len(f["events/shot_id"]) == per_step[-1].sum()
    per_step = np.array(per_step)
    total = per_step.sum(axis=1)
    # mean over seeds vs 20.76 (Poisson sigma sqrt(mu/n))
    assert abs(total.mean() - mu.sum()) < 4 * math.sqrt(mu.sum() / n_seeds)
    # counts per step match Gamma_0 I(omega) T: Pearson chi2 over seeds and steps
    chi2 = (((per_step - mu) ** 2) / mu).sum()
    dof = per_step.size
    assert stats.chi2.sf(chi2, dof) > 1e-4
    # dispersion: variance of the totals ~ mean (Poisson)
    assert 0.4 < total.var(ddof=1) / total.mean() < 1.9


def _datasets(path):
    out = {}
    with h5py.File(path) as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = hashlib.sha256(np.ascontiguousarray(obj[()]).tobytes()).hexdigest()
        f.visititems(visit)
    return out


def _small_vapour(shots=3 * BLOCK_SHOTS + 123, steps=3, **extra):
    over = {"scan.n_steps": steps, "scan.shots_per_step": shots, "scan.reference_every": 0,
            "hardware.backgrounds.trigger_leak_eps": 2e-18,   # ~0.1 count per shot
            "hardware.detector.afterpulse_prob": 0.05, **extra}
    return load_campaign("yb-threshold-scan", overrides=over)


@pytest.mark.parametrize("level", ["steps", "shots", "events"])
def test_same_seed_bit_identical_and_different_seed_differs(tmp_path, level):
    c = _small_vapour()
    a = simulate(c, tmp_path / "a.h5", level=level, seed=7)
    b = simulate(c, tmp_path / "b.h5", level=level, seed=7)
    d = simulate(c, tmp_path / "d.h5", level=level, seed=8)
    da, db, dd = _datasets(a), _datasets(b), _datasets(d)
    assert da == db
    assert da["scan/counts_signal"] != dd["scan/counts_signal"]
    assert validate_run(a).ok


@pytest.mark.parametrize("level", ["shots", "events"])
def test_chunk_size_does_not_change_results(tmp_path, level):
    c = _small_vapour()
    a = simulate(c, tmp_path / "a.h5", level=level, seed=3, chunk_shots=1)
    b = simulate(c, tmp_path / "b.h5", level=level, seed=3, chunk_shots=10 * BLOCK_SHOTS)
    assert _datasets(a) == _datasets(b)


def test_events_level_detector_effects_in_stream(tmp_path):
    c = _small_vapour(shots=BLOCK_SHOTS, steps=2)
    path = simulate(c, tmp_path / "e.h5", level="events", seed=1)
    with h5py.File(path) as f:
        sid = f["events/shot_id"][:]
        dtime = f["events/dtime"][:] * f["events/dtime"].attrs["time_unit_s"]
        ts = f["events/timestamps"][:]
        shots = f["shots/counts_signal"][:, 0]
        exp = f["truth/expected_background/leak"][:, 0].sum()
    assert np.all(np.diff(ts) >= 0)
    # dead time 50 ns: no two recorded counts of one shot closer than 50 ns (minus jitter)
    same = sid[1:] == sid[:-1]
    assert np.all(np.diff(dtime)[same] > 50e-9 - 10 * 30e-12)
    assert np.all(dtime > -5e-9 - 1e-9) and np.all(dtime < 45e-9 + 1e-9)
    assert len(sid) == shots.sum()
    # leakage dominates; afterpulses (p = 0.05) mostly fall beyond the 45 ns gate end
    assert abs(shots.sum() - exp) < 5 * math.sqrt(exp) + 0.05 * exp


def test_vapour_expected_counts_components():
    c = load_campaign("yb-threshold-scan")
    e = expected_counts(c)
    n = c.steps.total_shots
    # [hardware §8.2]: leakage ~4.7e-4 per shot, dark 5e-6 per shot, signal ~1e-28 or less
    assert e["leak"].sum() / n == pytest.approx(4.7e-4, rel=0.03)
    assert e["dark"].sum() / n == pytest.approx(5e-6)
    assert 0 < e["signal"].sum() < 1e-27
    assert np.all(e["mcq3"] > 0)


def test_calibration_and_slow_control_written(tmp_path):
    c = _small_vapour(shots=1000, steps=2)
    path = simulate(c, tmp_path / "c.h5", level="shots", seed=2)
    with h5py.File(path) as f:
        assert f["calibration/dark/det_0/live_time_s"][()] == pytest.approx(1e5 * 50e-9)
        assert set(f["slow_control"]) >= {"laser_energy_omega", "target_temperature"}
        assert len(f["slow_control/target_temperature/value"]) == 2
        assert f["scan/counts_signal"].attrs["units"] == "1"
        assert np.all(f["scan/gate_live_time_s"][:, 0] == pytest.approx(1000 * 50e-9))


def test_bad_level_and_seed(tmp_path):
    c = _fast_gp21()
    with pytest.raises(InputError):
        simulate(c, tmp_path / "x.h5", level="photons")
    with pytest.raises(InputError):
        simulate(c, tmp_path / "x.h5", seed=-1)
    assert not (tmp_path / "x.h5").exists()
