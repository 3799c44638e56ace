"""`renpsim limits ...` and `renpsim cite`: interface contract and bad-input policy (exit 2)."""

import json

import numpy as np
import pytest

from renpsim.cli.main import main
from renpsim.limits import make_sensitivity, write_sensitivity


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.fixture
def sens_file(tmp_path):
    x = np.geomspace(1e-3, 1e4, 141)
    p = tmp_path / "sens.csv"
    write_sensitivity(p, make_sensitivity("scalar_ye_ynu", x, 1e-20 * x**2, cl=0.95, dof=1))
    return p


def test_list_json_contract(capsys):
    code, out, _ = run_cli(["limits", "list", "--json"], capsys)
    assert code == 0
    recs = json.loads(out)
    assert isinstance(recs, list) and len(recs) == 97
    for r in recs:
        for key in ("id", "quantity", "value", "unit", "cl", "kind", "source"):
            assert key in r
    by_id = {r["id"]: r for r in recs}
    assert by_id["M1"]["value"] == 2.8e-11 and by_id["M1"]["cl"] == 0.9
    assert by_id["M1"]["unit"] == "mu_B" and "1707.09355" in by_id["M1"]["source"]
    assert by_id["V1"]["value"] is None      # citation only
    assert by_id["P1f"]["value"] is None     # curve only
    assert by_id["M10"]["cl"] is None        # not stated


def test_list_filters(capsys):
    code, out, _ = run_cli(["limits", "list", "--quantity", "mu_nu_eff", "--kind",
                            "astrophysical", "--json"], capsys)
    assert code == 0
    assert {r["id"] for r in json.loads(out)} == {"M7", "M8", "M9", "M10", "M11", "M12"}
    code, out, _ = run_cli(["limits", "list", "--quantity", "scalar_ye_ynu"], capsys)
    assert code == 0 and "S3" in out and "M1" not in out


def test_show(capsys):
    code, out, _ = run_cli(["limits", "show", "S3", "--json"], capsys)
    assert code == 0
    rec = json.loads(out)
    assert rec["value"] == 1e-12 and rec["derivation"]["inputs"] == ["S2", "S1"]
    code, out, _ = run_cli(["limits", "show", "P1f"], capsys)
    assert code == 0 and "curve: m_eV, limit" in out


def test_compare_json(capsys, sens_file):
    code, out, _ = run_cli(["limits", "compare", "scalar_ye_ynu", "--with", str(sens_file),
                            "--json"], capsys)
    assert code == 0
    res = json.loads(out)
    assert res["quantity"] == "scalar_ye_ynu" and res["dof"] == 1
    cross = np.sqrt(0.568 * 1.3e-13 * 1.5e-3 / 1e-20)
    assert res["regions"][0][1] == pytest.approx(cross, rel=1e-3)
    assert {r["id"] for r in res["per_record"]} == {"S3", "S6xS1"}
    code, out, _ = run_cli(["limits", "compare", "scalar_ye_ynu", "--with", str(sens_file),
                            "--no-model-dependent", "--json"], capsys)
    assert {r["id"] for r in json.loads(out)["per_record"]} == {"S3"}
    code, out, _ = run_cli(["limits", "compare", "scalar_ye_ynu", "--with", str(sens_file)],
                           capsys)
    assert code == 0 and "RENP improves" in out


def test_plot_png_and_pdf(capsys, tmp_path, sens_file):
    png = tmp_path / "f.png"
    code, out, _ = run_cli(["limits", "plot", "scalar_ye_ynu", "--with", str(sens_file), "-o",
                            str(png)], capsys)
    assert code == 0 and "S3" in out
    import matplotlib.image as mpimg

    assert mpimg.imread(png).ndim == 3
    pdf = tmp_path / "f.pdf"
    code, _, _ = run_cli(["limits", "plot", "mu_nu_eff", "-o", str(pdf)], capsys)
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")


def test_cite(capsys):
    code, out, _ = run_cli(["cite", "--figure", "scalar_ye_ynu", "--limits", "M1"], capsys)
    assert code == 0
    assert "@software{renpsim" in out
    assert "@misc{arXiv:1707.09355" in out  # M1
    assert "@misc{arXiv:2110.03510" in out  # S3 drawn in the figure
    assert "@misc{arXiv:2007.03694" in out  # input of the derived S6xS1
    assert out.count("@") >= 5
    code, out, _ = run_cli(["cite"], capsys)
    assert code == 0 and out.count("@") == 1


@pytest.mark.parametrize("args", [
    ["limits", "show", "NOPE"],
    ["limits", "list", "--quantity", "bogus"],
    ["limits", "list", "--kind", "astrology"],
    ["limits", "plot", "mu_nu_eff", "-o", "x.jpg"],
    ["limits", "plot", "bogus", "-o", "x.png"],
    ["limits", "plot", "mu_nu_eff"],
    ["limits", "compare", "scalar_ye_ynu"],
    ["limits", "compare", "scalar_ye_ynu", "--with", "/nonexistent/file.csv"],
    ["cite", "--limits", "NOPE"],
])
def test_bad_input_exit_2(capsys, args):
    code, _out, err = run_cli(args, capsys)
    assert code == 2
    assert err.startswith("renpsim: error:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_compare_quantity_mismatch(capsys, sens_file):
    code, _, err = run_cli(["limits", "compare", "vector_ge_gnu", "--with", str(sens_file)],
                           capsys)
    assert code == 2 and "sens.csv" in err and "quantity" in err


def test_compare_malformed_file(capsys, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("# renpsim-sensitivity v1\n# quantity: scalar_ye_ynu\nm_eV,limit\n1,1\n")
    code, _, err = run_cli(["limits", "compare", "scalar_ye_ynu", "--with", str(p)], capsys)
    assert code == 2 and "bad.csv: x: required header key is missing" in err
