"""Campaign document, field validation and schedule generators (no user interface)."""

from __future__ import annotations

import math
import tomllib

import pytest
import tomlkit
from renpsim_tui import backend
from renpsim_tui.campaign import Campaign, Step
from renpsim_tui.fields import all_fields, parse_field, parse_number
from tui_helpers import GP21_EVENTS, GP21_TOML

from renpsim.errors import InputError


@pytest.fixture
def gp21_file(tmp_path):
    p = tmp_path / "gp21.toml"
    p.write_text(GP21_TOML, encoding="utf-8")
    return p


def test_load_reads_steps_and_fields(gp21_file):
    c = Campaign.load(gp21_file)
    assert [s.omega_eV for s in c.steps] == [1.0688, 1.0699, 1.0711]
    assert c.total_time_s == pytest.approx(2.3 * 86400)
    assert c.get("target.density_cm3") == 1e21
    assert c.get("coherence.eta0") == 1.0  # from the hardware preset, not in the file
    assert c.get("target.length_m") * c.get("target.area_m2") == pytest.approx(1e-4)
    assert c.target_name == "Yb-gp21"


def test_gp21_expected_events_match_physics_reference(gp21_file):
    c = Campaign.load(gp21_file)
    fc = backend.forecast(c.target, c.hardware_sections(), c.hypothesis(),
                          [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps])
    for got, ref in zip(fc.signal, GP21_EVENTS, strict=True):
        assert abs(got - ref) < 0.06
    assert fc.total_signal == pytest.approx(20.8, abs=0.1)
    assert not fc.background.any()


def test_save_keeps_comments_and_unknown_tables(gp21_file, tmp_path):
    c = Campaign.load(gp21_file)
    c.set_text("target.density_cm3", "5e20")
    c.set_text("coherence.T2_s", "20 ns")
    c.set_steps([Step(1.07, 100.0)])
    out = c.save(tmp_path / "out.toml")
    text = out.read_text()
    for comment in ("# GP21 benchmark campaign (test fixture)", "# name comment",
                    "# lightest mass comment", "# the benchmark density", "# scan comment",
                    "# not interpreted by the interface"):
        assert comment in text
    doc = tomllib.loads(text)
    assert doc["hardware_overrides"]["target"]["density_cm3"] == 5e20
    assert doc["hardware_overrides"]["coherence"]["T2_s"] == pytest.approx(2e-8)
    assert doc["scan"] == {"generator": "explicit", "omega_eV": [1.07], "dwell_s": [100.0],
                           "order": "as_listed"}
    assert doc["calibration"] == [{"kind": "dark", "shots": 1000, "position": "start"}]
    # Preset values that were never edited are not written into the file.
    assert "eta0" not in text
    again = Campaign.load(out)
    assert again.steps == [Step(1.07, 100.0)]
    assert again.get("target.density_cm3") == 5e20
    assert not list(tmp_path.glob(".out.toml.*"))  # no temporary file left behind


@pytest.mark.parametrize(("text", "key"), [
    ("-5", "target.density_cm3"),
    ("0", "target.density_cm3"),
    ("abc", "target.density_cm3"),
    ("10 mJ", "target.density_cm3"),
    ("1.5", "coherence.eta0"),
    ("nan", "coherence.eta0"),
    ("inf", "detector.dark_rate_Hz"),
    ("3 Hz", "coherence.T2_s"),
    ("2.5", "statistics.dof"),
    ("XO", "truth.ordering"),
    ("maybe", "waveguide.enabled"),
])
def test_invalid_edit_is_refused_and_campaign_unchanged(gp21_file, text, key):
    c = Campaign.load(gp21_file)
    before = c.dumps()
    with pytest.raises(InputError) as err:
        c.set_text(key, text)
    assert key in str(err.value)
    assert repr(text) in str(err.value)
    assert c.dumps() == before
    assert not c.dirty


def test_units_are_converted():
    assert parse_number("2.3 d", "s") == pytest.approx(198720.0)
    assert parse_number("10mJ", "J") == pytest.approx(0.01)
    assert parse_number("50 ns", "s") == pytest.approx(5e-8)
    assert parse_number("1e-3", "eV") == 1e-3
    with pytest.raises(ValueError):
        parse_number("3 Hz", "s")
    spec = all_fields()["lasers.pulse_energy_J"]
    assert parse_field(spec, "10 mJ") == pytest.approx(0.01)


def test_invalid_file_gives_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[campaign\nname = 1\n")
    with pytest.raises(InputError, match=r"bad\.toml: line 1, column 10 = '\[campaign': "
                       r"expected valid TOML"):
        Campaign.load(bad)
    bad.write_text(GP21_TOML.replace("density_cm3 = 1e21", "density_cm3 = -1"))
    with pytest.raises(InputError,
                       match=r"bad\.toml: hardware_overrides\.target\.density_cm3 = -1"):
        Campaign.load(bad)
    bad.write_text(GP21_TOML.replace("1.0711]", "1.2]"))
    with pytest.raises(InputError, match=r"scan\.omega_eV\[2\] = 1\.2: expected 0 < omega"):
        Campaign.load(bad)
    bad.write_text(GP21_TOML.replace('hardware = "gp21-benchmark"', 'hardware = "nope"'))
    with pytest.raises(InputError, match=r"bad\.toml: hardware = 'nope'"):
        Campaign.load(bad)
    bad.write_text("colour = 1\n" + GP21_TOML)
    with pytest.raises(InputError, match=r"colour = 1: expected one of name"):
        Campaign.load(bad)
    bad.write_text(GP21_TOML.replace("dwell_s = 66240.0", "dwell_s = [1.0, 2.0]"))
    with pytest.raises(InputError, match=r"scan\.dwell_s"):
        Campaign.load(bad)
    with pytest.raises(InputError, match=r"missing\.toml.*expected an existing file"):
        Campaign.load(tmp_path / "missing.toml")


def test_target_change_refused_when_steps_above_endpoint(gp21_file):
    c = Campaign.load(gp21_file)
    c.set_target("Yb-174")  # E_eg/2 = 1.07174593 eV
    assert c.target_name == "Yb-174"
    c.set_steps([Step(1.0717459, 10.0)])  # above E_eg/2 of Yb-gp21 (1.071745 eV)
    before = c.dumps()
    with pytest.raises(InputError, match=r"scan\.omega_eV\[0\] = 1\.0717459"):
        c.set_target("Yb-gp21")
    assert c.dumps() == before and c.target_name == "Yb-174"
    with pytest.raises(InputError, match=r"scan\.omega_eV\[0\]"):
        c.set_steps([Step(1.0717460, 10.0)])
    assert c.steps == [Step(1.0717459, 10.0)]


def _gp21() -> Campaign:
    return Campaign(tomlkit.parse(GP21_TOML))


def test_uniform_generator_is_the_campaign_librarys():
    c = _gp21()
    c.generate_steps("uniform", 400.0, "up", (1.068, 1.071), 4)
    assert [s.omega_eV for s in c.steps] == pytest.approx([1.068, 1.069, 1.070, 1.071],
                                                          abs=1e-12)
    assert [s.dwell_s for s in c.steps] == pytest.approx([100.0] * 4)
    scan = tomllib.loads(c.dumps())["scan"]
    assert scan["generator"] == "uniform" and "omega_eV" not in scan    # a generator, not steps
    c.generate_steps("uniform", 400.0, "down", (1.068, 1.071), 4)
    assert [s.omega_eV for s in c.steps] == pytest.approx([1.071, 1.070, 1.069, 1.068],
                                                          abs=1e-12)
    c.generate_steps("uniform", 20.0, "random", (1.068, 1.071), 20)
    r1 = [s.omega_eV for s in c.steps]
    d = _gp21()
    d.generate_steps("uniform", 20.0, "random", (1.068, 1.071), 20)
    assert r1 == [s.omega_eV for s in d.steps]        # seeded by the campaign seed
    assert r1 != sorted(r1) and sorted(r1) == pytest.approx(
        [1.068 + 3e-3 * k / 19 for k in range(20)], abs=1e-12)
    before = c.dumps()
    with pytest.raises(InputError, match=r"scan\.offset_min_eV"):   # above E_eg/2
        c.generate_steps("uniform", 400.0, "up", (1.068, 1.08), 4)
    assert c.dumps() == before


def test_generated_file_gives_the_library_the_same_steps(tmp_path):
    from renpsim.campaign import load_campaign

    c = _gp21()
    c.generate_steps("thresholds", 6000.0, "up", (1.0692, 1.0717), 60)
    path = c.save(tmp_path / "gen.toml")
    lib = load_campaign(path)
    assert [s.omega_eV for s in c.steps] == lib.steps.omega_eV.tolist()
    assert [s.dwell_s for s in c.steps] == lib.steps.dwell_s.tolist()


def test_threshold_dense_packs_points_near_thresholds():
    c = _gp21()
    info = c.target
    half = info.omega_max_eV
    lo, hi = half - 2.5e-3, half
    c.generate_steps("thresholds", 6000.0, "up", (lo, hi), 60)
    omegas = [s.omega_eV for s in c.steps]
    assert sum(s.dwell_s for s in c.steps) == pytest.approx(6000.0)
    # GP21 eq. 13 for NO, m1 = 0.01 eV (nufit-5.0 splittings), independently of the library
    m1 = 0.01
    m2, m3 = math.sqrt(m1**2 + 7.42e-5), math.sqrt(m1**2 + 2.517e-3)
    masses = (m1, m2, m3)
    thr = [half - (masses[i] + masses[j]) ** 2 / (2 * info.E_eg_eV)
           for i in range(3) for j in range(i, 3)]
    for t in thr:
        near = [w for w in omegas if abs(w - t) <= 1e-4 + 1e-9]
        assert len(near) >= 3  # a uniform grid of 60 over 2.5 meV has spacing 42 ueV
    assert all(0 < w <= half for w in omegas)


def test_paper_points():
    c = _gp21()
    c.generate_steps("gp21", backend.PAPER_TOTAL_S)
    assert [s.omega_eV for s in c.steps] == [1.0688, 1.0699, 1.0711]
    assert [s.dwell_s for s in c.steps] == pytest.approx([66240.0] * 3)


def test_imprinted_momentum_moves_the_thresholds_and_the_step_range():
    # [physics §1.1] with a pair momentum P0 imprinted at cosine c to the photon:
    # omega_ij = [E^2 - P0^2 - (m_i + m_j)^2] / [2 (E - P0 c)], endpoint at m_i = m_j = 0
    p0, cos = 1e-3, -0.5     # the endpoint moves below E_eg/2 (c < P0/E_eg)
    c = Campaign(tomlkit.parse(GP21_TOML.replace(
        "[truth]", f"[hardware_overrides.lasers]\nimprinted_momentum_eV = {p0}\n"
        f"imprinted_cos = {cos}\n\n[truth]")))
    info = c.target
    E = info.E_eg_eV
    end = (E * E - p0 * p0) / (2 * (E - p0 * cos))
    assert info.endpoint_eV == pytest.approx(end, rel=1e-14) and end < info.omega_max_eV
    thr = backend.thresholds(c.hypothesis(), info)
    m1 = 0.01
    m2 = math.sqrt(m1**2 + 7.42e-5)
    assert thr["12"] == pytest.approx((E * E - p0 * p0 - (m1 + m2) ** 2) / (2 * (E - p0 * cos)),
                                      rel=1e-14)
    with pytest.raises(InputError, match=r"scan\.omega_eV\[0\].*photon endpoint"):
        c.set_steps([Step(end + 1e-6, 10.0)])
    c.set_steps([Step(end, 10.0)])
    assert c.steps[0].omega_eV == end


def test_viability_names_dominant_knob():
    info = backend.target_info("Yb-174", None, 2.14350)
    hw = backend.hardware_sections("yb-vapour")
    h = backend.Hypothesis()
    fc = backend.forecast(info, hw, h, [1.0699], [1e3])
    v = backend.viability(info, hw, fc)
    assert v.total_signal < 1e-20
    # the library's viability rule: growth to TARGET_EVENTS (renpsim.experiment.defaults)
    from renpsim.experiment.defaults import TARGET_EVENTS

    assert v.factor_needed == pytest.approx(TARGET_EVENTS / v.total_signal)
    assert "atom density" in v.dominant
    assert "must grow by" in v.message


def test_poisson_deviance_cases():
    import numpy as np
    # [physics §6.1]: N_true = 0 contributes 2 N_test; both zero contribute 0.
    assert backend.poisson_deviance(np.array([0.0, 0.0]), np.array([3.0, 0.0])) == 6.0
    d = backend.poisson_deviance(np.array([4.0]), np.array([2.0]))
    assert d == pytest.approx(2 * (2 - 4 + 4 * math.log(2)))
    # A profiled normalisation removes a pure scale difference.
    assert backend.poisson_deviance(np.array([1.0, 2.0]), np.array([2.0, 4.0]), True) \
        == pytest.approx(0.0, abs=1e-12)


def test_generated_schedule_is_resolved(tmp_path):
    p = tmp_path / "scan.toml"
    p.write_text(GP21_TOML.replace('generator = "explicit"', 'generator = "endpoint"'))
    c = Campaign.load(p)
    assert len(c.steps) == 200  # renpsim.campaign defaults: n_steps = 200
    assert all(w <= c.target.omega_max_eV for w in (s.omega_eV for s in c.steps))


def test_command_line_argument(tmp_path, monkeypatch):
    from renpsim_tui.app import load_campaign_arg

    new = load_campaign_arg(str(tmp_path / "fresh.toml"))
    assert new.path == tmp_path / "fresh.toml" and len(new.steps) == 3
    preset = tmp_path / "my-preset.toml"
    preset.write_text(GP21_TOML)
    monkeypatch.setattr(backend, "campaign_preset_path",
                        lambda name: preset if name == "my-preset" else None)
    copy = load_campaign_arg("my-preset")
    assert copy.path is None and copy.name == "gp21-test"
    assert load_campaign_arg(None).path is None


def test_follow_run_while_it_is_written(tmp_path):
    import multiprocessing

    import numpy as np

    from renpsim.daq import simulate

    batches = []
    c = Campaign.new()
    omega = list(np.linspace(1.069, 1.0717, 40))
    camp = backend._library_campaign(c.hardware_sections(), omega, [2000.0] * 40, 1)
    path = tmp_path / "live.h5"
    # The writer is another process, as a DAQ is: HDF5 shares one open file between the
    # handles of a process, so a writer thread beside the reader cannot reopen it at close.
    writer = multiprocessing.get_context("spawn").Process(
        target=simulate, args=(camp, path), kwargs={"level": "shots", "seed": 1})
    writer.start()
    n = backend.follow_run_steps(path, batches.append, timeout_s=60)
    writer.join(timeout=120)
    assert writer.exitcode == 0
    assert n == 40 and sum(b.counts.size for b in batches) == 40
    assert [w for b in batches for w in b.omega_eV] == pytest.approx(omega)


def test_existing_limits_as_lightest_mass_bounds():
    no = backend.Hypothesis("NO", 0.01, "dirac", "nufit-6.0")
    io = backend.Hypothesis("IO", 0.01, "dirac", "nufit-6.0")
    lim_no = {(x.record_id, x.quantity): x for x in backend.lightest_mass_limits(no)}
    lim_io = {(x.record_id, x.quantity): x for x in backend.lightest_mass_limits(io)}
    sums = [k for k, x in lim_no.items() if x.quantity == "sum_mnu" and x.bound_eV == 0.12]
    assert sums  # Planck 2018-class bound Sum m < 0.12 eV
    # NO: m1 = 0.030 eV gives Sum m = 0.120 eV (m2 ~ 0.031, m3 ~ 0.058; [physics §3.1] inputs).
    assert lim_no[sums[0]].m_lightest_eV == pytest.approx(0.030, abs=0.001)
    # IO needs Sum m >= ~0.099 eV: a 0.072 eV bound excludes it outright, not NO.
    tight = [k for k, x in lim_io.items() if x.quantity == "sum_mnu" and x.bound_eV < 0.09]
    assert tight and all(lim_io[k].m_lightest_eV is None for k in tight)
    assert all(lim_no[k].m_lightest_eV is not None for k in tight if lim_no[k].bound_eV > 0.06)


def test_campaign_naming_a_hardware_file_opens(tmp_path):
    """A campaign may name a hardware TOML file (relative to its folder), as the library allows.

    The planner shows that file's knobs; a bad hardware file is reported with its own name.
    """
    from renpsim._resources import preset_dir

    hw_text = (preset_dir("hardware") / "gp21-benchmark.toml").read_text(encoding="utf-8")
    (tmp_path / "setups").mkdir()
    hw = tmp_path / "setups" / "my-setup.toml"
    assert "length_m = 0.1 " in hw_text
    hw.write_text(hw_text.replace("length_m = 0.1 ", "length_m = 0.05 "), encoding="utf-8")
    camp = tmp_path / "camp.toml"
    camp.write_text(GP21_TOML.replace('hardware = "gp21-benchmark"',
                                      'hardware = "setups/my-setup.toml"'), encoding="utf-8")
    c = Campaign.load(camp)
    assert c.get("target.length_m") == 0.05
    assert c.hardware_name == "setups/my-setup.toml"
    hw.write_text(hw_text.replace("length_m = 0.1 ", "length_m = -1.0 "), encoding="utf-8")
    with pytest.raises(InputError, match=r"my-setup\.toml: target\.length_m = -1"):
        Campaign.load(camp)


def test_bsm_reach_of_a_majorana_campaign_reports_transition_moments(gp21_file):
    """Diagonal Majorana moments vanish ([physics §4.3]): the reach names mu12 and eps12."""
    from dataclasses import replace

    from renpsim.stats.sensitivity import dipole_limits

    c = Campaign.load(gp21_file)
    h = replace(c.hypothesis(), nature="majorana")
    omega, dwell = [s.omega_eV for s in c.steps], [s.dwell_s for s in c.steps]
    res = backend.bsm_reach(c.target, c.hardware_sections(), h, omega, dwell, 3.84, 1,
                            masses_eV=(1.0,))
    assert res["dipole_names"] == ("mu12", "eps12")
    setup = backend._experiment(c.hardware_sections(), h, omega, dwell).asimov_setup()
    assert setup.nature == "majorana"
    ref = dipole_limits(setup, 3.84, ("mu12",))
    assert res["dipole"]["mu12"] == pytest.approx(ref["mu12"], rel=1e-9)
    assert "|mu12| <" in backend.describe_bsm_reach(res)
