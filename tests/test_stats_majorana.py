"""Majorana scalar and dipole models in the statistics engine, and the coupling expansion.

Every spectrum of the statistics engine comes from the physics layer; these tests compare it with
:func:`renpsim.physics.bsm.spectral_function_bsm` called on terms built by hand (independent of
``renpsim.stats.spectra.coupling_term``), check the exact quadratic expansion in the coupling
against direct evaluations, and run Majorana scalar and dipole fits and sensitivities.
"""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from renpsim.cli.main import cli, main
from renpsim.errors import InputError
from renpsim.physics import bsm, load_target, neutrino_state, spectral_function
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.fit import fit
from renpsim.stats.io import dataset_to_json
from renpsim.stats.model import BinnedLikelihood, ModelSpec
from renpsim.stats.sensitivity import (
    AsimovSetup,
    coupling_limits_vs_mass,
    dipole_limits,
    discovery_significance,
)
from renpsim.stats.spectra import bsm_spectral_function, coupling_expansion, parse_coupling

TGT = load_target("Yb-gp21")
W = np.array([1.0688, 1.0699, 1.0711])
MAJ = neutrino_state("NO", 0.01, "majorana", "nufit-5.0", alpha21=0.7, alpha31=1.9)


def _hand_term(name, value, mass, nature, convention="physical"):
    """The physics term for one named coupling, built element by element."""
    c = parse_coupling(name)
    ij, ji = f"{c.i + 1}{c.j + 1}", f"{c.j + 1}{c.i + 1}"
    mat = bsm.element_matrix(ij, value)
    if ij != ji:
        sign = -1.0 if (c.kind in ("mu", "eps") and nature == "majorana") else 1.0
        mat = mat + bsm.element_matrix(ji, sign * value)
    if c.kind in ("mu", "eps"):
        return bsm.DipoleMoments(**{c.kind: mat})
    if c.kind in ("yS", "yP"):
        return bsm.ScalarMediator(mass, **{c.kind: mat}, convention=convention)
    return bsm.VectorMediator(mass, **{c.kind: mat})


MAJORANA_CASES = [("yS11", 1e-18, 1e-3), ("yP11", 1e-18, 1.0), ("yS12", 3e-18, 0.05),
                  ("yP23", 1e-17, 10.0), ("mu12", 1e-10, 1.0), ("eps13", 2e-10, 1.0),
                  ("mu23", 5e-11, 1.0)]


@pytest.mark.parametrize("name,value,mass", MAJORANA_CASES)
def test_majorana_scalar_and_dipole_equal_physics_layer(name, value, mass):
    theirs = bsm.spectral_function_bsm(W, MAJ, TGT, [_hand_term(name, value, mass, "majorana")])
    ours = bsm_spectral_function(W, MAJ.masses_eV, MAJ.coupling, E_eg_eV=TGT.E_eg_eV,
                                 E_vg_eV=TGT.E_vg_eV, majorana=True,
                                 coupling=parse_coupling(name), coupling_value=value,
                                 mediator_mass_eV=mass, width_fraction=0.0)
    assert np.allclose(ours, theirs, rtol=1e-12, atol=0)
    sm = spectral_function(W, MAJ, TGT)
    assert np.any(np.abs(ours / sm - 1.0) > 1e-6)  # the term acts


def test_gp21_scalar_phase_is_the_physics_paper_convention():
    st = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    for name in ("yS11", "yP11"):
        theirs = bsm.spectral_function_bsm(W, st, TGT, [_hand_term(name, 1e-18, 0.3, "dirac",
                                                                   "paper")])
        ours = bsm_spectral_function(W, st.masses_eV, st.coupling, E_eg_eV=TGT.E_eg_eV,
                                     E_vg_eV=TGT.E_vg_eV, coupling=parse_coupling(name),
                                     coupling_value=1e-18, mediator_mass_eV=0.3,
                                     scalar_phase="gp21")
        assert np.allclose(ours, theirs, rtol=1e-12, atol=0)


EXPANSION_CASES = [("dirac", "gL11", 1e-3, "physical"), ("majorana", "gR12", 0.07, "physical"),
                   ("dirac", "yP11", 1.0, "physical"), ("dirac", "yS11", 20.0, "gp21"),
                   ("majorana", "yS11", 1e-3, "physical"), ("majorana", "yP13", 3e3, "physical"),
                   ("majorana", "mu12", 1.0, "physical"), ("dirac", "eps11", 1.0, "physical")]


@pytest.mark.parametrize("nature,name,mass,phase", EXPANSION_CASES)
def test_coupling_expansion_equals_direct_physics_evaluation(nature, name, mass, phase):
    # I(g) is exactly quadratic in the coupling at fixed mediator mass and width (the amplitude
    # is linear in it, [physics §4.1] to [physics §4.3]): the expansion reproduces direct
    # evaluations at any g
    st = neutrino_state("NO", 0.01, nature, "nufit-5.0", alpha21=0.4)
    c = parse_coupling(name)
    width = 1e-6 if phase == "physical" else 0.0
    exp = coupling_expansion(W, st, TGT, c, mass, width_fraction=width, scalar_phase=phase)
    conv = "paper" if phase == "gp21" else "physical"
    for g in (0.0, 1e-30, -3e-24, 1e-19, -2e-15, 4e-12, -1e-9, 1e-6):
        term = _hand_term(name, g, mass, nature, conv)
        if hasattr(term, "width_eV") and conv == "physical":
            term = type(term)(term.mass_eV, **{c.kind: getattr(term, c.kind)},
                              width_eV=width * mass)
        direct = bsm.spectral_function_bsm(W, st, TGT, [term])
        assert np.allclose(exp(g), direct, rtol=1e-12, atol=0), g


@pytest.mark.parametrize("coupling", ["yS11", "yP11", "mu12", "eps23"])
def test_majorana_likelihood_reduces_to_the_sm_at_zero_coupling(coupling):
    ds = gp21_benchmark().dataset()
    sm = BinnedLikelihood(ds, ModelSpec(nature="majorana")).asimov()
    lik = BinnedLikelihood(ds, ModelSpec(nature="majorana", coupling=coupling,
                                         mediator_mass_eV=1.0))
    assert np.allclose(lik.asimov({coupling: 0.0}), sm, rtol=1e-13, atol=0)
    # and at a non-zero coupling it is the physics-layer spectrum times the rate scale
    value = {"yS11": 1e-17, "yP11": 1e-17, "mu12": 1e-9, "eps23": 1e-9}[coupling]
    term = _hand_term(coupling, value, 1.0, "majorana")
    if isinstance(term, bsm.ScalarMediator):
        term = bsm.ScalarMediator(1.0, **{coupling[:2]: getattr(term, coupling[:2])},
                                  width_eV=1e-6)
    I = bsm.spectral_function_bsm(ds.omega_eV, MAJ_STATE_FOR_DS, TGT, [term])
    expect = ds.exposure_s * ds.calibration.efficiency * ds.calibration.rate_scale_per_s * I
    assert np.allclose(lik.asimov({coupling: value}), expect, rtol=1e-12, atol=0)


MAJ_STATE_FOR_DS = neutrino_state("NO", 0.01, "majorana", "nufit-5.0")


@pytest.mark.parametrize("coupling,scale", [("yS11", 1e-17), ("yP11", 1e-17), ("mu12", 1e-12)])
def test_majorana_fit_recovers_the_coupling(coupling, scale):
    ds = gp21_benchmark(total_days=230.0).dataset()
    spec = ModelSpec(nature="majorana", coupling=coupling, mediator_mass_eV=1.0)
    truth_lik = BinnedLikelihood(ds, spec)
    # a coupling with a clear effect: 20% more events than the SM
    sm = truth_lik.asimov({coupling: 0.0}).sum()
    g = scale
    while truth_lik.asimov({coupling: g}).sum() < 1.2 * sm:
        g *= 1.5
    data = ds.with_counts(truth_lik.asimov({coupling: g}))
    lik = BinnedLikelihood(data, spec, fixed={"m_lightest_eV": 0.01},
                           oscillation_constraints=False)
    r = fit(lik, {coupling: 1.3 * g})
    assert r.valid
    assert abs(abs(r.values[coupling]) - g) < 0.05 * r.errors[coupling]
    assert r.errors[coupling] < 0.5 * g
    assert r.deviance == pytest.approx(0.0, abs=1e-3)
    # SM data: the fitted coupling is compatible with zero
    sm_lik = BinnedLikelihood(ds.with_counts(truth_lik.asimov({coupling: 0.0})), spec,
                              fixed={"m_lightest_eV": 0.01}, oscillation_constraints=False)
    r0 = fit(sm_lik, {coupling: 0.5 * g})
    assert r0.valid and r0.deviance == pytest.approx(0.0, abs=1e-3)
    assert abs(r0.values[coupling]) < g


def test_majorana_sensitivities_run_and_reduce_to_the_sm():
    setup = AsimovSetup.from_campaign(gp21_benchmark(), nature="majorana")
    for coupling in ("yS11", "yP11"):
        r = coupling_limits_vs_mass(setup, coupling, [1e-3, 1.0, 1e4], 3.84)
        assert np.all(r["status"] == 0) and np.all(np.isfinite(r["limit"]))
        assert r["limit"][0] < r["limit"][2]  # heavier mediator, weaker limit
        assert discovery_significance(setup, coupling, 0.0, 1.0) == 0.0
    lims = dipole_limits(setup, 3.84)
    assert set(lims) == {"mu12", "mu13", "mu23", "eps12", "eps13", "eps23"}
    assert np.isfinite(lims["mu12"]) and 0 < lims["mu12"] < 1e-6
    # the Majorana and Dirac transition-moment reach differ only by the spectrum they act on
    dirac = dipole_limits(AsimovSetup.from_campaign(gp21_benchmark()), 3.84, ("mu12",))
    assert 0.1 < lims["mu12"] / dirac["mu12"] < 10.0


def test_majorana_diagonal_moment_is_refused_everywhere():
    setup = AsimovSetup.from_campaign(gp21_benchmark(), nature="majorana")
    with pytest.raises(InputError, match=r"mu11.*diagonal Majorana dipole moments vanish"):
        coupling_limits_vs_mass(setup, "mu11", [1.0], 3.84)
    with pytest.raises(InputError, match=r"eps33.*vanish"):
        dipole_limits(setup, 3.84, ("eps33",))
    with pytest.raises(InputError, match=r"mu22.*vanish"):
        ModelSpec(nature="majorana", coupling="mu22")


def test_cli_majorana_dipole_fit_and_refusal(tmp_path, capsys):
    path = tmp_path / "run.json"
    ds = gp21_benchmark().dataset()
    counts = BinnedLikelihood(ds, ModelSpec(nature="majorana")).asimov()
    path.write_text(json.dumps(dataset_to_json(ds.with_counts(counts))))
    with pytest.raises(SystemExit) as stop:
        main(["fit", str(path), "--model", "dipole", "--nature", "majorana", "--coupling", "mu11",
              "--json"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mu11" in err[0] and "vanish" in err[0]
    # 21 events at three steps do not constrain the Majorana phases (profiled by default):
    # that fit has flat directions and is refused as invalid, so they are fixed here
    r = CliRunner().invoke(cli, ["fit", str(path), "--model", "dipole", "--nature", "majorana",
                                 "--json", "--no-profile-scan", "--fix", "alpha21=0",
                                 "--fix", "alpha31_minus_2delta=0"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["model"]["nature"] == "majorana" and "mu12" in out["parameters"]
    r = CliRunner().invoke(cli, ["sensitivity", "gp21-benchmark", "--scan", "dipole",
                                 "--nature", "majorana", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["rows"]
    assert {row["element"] for row in rows} == {"mu12", "mu13", "mu23", "eps12", "eps13",
                                                "eps23"}
