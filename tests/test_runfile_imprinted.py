"""Run files record the imprinted pair momentum (schema 1.3.0): writer, reader, validator,
importer and fit use the one photon-range rule with P0 (docs/sterile-and-momentum.md 2)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from test_runfile_import import CSV, META

from renpsim.campaign import load_campaign
from renpsim.daq import simulate
from renpsim.errors import InputError
from renpsim.physics import load_target, neutrino_state, spectral_function
from renpsim.physics.kinematics import photon_endpoint
from renpsim.runfile import import_counts, imprinted_momentum, open_run, validate_run
from renpsim.stats.fit_report import fit_run, load_fit_dataset
from renpsim.stats.model import BinnedLikelihood, ModelSpec

P0, COS = 0.2, 0.5
E_EG = 2.1435                     # META's target.E_eg_eV
# beyond E_eg/2 = 1.07175 eV, below the endpoint (E^2 - P0^2)/[2(E - P0 c)] = 1.11441 eV
BEYOND_HALF = 1.0900
TRIGGER = f"\n[trigger_geometry]\nimprinted_momentum_eV = {P0}\nimprinted_cos = {COS}\n"


def _import(tmp_path, csv_text, meta_text, name="RUN.h5"):
    meta = tmp_path / "meta.toml"
    meta.write_text(meta_text)
    csv = tmp_path / "counts.csv"
    csv.write_text(csv_text)
    return import_counts(csv, meta, tmp_path / name)


def test_campaign_with_momentum_simulates_validates_and_fits_its_truth(tmp_path):
    """P0 != 0 campaign whose steps all lie beyond E_eg/2 (the GP21 points, moved along)."""
    c = load_campaign("gp21-benchmark", overrides={
        "hardware.lasers.imprinted_momentum_eV": P0, "hardware.lasers.imprinted_cos": COS,
        "scan.generator": "explicit", "scan.omega_eV": [1.1115, 1.1126, 1.1138],
        "scan.total_time_s": 2e7})
    assert np.all(c.steps.omega_eV > c.hardware.E_eg_eV / 2)
    path = simulate(c, tmp_path / "p0.h5", seed=11)
    assert validate_run(path, raise_on_error=False).errors == []
    run = open_run(path)
    assert run.imprinted == {"imprinted_momentum_eV": P0, "imprinted_cos": COS}
    with h5py.File(path) as f:
        assert f["config/lasers/imprinted_momentum_eV"].attrs["units"] == "eV"
        assert f["config/lasers/imprinted_cos"].attrs["units"] == "1"
    out = fit_run(path, validate_truth=True, profile_scans=False)
    assert out["valid"]
    assert abs(out["pulls"]["norm"]) < 3 and abs(out["pulls"]["m_lightest_eV"]) < 3


def test_campaign_without_momentum_records_zero(tmp_path):
    c = load_campaign("gp21-benchmark")
    path = simulate(c, tmp_path / "z.h5", seed=1)
    assert imprinted_momentum(path) == {"imprinted_momentum_eV": 0.0, "imprinted_cos": 1.0}


def test_import_with_momentum_accepts_a_step_beyond_half_E_eg(tmp_path):
    csv = CSV + f"{BEYOND_HALF},66240,4,662400\n"
    with pytest.raises(InputError, match=r"row 5, column omega_eV.*E_eg/2 = 1\.07175"):
        _import(tmp_path, csv, META)                     # no momentum: stops at E_eg/2
    out = _import(tmp_path, csv, META + TRIGGER)
    assert validate_run(out, raise_on_error=False).errors == []
    assert open_run(out).imprinted == {"imprinted_momentum_eV": P0, "imprinted_cos": COS}
    summary = open_run(out).summary()           # renpsim inspect --json
    assert (summary["imprinted_momentum_eV"], summary["imprinted_cos"]) == (P0, COS)
    # the fit's spectrum takes the recorded momentum: the step beyond E_eg/2 has signal
    ds, _ = load_fit_dataset(out)
    assert (ds.imprinted_momentum_eV, ds.imprinted_cos) == (P0, COS)
    lik = BinnedLikelihood(ds, ModelSpec(m_lightest_eV=0.01), oscillation_constraints=False)
    spectral = lik.spectral(lik.nominal)
    direct = spectral_function(np.array([BEYOND_HALF]), neutrino_state("NO", 0.01),
                               load_target(ds.target), imprinted_momentum_eV=P0,
                               imprinted_cos=COS)
    assert spectral[-1] == pytest.approx(direct[0], rel=1e-9) and direct[0] > 0
    # ... and still stops at the moved endpoint
    end = float(photon_endpoint(E_EG, P0, COS))
    assert end == pytest.approx(1.11441, abs=1e-6)
    with pytest.raises(InputError, match=r"row 5, column omega_eV.*photon endpoint 1\.11441"):
        _import(tmp_path, CSV + f"{end + 1e-4},66240,4,662400\n", META + TRIGGER, "b.h5")


@pytest.mark.parametrize(("edit", "key"), [
    ("imprinted_momentum_eV = 3.0", "trigger_geometry.imprinted_momentum_eV"),
    ("imprinted_cos = -1.5", "trigger_geometry.imprinted_cos"),
    ("colour = 1.0", "trigger_geometry.colour"),
])
def test_bad_trigger_geometry_names_the_key(tmp_path, edit, key):
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        _import(tmp_path, CSV, META + f"\n[trigger_geometry]\n{edit}\n")


def test_validator_uses_the_recorded_momentum(tmp_path):
    out = _import(tmp_path, CSV + f"{BEYOND_HALF},66240,4,662400\n", META + TRIGGER)
    with h5py.File(out, "r+") as f:          # a record without the momentum: E_eg/2 again
        f["config/lasers/imprinted_momentum_eV"][()] = 0.0
    errs = validate_run(out, raise_on_error=False).errors
    assert len(errs) == 1 and "/scan/set_photon_energy_eV[3]" in errs[0]
    assert "E_eg/2 = 1.07175" in errs[0]
    with h5py.File(out, "r+") as f:
        f["config/lasers/imprinted_momentum_eV"][()] = 2.5   # >= E_eg: not a momentum
    errs = validate_run(out, raise_on_error=False).errors
    assert len(errs) == 1 and "/config/lasers/imprinted_momentum_eV" in errs[0]


def test_file_before_1_3_is_read_without_momentum(tmp_path):
    out = _import(tmp_path, CSV, META + TRIGGER)
    with h5py.File(out, "r+") as f:
        del f["config/lasers/imprinted_momentum_eV"], f["config/lasers/imprinted_cos"]
        f.attrs["schema_version"] = "1.2.0"
    assert validate_run(out, raise_on_error=False).errors == []
    assert imprinted_momentum(out) is None
    assert open_run(out).imprinted == {"imprinted_momentum_eV": 0.0, "imprinted_cos": 1.0}
