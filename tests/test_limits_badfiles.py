"""Malformed limit records, curve files and sensitivity files give errors naming file and field."""

import numpy as np
import pytest
from limits_helpers import copy_database, edit_record

from renpsim.errors import DataFileError
from renpsim.limits import load_database, make_sensitivity, read_sensitivity, write_sensitivity


def _expect(root, rid_or_file, field):
    with pytest.raises(DataFileError) as exc:
        load_database(root)
    msg = str(exc.value)
    assert rid_or_file in msg, msg
    assert field in msg, msg
    return msg


@pytest.mark.parametrize(("rid", "edit", "field"), [
    ("M1", lambda d: d.__setitem__("value", -2.8e-11), "value"),
    ("M1", lambda d: d.__setitem__("unit", "mu_N"), "unit"),
    ("M1", lambda d: d.__setitem__("quantity", "mu_nu_bogus"), "quantity"),
    ("M1", lambda d: d.__setitem__("kind", "astrology"), "kind"),
    ("M1", lambda d: d.__setitem__("cl", 90.0), "cl"),
    ("M1", lambda d: d.__setitem__("cl_convention", "vibes"), "cl_convention"),
    ("M1", lambda d: d.__setitem__("colour", "red"), "colour"),
    ("M1", lambda d: d.__setitem__("id", "M99"), "id"),
    ("M1", lambda d: d.__setitem__("value", "2.8e-11"), "value"),
    ("M1", lambda d: d["source"].pop("ref"), "source.ref"),
    ("M1", lambda d: d["assumptions"].pop("mu_definition"), "assumptions.mu_definition"),
    ("M1", lambda d: d.pop("cl_text"), "cl_text"),
    ("S6", lambda d: d["validity"].__setitem__("x_max_eV", -1.0), "validity.x_max_eV"),
    ("S6", lambda d: d["validity"].__setitem__("x_min_eV", 1e6), "validity.x_max_eV"),
    ("S6xS1", lambda d: d["derivation"].__setitem__("inputs", ["S6", "S99"]),
     "derivation.inputs"),
    ("V1", lambda d: d.__setitem__("value", 1e-20), "provenance"),
    ("R9", lambda d: d.pop("dof"), "dof"),
    ("P1f", lambda d: d["curve"].__setitem__("x_unit", "keV"), "curve.x_unit"),
    ("P1f", lambda d: d["curve"].__setitem__("file", "missing.csv"), "missing.csv"),
    ("P3", lambda d: d["curve"].__setitem__("columns", ["limit"]), "curve.columns"),
])
def test_bad_record_fields(tmp_path, rid, edit, field):
    root = copy_database(tmp_path)
    edit_record(root, rid, edit)
    _expect(root, f"{rid}.toml" if field != "missing.csv" else "missing.csv", field)


def test_invalid_toml(tmp_path):
    root = copy_database(tmp_path)
    (root / "records" / "M2.toml").write_text("id = 'M2'\nvalue = [unclosed\n")
    msg = _expect(root, "M2.toml", "line 2, column 10")
    assert "expected valid TOML" in msg
    assert "\n" not in msg.strip()


@pytest.mark.parametrize(("text", "field"), [
    ("m_eV,limit\n1,1e-5\n10,1e-6\n5,1e-7\n", "m_eV (line 4)"),       # not monotone
    ("m_eV,limit\n1,1e-5\n10,-1e-6\n", "limit (line 3)"),             # negative value
    ("m_eV,limit\n1,1e-5\n10,abc\n", "limit (line 3)"),               # not a number
    ("m_eV,limit\n0,1e-5\n10,1e-6\n", "m_eV (line 2)"),               # zero mass
    ("m_eV,limit\n1,1e-5\n10,nan\n", "limit (line 3)"),               # not finite
    ("mass,limit\n1,1e-5\n", "header"),                                # wrong header
    ("m_eV,limit\n1,1e-5,3\n", "line 2"),                              # extra field
    ("m_eV,limit\n", "no data rows"),
])
def test_bad_curve_files(tmp_path, text, field):
    root = copy_database(tmp_path)
    (root / "curves" / "P1f.csv").write_text(text)
    _expect(root, "P1f.csv", field)


def test_bad_band_curve(tmp_path):
    root = copy_database(tmp_path)
    (root / "curves" / "P3.csv").write_text("m_eV,lower,upper\n1,1e-2,1e-11\n")
    _expect(root, "P3.csv", "lower (line 2)")


def test_missing_records_folder(tmp_path):
    with pytest.raises(DataFileError, match="records"):
        load_database(tmp_path)


# ---- sensitivity files
GOOD = ("# renpsim-sensitivity v1\n# quantity: vector_ge_gnu\n# x: m_eV\n# cl: 0.95\n# dof: 1\n"
        "# delta_chi2: 3.841\nm_eV,limit\n0.001,1e-26\n0.01,2e-26\n")


def test_good_sensitivity(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(GOOD)
    s = read_sensitivity(p)
    assert s.quantity == "vector_ge_gnu" and s.dof == 1 and s.cl == 0.95
    assert list(s.x) == [0.001, 0.01] and list(s.limit) == [1e-26, 2e-26]


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda t: t.replace("# renpsim-sensitivity v1\n", ""), "line 1"),
    (lambda t: t.replace("# quantity: vector_ge_gnu\n", ""), "quantity"),
    (lambda t: t.replace("vector_ge_gnu", "vector_bogus"), "quantity"),
    (lambda t: t.replace("# x: m_eV", "# x: m_keV"), "x"),
    (lambda t: t.replace("# cl: 0.95", "# cl: 95"), "cl"),
    (lambda t: t.replace("# dof: 1", "# dof: one"), "dof"),
    (lambda t: t.replace("# delta_chi2: 3.841\n", ""), "delta_chi2"),
    (lambda t: t.replace("m_eV,limit", "mass,limit"), "header"),
    (lambda t: t.replace("0.01,2e-26", "0.0001,2e-26"), "m_eV (line 9)"),
    (lambda t: t.replace("0.01,2e-26", "0.01,-2e-26"), "limit (line 9)"),
    (lambda t: t.replace("0.01,2e-26", "0.01,x"), "limit (line 9)"),
    (lambda t: t.replace("# dof: 1", "# dof 1"), "line 5"),
])
def test_bad_sensitivity_files(tmp_path, mutate, field):
    p = tmp_path / "bad.csv"
    p.write_text(mutate(GOOD))
    with pytest.raises(DataFileError) as exc:
        read_sensitivity(p)
    assert "bad.csv" in str(exc.value) and field in str(exc.value), str(exc.value)


def test_sensitivity_roundtrip(tmp_path):
    x = np.geomspace(1e-3, 1e4, 17)
    s = make_sensitivity("scalar_ye_ynu", x, 1e-19 * (1 + x**2), cl=0.95, dof=1,
                         label="Yb, NO, m1 = 0.01 eV", target="Yb")
    p = tmp_path / "sens.csv"
    write_sensitivity(p, s)
    back = read_sensitivity(p)
    assert np.array_equal(back.x, x) and np.array_equal(back.limit, s.limit)
    assert back.delta_chi2 == pytest.approx(3.841, abs=1e-3)
    assert back.meta["target"] == "Yb" and back.label == "Yb, NO, m1 = 0.01 eV"
    assert list(tmp_path.iterdir()) == [p]  # no temporary file left


def test_single_number_sensitivity(tmp_path):
    s = make_sensitivity("mu_nu_eff", None, 3e-12, cl=0.9, dof=1)
    p = tmp_path / "mu.csv"
    write_sensitivity(p, s)
    text = p.read_text()
    assert "# x: none" in text and "\nlimit\n" in text
    back = read_sensitivity(p)
    assert back.x is None and back.limit[0] == 3e-12


def test_one_sensitivity_format_round_trips_exactly(tmp_path, monkeypatch):
    """One writer and one reader (renpsim.stats.output): values come back bit for bit, and the
    limits database's read_sensitivity/write_sensitivity go through them."""
    import pandas as pd

    import renpsim.stats.output as out
    from renpsim.stats.output import SensitivityTable, read_csv, write_csv

    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(1e-4, 1e4, 12)) * (1 + 1e-13 * rng.standard_normal(12))
    lim = 1e-26 * rng.uniform(0.1, 10.0, 12) / 3.0
    lim[4] = np.nan                                  # no sensitivity at this mass
    band = lim * 1.7
    band[7] = np.nan                                 # a failed toy band
    frame = pd.DataFrame({"m_eV": x, "limit": lim, "limit_sign": ["+", "-"] * 6,
                          "toy_median": band})
    table = SensitivityTable("vector_ge_gnu", "m_eV", frame, cl=0.9499633507, dof=2,
                             delta_chi2=5.99, lineage="abc123",
                             meta={"label": "Yb, NO", "sign_tested": "both"})
    p = tmp_path / "t.csv"
    write_csv(table, p)
    back = read_csv(p)
    for col in ("m_eV", "limit", "toy_median"):
        assert np.array_equal(back.frame[col].to_numpy(float), frame[col].to_numpy(float),
                              equal_nan=True), col
    assert back.frame["limit_sign"].tolist() == frame["limit_sign"].tolist()
    assert (back.quantity, back.x, back.cl, back.dof, back.delta_chi2, back.lineage) == (
        "vector_ge_gnu", "m_eV", 0.9499633507, 2, 5.99, "abc123")
    assert back.meta == table.meta

    calls = []
    real = out.read_csv
    monkeypatch.setattr(out, "read_csv", lambda path: calls.append(path) or real(path))
    s = read_sensitivity(p)                          # the limits view of the same file
    assert calls == [p]
    ok = np.isfinite(lim)
    assert np.array_equal(s.x, x[ok]) and np.array_equal(s.limit, lim[ok])
    assert np.array_equal(s.extra["toy_median"], band[ok], equal_nan=True)
    assert s.cl == 0.9499633507 and s.dof == 2 and s.delta_chi2 == 5.99

    q = tmp_path / "s.csv"
    write_sensitivity(q, s)                          # through the one writer
    again = real(q)
    assert np.array_equal(again.frame["m_eV"].to_numpy(float), x[ok])
    assert np.array_equal(again.frame["limit"].to_numpy(float), lim[ok])
    assert again.lineage == "abc123" and again.meta["label"] == "Yb, NO"
