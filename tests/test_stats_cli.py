"""Command-line contracts of ``renpsim fit`` and ``renpsim sensitivity`` and their errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from stats_helpers import write_runfile

from renpsim.cli.main import cli, main
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.io import dataset_to_json, load_dataset
from renpsim.stats.model import BinnedLikelihood, ModelSpec


def _run(args):
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def _err(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("renpsim: error:") and "\n" not in err
    return err


@pytest.mark.parametrize("mediator,coupling", [("vector", "gL11"), ("scalar", "yS11")])
def test_sensitivity_mass_scan_contract(mediator, coupling):
    out = json.loads(_run(["sensitivity", "gp21-benchmark", "--scan", "mediator-mass",
                           "--mediator", mediator, "--coupling", coupling, "--masses", "1e-3",
                           "1", "1e4", "--delta-chi2", "5.99", "--json"]))
    assert out["delta_chi2"] == 5.99 and out["dof"] == 1
    assert [r["m_eV"] for r in out["rows"]] == [1e-3, 1.0, 1e4]
    lims = [r["limit"] for r in out["rows"]]
    assert lims[0] < lims[1] < lims[2]
    assert out["quantity"] == {"vector": "vector_ge_gnu", "scalar": "scalar_ye_ynu"}[mediator]


def test_sensitivity_lightest_scan_contract_and_default_threshold(tmp_path):
    out = json.loads(_run(["sensitivity", "gp21-benchmark", "--scan", "m-lightest",
                           "--m-lightest", "0", "0.01", "0.05", "--json",
                           "--csv", str(tmp_path / "l.csv")]))
    assert [r["m_lightest_eV"] for r in out["rows"]] == [0.0, 0.01, 0.05]
    assert out["dof"] == 1 and round(out["delta_chi2"], 2) == 3.84
    assert "default" in out["threshold_note"]
    assert (tmp_path / "l.csv").read_text().startswith("# renpsim-sensitivity v1")
    human = _run(["sensitivity", "gp21-benchmark", "--scan", "m-lightest", "--m-lightest",
                  "0.01"])
    assert "3.841" in human and "1 dof" in human


def test_sensitivity_executor_dask_option_matches_serial():
    args = ["sensitivity", "gp21-benchmark", "--masses", "1e-3", "0.0889", "1e3", "--json"]
    a = json.loads(_run(args))
    b = json.loads(_run([*args, "--executor", "processes", "--workers", "2"]))
    assert a["rows"] == b["rows"]


def _asimov_json(tmp_path, days=23.0):
    ds = gp21_benchmark(total_days=days).dataset()
    lik = BinnedLikelihood(ds, ModelSpec())
    counts = np.random.default_rng(3).poisson(lik.asimov())
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(dataset_to_json(ds.with_counts(counts))))
    return path


def test_fit_json_contract(tmp_path):
    path = _asimov_json(tmp_path)
    out = json.loads(_run(["fit", str(path), "--json", "--no-profile-scan"]))
    assert {"parameters", "deviance", "ndof"} <= set(out)
    assert set(out["parameters"]["norm"]) >= {"value", "error"}
    assert out["ndof"] == 3 + 4 - 6  # 3 steps + 4 oscillation constraints - 6 floating
    out = json.loads(_run(["fit", str(path), "--model", "vector", "--coupling", "gL11",
                           "--fix", "m_lightest_eV=0.01", "--json", "--compare", "ordering"]))
    assert "gL11" in out["parameters"] and out["parameters"]["gL11"]["error"] > 0
    assert set(out["comparison"]["delta_chi2"]) == {"NO", "IO"}


def test_fit_runfile_never_reads_truth_unless_asked(tmp_path, capsys):
    path = tmp_path / "run.h5"
    write_runfile(path, [60, 47, 43], corrupt_truth=True)
    ds, truth = load_dataset(path)
    assert truth is None and ds.calibration.efficiency == pytest.approx(0.8)
    assert ds.calibration.dark_live_s == 1e5
    out = json.loads(_run(["fit", str(path), "--json", "--no-profile-scan"]))
    assert out["parameters"]["efficiency"]["role"] == "profiled"
    err = _err(["fit", str(path), "--validate-truth"], capsys)
    assert "/truth/params_json" in err
    good = tmp_path / "good.h5"
    write_runfile(good, [60, 47, 43], truth={"m_lightest_eV": 0.01, "norm": 1.0})
    out = json.loads(_run(["fit", str(good), "--json", "--validate-truth", "--no-profile-scan"]))
    assert set(out["pulls"]) >= {"norm", "m_lightest_eV"}


def test_fit_bad_input(tmp_path, capsys):
    path = _asimov_json(tmp_path)
    assert "nonsense" in _err(["fit", str(path), "--free", "nonsense"], capsys)
    assert "norm" in _err(["fit", str(path), "--free", "norm", "--fix", "norm=1"], capsys)
    assert "efficiency_sigma" in _err(["fit", str(path), "--profile", "efficiency"], capsys)
    assert "NAME=VALUE" in _err(["fit", str(path), "--fix", "norm"], capsys)
    nocal = tmp_path / "nocal.h5"
    write_runfile(nocal, [1, 2, 3], efficiency_unc=None, dark=False)
    assert "dark_counts" in _err(["fit", str(nocal), "--profile", "dark_rate_per_s"], capsys)
    (tmp_path / "x.txt").write_text("hello")
    assert "x.txt" in _err(["fit", str(tmp_path / "x.txt")], capsys)
    (tmp_path / "b.json").write_text("{bad")
    assert "not valid JSON" in _err(["fit", str(tmp_path / "b.json")], capsys)
    (tmp_path / "b.h5").write_text("not hdf5")
    assert "b.h5" in _err(["fit", str(tmp_path / "b.h5")], capsys)


def test_sensitivity_bad_input(capsys):
    assert "campaign" in _err(["sensitivity", "nope"], capsys)
    assert "coupling" in _err(["sensitivity", "gp21-benchmark", "--mediator", "scalar",
                               "--coupling", "gL11"], capsys)
    assert "dipole" in _err(["sensitivity", "gp21-benchmark", "--mediator", "dipole"], capsys)
    assert "mu/eps" in _err(["sensitivity", "gp21-benchmark", "--scan", "dipole", "--coupling",
                             "gL11"], capsys)

    assert "cl" in _err(["sensitivity", "gp21-benchmark", "--delta-chi2", "5.99", "--cl",
                         "0.95"], capsys)
    assert "scheduler" in _err(["sensitivity", "gp21-benchmark", "--scheduler",
                                "tcp://127.0.0.1:1"], capsys)
    assert "masses" in _err(["sensitivity", "gp21-benchmark", "--masses", "-1"], capsys)


def test_sensitivity_dipole_scan_json():
    out = json.loads(_run(["sensitivity", "gp21-benchmark", "--scan", "dipole", "--json"]))
    assert out["quantity"] == "dipole_mu" and out["unit"] == "mu_B"
    assert {r["element"] for r in out["rows"]} >= {"mu11", "eps11", "mu23"}


def test_fit_coupling_interval_by_profile_scan(tmp_path):
    path = _asimov_json(tmp_path, days=230.0)
    out = json.loads(_run(["fit", str(path), "--model", "dipole", "--coupling", "mu11",
                           "--fix", "m_lightest_eV=0.01", "--json"]))
    iv = out["intervals"]["mu11"]
    lo, hi = iv["95%"]
    # the dipole term enters squared: the profile is symmetric about 0
    assert lo < 0 < hi and abs(lo + hi) < 0.05 * (hi - lo)
    assert iv["abs_upper_95"] == pytest.approx(max(-lo, hi))
    assert "not MINOS" in iv["method"]


def test_sensitivity_wilks_scan_reports_a_threshold():
    out = json.loads(_run(["sensitivity", "gp21-benchmark", "--scan", "wilks", "--toys", "60",
                           "--seed", "4", "--mediator-mass", "0.01", "--json"]))
    row = out["rows"][0]
    assert row["threshold"] == (row["toy_threshold"] if row["use_toy_threshold"]
                                else row["asymptotic_threshold"])
    assert round(row["asymptotic_threshold"], 2) == 3.84 and row["seed"] == 4
