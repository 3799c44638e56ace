"""Published light-vector (B-L) curves V6-V15 and the comparison with the GP21-benchmark reach.

Expected numbers are typed by hand from the published tables (AxionLimits ``RedGiant.txt`` and
``Sun.txt``, DarkCast ``Texono_Bauer2018onh.lmt``) and from the reach table
``tests/data/gp21_vector_reach.csv`` (``renpsim sensitivity gp21-benchmark --mass-range 1e-3 1e4
29``); they are not computed by the code under test.
"""

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from renpsim.cli.main import main
from renpsim.errors import DataFileError
from renpsim.limits import compare, load_database, plot_limits, read_sensitivity
from renpsim.limits.ingest import bl_product_curve, curve_csv, read_source_table

REACH = Path(__file__).parent / "data" / "gp21_vector_reach.csv"
NEW = ("V6", "V7", "V8", "V9", "V10", "V11", "V12", "V13", "V14", "V15", "V13f", "V14f", "V15f")


def _strict(text):
    def bad(token):
        raise AssertionError(f"non-strict JSON token {token}")
    return json.loads(text, parse_constant=bad)


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.fixture(scope="module")
def db():
    return load_database()


@pytest.mark.parametrize("rid", NEW)
def test_vector_records_are_model_dependent_and_state_the_conversion(db, rid):
    r = db.get(rid)
    assert r.quantity == "vector_ge_gnu" and r.bound_type == "upper"
    assert r.model_dependent and "B-L" in r.assumptions["model"]
    assert "axial" in r.assumptions["model"]          # why it is model-dependent
    assert "g_{B-L}^2" in r.raw["derivation"]["text"]  # the conversion, stated in the record
    assert r.source.get("via") or r.source.get("arxiv")


def test_sources_and_kinds(db):
    for rid in ("V6", "V7", "V8"):
        assert db.get(rid).source["arxiv"] == "2304.12907"
        assert db.get(rid).kind == "astrophysical"
    for rid in ("V13", "V14", "V15"):
        assert db.get(rid).source["arxiv"] == "1803.05466"
        assert db.get(rid).kind == "terrestrial"
    assert db.get("V11").source["arxiv"] == "1207.2442"
    for rid in ("V9", "V10", "V11", "V12"):
        assert db.get(rid).kind == "lab"
    # the three files whose column may hold eps = g/e carry the [U] tag and say so
    for rid in ("V9", "V10", "V11"):
        assert db.get(rid).tag == "U" and "0.3028" in db.get(rid).raw["notes"]
    for rid in ("V13f", "V14f", "V15f"):
        r = db.get(rid)
        assert r.provenance == "derived" and "extrapolat" in r.raw["notes"]


def test_curves_are_the_squared_published_values(db):
    # RedGiant.txt row "0.8025947160683614 <tab> 4.7967342678438755e-12"
    rg = db.get("V6").curve
    k = int(np.argmin(np.abs(rg["m_eV"] - 0.8025947160683614)))
    assert rg["m_eV"][k] == 0.8025947160683614
    assert rg["limit"][k] == pytest.approx(4.7967342678438755e-12 ** 2, rel=1e-15)
    # the 1e-30 eV plotting anchor is not a data point
    assert rg["m_eV"][0] == pytest.approx(0.00014121086948980826)
    # Texono_Bauer2018onh.lmt first row " 4.3472e-04  3.2837e-06" (GeV)
    tx = db.get("V13").curve
    assert tx["m_eV"][0] == pytest.approx(4.3472e5, rel=1e-12)
    assert tx["limit"][0] == pytest.approx(3.2837e-06 ** 2, rel=1e-12)
    assert db.get("V13f").value == pytest.approx(3.2837e-06 ** 2, rel=1e-12)
    assert db.get("V13f").x_range[1] == pytest.approx(4.3472e5)


def test_compare_factor_against_stellar_curves_by_hand(capsys):
    """One improvement factor recomputed by hand: the Sun (V8) at m = 1 eV."""
    code, out, _ = run_cli(["limits", "compare", "vector_ge_gnu", "--with", str(REACH),
                            "--kind", "astrophysical", "--json"], capsys)
    assert code == 0
    res = _strict(out)
    row = next(r for r in res["rows"] if r["m_eV"] == 1.0)
    # Sun.txt rows bracketing 1 eV, interpolated log-log by hand; squared (B-L); RENP 1.1921067e-23
    (m0, g0), (m1, g1) = (0.8682189878112313, 4.3215413541574144e-13), \
                         (1.1224603090991154, 3.378263669229784e-13)
    t = math.log(1.0 / m0) / math.log(m1 / m0)
    g = math.exp(math.log(g0) + t * (math.log(g1) - math.log(g0)))
    assert row["existing_id"] == "V8"
    assert row["factor"] == pytest.approx(g**2 / 1.1921067e-23, rel=1e-9)
    assert math.isfinite(row["factor"])
    # red giants at 1e-3 eV: flat curve (4.7967342678438755e-12)^2 against 4.1108122e-26
    per = {r["id"]: r for r in res["per_record"]}
    assert set(per) == {"V6", "V7", "V8"}
    assert all(math.isfinite(r["max_factor"]) for r in per.values())
    row = next(r for r in res["rows"] if r["m_eV"] == 0.001)
    assert row["existing_id"] == "V6"
    assert row["factor"] == pytest.approx(4.7967342678438755e-12 ** 2 / 4.1108122e-26, rel=1e-9)
    assert res["has_comparison"] and res["verdict"].startswith("RENP improves")


def test_pole_dips_are_reported_separately():
    sens = read_sensitivity(REACH)
    assert sens.pole_masses_eV == pytest.approx([0.05258423813, 0.08893524667, 0.1123617199])
    comp = compare(sens, kinds=["astrophysical"])
    near = comp.table.set_index("m_eV")["near_pole"]
    # within 20% of a pole: 0.0562 (0.0526), 0.1 (0.0889 and 0.112); 0.0316 and 0.178 are not
    assert near[0.056234133] and near[0.1] and not near[0.031622777] and not near[0.17782794]
    assert not comp.table.set_index("m_eV")["improves"][0.056234133]
    # best factor away from the poles: red giants at 0.0316 eV, by hand
    assert comp.best_factor == pytest.approx(4.7967342678438755e-12 ** 2 / 2.6225128e-26,
                                             rel=1e-9)
    dips = {round(d["pole_mass_eV"], 4): d for d in comp.pole_dips}
    d = dips[0.0526]
    assert d["m_eV"] == 0.056234133 and d["renp_limit"] == 5.9055423e-27
    assert d["mass_resolution"] == pytest.approx(0.056234133 / 0.05258423813 - 1, rel=1e-9)
    assert d["width_fraction"] == 1e-6 and d["dip_depth"] > 1
    v6 = comp.per_record.set_index("id").loc["V6"]
    assert v6["max_factor_at_pole"] > v6["max_factor"]
    assert v6["x_at_max"] == pytest.approx(0.031622777)


def test_nothing_to_compare_is_said(capsys):
    code, out, _ = run_cli(["limits", "compare", "vector_ge_gnu", "--with", str(REACH),
                            "--kind", "cosmological"], capsys)
    assert code == 0
    assert "nothing to compare with" in out and "improves: no" not in out
    code, out, _ = run_cli(["limits", "compare", "vector_ge_gnu", "--with", str(REACH),
                            "--kind", "cosmological", "--json"], capsys)
    res = _strict(out)
    assert res["has_comparison"] is False and res["max_factor"] is None
    assert all(r["factor"] is None for r in res["rows"])


def test_plot_draws_the_new_curves(tmp_path, capsys):
    out = tmp_path / "v.png"
    code, text, _ = run_cli(["limits", "plot", "vector_ge_gnu", "--with", str(REACH), "-o",
                             str(out)], capsys)
    assert code == 0 and out.read_bytes()[:4] == b"\x89PNG"
    for rid in ("V6", "V7", "V8", "V9", "V10", "V13f", "V14f", "V15f"):
        assert rid in text.split("cited, not drawn")[0]
    lp = plot_limits("vector_ge_gnu", read_sensitivity(REACH))
    try:
        drawn = {d.id for d in lp.drawn}
        assert {"V6", "V7", "V8"} <= drawn
        assert "V12" not in drawn  # MICROSCOPE stops at 1e-12 eV, far below the scan
        assert "vector_ge_gnu" not in lp.ax.get_title()  # physics title, not the internal id
    finally:
        plt.close(lp.figure)


def test_ingest_reads_both_table_layouts():
    text = "\r\n# header\r\n1e-30\t 2e-12\r\n0.1\t 2e-12\r\n1 3e-12\r\n1 4e-12\r\n10 5e-12"
    x, y = read_source_table(text)
    assert list(x) == [1e-30, 0.1, 1, 1, 10]
    m, p = bl_product_curve(x, y, "eV", x_min_eV=1e-20)
    assert list(m) == [0.1, 1.0, 10.0]          # anchor dropped, repeated mass: first row kept
    assert p == pytest.approx([4e-24, 9e-24, 25e-24], rel=1e-12)
    m, p = bl_product_curve(np.array([2e-4, 1e-4]), np.array([3e-6, 2e-6]), "GeV")
    assert list(m) == pytest.approx([1e5, 2e5]) and p == pytest.approx([4e-12, 9e-12])
    assert curve_csv(m, p).splitlines()[0] == "m_eV,limit"
    with pytest.raises(DataFileError, match="line 2"):
        read_source_table("1 2\n1 -2\n")
