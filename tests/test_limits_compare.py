"""Comparison of a sensitivity with the envelope of existing limits, and the plot data."""

import numpy as np
import pytest
from limits_helpers import minimal_record, write_db

from renpsim.errors import InputError
from renpsim.limits import compare, envelope, load_database, make_sensitivity, plot_limits


@pytest.fixture
def synthetic_db(tmp_path):
    # F1: flat 1e-16 valid on [1e-2, 1e3] eV; C1: loglog curve 1e-14 (m/eV) on [1e-3, 1e4] eV;
    # P1: benchmark points at 1 eV and 1e3 eV; MD: a model-dependent flat 1e-30 everywhere
    x = np.geomspace(1e-3, 1e4, 8)
    curve = "m_eV,limit\n" + "".join(f"{float(v)!r},{1e-14 * float(v)!r}\n" for v in x)
    recs = [
        minimal_record("F1", value=1e-16,
                       validity={"text": "synthetic", "x_min_eV": 1e-2, "x_max_eV": 1e3}),
        minimal_record("C1", kind="astrophysical", curve={
            "file": "C1.csv", "x_unit": "eV", "columns": ["limit"], "interpolation": "loglog"}),
        minimal_record("P1", kind="collider", curve={
            "file": "P1.csv", "x_unit": "eV", "columns": ["limit"], "interpolation": "points"}),
        minimal_record("MD", value=1e-30, assumptions={
            "nu_nature": "any", "flavour": "-", "model": "B-L", "model_dependent": True}),
    ]
    return load_database(write_db(tmp_path, recs, {"C1.csv": curve,
                                                   "P1.csv": "m_eV,limit\n1,1e-15\n1000,1e-6\n"}))


def renp(x):
    return 1e-20 * x**2


def test_known_crossing(synthetic_db):
    x = np.geomspace(1e-3, 1e4, 71)  # 10 points per decade: 1e-2, 100, 1e3 are grid points
    sens = make_sensitivity("scalar_ye_ynu", x, renp(x))
    comp = compare(sens, synthetic_db, include_model_dependent=False)
    # by hand: below 1e-2 only C1 applies (factor 1e6/m > 1); on [1e-2, 1e3] F1 = 1e-16 is the
    # envelope and RENP wins below m = 100 eV; above 1e3 C1 again (factor 1e6/m > 1 up to 1e4)
    assert len(comp.regions) == 2
    lo0, hi0 = comp.regions[0]
    assert lo0 == pytest.approx(1e-3)
    assert hi0 == pytest.approx(100.0, rel=1e-9)
    lo1, hi1 = comp.regions[1]
    assert 1e3 < lo1 < 10 ** 3.1 and hi1 == pytest.approx(1e4)
    t = comp.table
    below = t[t.m_eV < 1e-2 * 0.999]
    assert (below.existing_id == "C1").all()
    assert below.existing_limit.to_numpy() == pytest.approx(1e-14 * below.m_eV.to_numpy(),
                                                             rel=1e-9)
    mid = t[(t.m_eV > 1.001e-2) & (t.m_eV < 0.999e3)]
    assert (mid.existing_id == "F1").all()
    assert mid.factor.to_numpy() == pytest.approx(1e4 / mid.m_eV.to_numpy() ** 2, rel=1e-9)
    assert (t.improves == (t.factor > 1)).all()
    assert t.covered.all()
    per = comp.per_record.set_index("id")
    assert set(per.index) == {"F1", "C1", "P1"}
    # points: RENP at 1 eV is 1e-20 -> factor 1e5; at 1e3 eV 1e-14 -> factor 1e8
    assert per.loc["P1", "max_factor"] == pytest.approx(1e8, rel=1e-6)
    assert per.loc["P1", "x_at_max"] == pytest.approx(1e3)
    assert per.loc["F1", "max_factor"] == pytest.approx(1e4 / 1e-4, rel=1e-9)


def test_model_dependent_flag(synthetic_db):
    x = np.geomspace(1e-3, 1e4, 11)
    sens = make_sensitivity("scalar_ye_ynu", x, renp(x))
    comp = compare(sens, synthetic_db, include_model_dependent=True)
    assert comp.regions == [] and set(comp.table.existing_id) == {"MD"}
    comp2 = compare(sens, synthetic_db, kinds=["astrophysical"])
    assert set(comp2.table.existing_id) == {"C1"}


def test_uncovered_region(tmp_path):
    rec = minimal_record("F1", value=1e-16,
                         validity={"text": "synthetic", "x_min_eV": 1.0, "x_max_eV": 10.0})
    db = load_database(write_db(tmp_path, [rec]))
    x = np.array([0.1, 1.0, 5.0, 10.0, 100.0])
    comp = compare(make_sensitivity("scalar_ye_ynu", x, np.full(5, 1e-17)), db)
    assert list(comp.table.covered) == [False, True, True, True, False]
    assert np.isnan(comp.factor[0]) and not comp.improves[0]
    assert comp.regions == [(1.0, 10.0)]
    assert comp.factor[1:4] == pytest.approx(10.0)


def test_shipped_scalar_comparison_by_hand():
    # RENP 1e-20 m^2 vs S3 (1e-12, no mass range) and S6xS1 (0.568*1.3e-13*1.5e-3, m < 1e4 eV)
    x = np.geomspace(1e-3, 1e4, 141)
    sens = make_sensitivity("scalar_ye_ynu", x, renp(x))
    comp = compare(sens)
    cross = np.sqrt(0.568 * 1.3e-13 * 1.5e-3 / 1e-20)
    assert comp.regions[0][1] == pytest.approx(cross, rel=1e-3)
    comp2 = compare(sens, include_model_dependent=False)
    assert set(comp2.table.existing_id) == {"S3"}
    assert comp2.regions[0][1] == pytest.approx(1e4, rel=1e-6)


def test_single_number_comparison():
    sens = make_sensitivity("mu_nu_eff", None, 1e-12, cl=0.9, dof=1, mu_definition="stellar")
    comp = compare(sens)
    # stellar records with numbers: M7 1.2e-12 (strongest), M8, M9, M10 (M11 caveat, M12 range)
    assert comp.table.existing_id[0] == "M7"
    assert comp.factor[0] == pytest.approx(1.2)
    assert set(comp.per_record.id) == {"M7", "M8", "M9", "M10"}
    with pytest.raises(InputError):
        compare(make_sensitivity("sum_mnu", None, 0.1, mu_definition="stellar"))


def test_envelope_empty():
    env = envelope([], np.array([1.0, 2.0]))
    assert np.isnan(env.limit).all() and env.best_id == [None, None]


def test_plot_data_arrays(tmp_path):
    x = np.geomspace(1e-3, 1e4, 30)
    sens = make_sensitivity("scalar_ye_ynu", x, renp(x), label="test RENP")
    plot = plot_limits("scalar_ye_ynu", sens)
    assert set(plot.drawn_ids) == {"S3", "S6xS1"}
    assert set(plot.not_drawn) == {"S4", "S8"}  # cited curves without numbers
    d = {dd.id: dd for dd in plot.drawn}
    assert np.all(d["S3"].y == 1e-12)
    assert d["S3"].x[0] == pytest.approx(1e-3) and d["S3"].x[-1] == pytest.approx(1e4)
    assert d["S6xS1"].y == pytest.approx(0.568 * 1.3e-13 * 1.5e-3, rel=1e-3)
    assert d["S6xS1"].x.max() <= 1e4 * (1 + 1e-9)
    assert d["S3"].label.startswith("S3") and "2110.03510" in d["S3"].label
    # the RENP line is drawn on top with the sensitivity's data
    renp_line = [ln for ln in plot.ax.get_lines() if ln.get_label().startswith("test RENP")]
    assert len(renp_line) == 1
    assert np.array_equal(renp_line[0].get_xdata(), x)
    assert renp_line[0].get_zorder() > max(c.get_zorder() for c in plot.ax.collections)
    assert plot.ax.get_xscale() == "log" and plot.ax.get_yscale() == "log"
    out = tmp_path / "fig.png"
    plot.save(out)
    import matplotlib.image as mpimg

    img = mpimg.imread(out)
    assert img.ndim == 3 and img.shape[0] > 100


def test_plot_points_and_bands():
    plot = plot_limits("g_phigamma")
    d = {dd.id: dd for dd in plot.drawn}
    assert d["P3"].style == "band_points"
    assert list(d["P3"].x) == [1.0, 1e3]
    assert list(d["P3"].y) == [1e-11, 1e-11] and list(d["P3"].y_upper) == [3.5e-3, 3.3e-3]
    assert d["P15"].style == "points" and list(d["P15"].y) == [1.5e-4] * 4


def test_plot_bad_suffix(tmp_path):
    plot = plot_limits("mu_nu_eff")
    with pytest.raises(InputError):
        plot.save(tmp_path / "fig.jpg")
    with pytest.raises(InputError):
        plot.save(tmp_path / "no" / "fig.png")


def test_eft_threshold_filter():
    sens = make_sensitivity("rayleigh_C2", None, 1e2, cl=0.9, dof=1)
    # mediator of 1e-4 GeV: Table 1 bounds with thresholds <= 1e-4 GeV remain:
    # R2 (1e-10), R4 (1e-5), R6 (1e-4), R7 (1e-4), R13 (1e-7) and the per-flavour R6e..R7mu
    comp = compare(sens, mediator_mass_GeV=1e-4, include_model_dependent=False)
    assert set(comp.per_record.id) == {"R2", "R4", "R6", "R7", "R13"}
    assert comp.table.existing_id[0] == "R7" and comp.factor[0] == pytest.approx(5.0)
    comp = compare(sens, include_model_dependent=False)
    assert comp.table.existing_id[0] == "R8"  # 4e-3 GeV^-3, needs mediators above 1 GeV
    with pytest.raises(InputError):
        compare(sens, mediator_mass_GeV=-1.0)


def test_plot_mu_definition_from_sensitivity():
    sens = make_sensitivity("mu_nu_eff", None, 5e-13, mu_definition="reactor_nubar_e")
    plot = plot_limits("mu_nu_eff", sens)
    assert set(plot.drawn_ids) == {"M4", "M5", "M6"}
    assert plot.renp is not None and plot.renp[1][0] == 5e-13


def test_bands_compared_by_lower_edge():
    # P3 (HB, g_phigamma excluded in [1e-11, 3.5e-3] at 1 eV and [1e-11, 3.3e-3] at 1 keV)
    x = np.array([0.5, 1.0, 1e3, 2e3])
    sens = make_sensitivity("g_phigamma", x, np.full(4, 1e-12))
    per = compare(sens).per_record.set_index("id")
    assert per.loc["P3", "bound_type"] == "excluded_band"
    assert per.loc["P3", "max_factor"] == pytest.approx(10.0)
    assert per.loc["P3", "n_overlap"] == 2
    # BaBar P15 (1.5e-4 at every benchmark): RENP at 1 eV and 1 keV only (inside its range)
    assert per.loc["P15", "max_factor"] == pytest.approx(1.5e8)
    assert per.loc["P15", "n_overlap"] == 2
