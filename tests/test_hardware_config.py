"""Hardware presets and strict TOML loading ([hardware §7], [hardware §8])."""

import math

import pytest

from renpsim.errors import InputError, MissingInputError
from renpsim.hardware import list_detector_presets, list_hardware_presets, load_hardware
from renpsim.hardware.lasers import n_gamma_from_laser, photons_per_pulse

YB = """
name = "t"
[target]
species = "Yb"
density_cm3 = 1e16
[detector]
preset = "snspd-1157"
"""


def test_preset_names_contract():
    assert {"gp21-benchmark", "yb-vapour", "xe-gas"} <= set(list_hardware_presets())
    assert {"ideal", "snspd-1157", "ingaas-free", "ingaas-gated", "nir-pmt", "uv-snspd",
            "mcp-pmt"} <= set(list_detector_presets())


def test_gp21_preset_reference_point():
    hw = load_hardware("gp21-benchmark")
    assert hw.target.volume_cm3 == pytest.approx(100.0)
    assert hw.rate_per_unit_I() == pytest.approx(0.002)           # GP21 eq. 11b
    assert hw.exposure_per_shot_s() == pytest.approx(0.1)           # eta = 1, whole period
    assert hw.detector.detection_prob == 1.0 and hw.detector.dark_rate_Hz == 0.0


def test_vapour_and_xe_gamma0_match_hardware_md():
    # [hardware §8.2] [C]: 1.4e-22 s^-1 (Yb vapour) and 5.1e-8 s^-1 (Xe gas)
    assert load_hardware("yb-vapour").rate_per_unit_I() == pytest.approx(1.41e-22, rel=0.01)
    assert load_hardware("xe-gas").rate_per_unit_I() == pytest.approx(5.1e-8, rel=0.01)


def test_laser_photon_numbers_match_hardware_md():
    hw = load_hardware("yb-vapour")
    # [hardware §0] item 5: 10 mJ at 1.07 eV ~ 5.8e16 photons; 8.4: n_gamma ~ 6e15 cm^-3
    assert photons_per_pulse(10e-3, 1.07175) == pytest.approx(5.82e16, rel=0.01)
    assert n_gamma_from_laser(hw.lasers, 1.07175) == pytest.approx(6.2e15, rel=0.03)
    # [hardware §8.2]: leakage background per shot ~ 5.8e16 x 1e-20 x 0.8 = 4.7e-4
    leak = hw.trigger_photons_in_gate(1.07) * hw.backgrounds.trigger_leak_eps * \
        hw.detector.detection_prob
    assert leak == pytest.approx(4.7e-4, rel=0.02)
    assert hw.detector.dark_rate_Hz * hw.gate_width_s == pytest.approx(5e-6)


def test_overrides_and_detector_preset_override(tmp_path):
    p = tmp_path / "hw.toml"
    p.write_text(YB + "efficiency = 0.5\n")
    hw = load_hardware(p, overrides={"target.density_cm3": 2e16, "lasers.rep_rate_Hz": 100.0})
    assert hw.target.density_cm3 == 2e16
    assert hw.detector.efficiency == 0.5 and hw.detector.dark_rate_Hz == 100.0
    assert hw.period_s == pytest.approx(0.01)


def _err(tmp_path, text, **kw):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_hardware(p, **kw)
    return exc.value, str(p)


@pytest.mark.parametrize(("text", "key", "hint"), [
    (YB.replace("density_cm3", "densty_cm3"), "target.densty_cm3", "density_cm3"),
    (YB + "efficency = 0.5\n", "detector.efficency", "efficiency"),
    (YB + "[lazers]\nrep_rate_Hz = 1\n", "lazers", "lasers"),
    (YB + "efficiency = 1.2\n", "detector.efficiency", "[0, 1]"),
    (YB + "dark_rate_Hz = -1.0\n", "detector.dark_rate_Hz", ">= 0"),
    (YB + "dark_rate_Hz = nan\n", "detector.dark_rate_Hz", "finite"),
    (YB + "dark_rate_Hz = 'high'\n", "detector.dark_rate_Hz", "number"),
    (YB.replace("species = \"Yb\"", "species = \"Ca\""), "target.species", "'Yb'"),
    (YB + "preset2 = 1\n", "detector.preset2", "preset"),
    (YB.replace("snspd-1157", "snspd"), "detector.preset", "snspd-1157"),
    (YB + "dead_time_model = 'paralysable'\n", "detector.dead_time_model", "paralyzable"),
])
def test_bad_toml_names_file_and_key(tmp_path, text, key, hint):
    err, path = _err(tmp_path, text)
    assert err.where == path
    assert err.key == key
    assert hint in str(err)


def test_xe_without_gamma0_is_missing_input(tmp_path):
    p = tmp_path / "xe.toml"
    p.write_text("[target]\nspecies = 'Xe'\nisotope = 'natural'\n[coherence]\nf_exc = 1e-3\n")
    with pytest.raises(MissingInputError) as exc:
        load_hardware(p)
    assert exc.value.key == "target.gamma0_per_s" and exc.value.where == str(p)
    hw = load_hardware(p, overrides={"target.gamma0_placeholder": True})
    assert hw.gamma0_per_s() == pytest.approx(0.036)


def test_unknown_preset_and_invalid_toml(tmp_path):
    with pytest.raises(InputError, match="gp21-benchmark"):
        load_hardware("no-such-preset")
    p = tmp_path / "broken.toml"
    p.write_text("[target\n")
    with pytest.raises(InputError) as exc:
        load_hardware(p)
    assert exc.value.where == str(p)


def test_dead_time_longer_than_period_rejected(tmp_path):
    err, _ = _err(tmp_path, YB + "dead_time_s = 0.2\n")
    assert err.key == "detector.dead_time_s"


def test_level1_coherence_exposure_scale():
    hw = load_hardware("yb-vapour")
    # eta_peak = eta0 4 |rho|^2 = 4e-4; integral of the envelope over the gate < min(tau_L, T2/2)
    assert hw.coherence.eta_peak == pytest.approx(4e-4)
    tau = hw.exposure_per_shot_s()
    assert 0.1 * 4e-4 * 5e-9 < tau < 4e-4 * 5e-9
    assert math.isfinite(tau)
