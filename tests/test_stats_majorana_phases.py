"""Majorana phases as fit parameters: profiled by default, multi-started on the torus.

The example of the issue: truth Dirac, NO, m1 = 0.01 eV (NuFIT 6.0), steps at 1.0660 / 1.0680 /
1.0690 / 1.0700 eV, 1 day in total, Gamma_0 = 0.002 s^-1, no normalisation freedom: the
Majorana alternative is at Delta chi^2 = 1.09e-4 with the phases at zero and ~7.1e-5 with
free phases, the minimum near alpha21 = alpha31 - 2 delta = pi. Delta chi^2 is proportional
to the exposure here, so it is computed at 1e5 times the exposure (well above MIGRAD's EDM
tolerance) and scaled back.
"""

import dataclasses
import math

import numpy as np
import pytest

from renpsim.errors import InputError
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.fit import PHASE_STARTS, fit_multistart
from renpsim.stats.model import BinnedLikelihood, ModelSpec
from renpsim.stats.planning import decision_delta_chi2, exposure_for_decision

SCALE = 1e5
STEPS = np.array([1.0660, 1.0680, 1.0690, 1.0700])


@pytest.fixture(scope="module")
def example():
    camp = dataclasses.replace(gp21_benchmark(), omega_eV=STEPS,
                               exposure_s=np.full(4, SCALE * 86400.0 / 4), oscillation="nufit-6.0")
    return camp.dataset()


@pytest.fixture(scope="module")
def decisions(example):
    truth = ModelSpec(m_lightest_eV=0.01)
    return {mode: decision_delta_chi2(example, truth, "nature", profile_norm=False,
                                      majorana_phases=mode)
            for mode in ("fixed", "profiled")}


def test_fixed_phases_reproduce_the_issue_figure(decisions):
    assert decisions["fixed"]["delta_chi2"] / SCALE == pytest.approx(1.09e-4, rel=0.01)
    assert "alpha21" not in decisions["fixed"]["alternative"].values


def test_profiled_phases_find_the_lower_minimum_near_pi_pi(decisions):
    r = decisions["profiled"]
    assert r["delta_chi2"] / SCALE == pytest.approx(7.1e-5, rel=0.01)
    vals = r["alternative"].values
    # within the fit's precision of the corner (pi, pi) of the torus
    assert abs(vals["alpha21"] - math.pi) < 0.1
    assert abs(vals["alpha31_minus_2delta"] - math.pi) < 0.1
    assert r["delta_chi2"] < decisions["fixed"]["delta_chi2"]


def test_profiled_minimum_is_the_minimum_on_a_phase_grid(example, decisions):
    """Independent of the multi-start: Delta chi^2 on a 12 x 12 grid of fixed phases."""
    truth = ModelSpec(m_lightest_eV=0.01)
    t_lik = BinnedLikelihood(example, truth, fixed={"m_lightest_eV": 0.01, "norm": 1.0},
                             oscillation_constraints=False)
    data = example.with_counts(t_lik.asimov())
    best = np.inf
    grid = np.arange(12) * np.pi / 6
    delta = t_lik.osc.delta_cp_rad
    for a21 in grid:
        for p31 in grid:
            spec = ModelSpec(nature="majorana", majorana_phases="fixed", alpha21=a21,
                             alpha31=p31 + 2 * delta)
            lik = BinnedLikelihood(data, spec, fixed={"norm": 1.0}, oscillation_constraints=False)
            # m_lightest profiled from the truth's value (the minimum is near it)
            best = min(best, fit_multistart(lik, starts=(0.01,)).objective)
    assert decisions["profiled"]["delta_chi2"] <= best * (1 + 1e-3)
    assert best <= decisions["profiled"]["delta_chi2"] * 1.02  # grid spacing pi/6


def test_decision_exposure_changes_by_the_phase_profiling(example):
    truth = ModelSpec(m_lightest_eV=0.01)
    ds = example.with_exposure(example.exposure_s / SCALE)
    e = {mode: exposure_for_decision(ds, truth, "nature", 3.0, profile_norm=False,
                                     majorana_phases=mode) for mode in ("fixed", "profiled")}
    ratio = e["profiled"]["total_s"] / e["fixed"]["total_s"]
    assert ratio == pytest.approx(1.09e-4 / 7.1e-5, rel=0.02)
    # 9 / 1.09e-4 days for the fixed phases (1 day of data)
    assert e["fixed"]["total_s"] / 86400.0 == pytest.approx(9.0 / 1.094e-4, rel=0.01)


def test_phase_parameters_reproduce_the_physics_layer():
    """Fit phases (alpha21, alpha31 - 2 delta) give the physics layer's spectrum."""
    ds = dataclasses.replace(gp21_benchmark(), oscillation="nufit-6.0").dataset()
    lik = BinnedLikelihood(ds, ModelSpec(nature="majorana"), oscillation_constraints=False)
    st = neutrino_state("NO", 0.01, "majorana", "nufit-6.0", alpha21=1.3, alpha31=2.2)
    x = lik.vector({"alpha21": 1.3, "alpha31_minus_2delta": 2.2 - 2 * st.delta,
                    "m_lightest_eV": 0.01})
    tgt = load_target(ds.target)
    np.testing.assert_allclose(lik.spectral(x), spectral_function(ds.omega_eV, st, tgt),
                               rtol=1e-13)
    assert {"alpha21", "alpha31_minus_2delta"} <= set(lik.floating)


def test_dirac_and_fixed_phase_models_have_no_phase_parameters():
    ds = gp21_benchmark().dataset()
    assert "alpha21" not in BinnedLikelihood(ds, ModelSpec()).names
    assert "alpha21" not in BinnedLikelihood(
        ds, ModelSpec(nature="majorana", majorana_phases="fixed")).names
    with pytest.raises(InputError, match="majorana_phases"):
        ModelSpec(nature="majorana", majorana_phases="free")


def test_phase_starts_cover_the_torus_up_to_the_symmetry():
    assert len(PHASE_STARTS) == 10
    assert (math.pi, math.pi) in PHASE_STARTS and (0.0, 0.0) in PHASE_STARTS


def test_majorana_truth_reach_scan_profiles_the_phases():
    from renpsim.stats.sensitivity import (
        PHASE_GRID,
        AsimovSetup,
        _Context,
        _delta_chi2,
        coupling_limits_vs_mass,
    )
    from renpsim.stats.spectra import parse_coupling

    maj = AsimovSetup.from_campaign(gp21_benchmark(), nature="majorana")
    fixed = dataclasses.replace(maj, majorana_phases="fixed")
    M = [1e-3, 0.1, 1.0]
    lp = coupling_limits_vs_mass(maj, "gL11", M, 3.84)
    lf = coupling_limits_vs_mass(fixed, "gL11", M, 3.84)
    assert np.all(lp["limit"] >= lf["limit"])  # a nuisance more can only weaken a limit
    assert np.any(lp["limit"] > lf["limit"] * (1 + 1e-7))
    # at the profiled limit the minimum over the phase points, computed point by point, is
    # the threshold (independently of the batched min inside the scan)
    ctx = _Context(maj)
    c = parse_coupling("gL11")
    sig0, floor = ctx.sm_counts(ctx.masses)
    for m, g, s in zip(M, lp["limit"], lp["limit_sign"], strict=True):
        g = g if s == "+" else -g
        assert len(ctx.tested_couplings()) == 1 + len(PHASE_GRID)
        ds = [float(_delta_chi2(sig0 + floor, ctx.signal(ctx.masses, c, m, a)(g), floor, False))
              for a in ctx.tested_couplings()]
        assert min(ds) == pytest.approx(3.84, rel=1e-6)
    # Dirac setups are unaffected
    dirac = AsimovSetup.from_campaign(gp21_benchmark())
    assert "majorana_phases" not in dirac.to_dict()


# -- toys, discovery significance and the limit dwell optimiser profile the phases too --------

def _setups(nature):
    from renpsim.stats.sensitivity import AsimovSetup

    prof = AsimovSetup.from_campaign(gp21_benchmark(), nature=nature)
    assert prof.majorana_phases == "profiled"       # the default
    return prof, dataclasses.replace(prof, majorana_phases="fixed")


def test_discovery_significance_profiles_the_phases_of_the_rejected_sm():
    from renpsim.stats.sensitivity import (
        PHASE_GRID,
        _Context,
        _delta_chi2,
        discovery_significance,
    )
    from renpsim.stats.spectra import parse_coupling

    M = np.array([1e-3, 0.1, 1.0])
    g = 3e-26
    prof, fixed = _setups("majorana")
    zp, zf = discovery_significance(prof, "gL11", g, M), discovery_significance(fixed, "gL11", g, M)
    assert np.all(zp <= zf) and np.all(zp < zf * (1 - 1e-4))   # the SM can move its phases
    # point by point: the minimum over the truth's phases and the 16 grid points
    ctx = _Context(prof)
    assert len(ctx.tested_couplings()) == 1 + len(PHASE_GRID)
    c = parse_coupling("gL11")
    for m, z in zip(M, zp, strict=True):
        n_true = ctx.signal(ctx.masses, c, m)(g) + ctx.floor
        d = [float(_delta_chi2(n_true, ctx.sm_counts(ctx.masses, a)[0], ctx.floor, False))
             for a in ctx.tested_couplings()]
        assert z == pytest.approx(math.sqrt(min(d)), rel=1e-12)
    dp, df = _setups("dirac")
    np.testing.assert_array_equal(discovery_significance(dp, "gL11", g, M),
                                  discovery_significance(df, "gL11", g, M))


def test_toy_limits_profile_the_phases():
    from renpsim.stats.sensitivity import toy_limits

    M = [1e-3, 0.1, 1.0]
    prof, fixed = _setups("majorana")
    lp = toy_limits(prof, "gL11", M, 3.84, range(3), 2024)
    lf = toy_limits(fixed, "gL11", M, 3.84, range(3), 2024)
    assert np.all(np.isfinite(lp)) and np.any(np.abs(lp / lf - 1) > 1e-5)
    dp, df = _setups("dirac")
    np.testing.assert_array_equal(toy_limits(dp, "gL11", M, 3.84, range(3), 2024),
                                  toy_limits(df, "gL11", M, 3.84, range(3), 2024))


def test_limit_dwell_optimiser_profiles_the_phases():
    from renpsim.stats.planning import optimise_dwell_for_limit
    from renpsim.stats.sensitivity import coupling_limits_vs_mass

    prof, fixed = _setups("majorana")
    pp = optimise_dwell_for_limit(prof, "gL11", 0.1, 3.84)
    pf = optimise_dwell_for_limit(fixed, "gL11", 0.1, 3.84)
    # its figures are the profiled limits (before, and after at its allocation)
    assert pp.figure_before == coupling_limits_vs_mass(prof, "gL11", [0.1], 3.84)["limit"][0]
    after = dataclasses.replace(prof, exposure_s=tuple(pp.exposure_after_s))
    assert pp.figure_after == coupling_limits_vs_mass(after, "gL11", [0.1], 3.84)["limit"][0]
    assert pp.figure_before != pf.figure_before
    assert not np.array_equal(pp.exposure_after_s, pf.exposure_after_s)
    assert np.sum(pp.exposure_after_s) == pytest.approx(np.sum(prof.exposure_s), rel=1e-12)
    dp, df = _setups("dirac")
    a, b = optimise_dwell_for_limit(dp, "gL11", 0.1, 3.84), optimise_dwell_for_limit(
        df, "gL11", 0.1, 3.84)
    np.testing.assert_array_equal(a.exposure_after_s, b.exposure_after_s)
    assert (a.figure_before, a.figure_after) == (b.figure_before, b.figure_after)
