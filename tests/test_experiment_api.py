"""The experiment layer's results carry their assumptions; the fit states its preset honestly."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from renpsim import experiment as xp
from renpsim.cli.main import cli
from renpsim.errors import InputError


@pytest.fixture(scope="module")
def gp21():
    return xp.load_experiment("gp21-benchmark")


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    from renpsim.experiment.simulation import simulate_run

    path = tmp_path_factory.mktemp("api") / "run.h5"
    simulate_run(xp.load_experiment("gp21-benchmark"), path, seed=2)
    return path


def test_results_are_immutable_and_state_their_assumptions(gp21):
    fixed = xp.decision_exposure(gp21, "ordering")
    prof = xp.decision_exposure(gp21, "ordering", normalisation="profiled")
    assert fixed.normalisation == fixed.assumptions.normalisation == "fixed"
    assert prof.assumptions.normalisation == "profiled"
    # an unknown normalisation costs exposure: the profiled decision needs more
    assert prof.factor > fixed.factor > 0
    row = fixed.row()
    keys = list(row)
    assert keys.index("normalisation") + 1 == keys.index("factor")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fixed.factor = 1.0
    curve = xp.reach_vs_mediator_mass(gp21, "gL11", [1.0])
    a = curve.assumptions
    assert (a.dof, a.cl, a.coupling_sign, a.width_fraction) == (1, 0.95, "both", 1e-6)
    assert a.delta_chi2 == pytest.approx(3.841458820694124, rel=1e-12)
    assert a.oscillation == "nufit-5.0" and a.oscillation_source == "campaign truth"
    assert json.loads(json.dumps(a.to_dict()))["truth"]["nature"] == "dirac"


def test_unknown_normalisation_names_the_parameter(gp21):
    with pytest.raises(InputError) as exc:
        xp.decision_exposure(gp21, "ordering", normalisation="free")
    assert exc.value.key == "normalisation" and "--" not in str(exc.value)


def test_majorana_dipole_headline_is_the_transition_moment(gp21):
    maj = xp.dipole_reach(gp21, nature="majorana")
    names = [k for k, _ in maj.limits]
    assert maj.headline == "mu12" and "mu12" in names and "mu11" not in names
    assert xp.dipole_reach(gp21).headline == "mu11"


def test_fit_uses_the_preset_the_run_file_records(run_file):
    out = xp.fit_run_file(run_file, compare="none", profile_scans=False)
    assert out.assumptions.oscillation == "nufit-5.0"
    assert "/config/config_json" in out.assumptions.oscillation_source
    assert out.report["schema_valid"] is True
    asked = xp.fit_run_file(run_file, oscillation="nufit-6.0", compare="none",
                            profile_scans=False)
    assert asked.report["oscillation"] == {"preset": "nufit-6.0", "source": "requested"}
    assert asked.deviance != pytest.approx(out.deviance, rel=1e-9)   # the preset matters
    r = CliRunner().invoke(cli, ["fit", str(run_file), "--no-profile-scan"])
    assert r.exit_code == 0 and "oscillation preset nufit-5.0 (run file" in " ".join(
        r.output.split())


def test_invalid_fit_exits_nonzero_unless_allowed(run_file, monkeypatch):
    real = xp.fit_run_file

    def invalid(*args, **kw):
        res = real(*args, **kw)
        return dataclasses.replace(res, valid=False)

    monkeypatch.setattr(xp, "fit_run_file", invalid)
    args = ["fit", str(run_file), "--no-profile-scan", "--json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 1 and "--allow-invalid" in r.stderr
    assert CliRunner().invoke(cli, [*args, "--allow-invalid"]).exit_code == 0


def test_profile_interval_at_the_scan_edge_is_a_named_bound():
    from renpsim.stats.fit_report import _edge_bounds

    grid = np.linspace(0.0, 0.1, 11)
    flat = SimpleNamespace(grid=grid, delta_chi2=np.full(11, 0.5))     # never crosses
    thr = {"68.27%": 1.0, "95%": 3.84}
    assert _edge_bounds(flat, thr, physical_low=True) == {"68.27%": {"high": 0.1},
                                                          "95%": {"high": 0.1}}
    assert _edge_bounds(flat, thr, physical_low=False)["95%"] == {"low": 0.0, "high": 0.1}
    bowl = SimpleNamespace(grid=grid, delta_chi2=1e4 * (grid - 0.05) ** 2)   # 25 at the edges
    assert _edge_bounds(bowl, thr, physical_low=False) == {}
