"""The Maxwell-Bloch eta model in hardware files, lookup tables, the DAQ and `renpsim coherence`."""

from __future__ import annotations

import json

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
    # the McQ2 line of the DAQ is the computed spectrum at omega - E_eg/2 (peak 1 at E_eg/2)
    assert float(hw.psr_profile(hw.E_eg_eV / 2.0)) == pytest.approx(1.0, abs=1e-3)
    assert float(hw.psr_profile(hw.E_eg_eV / 2.0 - 1e-3)) < 1e-3


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


def test_table_interpolation_reproduces_the_nodes_and_is_log_linear():
    axes = (("pump1_energy_J", (4e-3, 1.6e-2)),)
    req = _small_request(axes)
    tab = build_table(req)
    v = tab.values["exposure_s"]
    assert float(tab("exposure_s", pump1_energy_J=4e-3)) == pytest.approx(v[0], rel=1e-12)
    mid = float(tab("exposure_s", pump1_energy_J=8e-3))          # geometric midpoint
    assert mid == pytest.approx(0.5 * (v[0] + v[1]), rel=1e-12)
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
