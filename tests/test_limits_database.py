"""The limits database holds every bound of [physics §3.3] and [physics §7] with number, CL, source.

The expected values below are typed by hand from [physics §3.3], [physics §7.1] to [physics §7.6],
not read
from the package data.
"""

import math

import pytest

from renpsim.limits import QUANTITIES, load_database
from renpsim.limits.schema import load_schema

# (id, quantity, value, CL as printed in docs/reference/physics.md, arXiv number or reference
# fragment)
QUOTED = [
    # 3.3
    ("A1", "sum_mnu", 0.12, "95%", "Planck"),
    ("A2", "sum_mnu", 0.072, "95%", "2406.14554"),
    ("A3", "sum_mnu", 0.10, "95%", "2406.14554"),
    ("A4", "sum_mnu", 0.12, "95%", "2406.14554"),
    ("A5", "sum_mnu", 0.0642, "95%", "2503.14744"),
    ("A6", "m_lightest", 0.023, "95%", "2503.14744"),
    ("A7", "sum_mnu", 0.053, "95%", "2503.14744"),
    ("A8", "m_beta", 0.45, "90%", "KATRIN"),
    # 7.2
    ("S1", "scalar_ynu", 1.5e-3, "n/s", "1511.01811"),
    ("S2", "scalar_ye", 1e-9, "n/s", "GP21"),
    ("S3", "scalar_ye_ynu", 1e-12, "95%", "2110.03510"),
    ("S5", "scalar_ye", 1.3e-5, "~1 sigma-ish", "Delta a_e"),
    ("S5_S", "scalar_ye", 7e-6, "~1 sigma-ish", "Delta a_e"),
    ("S6", "scalar_ye", 1.3e-13, "95%", "2007.03694"),
    ("S7", "scalar_ye", 1.6e-13, "95%", "2007.03694"),
    # 7.3
    ("M1", "mu_nu_eff", 2.8e-11, "90%", "1707.09355"),
    ("M2", "mu_nu_eff", 6.4e-12, "90%", "2207.11330"),
    ("M3", "mu_nu_eff", 1.1e-11, "90%", "2207.05036"),
    ("M4", "mu_nu_eff", 3.2e-11, "90%", "1005.2736"),
    ("M5", "mu_nu_eff", 2.9e-11, "90%", "350150"),
    ("M6", "mu_nu_eff", 7.4e-11, "90%", "012001"),
    ("M7", "mu_nu_eff", 1.2e-12, "95%", "2007.03694"),
    ("M8", "mu_nu_eff", 1.5e-12, "95%", "2007.03694"),
    ("M9", "mu_nu_eff", 2.6e-12, "68%", "1308.4627"),
    ("M10", "mu_nu_eff", 2.2e-12, "n/s", "1910.10568"),
    ("M11", "mu_nu_eff", 6e-12, "-", "2307.13050"),
    # 7.4
    ("D1", "transition_dipole_d", 2.2e-9, "best fit", "2007.05513"),
    ("D2", "transition_dipole_d", 1e-9, "best fit region", "2007.05513"),
    ("D3", "transition_dipole_d", 1e-10, "estimate", "2007.05513"),
    ("D4", "transition_dipole_d", 3e-9, "estimate", "2007.05513"),
    ("D5", "transition_dipole_d", 3e-9, "n/s", "2007.05513"),
    ("D6", "transition_dipole_d", 2.8e-11, "90%", "Borexino"),
    # 7.5 Table 1
    ("R2", "rayleigh_C2", 1.2e11, "n/s", "2210.05706"),
    ("R4", "rayleigh_C2", 1.9e6, "n/s", "2210.05706"),
    ("R6", "rayleigh_C2", 1.5e3, "1 sigma", "2210.05706"),
    ("R7", "rayleigh_C2", 0.5e3, "n/s", "2210.05706"),
    ("R8", "rayleigh_C2", 4e-3, "n/s", "2210.05706"),
    ("R9", "rayleigh_C2", 0.2, "90%", "2210.05706"),
    ("R10", "rayleigh_C2", 4.7e3, "n/s", "2210.05706"),
    ("R11", "rayleigh_C2", 3.7e4, "n/s", "2210.05706"),
    ("R12", "rayleigh_C1", 1.2, "n/s", "2210.05706"),
    ("R13", "rayleigh_C2", 1.25e11, "n/s", "2210.05706"),
    ("R6e", "rayleigh_C2", 1.5e3, "1 sigma", "2210.05706"),
    ("R6mu", "rayleigh_C2", 5.7e3, "1 sigma", "2210.05706"),
    ("R7e", "rayleigh_C2", 0.6e3, "n/s", "2210.05706"),
    ("R7mu", "rayleigh_C2", 2.0e3, "n/s", "2210.05706"),
    # 7.6
    ("E1", "millicharge_q_nu", 1.5e-13, "90%", "2207.05036"),
    ("E2", "millicharge_q_nu", 1e-13, "90%", "2208.06415"),
    ("E4", "charge_radius_r2", -0.83e-32, "-", "Bernabeu"),
]

# Bansal Table 1, third column (EFT threshold in GeV)
EFT = {"R1": 1e-3, "R2": 1e-10, "R3": 1e-6, "R4": 1e-5, "R5": 1e-1, "R6": 1e-4, "R7": 1e-4,
       "R8": 1.0, "R9": 10.0, "R10": 0.1, "R11": 5.0, "R12": 1e2, "R13": 1e-7}

# Bansal Tables 2-3 at m_phi = 1 eV, 1 keV, 1 MeV, 1 GeV (None = "none"; bands as (low, high))
TABLES_2_3 = {
    "P1": ("pseudoscalar_c_nu", [4e-5, 4.4e-6, 5e-9, None]),
    "P2": ("pseudoscalar_c_nu", [2.8e-7, 2.8e-4, 2.8e-1, 2.8e2]),
    "P3": ("g_phigamma", [(1e-11, 3.5e-3), (1e-11, 3.3e-3), None, None]),
    "P4": ("g_phigamma", [(5e-6, 1e-2), (5e-6, 1e-2), (5e-6, 1e-2), None]),
    "P5": ("pseudoscalar_c_nu", [(1e-3, 1.0), (1e-6, 1e-2), (1e-9, 1e-5), None]),
    "P6": ("c_nu_g_phigamma", [5.3e-8, 5.3e-8, 2.5e-6, 1.8]),
    "P7": ("c_nu_g_phigamma", [2.5e-8, 2.5e-8, 9.2e-7, 0.6]),
    "P8": ("c_nu_g_phigamma", [4e-6, 4e-6, 4e-6, 1.2e-5]),
    "P9": ("pseudoscalar_c_nu", [4e-3, 4e-3, 4e-3, 0.3]),
    "P10": ("pseudoscalar_c_nu", [8e-6, 8e-6, 2e-5, None]),
    "P11": ("g_phigamma", [None, 1e-2, 1e-5, None]),
    "P12": ("g_phigamma", [None, None, None, 1e-2]),
    "P13": ("c_nu_g_phigamma", [2e-2, 2e-2, 2e-2, 0.9]),
    "P14": ("c_nu_g_phigamma", [180, 180, 180, 180]),
    "P15": ("g_phigamma", [1.5e-4, 1.5e-4, 1.5e-4, 1.5e-4]),
    "P16": ("c_nu_g_phigamma", [2.4, 2.4, 2.4, 2.4]),
}
MASSES = [1.0, 1e3, 1e6, 1e9]

# cited entries without numbers (TBD-digitise or qualitative), with the source to carry
CITATION_ONLY = {"V1": "2007.16105", "V2": "2007.16105", "V3": "1202.6073", "V4": "1202.6073",
                 "V5": "2009.14220", "S4": "2009.08104", "S8": "2110.03510", "D7": "2007.05513",
                 "D8": "2007.05513", "D9": "2007.05513", "M13": "2007.15563"}

# kinds as in docs/reference/physics.md (kind column)
KINDS = {"V1": "cosmological", "V3": "astrophysical", "V5": "terrestrial", "S1": "terrestrial",
         "S2": "cosmological", "S6": "astrophysical", "M1": "terrestrial", "M4": "terrestrial",
         "M7": "astrophysical", "M13": "cosmological", "M14": "theory", "D6": "terrestrial",
         "D8": "astrophysical", "D9": "cosmological", "R2": "cosmological", "R4": "astrophysical",
         "R9": "collider", "R11": "collider", "P3": "astrophysical", "P12": "collider",
         "E1": "terrestrial", "E4": "theory", "A1": "cosmological"}

CL_FRACTION = {"90%": 0.90, "95%": 0.95, "68%": 0.68}


@pytest.fixture(scope="module")
def db():
    return load_database()


def _source_text(rec):
    src = rec.source
    return " ".join(str(v) for v in src.values()) + " " + rec.raw.get("notes", "")


def test_every_record_validates_and_counts(db):
    # loading validates every record and curve; the ids are unique and match the files
    assert len(db) == 97
    counts = db.counts()
    assert counts == {"quoted": 69, "derived": 8, "digitised": 9, "citation_only": 11}
    schema = load_schema()
    for r in db:
        assert r.quantity in QUANTITIES
        assert r.unit == QUANTITIES[r.quantity].unit
        assert r.kind in schema["enums"]["kind"]
        assert r.tag in ("Q", "D", "C", "U")
        if r.curve is not None:
            x = r.curve[QUANTITIES[r.quantity].x_name]
            assert (x > 0).all() and (x[1:] > x[:-1]).all()


@pytest.mark.parametrize(("rid", "quantity", "value", "cl_text", "src"), QUOTED)
def test_quoted_value_cl_source(db, rid, quantity, value, cl_text, src):
    r = db.get(rid)
    assert r.quantity == quantity
    assert r.value == pytest.approx(value, rel=1e-12)
    assert r.cl_text.startswith(cl_text)
    if cl_text in CL_FRACTION:
        assert r.cl == pytest.approx(CL_FRACTION[cl_text])
    if cl_text == "1 sigma":
        assert r.cl == pytest.approx(0.6827, abs=1e-4)
        assert r.cl_convention == "gaussian_sigma"
    assert src in _source_text(r)


def test_special_values(db):
    m12 = db.get("M12")
    assert m12.value is None and m12.raw["value_range"] == [1e-12, 4e-12]
    assert m12.tag == "U" and m12.assumptions["nu_nature"] == "dirac"
    m14 = db.get("M14")
    assert m14.bound_type == "prediction" and m14.raw["coefficient"] == 3.2e-19
    e3 = db.get("E3")
    assert (e3.raw["lower"], e3.value) == (-4.2e-32, 6.6e-32) and e3.cl == 0.90
    assert e3.bound_type == "interval"
    for rid in ("R1", "R3", "R5"):
        assert db.get(rid).bound_type == "none" and db.get(rid).value is None
    assert db.get("R9").cl_convention == "delta_chi2" and db.get("R9").raw["dof"] == 1
    assert db.get("M11").bound_type == "caveat"
    assert db.get("A7").cl_convention == "two_sided"  # Feldman-Cousins


@pytest.mark.parametrize("rid", sorted(EFT))
def test_eft_thresholds(db, rid):
    assert db.get(rid).validity["eft_threshold_GeV"] == pytest.approx(EFT[rid])


@pytest.mark.parametrize("rid", sorted(TABLES_2_3))
def test_bansal_tables_2_3(db, rid):
    quantity, values = TABLES_2_3[rid]
    r = db.get(rid)
    assert r.quantity == quantity
    assert r.value is None and r.raw["curve"]["interpolation"] == "points"
    x = list(r.curve["m_eV"])
    expected_x = [m for m, v in zip(MASSES, values, strict=True) if v is not None]
    assert x == expected_x
    assert r.validity.get("no_bound_at_eV", []) == [
        m for m, v in zip(MASSES, values, strict=True) if v is None]
    got = []
    for i in range(len(x)):
        if "lower" in r.curve:
            got.append((r.curve["lower"][i], r.curve["upper"][i]))
        else:
            got.append(r.curve["limit"][i])
    assert got == pytest.approx([v for v in values if v is not None])
    assert "2210.05706" in _source_text(r)


@pytest.mark.parametrize("rid", sorted(CITATION_ONLY))
def test_citation_only_entries(db, rid):
    r = db.get(rid)
    assert r.provenance == "citation_only"
    assert r.value is None and r.curve is None
    assert CITATION_ONLY[rid] in _source_text(r)
    assert r.to_dict()["value"] is None


def test_tbd_digitise_entries_are_marked(db):
    for rid in ("V1", "V3", "V4", "V5", "S4", "S8", "D8"):
        assert "TBD" in db.get(rid).raw["value_text"]


@pytest.mark.parametrize("rid", sorted(KINDS))
def test_kinds(db, rid):
    assert db.get(rid).kind == KINDS[rid]


def test_model_assumptions(db):
    for rid in ("V3", "V4"):
        r = db.get(rid)
        assert r.model_dependent and "B-L" in r.assumptions["model"]
    assert db.get("S6xS1").model_dependent
    assert not db.get("S3").model_dependent
    defs = {r.id: r.assumptions.get("mu_definition") for r in db.query(quantity="mu_nu_eff")}
    assert defs["M1"] == "solar_flavour" and defs["M4"] == "reactor_nubar_e"
    assert defs["M7"] == "stellar" and defs["M14"] == "intrinsic"


def test_query_filters(db):
    astro = db.query(quantity="mu_nu_eff", kind="astrophysical")
    assert {r.id for r in astro} == {"M7", "M8", "M9", "M10", "M11", "M12"}
    indep = db.query(quantity="scalar_ye_ynu", include_model_dependent=False)
    assert "S6xS1" not in {r.id for r in indep} and "S3" in {r.id for r in indep}
    assert {r.id for r in db.query(provenance="derived")} == {"S5", "S5_S", "S6xS1", "R13",
                                                              "P1f", "V13f", "V14f", "V15f"}


def test_contract_quantity_ids():
    for qid in ("vector_ge_gnu", "scalar_ye_ynu", "scalar_ye", "scalar_ynu", "mu_nu_eff"):
        assert qid in QUANTITIES
    assert QUANTITIES["vector_ge_gnu"].x_name == "m_eV"
    assert QUANTITIES["mu_nu_eff"].x_name is None and QUANTITIES["mu_nu_eff"].unit == "mu_B"


def test_to_dict_contract_fields(db):
    for r in db:
        d = r.to_dict()
        for key in ("id", "quantity", "value", "unit", "cl", "kind", "source"):
            assert key in d
        assert d["value"] is None or math.isfinite(d["value"])
