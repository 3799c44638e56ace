"""Monte Carlo checks of the detector response models against their analytic forms
([hardware §3.4]: dead time, afterpulsing, dark counts) and of the eta(t) exposure integral."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from renpsim.hardware.detector import (
    DetectorConfig,
    afterpulse_mean_per_primary,
    fano_nonparalyzable,
    fano_paralyzable,
    observed_rate_nonparalyzable,
    observed_rate_paralyzable,
    process_stream,
    true_rate_nonparalyzable,
)
from renpsim.hardware.target_cell import CoherenceConfig, envelope_integral_s, eta_profile
from renpsim.hardware.waveguide import WaveguideConfig


def _poisson_stream(rng, n_shots, rate, window):
    k = rng.poisson(rate * window, n_shots)
    shot = np.repeat(np.arange(n_shots), k)
    t = rng.random(k.sum()) * window
    order = np.lexsort((t, shot))
    return shot[order], t[order], np.zeros(k.sum(), np.uint8)


def _counts_in(shot, t, lo, hi, n_shots):
    sel = (t >= lo) & (t < hi)
    return np.bincount(shot[sel], minlength=n_shots)


@pytest.mark.parametrize(("model", "rate_fn", "fano_fn"), [
    ("nonparalyzable", observed_rate_nonparalyzable, fano_nonparalyzable),
    ("paralyzable", observed_rate_paralyzable, fano_paralyzable),
])
def test_dead_time_observed_rate_and_fano(model, rate_fn, fano_fn):
    rng = np.random.default_rng(11)
    tau, n = 50e-9, 1.0 / 50e-9 * 0.8            # n tau = 0.8: strong dead-time effect
    window, n_shots = 3000 * tau, 1500
    det = DetectorConfig(dead_time_s=tau, dead_time_model=model, jitter_sigma_s=0.0)
    shot, t, src = _poisson_stream(rng, n_shots, n, window)
    s2, t2, _ = process_stream(shot, t, src, det, rng, gate_hi_s=np.inf)
    lo, hi = 500 * tau, 2500 * tau                 # stationary middle part of each window
    c = _counts_in(s2, t2, lo, hi, n_shots)
    m_expected = rate_fn(n, tau) * (hi - lo)
    assert c.mean() == pytest.approx(m_expected, rel=5 * math.sqrt(c.var() / n_shots) / m_expected
                                     + 2e-3)
    fano = c.var(ddof=1) / c.mean()
    assert fano == pytest.approx(fano_fn(n, tau), rel=5 * math.sqrt(2.0 / n_shots) + 0.02)


def test_nonparalyzable_inverse():
    assert true_rate_nonparalyzable(observed_rate_nonparalyzable(3e6, 1e-7), 1e-7) == \
        pytest.approx(3e6, rel=1e-12)


def test_afterpulse_mean_and_delay():
    rng = np.random.default_rng(5)
    n_shots, p, tau, tau_ap = 200_000, 0.1, 10e-9, 1e-6
    det = DetectorConfig(dead_time_s=tau, afterpulse_prob=p, afterpulse_tau_s=tau_ap,
                         jitter_sigma_s=0.0)
    shot = np.arange(n_shots)
    t = np.zeros(n_shots)
    s2, t2, src2 = process_stream(shot, t, np.zeros(n_shots, np.uint8), det, rng, np.inf)
    n_ap = np.count_nonzero(src2 == 6)
    mean = n_ap / n_shots
    expected = afterpulse_mean_per_primary(p)
    sd = math.sqrt(expected * (1 + expected) ** 2 / n_shots)  # compound geometric variance
    assert abs(mean - expected) < 5 * sd
    # delay of the first afterpulse after its primary: hold-off + Exp(tau_ap)
    first = np.ones(len(s2), bool)
    first[1:] = s2[1:] != s2[:-1]
    second = np.flatnonzero(~first & np.r_[False, first[:-1]])
    d = t2[second]
    assert d.min() >= tau
    assert d.mean() == pytest.approx(tau + tau_ap, rel=5 / math.sqrt(len(d)))


def test_dark_counts_gated_poisson():
    rng = np.random.default_rng(3)
    d, gate, n_shots = 2e5, 1e-6, 100_000          # mean 0.2 per gate
    det = DetectorConfig(dead_time_s=0.0, dead_time_model="none", jitter_sigma_s=0.0)
    shot, t, src = _poisson_stream(rng, n_shots, d, gate)
    s2, _, _ = process_stream(shot, t, src, det, rng, np.inf)
    c = np.bincount(s2, minlength=n_shots)
    mu = d * gate
    assert abs(c.mean() - mu) < 5 * math.sqrt(mu / n_shots)
    assert c.var(ddof=1) == pytest.approx(mu, rel=5 * math.sqrt(2 / n_shots) * 1.5)
    p_any = np.mean(c > 0)
    assert abs(p_any - (1 - math.exp(-mu))) < 5 * math.sqrt(p_any * (1 - p_any) / n_shots)


def test_jitter_is_gaussian_sigma():
    rng = np.random.default_rng(9)
    det = DetectorConfig(dead_time_s=0.0, dead_time_model="none", jitter_sigma_s=30e-12)
    n = 100_000
    _, t2, _ = process_stream(np.arange(n), np.zeros(n), np.zeros(n, np.uint8), det, rng, 1.0)
    assert t2.std() == pytest.approx(30e-12, rel=0.02)
    assert abs(t2.mean()) < 5 * 30e-12 / math.sqrt(n)


def test_soft_recovery_reduces_rate_only_near_previous_count():
    rng = np.random.default_rng(2)
    rec = 20e-9
    det = DetectorConfig(dead_time_s=0.0, dead_time_model="none", recovery_tau_s=rec,
                         jitter_sigma_s=0.0)
    # pairs of photons separated by exactly dt: the second survives with 1 - exp(-dt/rec)
    n, dt = 50_000, 15e-9
    shot = np.repeat(np.arange(n), 2)
    t = np.tile([0.0, dt], n)
    s2, _, _ = process_stream(shot, t, np.zeros(2 * n, np.uint8), det, rng, np.inf)
    survive = (len(s2) - n) / n
    expected = 1 - math.exp(-dt / rec)
    assert abs(survive - expected) < 5 * math.sqrt(expected * (1 - expected) / n)


def test_level1_envelope_integral_matches_quadrature():
    coh = CoherenceConfig(T1_s=1e-6, T2_s=10e-9)
    fwhm = 5e-9
    for lo, hi in [(-5e-9, 45e-9), (0.0, 1e-6), (3e-9, 8e-9)]:
        # integrate in ns (quad's absolute tolerance is meaningless at the 1e-9 s scale)
        num, _ = quad(lambda x: float(eta_profile(coh, fwhm, np.array([x * 1e-9]))[0]),
                      lo * 1e9, hi * 1e9, points=[0.0] if lo < 0 < hi else None, limit=200,
                      epsabs=0.0, epsrel=1e-11)
        num *= 1e-9
        assert envelope_integral_s(coh, fwhm, lo, hi) == pytest.approx(num, rel=1e-8)
    const = CoherenceConfig(eta_model="constant", eta0=1.0)
    assert envelope_integral_s(const, fwhm, 0.0, 0.1) == 0.1


def test_waveguide_mcq3_kinematics():
    E = 2.1435
    wg = WaveguideConfig(S_gap=1e-6, eps_res=0.0).resolved(E)
    w = np.array([E / 2])
    # cutoff 0.3 E > (E - omega)/2 = E/4: McQ3 fully in the suppressed region
    assert wg.mcq3_factor(w, E)[0] == pytest.approx(1e-6)
    low = WaveguideConfig(cutoff_eV=0.1 * E, S_gap=0.0, eps_res=0.0).resolved(E)
    # uniform partner spectrum: allowed fraction (E - w - 2 wc)/(E - w) = (0.5 - 0.2)/0.5
    assert low.mcq3_factor(w, E)[0] == pytest.approx(0.6)
    assert WaveguideConfig(enabled=False).mcq3_factor(w, E)[0] == 1.0
    assert wg.signal_transmission(w)[0] == 0.5
