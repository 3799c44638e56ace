"""One-sided limits (--sided) and the sign that gave each reported limit."""

import json
import math

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from renpsim.cli.main import cli
from renpsim.errors import InputError
from renpsim.stats.benchmark import gp21_benchmark
from renpsim.stats.deviance import cl_of_threshold, delta_chi2_threshold
from renpsim.stats.output import read_csv, write_csv, write_hdf5
from renpsim.stats.scan import resolve_threshold, sensitivity_scan
from renpsim.stats.sensitivity import (
    AsimovSetup,
    coupling_limits_vs_lightest,
    coupling_limits_vs_mass,
)

SETUP = AsimovSetup.from_campaign(gp21_benchmark())


def _run(args):
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def test_one_sided_thresholds():
    assert delta_chi2_threshold(0.95, 1, "one") == pytest.approx(2.71, abs=5e-3)
    assert delta_chi2_threshold(0.90, 1, "one") == pytest.approx(1.6424, abs=1e-4)  # 1.2816^2
    assert delta_chi2_threshold(0.95, 1, "two") == delta_chi2_threshold(0.95, 1)
    # 2 dof one-sided: 1/2 chi^2_1 + 1/2 chi^2_2, written with erf and exp (closed forms)
    x = delta_chi2_threshold(0.95, 2, "one")
    cdf = 0.5 * math.erf(math.sqrt(x / 2)) + 0.5 * (1 - math.exp(-x / 2))
    assert cdf == pytest.approx(0.95, abs=1e-10)
    assert cl_of_threshold(2.705543454, 1, "one") == pytest.approx(0.95, abs=1e-9)
    assert resolve_threshold(None, None, None, "one")[0] == pytest.approx(2.7055, abs=1e-4)
    with pytest.raises(InputError, match="sided"):
        delta_chi2_threshold(0.95, 1, "left")


def test_sign_of_the_reported_limit():
    M = [1e-3, 0.05, 0.1, 1.0]
    both = coupling_limits_vs_mass(SETUP, "gL11", M, 3.84)
    pos = coupling_limits_vs_mass(SETUP, "gL11", M, 3.84, sign="+")
    neg = coupling_limits_vs_mass(SETUP, "gL11", M, 3.84, sign="-")
    assert list(pos["limit_sign"]) == ["+"] * 4 and list(neg["limit_sign"]) == ["-"] * 4
    for k in range(4):
        weaker = "+" if pos["limit"][k] >= neg["limit"][k] else "-"
        assert both["limit_sign"][k] == weaker
        assert both["limit"][k] == max(pos["limit"][k], neg["limit"][k])
    assert pos["limit"][0] != neg["limit"][0]  # interference: the signs differ
    lt = coupling_limits_vs_lightest(SETUP, "gL11", [0.0, 0.01], 1e-3, 3.84)
    assert set(lt["limit_sign"]) <= {"+", "-"}


def test_tables_carry_the_sign_and_convention(tmp_path):
    t = sensitivity_scan(SETUP, "mediator-mass", "gL11", [1e-3, 1.0], sided="one")
    assert t.delta_chi2 == pytest.approx(2.7055, abs=1e-4)
    assert t.meta["sided"] == "one" and t.meta["sign_tested"] == "both"
    write_csv(t, tmp_path / "t.csv")
    back = read_csv(tmp_path / "t.csv")
    assert list(back.frame["limit_sign"]) == list(t.frame["limit_sign"])
    assert back.meta["sided"] == "one"
    write_hdf5(t, tmp_path / "t.h5")
    with h5py.File(tmp_path / "t.h5") as f:
        assert [s.decode() for s in f["sensitivity/limit_sign"][()]] == list(t.frame["limit_sign"])
        assert f["sensitivity"].attrs["sign_tested"] == "both"


def test_cli_sided_and_sign():
    args = ["sensitivity", "gp21-benchmark", "--masses", "1e-3", "1", "--json"]
    two = json.loads(_run(args))
    one = json.loads(_run([*args, "--sided", "one"]))
    assert one["sided"] == "one" and two["sided"] == "two"
    assert one["delta_chi2"] == pytest.approx(2.7055, abs=1e-4)
    assert "one-sided" in one["threshold_note"] and "sign tested: both" in one["threshold_note"]
    for r1, r2 in zip(one["rows"], two["rows"], strict=True):
        assert r1["limit"] < r2["limit"]
        assert r1["sign"] in ("+", "-")
    plus = json.loads(_run([*args, "--sign", "+"]))
    assert plus["sign_tested"] == "+" and all(r["sign"] == "+" for r in plus["rows"])
    assert np.all([r["limit"] for r in two["rows"]] >= np.array([r["limit"] for r in
                                                                   plus["rows"]]))
