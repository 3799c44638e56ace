"""The Maxwell-Bloch eta model in hardware files, lookup tables, the DAQ and `renpsim coherence`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from renpsim._executor import Executor
from renpsim.cli.main import main
from renpsim.errors import InputError
from renpsim.hardware import hardware_from_dict, load_hardware
from renpsim.hardware.coherence import Grid, solve
from renpsim.hardware.coherence import table as table_mod
from renpsim.hardware.coherence.from_hardware import mb_parameters, solve_hardware
from renpsim.hardware.coherence.table import TableRequest, build_table

MB = {"coherence.eta_model": "maxwell-bloch", "maxwell_bloch.n_cells": 24}


def _yb_mb(**extra):
    return load_hardware("yb-vapour", overrides={**MB, **extra})


def _small_request(axes=()):
    hw = _yb_mb()
    base = mb_parameters(hw)
    return TableRequest(base=base, grid=Grid(n_cells=12), gate_s=hw.gate, axes=axes)


def test_hardware_exposure_and_psr_come_from_the_solution():
    hw = _yb_mb()
    sol = solve_hardware(hw)
    assert hw.exposure_per_shot_s() == sol.exposure_s > 0
    assert hw.psr_photons_per_shot() == max(0.0, sol.psr_photons)
    # the PSR line of the DAQ is the phase matching of the pair, 1 at E_eg/2, falling away
    # (tests/test_coherence_phase_matching.py); the computed McQ2 spectrum peaks at the carrier
    assert float(hw.psr_profile(hw.E_eg_eV / 2.0)) == 1.0
    assert float(hw.psr_profile(hw.E_eg_eV / 2.0 - 1e-3)) < 1e-3
    assert float(sol.psr_line_at(0.0)) == pytest.approx(1.0, abs=1e-3)


def test_solver_inputs_from_the_hardware_tables():
    hw = _yb_mb(**{"maxwell_bloch.detuning_Hz": 3e6, "lasers.pulse_energy_prime_J": 4e-3})
    p = mb_parameters(hw)
    assert p.density_m3 == pytest.approx(hw.target.density_cm3 * 1e6)
    assert p.pulses[0].energy_J == hw.lasers.pulse_energy_J
    assert p.pulses[1].energy_J == 4e-3
    assert p.pulses[0].photon_eV + p.pulses[1].photon_eV == pytest.approx(hw.E_eg_eV)
    assert p.detuning_Hz == 3e6 and p.T2_s == hw.coherence.T2_s
    assert p.area_m2 == pytest.approx(np.pi * hw.lasers.waist_m**2 / 2)


def test_bad_maxwell_bloch_values_name_the_key():
    with pytest.raises(InputError, match=r"maxwell_bloch\.pump1_eV"):
        _yb_mb(**{"maxwell_bloch.pump1_eV": 3.0})
    with pytest.raises(InputError, match=r"maxwell_bloch\.n_cells"):
        _yb_mb(**{"maxwell_bloch.n_cells": 2})
    with pytest.raises(InputError, match=r"maxwell_bloch\.pump1_eV"):
        _yb_mb(**{"maxwell_bloch.scheme": "raman"})


def test_para_h2_is_a_coherence_only_medium():
    hw = load_hardware("para-h2-span")
    assert hw.E_eg_eV == pytest.approx(0.5159)
    with pytest.raises(InputError, match=r"target\.species"):
        _ = hw.atomic
    d = hw.to_dict()
    d["coherence"]["eta_model"] = "level1"
    with pytest.raises(InputError, match=r"coherence\.eta_model"):
        hardware_from_dict(d, "test")
    d["coherence"]["eta_model"] = "maxwell-bloch"
    del d["target"]["E_eg_eV"]
    with pytest.raises(InputError, match=r"target\.E_eg_eV"):
        hardware_from_dict(d, "test")


def test_maxwell_bloch_table_only_written_for_that_model():
    assert "maxwell_bloch" not in load_hardware("yb-vapour").to_dict()
    hw = _yb_mb()
    d = hw.to_dict()
    assert d["maxwell_bloch"]["n_cells"] == 24
    again = hardware_from_dict(d, "round-trip")
    assert again.maxwell_bloch == hw.maxwell_bloch and again.coherence == hw.coherence


def test_table_is_the_same_for_every_executor_and_is_cached(tmp_path, monkeypatch):
    axes = (("pump1_energy_J", (5e-3, 1e-2)), ("T2_s", (5e-9, 1e-8, 2e-8)))
    req = _small_request(axes)
    monkeypatch.setattr(table_mod, "_MEMORY", {})
    serial = build_table(req, cache_dir=tmp_path)
    files = list(tmp_path.glob("coherence-*.npz"))
    assert len(files) == 1 and req.key()[:32] in files[0].name
    monkeypatch.setattr(table_mod, "_MEMORY", {})
    with Executor("processes", workers=2) as ex:
        par = build_table(req, executor=ex)
    for q in table_mod.QUANTITIES:
        np.testing.assert_array_equal(serial.values[q], par.values[q])
    monkeypatch.setattr(table_mod, "_MEMORY", {})
    again = build_table(req, cache_dir=tmp_path)           # read back from the file
    np.testing.assert_array_equal(again.values["exposure_s"], serial.values["exposure_s"])
    # each point is the solver at that point
    p = table_mod.vary(table_mod.vary(req.base, "pump1_energy_J", 1e-2), "T2_s", 5e-9)
    direct = solve(p, req.grid, gate_s=req.gate_s)
    assert serial.values["exposure_s"][1, 0] == direct.exposure_s
    # a changed input is a different table
    other = TableRequest(req.base, Grid(n_cells=14), req.gate_s, axes)
    assert other.key() != req.key()


def test_table_interpolation_reproduces_the_nodes_and_is_log_log():
    axes = (("pump1_energy_J", (4e-3, 1.6e-2)),)
    req = _small_request(axes)
    tab = build_table(req)
    v = tab.values["exposure_s"]
    assert float(tab("exposure_s", pump1_energy_J=4e-3)) == pytest.approx(v[0], rel=1e-12)
    mid = float(tab("exposure_s", pump1_energy_J=8e-3))          # geometric midpoint
    assert v[0] > 0 and v[1] > 0 and v[0] != pytest.approx(v[1], rel=1e-3)
    assert mid == pytest.approx(math.sqrt(v[0] * v[1]), rel=1e-12)  # log-log for positives
    with pytest.raises(InputError, match="quantity"):
        tab("nonsense")


def test_energy_factor_table_is_one_at_the_nominal_energies():
    hw = _yb_mb(**{"maxwell_bloch.table_points": 3, "maxwell_bloch.n_cells": 12})
    f = hw.coherence_energy_factor(np.array([[1.0, 1.0], [1.2, 1.0], [0.8, 0.8]]))
    assert f[0] == pytest.approx(1.0, rel=1e-12)
    assert f[1] > 1.0 > f[2]                 # more pump energy, more coherence here


def test_daq_runs_with_the_maxwell_bloch_model(tmp_path):
    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts, simulate
    from renpsim.runfile import validate_run

    camp = load_campaign("yb-threshold-scan", overrides={
        "scan.shots_per_step": 50, "hardware.coherence.eta_model": "maxwell-bloch",
        "hardware.maxwell_bloch.n_cells": 24})
    hw = camp.hardware
    e = expected_counts(camp)
    tau = hw.exposure_per_shot_s()
    np.testing.assert_allclose(e["exposure_s"], e["n_shots"] * tau, rtol=1e-12)
    # PSR: yield per shot x T x eps_sep x eps_det x line, from the same solution
    w = e["omega_eV"].to_numpy()
    from renpsim.daq import step_model

    m = step_model(camp)
    expect = (hw.psr_photons_per_shot() * hw.waveguide.signal_transmission(w)
              * hw.backgrounds.signal_sep_eff * hw.detector.detection_prob
              * hw.psr_profile(w + m.drift_eV) * e["n_shots"].to_numpy())
    np.testing.assert_allclose(e["psr"], expect, rtol=1e-10)
    path = tmp_path / "mb.h5"
    simulate(camp, path, level="events", seed=3)
    validate_run(path)


def test_cli_coherence_text_json_plot_and_errors(tmp_path, capsys):
    hw_file = tmp_path / "hw.toml"
    hw_file.write_text('name = "t"\n[coherence]\neta_model = "maxwell-bloch"\nrho_ge0 = 0.1\n'
                       "[maxwell_bloch]\nn_cells = 12\n")
    with pytest.raises(SystemExit) as ex:
        main(["coherence", str(hw_file)])
    assert ex.value.code == 0
    out = capsys.readouterr().out
    assert "exposure per shot" in out and "PSR (McQ2) yield" in out
    with pytest.raises(SystemExit) as ex:
        main(["coherence", str(hw_file), "--json", "--plot", str(tmp_path / "c.png")])
    assert ex.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_cells"] == 12 and doc["exposure_per_shot_s"] > 0
    # yb-vapour-like 10 cm cell, n = 1: pi hbar c / L
    assert doc["psr_phase_matching_first_zero_eV"] == pytest.approx(
        math.pi * 1.973269804e-7 / load_hardware("yb-vapour").target.length_m, rel=1e-9)
    assert (tmp_path / "c.png").stat().st_size > 1000
    for args, what in (([str(tmp_path / "c.txt")], "--plot"),
                       ([str(hw_file)], "--plot"),
                       ([str(tmp_path)], "--plot")):
        with pytest.raises(SystemExit) as ex:
            main(["coherence", str(hw_file), "--plot", *args])
        assert ex.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and what in err
    assert hw_file.read_text().startswith('name = "t"')        # the input is never overwritten


# ---------------------------------------------------------------- lattice axes of the table
#: Node spacings of the tests: 0.05 dex (a factor 1.122) and 20 MHz. Measured interpolation
#: error of the yb-vapour table (24 cells) at the worst point between two nodes: exposure
#: 6e-4 (T2), 2e-5 (detuning, length), 4e-8 (density); PSR yield 6e-4 (T2), 3e-5 (length),
#: 2e-8 (density); docs/coherence.md section 8. Asserted: 2e-3.
LATTICE = {"maxwell_bloch.table_density_step_dex": 0.05, "maxwell_bloch.table_T2_step_dex": 0.05,
           "maxwell_bloch.table_length_step_dex": 0.05,
           "maxwell_bloch.table_detuning_step_Hz": 2e7}
INTERP_TOL = 2e-3


def test_lattice_table_is_the_same_while_the_value_stays_between_two_nodes():
    from renpsim.hardware.coherence.from_hardware import hardware_request, lattice_nodes

    assert lattice_nodes(8.0e20, 0.05, True) == pytest.approx((10**20.9, 10**20.95), rel=1e-12)
    assert lattice_nodes(2.5e6, 1e6, False) == (2e6, 3e6)
    assert lattice_nodes(-2.5e6, 1e6, False) == (-3e6, -2e6)
    a = hardware_request(_yb_mb(**LATTICE, **{"target.density_cm3": 8.0e14}))
    b = hardware_request(_yb_mb(**LATTICE, **{"target.density_cm3": 8.8e14}))
    c = hardware_request(_yb_mb(**LATTICE, **{"target.density_cm3": 9.0e14}))
    assert a.key() == b.key() != c.key()
    assert [n for n, _ in a.axes] == ["detuning_Hz", "density_m3", "length_m", "T2_s"]
    # no step: no axis, one solution at the configured point (as before)
    assert hardware_request(_yb_mb()).axes == ()
    # the front ends' solution is at the configured value, not at a node
    hw = _yb_mb(**LATTICE, **{"target.density_cm3": 8.8e14, "maxwell_bloch.n_cells": 12})
    direct = solve(mb_parameters(hw), Grid(n_cells=12), gate_s=hw.gate)
    assert solve_hardware(hw).psr_photons == direct.psr_photons
    assert mb_parameters(hw).density_m3 == 8.8e20


@pytest.mark.parametrize("key, v1, v2", [("target.density_cm3", 8.0e14, 8.8e14),
                                         ("coherence.T2_s", 9.0e-9, 9.9e-9),
                                         ("target.length_m", 0.09, 0.11),
                                         ("maxwell_bloch.detuning_Hz", 2.2e7, 3.8e7)])
def test_daq_counts_follow_every_table_axis_like_the_direct_solver(key, v1, v2):
    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts, step_model

    def run(v):
        over = {f"hardware.{k}": x for k, x in {**MB, **LATTICE, key: v}.items()}
        camp = load_campaign("yb-threshold-scan", overrides={"scan.shots_per_step": 50,
                                                            **over})
        hw = camp.hardware
        direct = solve(mb_parameters(hw), Grid(n_cells=hw.maxwell_bloch.n_cells,
                                               cfl=hw.maxwell_bloch.cfl), gate_s=hw.gate)
        return expected_counts(camp), direct, step_model(camp)

    (e1, d1, m1), (e2, d2, _) = run(v1), run(v2)
    # the exposure and the PSR counts move as the direct solutions at the two values do
    got_tau = e2["exposure_s"].to_numpy() / e1["exposure_s"].to_numpy()
    got_psr = e2["psr"].to_numpy() / e1["psr"].to_numpy()
    want_tau = d2.exposure_s / d1.exposure_s
    want_psr = d2.psr_photons / d1.psr_photons
    if key == "target.length_m":   # the phase-matching factor of each step moves with L
        from renpsim.hardware.coherence.phase_matching import phase_matching_factor

        w = m1.omega_eV + m1.drift_eV          # where the DAQ evaluates the line
        E = load_hardware("yb-vapour").E_eg_eV
        want_psr = want_psr * (phase_matching_factor(w, E / 2, v2)
                               / phase_matching_factor(w, E / 2, v1))
    np.testing.assert_allclose(got_tau, want_tau, rtol=INTERP_TOL)
    np.testing.assert_allclose(got_psr, want_psr, rtol=INTERP_TOL)
    # and the move is resolved: larger than the tolerance for at least one of them
    assert max(abs(want_tau - 1.0), abs(d2.psr_photons / d1.psr_photons - 1.0)) > 10 * INTERP_TOL


def test_energy_factor_table_looks_up_the_other_axes_at_the_configured_point():
    hw = _yb_mb(**{"maxwell_bloch.table_points": 3, "maxwell_bloch.n_cells": 12,
                   "maxwell_bloch.table_T2_step_dex": 0.05, "coherence.T2_s": 9.5e-9})
    f = hw.coherence_energy_factor(np.array([[1.0, 1.0], [1.3, 1.3]]))
    assert f[0] == pytest.approx(1.0, rel=1e-12)
    p = mb_parameters(hw)
    import dataclasses

    hi = dataclasses.replace(p, pulses=(dataclasses.replace(p.pulses[0],
                                                            energy_J=1.3 * p.pulses[0].energy_J),
                                        dataclasses.replace(p.pulses[1],
                                                            energy_J=1.3 * p.pulses[1].energy_J),
                                        *p.pulses[2:]))
    g = Grid(n_cells=12, cfl=hw.maxwell_bloch.cfl)
    want = solve(hi, g, gate_s=hw.gate).exposure_s / solve(p, g, gate_s=hw.gate).exposure_s
    assert f[1] == pytest.approx(want, rel=INTERP_TOL)
    assert hw.exposure_per_shot_s() == pytest.approx(solve(p, g, gate_s=hw.gate).exposure_s,
                                                     rel=INTERP_TOL)
