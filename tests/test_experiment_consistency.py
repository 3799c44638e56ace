"""The same question gets the same answer through every front end.

For the GP21 benchmark and for a campaign with a Majorana truth, the decision factors (ordering,
lightest mass, nature; normalisation fixed and profiled), the reach (gL11 and yS11 at three
mediator masses, dipole moments), the viability verdict and the fit of the report's ``run.h5``
are asked through the command line (``--json``), the files of one ``renpsim run`` report and
the TUI's backend. They agree to 1e-9 relative (they run the same code of renpsim.experiment;
the tolerance only allows for float summation order).
"""

from __future__ import annotations

import json
import math
import shutil

import pytest
from renpsim_tui import backend
from renpsim_tui.campaign import Campaign as TuiCampaign

from renpsim._resources import preset_dir
from renpsim.cli.main import main
from renpsim.experiment import threshold

REL = 1e-9
MASSES = (1e-3, 1.0, 1e4)           # on the report grid of --mass-points 8 (1e-3 ... 1e4)
DECISIONS = ("ordering", "lightest-mass", "nature")


def _cli_json(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    assert exc.value.code == 0, err
    return json.loads(out)


def _close(a, b, rel=REL):
    if a is None or b is None:
        return a is None and b is None
    if math.isinf(a) or math.isinf(b):
        return a == b
    return a == pytest.approx(b, rel=rel, abs=0.0)


def _campaign_file(tmp, nature: str):
    src = preset_dir("campaigns") / "gp21-benchmark.toml"
    path = tmp / f"consistency-{nature}.toml"
    text = src.read_text(encoding="utf-8")
    if nature == "majorana":
        assert 'nature = "dirac"' in text
        text = (text.replace('nature = "dirac"', 'nature = "majorana"')
                .replace('name = "gp21-benchmark"', 'name = "gp21-majorana"'))
    path.write_text(text, encoding="utf-8")
    shutil.copy(preset_dir("hardware") / "gp21-benchmark.toml", tmp / "gp21-benchmark.toml")
    return path


@pytest.fixture(scope="module", params=["dirac", "majorana"])
def setting(request, tmp_path_factory):
    """One report run per campaign (module scope), its campaign file and the TUI's view."""
    tmp = tmp_path_factory.mktemp(f"consistency-{request.param}")
    camp = _campaign_file(tmp, request.param)
    out = tmp / "report"
    with pytest.raises(SystemExit) as exc:
        main(["run", str(camp), "-o", str(out), "--mass-points", "8", "--seed", "5"])
    assert exc.value.code == 0
    report = json.loads((out / "report.json").read_text())
    tui = TuiCampaign.load(camp)
    steps = ([s.omega_eV for s in tui.steps], [s.dwell_s for s in tui.steps])
    return {"nature": request.param, "campaign": str(camp), "out": out, "report": report,
            "tui": tui, "steps": steps}


def test_decision_factors_agree(setting, capsys):
    rows = setting["report"]["sensitivity"]["decisions"]["rows"]
    assert {(r["decision"], r["normalisation"]) for r in rows} == {
        (d, n) for d in DECISIONS for n in ("fixed", "profiled")}
    t = setting["tui"]
    for r in rows:
        cli = _cli_json(capsys, "sensitivity", setting["campaign"], "--scan", "exposure",
                        "--decision", r["decision"], "--normalisation", r["normalisation"],
                        "--json")
        crow = cli["rows"][0]
        assert crow["normalisation"] == r["normalisation"] == cli["normalisation"]
        assert _close(crow["factor"], r["factor"]), (r, crow)
        assert _close(crow["delta_chi2_now"], r["delta_chi2_now"])
        tui = backend.stats_decision(t.target, t.hardware_sections(), t.hypothesis(),
                                     *setting["steps"], r["decision"], r["n_sigma"] ** 2,
                                     r["normalisation"] == "profiled")
        assert tui["normalisation"] == r["normalisation"]
        assert _close(tui["exposure_factor"], r["factor"]), (r, tui)
        assert _close(tui["delta_chi2"], r["delta_chi2_now"])


def test_reach_agrees(setting, capsys):
    sens = setting["report"]["sensitivity"]
    thr, _, dof = threshold(None, 0.95, 1)
    assert sens["delta_chi2"] == thr and sens["normalisation"] == "fixed"
    t = setting["tui"]
    tui = backend.bsm_reach(t.target, t.hardware_sections(), t.hypothesis(), *setting["steps"],
                            thr, dof, masses_eV=MASSES)
    for name, coupling in (("vector", "gL11"), ("scalar", "yS11")):
        table = sens["tables"][name]
        rep = {}
        for m in MASSES:
            row = min(table["rows"], key=lambda r, m=m: abs(math.log(r["m_eV"] / m)))
            assert row["m_eV"] == pytest.approx(m, rel=1e-12)
            rep[m] = row["limit"]
        cli = _cli_json(capsys, "sensitivity", setting["campaign"], "--coupling", coupling,
                        "--mediator", name, "--masses", *map(str, MASSES), "--json")
        assert cli["normalisation"] == "fixed"
        for m, crow, tlim in zip(MASSES, cli["rows"], tui["curves"][coupling]["limit"],
                                 strict=True):
            assert _close(crow["limit"], rep[m]), (coupling, m, crow, rep[m])
            assert _close(tlim, rep[m]), (coupling, m, tlim, rep[m])


def test_dipole_reach_agrees(setting, capsys):
    table = setting["report"]["sensitivity"]["tables"]["dipole"]
    rep = {r["element"]: r["limit_mu_B"] for r in table["rows"]}
    headline = "mu12" if setting["nature"] == "majorana" else "mu11"
    assert table["headline"] == headline
    if setting["nature"] == "majorana":
        # diagonal Majorana moments vanish: none is quoted, the comparison uses mu12
        assert not {"mu11", "mu22", "mu33", "eps11"} & set(rep)
        assert setting["report"]["sensitivity"]["comparisons"]["dipole"]["element"] == "mu12"
    cli = _cli_json(capsys, "sensitivity", setting["campaign"], "--scan", "dipole", "--json")
    assert {r["element"]: r["limit"] for r in cli["rows"]}.keys() == rep.keys()
    for r in cli["rows"]:
        assert _close(r["limit"], rep[r["element"]])
    thr, _, dof = threshold(None, 0.95, 1)
    t = setting["tui"]
    tui = backend.bsm_reach(t.target, t.hardware_sections(), t.hypothesis(), *setting["steps"],
                            thr, dof, masses_eV=(1.0,))
    assert tui["dipole_names"][0] == headline
    for name, value in tui["dipole"].items():
        assert _close(value, rep[name])


def test_viability_agrees(setting, capsys):
    v = setting["report"]["viability"]
    cli = _cli_json(capsys, "sensitivity", setting["campaign"], "--scan", "dipole", "--json")
    for key in ("expected_signal", "expected_background", "growth_factor", "viable"):
        assert _close(cli["viability"][key], v[key]) if isinstance(v[key], float) \
            else cli["viability"][key] == v[key]
    t = setting["tui"]
    fc = backend.forecast(t.target, t.hardware_sections(), t.hypothesis(), *setting["steps"])
    tv = backend.viability(t.target, t.hardware_sections(), fc)
    assert _close(tv.total_signal, v["expected_signal"])
    assert v["viable"] and tv.factor_needed is None and tv.message == v["statement"]


def test_refit_of_the_report_run_agrees(setting, capsys):
    fit = json.loads((setting["out"] / "fit.json").read_text())
    assert fit["status"] == "fitted"
    t = setting["tui"]
    h = t.hypothesis()
    cli = _cli_json(capsys, "fit", str(setting["out"] / "run.h5"), "--model",
                    f"sm-{setting['nature']}", "--ordering", h.ordering, "--compare",
                    "ordering", "--json")
    tui = backend.fit_run_file(setting["out"] / "run.h5", h)
    assert fit["oscillation"]["preset"] == cli["oscillation"]["preset"] == "nufit-5.0"
    assert "run file" in cli["oscillation"]["source"]
    for other in (cli, tui):
        assert _close(other["deviance"], fit["deviance"])
        for name, p in fit["parameters"].items():
            assert _close(other["parameters"][name]["value"], p["value"]), name
        for k, d in fit["comparison"]["delta_chi2"].items():
            assert _close(other["comparison"]["delta_chi2"][k], d), k
