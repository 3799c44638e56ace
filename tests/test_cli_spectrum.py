"""The `renpsim spectrum` interface contract (docs/physics.md) and its bad-input policy."""

import json
import math
import subprocess
import sys

import pytest

from renpsim.cli.main import main

CONTRACT = (
    "spectrum --target Yb --ordering NO --m-lightest 0.01 --nature dirac --oscillation nufit-5.2"
    " --alpha21 0 --alpha31 0 --omega 1.0688 1.0699 1.0711 --json"
)


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_contract_json(capsys):
    code, out, _ = run_cli(CONTRACT.split(), capsys)
    assert code == 0
    rec = json.loads(out)
    inp = rec["inputs"]
    for key in ("target", "E_eg_eV", "E_vg_eV", "ordering", "m_lightest_eV", "masses_eV",
                "nature", "oscillation", "Ue", "alpha21", "alpha31", "delta"):
        assert key in inp
    assert inp["target"].startswith("Yb")
    assert inp["oscillation"] == "nufit-5.2"
    assert inp["m_lightest_eV"] == 0.01
    assert len(inp["Ue"]) == 3 and all(len(p) == 2 for p in inp["Ue"])
    # |U_e1|^2 = c12^2 c13^2 with NuFIT 5.2 NO ([physics §3.1])
    ue1 = inp["Ue"][0]
    assert ue1[0] ** 2 + ue1[1] ** 2 == pytest.approx((1 - 0.303) * (1 - 0.02203))
    assert rec["omega_eV"] == [1.0688, 1.0699, 1.0711]
    assert len(rec["I"]) == 3
    assert sorted(rec["channels"]) == [f"{i}{j}" for i in "123" for j in "123"]
    assert sorted(rec["thresholds_eV"]) == ["11", "12", "13", "22", "23", "33"]
    total = [sum(rec["channels"][k][n] for k in rec["channels"]) for n in range(3)]
    assert total == pytest.approx(rec["I"], rel=1e-12)
    # default Yb isotope 174 puts E_eg/2 - omega_11 near 93 ueV for m1 = 0.01 ([physics §8.1])
    assert 1e6 * (inp["E_eg_eV"] / 2 - rec["thresholds_eV"]["11"]) == pytest.approx(93.3, abs=0.1)


def test_omega_range_and_events(capsys):
    code, out, _ = run_cli(
        ["spectrum", "--omega-range", "1.066", "1.0716", "5", "--dwell-s", "86400", "--json"],
        capsys,
    )
    assert code == 0
    rec = json.loads(out)
    assert len(rec["omega_eV"]) == 5
    assert rec["inputs"]["gamma0_per_s"] == 0.002
    assert rec["events"] == pytest.approx([0.002 * 86400 * x for x in rec["I"]])


def test_degree_phases_are_converted(capsys):
    code, out, _ = run_cli(
        ["spectrum", "--nature", "majorana", "--alpha21", "90deg", "--omega", "1.07", "--json"],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["inputs"]["alpha21"] == pytest.approx(math.pi / 2)


def test_human_table(capsys):
    code, out, _ = run_cli(["spectrum", "--omega", "1.0688", "1.0711"], capsys)
    assert code == 0
    assert "1.0688000" in out and "thresholds" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--m-lightest", "-0.1"], "--m-lightest"),
        (["--m-lightest", "abc"], "--m-lightest"),
        (["--omega", "0"], "--omega"),
        (["--omega", "-1"], "--omega"),
        (["--omega", "1.2"], "E_eg/2"),
        (["--omega-range", "1.0", "1.1", "3"], "--omega-range"),
        (["--omega-range", "1.0", "1.07", "2.5"], "whole number"),
        (["--oscillation", "nufit-9"], "--oscillation"),
        (["--target", "Hg"], "target"),
        (["--target", "Yb-999"], "isotope"),
        (["--ordering", "XO"], "--ordering"),
        (["--nature", "weyl"], "--nature"),
        (["--alpha21", "pi/2"], "--alpha21"),
        (["--target", "Xe", "--omega", "4.1", "--dwell-s", "1"], "gamma0"),
        (["--gamma0", "fast", "--dwell-s", "1"], "gamma0"),
        (["--omega", "nan"], "--omega"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle, capsys):
    code, out, err = run_cli(["spectrum", *args], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err


def test_console_script_subprocess_has_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "renpsim", "spectrum", "--m-lightest", "-1"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_sterile_json_echoes_masses_row_and_couplings(capsys):
    code, out, _ = run_cli(["spectrum", "--nature", "majorana", "--sterile",
                            "m4=0.3,Ue4=0.1,phase=30deg", "--omega", "1.06", "1.07", "--json"],
                           capsys)
    assert code == 0
    rec = json.loads(out)
    inp = rec["inputs"]
    assert len(inp["masses_eV"]) == 4 and inp["masses_eV"][3] == 0.3
    assert len(inp["Ue"]) == 4
    re4, im4 = inp["Ue"][3]
    assert math.hypot(re4, im4) == pytest.approx(0.1, rel=1e-14)
    assert math.atan2(im4, re4) == pytest.approx(math.pi / 6, rel=1e-13)
    a = inp["a"]
    assert len(a) == 4 and all(len(row) == 4 and all(len(z) == 2 for z in row) for row in a)
    assert a[3][3][0] == pytest.approx(0.1**2 / 2, rel=1e-13)  # a_44 = |U_e4|^2/2 (theta14 only)
    for i in range(4):  # hermitian
        for j in range(4):
            assert a[i][j][0] == pytest.approx(a[j][i][0], abs=1e-16)
            assert a[i][j][1] == pytest.approx(-a[j][i][1], abs=1e-16)
    assert len(rec["channels"]) == 16 and len(rec["thresholds_eV"]) == 10
    # omega_44^max = E_eg/2 - 2 m4^2 / E_eg
    E = inp["E_eg_eV"]
    assert rec["thresholds_eV"]["44"] == pytest.approx(E / 2 - 2 * 0.09 / E, rel=1e-14)
    total = [sum(rec["channels"][k][n] for k in rec["channels"]) for n in range(2)]
    assert total == pytest.approx(rec["I"], rel=1e-12)


def test_sterile_without_mixing_gives_the_three_flavour_numbers(capsys):
    base = ["spectrum", "--nature", "majorana", "--omega", "1.066", "1.068", "1.069", "1.07",
            "--json"]
    _, out3, _ = run_cli(base, capsys)
    _, out4, _ = run_cli([*base, "--sterile", "dm41=1.0,Ue4=0"], capsys)
    assert json.loads(out4)["I"] == json.loads(out3)["I"]


def test_imprinted_momentum_json_moves_thresholds(capsys):
    code, out, _ = run_cli(["spectrum", "--imprinted-momentum", "0.2,cos=-0.5", "--omega",
                            "0.9", "--json"], capsys)
    assert code == 0
    rec = json.loads(out)
    inp = rec["inputs"]
    assert inp["imprinted_momentum_eV"] == 0.2 and inp["imprinted_cos"] == -0.5
    E, m = inp["E_eg_eV"], inp["masses_eV"]
    # omega_ij^max = [E^2 - P0^2 - (m_i + m_j)^2] / [2 (E - P0 c)]
    expected = (E * E - 0.04 - (m[0] + m[2]) ** 2) / (2 * (E + 0.1))
    assert rec["thresholds_eV"]["13"] == pytest.approx(expected, rel=1e-14)
    _, out0, _ = run_cli(["spectrum", "--omega", "0.9", "--json"], capsys)
    rec0 = json.loads(out0)
    assert rec0["inputs"]["imprinted_momentum_eV"] == 0.0
    assert rec["I"] != rec0["I"]
    # default cos is 1
    _, out1, _ = run_cli(["spectrum", "--imprinted-momentum", "0.2", "--omega", "0.9", "--json"],
                         capsys)
    assert json.loads(out1)["inputs"]["imprinted_cos"] == 1.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sterile", "m4=0.3"], "Ue4"),
        (["--sterile", "m4=0.3,Ue4=1.2"], "Ue4"),
        (["--sterile", "m4=0.3,dm41=0.1,Ue4=0.1"], "m4"),
        (["--sterile", "m5=0.3,Ue4=0.1"], "m5"),
        (["--sterile", "m4=abc,Ue4=0.1"], "m4"),
        (["--imprinted-momentum", "3"], "P0_eV"),
        (["--imprinted-momentum", "0.1,cos=2"], "cos"),
        (["--imprinted-momentum", "0.1,sin=0"], "--imprinted-momentum"),
        (["--imprinted-momentum", "0.3,cos=-1", "--omega", "1.0"], "photon endpoint"),
        (["--sterile", "m4=0.3,Ue4=0.1", "--vector", "m=1,gL11=1e-16"], "--sterile"),
    ],
)
def test_sterile_and_momentum_bad_input(args, needle, capsys):
    code, out, err = run_cli(["spectrum", *args], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    if needle not in ("--sterile",):
        assert "--sterile" in lines[0] or "--imprinted-momentum" in lines[0] \
            or "--omega" in lines[0]
