"""The summary's building blocks: absent numbers, toy bands and the decisions' normalisation."""

import math
from types import SimpleNamespace

from renpsim.report.document import Document, Table, _sensitivity_section, fmt, limit_cell


def test_fmt_and_limit_cell_never_print_non_finite():
    assert fmt(math.inf) == "-" and fmt(-math.inf) == "-" and fmt(math.nan) == "-"
    assert fmt(None) == "-" and fmt(2.5e-26) == "2.5e-26"
    assert limit_cell(math.inf) == "no sensitivity" and limit_cell(None) == "no sensitivity"
    assert limit_cell(1e-20) == "1e-20"


def _sens(decision_rows, with_toys):
    curve = {"file": "v.csv", "quantity": "vector_ge_gnu", "x": "m_eV", "coupling": "gL11",
             "rows": [{"m_eV": 1e-3, "limit": 4e-26}, {"m_eV": 1.0, "limit": math.inf}]}
    if with_toys:
        curve["rows"][0].update(toy_median=4.2e-26, toy_lo68=3.5e-26, toy_hi68=4.7e-26,
                                toy_lo95=3.1e-26, toy_hi95=5.2e-26)
    ml = {"file": "ml.csv", "x": "m_lightest_eV", "coupling": "gL11",
          "rows": [{"m_lightest_eV": 0.08, "limit": None}]}
    return {"delta_chi2": 3.841, "cl": 0.95, "dof": 1, "pole_masses_eV": [],
            "tables": {"vector": curve, "scalar": dict(curve, quantity="scalar_ye_ynu"),
                       "m_lightest": ml, "dipole": {"rows": [{"element": "mu11",
                                                              "limit_mu_B": 1e-10}]}},
            "decisions": {"rows": decision_rows},
            "comparisons": {"vector": {"file": "c.csv", "quantity": "vector_ge_gnu",
                                       "has_comparison": False,
                                       "verdict": "nothing to compare with (no existing limit "
                                                  "applies in the scanned range)",
                                       "best_factor": None, "best_at": None, "best_id": None,
                                       "pole_dips": [], "pole_window": 0.2}}}


def _tables(doc):
    return [b for b in doc.blocks if isinstance(b, Table)]


def test_decisions_show_normalisation_when_present_and_toy_bands_when_run():
    rows = [{"decision": "ordering", "n_sigma": 3.0, "factor": 7.0,
             "total_time_s": 1.4e6, "normalisation": "profiled"}]
    doc = Document("t")
    _sensitivity_section(doc, _sens(rows, True), SimpleNamespace(mediator_mass_eV=1e-3))
    dec = next(t for t in _tables(doc) if t.header[0] == "decision")
    assert dec.header[2] == "normalisation" and dec.rows[0][2] == "profiled"
    bands = [t for t in _tables(doc) if "median" in t.header]
    assert len(bands) == 2 and bands[0].rows[0][1] == 4.2e-26   # vector and scalar
    md = doc.to_markdown(base=None)
    assert "| 1 | no sensitivity |" in md and "| 0.08 | no sensitivity |" in md
    assert "nothing to compare with" in md and "improves somewhere" not in md


def test_decisions_without_normalisation_and_no_toys():
    rows = [{"decision": "ordering", "n_sigma": 3.0, "factor": 7.0,
             "total_time_s": 1.4e6}]
    doc = Document("t")
    _sensitivity_section(doc, _sens(rows, False), SimpleNamespace(mediator_mass_eV=1e-3))
    dec = next(t for t in _tables(doc) if t.header[0] == "decision")
    assert "normalisation" not in dec.header
    assert not [t for t in _tables(doc) if "median" in t.header]
