"""Campaign presets, schedule generators, order, serialisation and bad input."""

import tomllib

import numpy as np
import pytest

from renpsim.campaign import campaign_from_dict, list_campaign_presets, load_campaign
from renpsim.errors import InputError

BASE = """
name = "c"
hardware = "gp21-benchmark"
seed = 3
[scan]
generator = "explicit"
omega_eV = [1.0688, 1.0699]
dwell_s = 100.0
"""


def test_preset_names_contract():
    assert {"gp21-benchmark", "yb-ordering-6pt", "yb-threshold-scan", "xe-example"} <= \
        set(list_campaign_presets())


def test_gp21_campaign_total_time_split_equally():
    c = load_campaign("gp21-benchmark")
    np.testing.assert_allclose(c.steps.omega_eV, [1.0688, 1.0699, 1.0711])
    assert c.steps.dwell_s.sum() == pytest.approx(2.3 * 86400)     # 2.3 d in TOTAL
    np.testing.assert_allclose(c.steps.dwell_s, 66240.0)


def test_threshold_scan_200_steps_with_reference_every_10():
    c = load_campaign("yb-threshold-scan")
    ref = c.steps.is_reference
    assert (~ref).sum() == 200 and ref.sum() == 20
    assert np.all(ref[::11])                                           # before steps 0,10,...
    half = c.hardware.E_eg_eV / 2
    scan = c.steps.omega_eV[~ref]
    assert np.all(scan <= half) and np.all(half - scan <= 10e-3 + 1e-12)
    assert np.sum(half - scan <= 1e-4) >= 50                          # dense near E/2
    assert not np.all(np.diff(scan) > 0)                               # randomised
    assert set(c.steps.n_shots) == {10000}


def test_xe_and_ordering_presets():
    xe = load_campaign("xe-example")
    assert len(xe.steps) == 200 and xe.hardware.target.species == "Xe"
    assert xe.hardware.gamma0_per_s() == pytest.approx(0.037)
    six = load_campaign("yb-ordering-6pt")
    assert len(six.steps) == 6


def test_order_up_down_random(tmp_path):
    doc = tomllib.loads(BASE.replace("[1.0688, 1.0699]", "[1.0699, 1.0688, 1.0711]"))
    for order, expect in (("up", [1.0688, 1.0699, 1.0711]), ("down", [1.0711, 1.0699, 1.0688]),
                          ("as_listed", [1.0699, 1.0688, 1.0711])):
        doc["scan"]["order"] = order
        np.testing.assert_allclose(campaign_from_dict(doc, "x").steps.omega_eV, expect)
    doc["scan"]["order"] = "random"
    r1 = campaign_from_dict(doc, "x").steps.omega_eV
    assert sorted(r1) == [1.0688, 1.0699, 1.0711]
    np.testing.assert_array_equal(r1, campaign_from_dict(doc, "x").steps.omega_eV)


def test_generators_uniform_and_thresholds():
    doc = tomllib.loads(BASE)
    doc["scan"] = {"generator": "uniform", "n_steps": 11, "offset_min_eV": 0.0,
                   "offset_max_eV": 1e-3, "shots_per_step": 10}
    c = campaign_from_dict(doc, "x")
    half = c.hardware.E_eg_eV / 2
    np.testing.assert_allclose(np.sort(half - c.steps.omega_eV), np.linspace(0, 1e-3, 11),
                               atol=1e-15)
    doc["scan"].update(generator="thresholds", n_steps=60, offset_max_eV=3e-3,
                       dense_fraction=0.5, dense_width_eV=1e-5)
    doc["truth"] = {"m_lightest_eV": 0.01, "oscillation": "nufit-5.0"}
    c = campaign_from_dict(doc, "x")
    # [physics §8.1] K2: omega_11 = 1.071652 eV; steps packed around it
    assert np.sum(np.abs(c.steps.omega_eV - 1.071652) < 1.2e-5) >= 5


def test_to_toml_round_trip():
    c = load_campaign("yb-threshold-scan")
    c2 = campaign_from_dict(tomllib.loads(c.to_toml()), "rt")
    np.testing.assert_array_equal(c2.steps.omega_eV, c.steps.omega_eV)
    np.testing.assert_array_equal(c2.steps.n_shots, c.steps.n_shots)
    np.testing.assert_array_equal(c2.steps.is_reference, c.steps.is_reference)
    assert c2.hardware.to_dict() == c.hardware.to_dict()
    assert c2.seed == c.seed and c2.truth == c.truth


def test_overrides():
    c = load_campaign("gp21-benchmark", overrides={"seed": 9, "truth.m_lightest_eV": 0.02,
                                                   "hardware.target.density_cm3": 5e20})
    assert c.seed == 9 and c.truth.m_lightest_eV == 0.02
    assert c.hardware.target.density_cm3 == 5e20


def _bad(tmp_path, text):
    p = tmp_path / "camp.toml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_campaign(p)
    assert exc.value.where.startswith(str(p))
    return exc.value


@pytest.mark.parametrize(("old", "new", "key"), [
    ("dwell_s = 100.0", "dwell_s = -5.0", "scan.dwell_s[0]"),
    ("dwell_s = 100.0", "dwel_s = 100.0", "scan.dwel_s"),
    ("[1.0688, 1.0699]", "[1.0688, 1.08]", "scan.omega_eV[1]"),
    ("[1.0688, 1.0699]", "[1.0688, inf]", "scan.omega_eV[1]"),
    ("seed = 3", "seed = -1", "seed"),
    ("seed = 3", "seeds = 3", "seeds"),
    ('hardware = "gp21-benchmark"', "", "hardware"),
    ("dwell_s = 100.0", "", "scan.dwell_s"),
    ('generator = "explicit"', 'generator = "grid"', "scan.generator"),
])
def test_bad_campaign_names_file_and_key(tmp_path, old, new, key):
    err = _bad(tmp_path, BASE.replace(old, new))
    assert err.key == key


def test_bad_hardware_override_in_campaign(tmp_path):
    err = _bad(tmp_path, BASE + "[hardware_overrides.detector]\nefficiency = 1.5\n")
    assert err.key == "hardware_overrides.detector.efficiency" and "[0, 1]" in str(err)
    err = _bad(tmp_path, BASE + "[truth]\nordering = 'NH'\n")
    assert err.key == "truth.ordering"
