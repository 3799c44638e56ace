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
