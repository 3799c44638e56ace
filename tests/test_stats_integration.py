"""Integration of the statistics engine with the merged BSM, campaign/DAQ and run-file layers."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from renpsim.cli.main import cli
from renpsim.experiment import load_experiment
from renpsim.physics import bsm, load_target, neutrino_state
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.io import load_dataset
from renpsim.stats.sensitivity import AsimovSetup, coupling_limits_vs_mass
from renpsim.stats.spectra import bsm_spectral_function, parse_coupling

TGT = load_target("Yb-gp21")
W = np.array([1.0688, 1.0699, 1.0711])


def _term(name, value, mass):
    c = parse_coupling(name)
    mat = bsm.element_matrix(f"{c.i + 1}{c.j + 1}", value)
    if c.i != c.j:
        mat = mat + bsm.element_matrix(f"{c.j + 1}{c.i + 1}", value)
    if c.kind in ("gL", "gR"):
        return bsm.VectorMediator(mass, **{c.kind: mat})
    if c.kind in ("yS", "yP"):
        return bsm.ScalarMediator(mass, **{c.kind: mat}, convention="physical")
    return bsm.DipoleMoments(**{c.kind: mat})


VECTOR = [("gL11", 3e-26, 1e-3), ("gR11", 3e-26, 1.0), ("gL11", 1e-16, 1e4),
          ("gL12", 1e-25, 0.5), ("gR13", 1e-25, 0.05)]
DIRAC_ONLY = [("yS11", 1e-18, 1e-3), ("yP11", 1e-18, 1.0), ("mu11", 1e-10, 1.0),
              ("eps12", 1e-10, 1.0)]


@pytest.mark.parametrize("nature,name,value,mass",
                         [("dirac", *v) for v in VECTOR + DIRAC_ONLY]
                         + [("majorana", *v) for v in VECTOR])
def test_batched_kernel_equals_physics_bsm(nature, name, value, mass):
    c = parse_coupling(name)
    st = neutrino_state("NO", 0.01, nature, "nufit-5.0", alpha21=0.3)
    theirs = bsm.spectral_function_bsm(W, st, TGT, [_term(name, value, mass)])
    ours = bsm_spectral_function(W, st.masses_eV, st.coupling, E_eg_eV=TGT.E_eg_eV,
                                 E_vg_eV=TGT.E_vg_eV, majorana=st.majorana, coupling=c,
                                 coupling_value=value, mediator_mass_eV=mass,
                                 width_fraction=0.0)
    assert np.allclose(ours, theirs, rtol=1e-12)


def test_scalar_physical_phase_equals_physics_bsm():
    st = neutrino_state("NO", 0.01, "dirac", "nufit-5.0")
    term = bsm.ScalarMediator(1.0, yP=bsm.element_matrix("11", 1e-18), convention="physical")
    theirs = bsm.spectral_function_bsm(W, st, TGT, [term])
    ours = bsm_spectral_function(W, st.masses_eV, st.coupling, E_eg_eV=TGT.E_eg_eV,
                                 E_vg_eV=TGT.E_vg_eV, coupling=parse_coupling("yP11"),
                                 coupling_value=1e-18, mediator_mass_eV=1.0, width_fraction=0.0,
                                 scalar_phase="physical")
    assert np.allclose(ours, theirs, rtol=1e-12)


def test_hardware_gp21_campaign_equals_the_stand_in():
    hw = load_experiment("gp21-benchmark").asimov_setup()
    ref = AsimovSetup.from_campaign(gp21_benchmark())
    M = [1e-3, 0.0889, 1e4]
    assert np.allclose(coupling_limits_vs_mass(hw, "gL11", M, 5.99)["limit"],
                       coupling_limits_vs_mass(ref, "gL11", M, 5.99)["limit"], rtol=1e-9)
    other = load_experiment("yb-ordering-6pt").asimov_setup()
    assert len(other.omega_eV) == 6


def _simulate(tmp_path, campaign="gp21-benchmark"):
    out = tmp_path / "run.h5"
    r = CliRunner().invoke(cli, ["simulate", campaign, "-o", str(out), "--no-progress"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out


def test_fit_simulated_run_file_without_reading_truth(tmp_path, monkeypatch):
    from renpsim.runfile.reader import RunFile

    path = _simulate(tmp_path, "yb-ordering-6pt")

    def forbidden(self):
        raise AssertionError("/truth read without --validate-truth")

    monkeypatch.setattr(RunFile, "truth", forbidden)
    ds, truth = load_dataset(path)
    assert truth is None and ds.n_steps == 6 and ds.meta["reader"] == "renpsim.runfile"
    out = json.loads(CliRunner().invoke(cli, ["fit", str(path), "--json", "--no-profile-scan"],
                                        catch_exceptions=False).output)
    assert {"parameters", "deviance", "ndof"} <= set(out)
    assert out["valid"]
    monkeypatch.undo()
    r = CliRunner().invoke(cli, ["fit", str(path), "--json", "--validate-truth",
                                 "--no-profile-scan"], catch_exceptions=False)
    out = json.loads(r.output)
    assert out["truth"]["m_lightest_eV"] == pytest.approx(0.01)
    assert abs(out["pulls"]["norm"]) < 4.0


def test_sensitivity_cli_on_a_hardware_campaign():
    r = CliRunner().invoke(cli, ["sensitivity", "yb-ordering-6pt", "--masses", "1e-3", "1e4",
                                 "--json"], catch_exceptions=False)
    out = json.loads(r.output)
    lims = [row["limit"] for row in out["rows"]]
    assert all(np.isfinite(lims)) and lims[0] < lims[1]
    assert out["setup"]["target"].startswith("Yb")
