"""Sterile-neutrino sensitivity (|U_e4|^2 versus m4) and the exact quadratic in |U_e4|^2."""

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from renpsim.cli.main import cli
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.sterile import SterileParameters, sterile_state
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.deviance import poisson_deviance
from renpsim.stats.sensitivity import (
    AsimovSetup,
    sterile_expansion,
    sterile_limits_vs_mass,
)

SETUP = AsimovSetup.from_campaign(gp21_benchmark())
M4 = [0.02, 0.05, 0.1, 0.3, 0.6]


def _direct_counts(setup, m4, u, phase=0.0):
    """Signal counts from a SterileState (physics layer, mixing built by the 4x4 rotations)."""
    tgt = load_target(setup.target)
    base = neutrino_state(setup.ordering, setup.m_lightest_eV, setup.nature, setup.oscillation)
    st = sterile_state(base, SterileParameters(m4, float(np.sqrt(u)), phase))
    I = spectral_function(np.asarray(setup.omega_eV), st, tgt)
    return np.asarray(setup.exposure_s) * setup.efficiency * setup.rate_scale_per_s * I


@pytest.mark.parametrize("nature", ["dirac", "majorana"])
def test_expansion_is_exact_in_Ue4_squared(nature):
    setup = dataclasses.replace(SETUP, nature=nature,
                                omega_eV=(1.02, 1.05, 1.0688, 1.0699, 1.0711))
    setup = dataclasses.replace(setup, exposure_s=(1e5,) * 5)
    phase = 0.9
    (s0, s1, s2), _ = sterile_expansion(setup, M4, phase)
    rng = np.random.default_rng(7)
    for k, m4 in enumerate(M4):
        for u in rng.uniform(0, 0.9, 3):
            direct = _direct_counts(setup, m4, u, phase)
            np.testing.assert_allclose(s0[k] + s1[k] * u + s2[k] * u * u, direct, rtol=1e-10)
    # u = 0 is the three-flavour spectrum, bit for bit
    base = neutrino_state(setup.ordering, setup.m_lightest_eV, nature, setup.oscillation)
    I3 = spectral_function(np.asarray(setup.omega_eV), base, load_target(setup.target))
    np.testing.assert_array_equal(s0[0], np.asarray(setup.exposure_s) * setup.rate_scale_per_s * I3)


def test_limit_is_where_the_direct_delta_chi2_crosses_the_threshold():
    r = sterile_limits_vs_mass(SETUP, M4, 3.84)
    n_true = _direct_counts(SETUP, 0.1, 0.0)
    for m4, lim, st in zip(M4, r["limit"], r["status"], strict=True):
        if st != 0:
            continue
        d = poisson_deviance(n_true, _direct_counts(SETUP, m4, lim))
        assert d == pytest.approx(3.84, rel=1e-6)
        assert poisson_deviance(n_true, _direct_counts(SETUP, m4, 0.98 * lim)) < 3.84


def test_heavy_sterile_limit_is_the_rate_deficit_and_light_masses_weaker():
    r = sterile_limits_vs_mass(SETUP, M4, 3.84)
    lim = dict(zip(M4, r["limit"], strict=True))
    # above ~0.15 eV the nu_4 channels are closed at every GP21 step: only (1 - u/2) acts
    assert lim[0.3] == lim[0.6]
    assert lim[0.05] > lim[0.3]
    more = dataclasses.replace(SETUP, exposure_s=tuple(1e3 * t for t in SETUP.exposure_s))
    assert np.all(sterile_limits_vs_mass(more, M4, 3.84)["limit"][1:] < r["limit"][1:])


def test_cli_sterile_scan():
    r = CliRunner().invoke(cli, ["sensitivity", "gp21-benchmark", "--scan", "sterile",
                                 "--masses", "0.05", "0.3", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["quantity"] == "sterile_Ue4_sq"
    assert [row["m4_eV"] for row in out["rows"]] == [0.05, 0.3]
    ref = sterile_limits_vs_mass(SETUP, [0.05, 0.3], out["delta_chi2"])["limit"]
    assert [row["limit"] for row in out["rows"]] == pytest.approx(list(ref), rel=1e-12)
    assert out["sign_tested"] == "+"


def test_sterile_fit_model_spectrum_and_recovery():
    from renpsim.stats.fit import fit
    from renpsim.stats.model import BinnedLikelihood, ModelSpec

    camp = dataclasses.replace(gp21_benchmark(), omega_eV=np.array([1.02, 1.05, 1.0688, 1.0699,
                                                                      1.0711]),
                               exposure_s=np.full(5, 1e9))
    ds = camp.dataset()
    spec = ModelSpec(sterile_m4_eV=0.05, sterile_phase=0.4, nature="majorana",
                     majorana_phases="fixed")
    lik = BinnedLikelihood(ds, spec, fixed={"norm": 1.0}, oscillation_constraints=False)
    assert lik.parameters["Ue4_sq"].role == "poi" and lik.parameters["m4_eV"].role == "profiled"
    assert lik.parameters["Ue4_phase"].role == "profiled"      # Majorana: the phase is fitted
    assert lik.parameters["Ue4_phase"].value == 0.4
    # the fit's spectrum is the physics layer's SterileState spectrum
    base = neutrino_state("NO", 0.01, "majorana", camp.oscillation)
    st = sterile_state(base, SterileParameters(0.05, np.sqrt(0.2), 0.4))
    x = lik.vector({"Ue4_sq": 0.2, "m_lightest_eV": 0.01})
    np.testing.assert_allclose(lik.spectral(x), spectral_function(camp.omega_eV, st,
                                                                  load_target(camp.target)),
                               rtol=1e-12)
    # Asimov data of the 3+1 truth: the fit recovers |U_e4|^2 (to MIGRAD's tolerance)
    data = ds.with_counts(lik.expected(x))
    lik2 = BinnedLikelihood(data, spec, fixed={"norm": 1.0, "m4_eV": 0.05, "Ue4_phase": 0.4},
                            oscillation_constraints=False)
    r = fit(lik2, {"Ue4_sq": 0.05, "m_lightest_eV": 0.012})
    assert r.values["Ue4_sq"] == pytest.approx(0.2, abs=0.05 * r.errors["Ue4_sq"] + 1e-6)
    assert r.objective < 1e-3


@pytest.mark.parametrize(("nature", "phase"), [("dirac", 0.0), ("majorana", 0.4),
                                                ("majorana", 2.0)])
def test_asimov_fit_recovers_m4_and_Ue4_within_hesse_errors(nature, phase):
    """m4 and (Majorana) the phase of U_e4 are fit parameters next to |U_e4|^2.

    Steps away from the truth's thresholds omega_i4 (1.0694, 1.0708, 1.0709 eV for m4 = 0.05,
    m1 = 0.01): a step on a threshold puts a kink into the likelihood at the truth.
    """
    from renpsim.stats.fit import fit
    from renpsim.stats.model import BinnedLikelihood, ModelSpec

    w = np.array([1.02, 1.05, 1.0660, 1.0690, 1.0700, 1.0705, 1.0712, 1.0715])
    ds = dataclasses.replace(gp21_benchmark(), omega_eV=w, exposure_s=np.full(w.size, 1e9)
                             ).dataset()
    truth = {"Ue4_sq": 0.2, "m_lightest_eV": 0.01, "m4_eV": 0.05}
    spec = ModelSpec(sterile_m4_eV=0.05, sterile_phase=phase, nature=nature,
                     majorana_phases="fixed")
    kw = {"fixed": {"norm": 1.0}, "oscillation_constraints": False}
    lik = BinnedLikelihood(ds, spec, **kw)
    data = ds.with_counts(lik.expected(lik.vector(truth)))
    # the fit starts elsewhere: m4 = 0.055 eV, |U_e4|^2 = 0.12, phase + 0.3
    fitted = BinnedLikelihood(data, dataclasses.replace(spec, sterile_m4_eV=0.055,
                                                        sterile_phase=phase + 0.3), **kw)
    assert ("Ue4_phase" in fitted.floating) == (nature == "majorana")
    r = fit(fitted, {"Ue4_sq": 0.12, "m_lightest_eV": 0.012})
    assert r.valid and r.objective < 1e-3
    for name in ("m4_eV", "Ue4_sq"):
        assert abs(r.values[name] - truth[name]) < r.errors[name], name
    # a scan keeps m4 fixed by request
    scan = BinnedLikelihood(data, spec, fixed={"norm": 1.0, "m4_eV": 0.3},
                            oscillation_constraints=False)
    assert "m4_eV" not in scan.floating and scan.parameters["m4_eV"].value == 0.3


def test_cli_sterile_table_files(tmp_path):
    from renpsim.stats.output import read_csv

    csv = tmp_path / "s.csv"
    r = CliRunner().invoke(cli, ["sensitivity", "gp21-benchmark", "--scan", "sterile",
                                 "--masses", "0.05", "0.3", "--profile-norm", "--csv", str(csv)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    text = csv.read_text()
    assert "inf" not in text  # not excluded: an empty cell
    back = read_csv(csv)
    assert back.quantity == "sterile_Ue4_sq" and back.meta["sign_tested"] == "+"
    assert back.frame["limit"].isna().all()
