"""Run files: import of real counts tables, and the CLI entry points."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest
from runfile_helpers import write_run

from renpsim.cli.main import main
from renpsim.errors import InputError
from renpsim.runfile import import_counts, open_run, validate_run

META = textwrap.dedent("""
    [run]
    run_id = "YB-2025-000123"
    experiment = "Yb-reference"
    run_start = "2025-06-01T12:00:00+00:00"

    [target]
    species = "Yb"
    isotope = 174
    E_eg_eV = 2.1435
    E_eg_unc_eV = 6e-6
    phase = "vapour"
    number_density_m3 = 8.9e20
    length_m = 0.1
    area_m2 = 1e-4

    [[lasers]]
    role = "omega"
    nominal_wavelength_m = 1.157e-6

    [[lasers]]
    role = "omega_prime"
    nominal_wavelength_m = 1.157e-6

    [[detectors]]
    type = "SNSPD"
    efficiency = 0.8
    efficiency_unc = 0.02
    dark_rate_Hz = 100.0
    dead_time_s = 5e-8
    dead_time_model = "nonparalyzable"

    [daq]
    mode = "counts"
    time_unit_s = 1e-12

    [coherence]
    eta_model = "constant"
    eta0 = 1e-2

    [calibration]
    frequency = { offset_Hz = 0.0, offset_unc_Hz = 2e7, reference = "wavemeter" }

    [[calibration.dark]]
    channel = 0
    counts = 360
    live_time_s = 3600.0

    [[calibration.detector_efficiency]]
    channel = 0
    wavelength_m = [1.157e-6]
    efficiency = [0.8]
    efficiency_unc = [0.02]
    method = "attenuated laser"
    date_utc_ns = 0
    reference = "NIST-traceable power meter"
""")

CSV = "omega_eV,dwell_s,counts,n_shots\n1.0688,66240,8,662400\n1.0699,66240,6,662400\n" \
      "1.0711,66240.5,5,662405\n"


@pytest.fixture
def files(tmp_path):
    meta = tmp_path / "meta.toml"
    meta.write_text(META)
    csv = tmp_path / "counts.csv"
    csv.write_text(CSV)
    return csv, meta


def test_import_roundtrip(files, tmp_path):
    csv, meta = files
    out = import_counts(csv, meta, tmp_path / "RUN.h5")
    validate_run(out)
    rf = open_run(out)
    assert rf.identity["file_kind"] == "real" and rf.identity["random_seed"] == -1
    assert rf.identity["run_start_iso"] == "2025-06-01T12:00:00.000000000+00:00"
    np.testing.assert_array_equal(rf.steps["counts"], [8, 6, 5])
    np.testing.assert_array_equal(rf.steps["omega_eV"], [1.0688, 1.0699, 1.0711])
    np.testing.assert_allclose(rf.steps["omega_prime_eV"], 2.1435 - np.array(
        [1.0688, 1.0699, 1.0711]), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(rf.steps["live_s"], [66240, 66240, 66240.5])
    assert rf.scan["t_stop_utc_ns"].iloc[-1] - rf.scan["t_start_utc_ns"].iloc[0] == \
        int(66240 * 2e9 + 66240.5e9)
    assert rf.calibration.dark[0].counts == 360
    assert not rf.has_truth
    # Same content from a DataFrame.
    out2 = import_counts(pd.read_csv(csv), meta, tmp_path / "RUN2.h5")
    np.testing.assert_array_equal(open_run(out2).steps["counts"], [8, 6, 5])


@pytest.mark.parametrize(("csv", "key", "value"), [
    ("omega_eV,dwell_s\n1.0,1\n", "column counts", None),
    ("omega_eV,dwell_s,counts\n1.0,1,3\n1.0,-5,2\n", "row 3, column dwell_s", "-5"),
    ("omega_eV,dwell_s,counts\n1.0,1,3\n1.0,5,\n", "row 3, column counts", "nan"),
    ("omega_eV,dwell_s,counts\n1.0,1,three\n", "row 2, column counts", "three"),
    ("omega_eV,dwell_s,counts\n1.0,1,2.5\n", "row 2, column counts", "2.5"),
    ("omega_eV,dwell_s,counts,colour\n1.0,1,2,red\n", "column colour", None),
    ("omega_eV,dwell,counts\n1.0,1,2\n", "column dwell", None),
])
def test_bad_csv(files, tmp_path, csv, key, value):
    _, meta = files
    bad = tmp_path / "bad.csv"
    bad.write_text(csv)
    with pytest.raises(InputError) as e:
        import_counts(bad, meta, tmp_path / "out.h5")
    msg = str(e.value)
    assert msg.startswith(str(bad)) and key in msg
    if value is not None:
        assert value in msg
    assert not (tmp_path / "out.h5").exists()


@pytest.mark.parametrize(("edit", "key"), [
    (lambda t: t.replace('species = "Yb"\n', ""), "species"),
    (lambda t: t.replace("[daq]", "[daq]\ncolour = 1"), "colour"),
    (lambda t: t.replace('dead_time_model = "nonparalyzable"', 'dead_time_model = "slow"'),
     "dead_time_model"),
    (lambda t: t.replace("[[calibration.dark]]\nchannel = 0\ncounts = 360\n"
                         "live_time_s = 3600.0\n", ""), "calibration.dark"),
    (lambda t: t.replace("[run]", "[runn]"), "runn"),
    (lambda t: t + "\n[[[broken", "-"),
])
def test_bad_metadata(files, tmp_path, edit, key):
    csv, meta = files
    meta.write_text(edit(META))
    with pytest.raises(InputError) as e:
        import_counts(csv, meta, tmp_path / "out.h5")
    assert str(e.value).startswith(str(meta)) and key in str(e.value)


def test_cli(files, tmp_path, capsys):
    csv, meta = files
    out = tmp_path / "RUN.h5"
    with pytest.raises(SystemExit) as e:
        main(["import", str(csv), "--metadata", str(meta), "-o", str(out)])
    assert e.value.code == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["inspect", str(out), "--json"])
    assert e.value.code == 0
    s = json.loads(capsys.readouterr().out)
    assert s["total_counts"] == 19
    assert [r["counts"] for r in s["steps"]] == [8, 6, 5]
    assert s["steps"][0]["omega_eV"] == 1.0688 and s["steps"][2]["dwell_s"] == 66240.5
    with pytest.raises(SystemExit) as e:
        main(["inspect", str(out)])
    assert e.value.code == 0 and "YB-2025-000123" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["validate", str(out)])
    assert e.value.code == 0
    syn = write_run(tmp_path / "SYN.h5", 3)
    blind = tmp_path / "BLIND.h5"
    with pytest.raises(SystemExit) as e:
        main(["strip-truth", str(syn), "-o", str(blind)])
    assert e.value.code == 0 and not open_run(blind).has_truth
    capsys.readouterr()
    garbage = tmp_path / "g.h5"
    garbage.write_bytes(b"\x00" * 1000)
    for argv in (["validate", str(garbage)], ["inspect", str(garbage), "--json"],
                 ["strip-truth", str(garbage), "-o", str(tmp_path / "x.h5")],
                 ["import", str(garbage), "--metadata", str(meta), "-o", str(tmp_path / "y.h5")]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(garbage) in err and "Traceback" not in err


def test_documented_metadata_example_imports(tmp_path):
    from renpsim.runfile.schema import DOC_PATH

    guide = DOC_PATH.with_name("runfile.md").read_text(encoding="utf-8")
    toml_text = guide.split("```toml\n", 1)[1].split("```", 1)[0]
    meta = tmp_path / "meta.toml"
    meta.write_text(toml_text)
    csv = tmp_path / "counts.csv"
    csv.write_text("omega_eV;dwell_s;counts\n1.0688;10;1\n1.0699;10;0\n")   # semicolons
    out = import_counts(csv, meta, tmp_path / "RUN.h5")
    assert open_run(out).steps["counts"].tolist() == [1, 0]


# -- import -> validate -> fit for the documented minimal table and each optional column ----

_MIN = {"omega_eV": [1.0688, 1.0699, 1.0711, 1.0716], "dwell_s": [66240.0, 66240.0, 66240.5,
                                                                   66240.0],
        "counts": [8, 6, 5, 3]}
_OPTIONAL = {
    "omega_prime_eV": [2.1435 - w for w in _MIN["omega_eV"]],
    "n_shots": [662400, 662400, 662405, 662400],
    "live_s": [60000.0, 60000.0, 60000.5, 60000.0],
    "counts_background": [1, 0, 2, 1],
    "t_start_utc_ns": [1748779200 * 10**9 + k * 66241 * 10**9 for k in range(4)],
    "t_stop_utc_ns": [1748779200 * 10**9 + k * 66241 * 10**9 + 66240 * 10**9 for k in range(4)],
    "exposure_s": [1.5e-3, 1.5e-3, 1.6e-3, 1.5e-3],
    "flags": [0, 0, 1, 0],
    "target_temperature_K": [800.0, 801.0, 799.5, 800.0],
}


def _documented_meta(tmp_path):
    from renpsim.runfile.schema import DOC_PATH

    guide = DOC_PATH.with_name("runfile.md").read_text(encoding="utf-8")
    meta = tmp_path / "meta.toml"
    meta.write_text(guide.split("```toml\n", 1)[1].split("```", 1)[0])
    return meta


@pytest.mark.parametrize("extra", [None, *_OPTIONAL])
def test_documented_table_imports_validates_and_fits(tmp_path, capsys, extra):
    import h5py

    cols = dict(_MIN)
    if extra is not None:
        cols[extra] = _OPTIONAL[extra]
        if extra == "t_start_utc_ns":
            cols["t_stop_utc_ns"] = _OPTIONAL["t_stop_utc_ns"]
    csv = tmp_path / "counts.csv"
    pd.DataFrame(cols).to_csv(csv, index=False)
    out = tmp_path / "RUN.h5"
    for argv in (["import", str(csv), "--metadata", str(_documented_meta(tmp_path)),
                  "-o", str(out)], ["validate", str(out)],
                 ["fit", str(out), "--json", "--no-profile-scan"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0, (argv[0], capsys.readouterr().err)
    text = capsys.readouterr().out
    fit = json.loads(text[text.index("{"):])
    assert np.isfinite(fit["parameters"]["norm"]["value"])
    with h5py.File(out, "r") as f:
        expo = f["scan/coherent_exposure_s"][()]
        dwell = f["scan/dwell_s"][()]
        derived = f["provenance"].attrs.get("derived", "")
    assert np.isfinite(expo).all() and (expo > 0).all()
    np.testing.assert_array_equal(dwell, cols["dwell_s"])
    if extra == "exposure_s":
        np.testing.assert_array_equal(expo, cols["exposure_s"])
        assert "coherent_exposure_s" not in derived
    else:
        # [coherence] of the guide: constant model, eta0 = 1 (GP21), gate always open
        np.testing.assert_allclose(expo, np.asarray(cols["dwell_s"]), rtol=1e-15)
        assert "coherent_exposure_s derived" in derived and "eta0=1" in derived



def test_exposure_refused_without_model_or_with_empty_cells(files, tmp_path):
    csv, meta = files
    text = meta.read_text().replace('[coherence]\neta_model = "constant"\neta0 = 1e-2\n', "")
    assert "[coherence]" not in text
    meta.write_text(text)
    with pytest.raises(InputError, match=r"column exposure_s.*coherence"):
        import_counts(csv, meta, tmp_path / "a.h5")
    csv.write_text("omega_eV,dwell_s,counts,exposure_s\n1.0688,10,1,1e-7\n1.0699,10,0,\n")
    with pytest.raises(InputError, match="row 3, column exposure_s"):
        import_counts(csv, meta, tmp_path / "b.h5")
    assert not list(tmp_path.glob("*.h5"))


def test_level1_exposure_matches_direct_integration(files, tmp_path):
    """shots x integral of eta(t) over the gate, integrated numerically (scipy quad)."""
    import h5py
    from scipy.integrate import quad

    csv, meta = files
    text = meta.read_text().replace(
        '[coherence]\neta_model = "constant"\neta0 = 1e-2\n',
        '[coherence]\neta_model = "level1"\neta0 = 2e-2\nrho_ge0 = 0.3\nT1_s = 1e-6\n'
        'T2_s = 2e-8\n').replace('role = "omega"\n', 'role = "omega"\nrep_rate_Hz = 10.0\n'
                                 'pulse_fwhm_s = 5e-9\n')
    text = text.replace('dead_time_model = "nonparalyzable"\n',
                        'dead_time_model = "nonparalyzable"\ngate_offset_s = -1e-8\n'
                        'gate_width_s = 5e-8\n')
    meta.write_text(text)
    out = import_counts(csv, meta, tmp_path / "RUN.h5")
    sigma = 5e-9 / (2 * np.sqrt(2 * np.log(2)))

    def eta(t):   # [hardware §5.1] level 1: peak x Gaussian trigger x T2 and T1 decays, t >= 0
        return 2e-2 * 4 * 0.3**2 * np.exp(-0.5 * (t / sigma) ** 2 - 2 * t / 2e-8 - t / 1e-6)

    per_shot = quad(eta, 0.0, 4e-8, epsabs=0, epsrel=1e-12, points=[sigma, 2e-8])[0]
    with h5py.File(out, "r") as f:
        expo = f["scan/coherent_exposure_s"][()]
        assert "n_shots" in f["provenance"].attrs["derived"]
    np.testing.assert_allclose(expo, np.array([662400, 662400, 662405]) * per_shot, rtol=1e-9)


def test_level1_exposure_needs_a_gate_or_a_rate(files, tmp_path):
    csv, meta = files
    meta.write_text(meta.read_text().replace('eta_model = "constant"', 'eta_model = "level1"'))
    with pytest.raises(InputError, match=r"detectors\[0\]\.gate_width_s"):
        import_counts(csv, meta, tmp_path / "a.h5")
