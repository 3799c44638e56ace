"""Image tests of every figure type (``matplotlib.testing.compare`` against committed baselines).

Baselines live in ``tests/baseline_images``. After an intended change of a figure, regenerate
them with ``RENPSIM_UPDATE_BASELINES=1 python -m pytest tests/test_figures_images.py`` and look
at every image before committing. Inputs are fixed (presets, typed numbers), so the images are
deterministic.
"""

import os
import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images

matplotlib.use("Agg")

BASELINE = Path(__file__).parent / "baseline_images"
REACH = Path(__file__).parent / "data" / "gp21_vector_reach.csv"
TOL = 3.0  # RMS over 0-255 grey levels: text or a line moving breaks it, rasteriser noise not


def check(png: Path, name: str) -> None:
    base = BASELINE / f"{name}.png"
    if os.environ.get("RENPSIM_UPDATE_BASELINES") == "1":
        shutil.copyfile(png, base)
    assert base.is_file(), f"missing baseline {base}; see the module docstring"
    err = compare_images(str(base), str(png), tol=TOL)
    assert err is None, err


@pytest.fixture(scope="module")
def gp21():
    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts

    camp = load_campaign("gp21-benchmark")
    return camp, expected_counts(camp).sort_values("step")


def test_spectrum(gp21, tmp_path):
    from renpsim.report.plots import plot_spectrum

    camp, exp = gp21
    out = plot_spectrum(camp, exp, np.array([6.0, 3.0, 1.0]), tmp_path / "spectrum")
    # the close thresholds 11, 12, 22 get separate label rows
    rows = dict(zip(("11", "12", "13", "22", "23", "33"), out["threshold_rows"], strict=True))
    assert len({rows["11"], rows["12"], rows["22"]}) == 3
    check(out["png"], "spectrum")


def test_spectrum_not_viable_has_no_data(gp21, tmp_path):
    from renpsim.report.plots import plot_spectrum

    camp, exp = gp21
    out = plot_spectrum(camp, exp, np.array([346.0, 328.0, 302.0]), tmp_path / "spectrum_nv",
                        viable=False)
    assert np.isnan(out["drawn_data_I"]).all()
    check(out["png"], "spectrum_not_viable")


def test_counts(tmp_path):
    from renpsim.report.plots import plot_counts

    steps = {"omega_eV": [1.0711, 1.0688, 1.0699], "observed": [1, 6, 3],
             "fitted": [1.12, 4.69, 4.21]}
    out = plot_counts(steps, tmp_path / "counts")
    np.testing.assert_array_equal(out["observed"], [6, 3, 1])
    np.testing.assert_array_equal(out["fitted"], [4.69, 4.21, 1.12])
    check(out["png"], "counts")


def test_counts_not_viable_draws_no_expectation(tmp_path):
    from renpsim.report.plots import plot_counts

    out = plot_counts({"omega_eV": [1.0688, 1.0699, 1.0711], "observed": [346, 328, 302],
                       "fitted": None}, tmp_path / "counts_nv")
    assert out["fitted"] is None
    check(out["png"], "counts_not_viable")


def test_dipole_dot_interval(tmp_path):
    from renpsim.report.plots import plot_dipole

    lims = {"mu11": 1.3e-10, "mu12": 9.2e-11, "mu22": 1.3e-10, "eps33": 7.5e-10,
            "eps13": float("inf")}
    out = plot_dipole(lims, [("M7: effective moment < 1.2e-12 mu_B (95%)", 1.2e-12)],
                      tmp_path / "dipole")
    assert out["missing"] == ["eps13"] and out["labels"] == ["mu11", "mu12", "mu22", "eps33"]
    check(out["png"], "dipole")


def test_limits_vector_with_reach(tmp_path):
    import matplotlib.pyplot as plt

    from renpsim.limits import plot_limits, read_sensitivity

    lp = plot_limits("vector_ge_gnu", read_sensitivity(REACH))
    lp.save(tmp_path / "vector.png")
    plt.close(lp.figure)
    check(tmp_path / "vector.png", "limits_vector")


def test_limits_single_number(tmp_path):
    import matplotlib.pyplot as plt

    from renpsim.limits import make_sensitivity, plot_limits

    s = make_sensitivity("mu_nu_eff", None, [1.3e-10], mu_definition="stellar",
                         label="RENP |mu_11|")
    lp = plot_limits("mu_nu_eff", s)
    lp.save(tmp_path / "mu.png")
    plt.close(lp.figure)
    check(tmp_path / "mu.png", "limits_mu_nu_eff")


def test_sensitivity_table_with_bands(tmp_path):
    from renpsim.stats.output import SensitivityTable, plot_table

    x = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    lim = np.array([4.1e-26, 4.0e-26, 2.3e-26, 1.2e-23, 1.2e-21])
    frame = pd.DataFrame({"m_eV": x, "limit": lim, "toy_median": lim * 1.02,
                          "toy_lo68": lim * 0.85, "toy_hi68": lim * 1.15,
                          "toy_lo95": lim * 0.75, "toy_hi95": lim * 1.3})
    t = SensitivityTable("vector_ge_gnu", "m_eV", frame, 0.95, 1, 3.841, "0" * 16,
                         {"coupling": "gL11"})
    plot_table(t, tmp_path / "bands.png")
    check(tmp_path / "bands.png", "sensitivity_bands")


def test_lightest_mass_without_sensitivity_is_listed(tmp_path):
    from renpsim.stats.output import SensitivityTable, plot_table

    frame = pd.DataFrame({"m_lightest_eV": [0.0, 0.01, 0.03, 0.08],
                          "limit": [4.1e-26, 4.1e-26, 1.2e-25, np.inf]})
    t = SensitivityTable("vector_ge_gnu", "m_lightest_eV", frame, 0.95, 1, 3.841, "0" * 16,
                         {"coupling": "gL11", "mediator_mass_eV": "0.001"})
    plot_table(t, tmp_path / "ml.png")
    check(tmp_path / "ml.png", "sensitivity_m_lightest")
