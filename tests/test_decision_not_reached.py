"""A decision the bisection never reaches is reported as not reachable, not as its bracket's edge.

yb-threshold-scan (Yb vapour): about 5e-30 signal counts under 1e3 background counts, so the
Dirac/Majorana Delta chi^2 is of order 1e-67 at the campaign's exposure. It once reported a 3 sigma
exposure of 1.7e6 s: 1e12 (the top of the bisection bracket) times its 1.7e-6 s of coherent time.
"""

import dataclasses

import numpy as np
import pytest

from renpsim.experiment.decisions import truth_spec
from renpsim.experiment.forecast import load_experiment
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.stats import planning
from renpsim.stats.planning import BISECTION_MAX_LOG10, exposure_for_decision

STEPS = slice(0, 220, 11)       # 20 of the 220 steps: the same physics, a faster bisection


def _dataset():
    e = load_experiment("yb-threshold-scan")
    setup = e.asimov_setup("fixed", majorana_phases="fixed")
    ds = e.asimov_dataset(setup)
    cal = dataclasses.replace(ds.calibration,
                              background_rate_per_s=ds.calibration.background_rate_per_s[STEPS])
    ds = dataclasses.replace(ds, omega_eV=ds.omega_eV[STEPS], exposure_s=ds.exposure_s[STEPS],
                             counts=ds.counts[STEPS], calibration=cal,
                             live_s=None if ds.live_s is None else ds.live_s[STEPS])
    return ds, truth_spec(setup)


def _hand_delta_chi2(ds):
    """By hand: Delta chi^2 ~ sum (s_D - s_M)^2 / (s_M + b), linear in the exposure."""
    cal = ds.calibration
    tgt = load_target(ds.target)
    per_s = cal.rate_scale_per_s * ds.exposure_s * float(np.mean(cal.efficiency))
    s_d = per_s * spectral_function(ds.omega_eV, neutrino_state("NO", 0.01, "dirac",
                                                                 ds.oscillation), tgt,
                                    validate=False)
    s_m = per_s * spectral_function(ds.omega_eV, neutrino_state("NO", 0.01, "majorana",
                                                                 ds.oscillation), tgt,
                                    validate=False)
    b = cal.background_rate_per_s * ds.exposure_s
    assert s_d.sum() < 1e-28 and b.sum() > 10     # the vapour's signal is negligible
    return float(np.sum((s_d - s_m) ** 2 / (s_m + b)))


def test_explicit_asimov_needs_far_more_than_the_bracket():
    ds, _ = _dataset()
    factor_3sigma = 9.0 / _hand_delta_chi2(ds)   # an upper bound of the Delta chi^2: profiling
    assert factor_3sigma > 1e50 * 10.0**BISECTION_MAX_LOG10   # the alternative only lowers it


@pytest.mark.parametrize("per_campaign", ["hand", 1e-9])
def test_bisection_reports_not_reached_beyond_its_bracket(monkeypatch, per_campaign):
    """The bisection on a Delta chi^2 linear in the exposure (the campaign's, by hand, is
    far below the fit precision, so it is emulated): not reached, or the right factor."""
    ds, truth = _dataset()
    d0 = _hand_delta_chi2(ds) if per_campaign == "hand" else per_campaign
    t0 = float(np.sum(ds.exposure_s))

    def fake(dataset, *_a, **_k):
        return {"delta_chi2": d0 * float(np.sum(dataset.exposure_s)) / t0}

    monkeypatch.setattr(planning, "decision_delta_chi2", fake)
    r = exposure_for_decision(ds, truth, "nature", 3.0, profile_norm=False)
    assert r["method"] == ("not reached" if per_campaign == "hand" else "bisection")
    if per_campaign == "hand":
        assert r["factor"] == np.inf and r["total_s"] == np.inf
    else:   # 30 halvings of 20 decades: 2e-8 in log10
        assert r["factor"] == pytest.approx(9.0 / d0, rel=1e-7)
