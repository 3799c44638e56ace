"""Run files: round trip, required items, strip-truth, determinism, versions, bad files."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
from runfile_helpers import T0, calibration, identity, small_config, step_rows, write_run

from renpsim.errors import InputError, RenpsimError, RunFileError
from renpsim.runfile import (
    RunWriter,
    load_schema,
    open_run,
    render_markdown,
    strip_truth,
    validate_run,
)
from renpsim.runfile.schema import DOC_PATH


@pytest.fixture
def run(tmp_path):
    return write_run(tmp_path / "RUN.h5", n_steps=7, shots=2500, events=1200)


def _all_items(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__("/" + n, o.__class__.__name__))
    return out


def test_roundtrip_values_and_scan_alone(run):
    rows = step_rows(7)
    rf = open_run(run)
    assert rf.identity["schema_version"] == "1.3.0"
    assert rf.identity["seed_entropy"] == "7" and rf.identity["random_seed"] == 7
    assert rf.identity["complete"] is True
    np.testing.assert_array_equal(rf.steps["omega_eV"], rows["omega_eV"])
    np.testing.assert_array_equal(rf.steps["counts"], rows["counts_signal"].sum(axis=1))
    np.testing.assert_array_equal(rf.scan["counts_signal_1"], rows["counts_signal"][:, 1])
    assert rf.total_counts == int(rows["counts_signal"].sum())
    assert rf.config == {"campaign": {"name": "test", "steps": 3},
                         "hardware": {"preset": "yb-vapour"}}
    assert rf.calibration.dark[1].counts == 12 and rf.calibration.dark[1].live_time_s == 100.0
    assert rf.hardware["detectors"][1]["channel"] == 1
    # /scan alone reproduces the step counts.
    with h5py.File(run, "r") as f:
        np.testing.assert_array_equal(f["scan/counts_signal"][()], rows["counts_signal"])
        np.testing.assert_array_equal(f["scan/set_photon_energy_eV"][()], rows["omega_eV"])
        assert f["scan"].attrs["NX_class"] == "NXdata"
        assert f["scan"].attrs["signal"] == "counts_signal"
        assert list(f["scan"].attrs["axes"]) == ["set_photon_energy_eV", "."]
        assert int(f["quality/n_steps_committed"][()]) == 7
    shots = np.concatenate([b["shot_id"].to_numpy() for b in rf.iter_shots(block_rows=1000)])
    np.testing.assert_array_equal(shots, np.arange(2500))
    ev = next(rf.iter_events())
    assert len(ev) == 1200


def test_every_dataset_has_units_and_description(run):
    with h5py.File(run, "r") as f:
        dsets = []
        f.visititems(lambda n, o: dsets.append(o) if isinstance(o, h5py.Dataset) else None)
        assert len(dsets) > 50
        for ds in dsets:
            assert "units" in ds.attrs, ds.name
            assert ds.attrs["description"], ds.name
            assert ds.attrs["TITLE"] == ds.attrs["description"]


def test_every_required_schema_item_present(run):
    schema = load_schema()
    items = _all_items(run)
    with h5py.File(run, "r") as f:
        for a in schema["root_attributes"]:
            if a["required"]:
                assert a["name"] in f.attrs
    for g in schema["groups"]:
        if not g["required"] or "pattern" in g:
            continue
        assert g["path"] in items, g["path"]
        for d in g["datasets"]:
            if d["required"]:
                assert f"{g['path']}/{d['name']}" in items
    for c in range(2):
        assert f"/calibration/dark/det_{c}/counts" in items
        assert f"/config/detector/det_{c}" in items


def test_truth_only_on_request_and_strip(run, tmp_path):
    rf = open_run(run)
    t = rf.truth()
    assert t["params"] == {"Gamma0": 0.002}
    assert set(t["expected_background"]) == {"dark", "leak"}
    out = strip_truth(run, tmp_path / "blind.h5")
    before, after = _all_items(run), _all_items(out)
    removed = {k for k in before if k not in after}
    assert removed and all(k.startswith("/truth") for k in removed)
    assert {k for k in after if k not in before} <= {"/provenance", "/provenance/parent_sha256"}
    with h5py.File(run, "r") as a, h5py.File(out, "r") as b:
        for k, kind in before.items():
            if kind == "Dataset" and not k.startswith("/truth") and k != "/config/config_json":
                assert np.array_equal(a[k][()], b[k][()], equal_nan=a[k].dtype.kind == "f"), k
        assert bool(b.attrs["has_truth"]) is False and bool(a.attrs["has_truth"]) is True
        assert b["provenance"].attrs["truth_stripped"]
        assert len(b["provenance/parent_sha256"][0]) == 64
        assert {k: v for k, v in a.attrs.items() if k != "has_truth"}.keys() == \
            {k for k in b.attrs if k != "has_truth"}
    validate_run(out)
    with pytest.raises(RunFileError, match="/truth"):
        open_run(out).truth()


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, (o.dtype.str, o[()]))
                     if isinstance(o, h5py.Dataset) else None)
    return out


def test_deterministic_and_chunk_independent(tmp_path):
    a = write_run(tmp_path / "a.h5", 9, shots=3000, events=2000)
    b = write_run(tmp_path / "b.h5", 9, shots=3000, events=2000)
    c = write_run(tmp_path / "c.h5", 9, shots=3000, events=2000, chunk_rows=17,
                  buffer_rows=101, step_block=4)
    da, db, dc = _datasets(a), _datasets(b), _datasets(c)
    assert da.keys() == db.keys() == dc.keys()
    for k in da:
        for other in (db, dc):
            assert da[k][0] == other[k][0], k
            x, y = da[k][1], other[k][1]
            if isinstance(x, np.ndarray | np.generic) and x.dtype.kind == "f":
                assert x.tobytes() == y.tobytes(), k      # bit-identical, NaN included
            else:
                assert np.array_equal(x, y), k


def _set_attr(path, name, value, obj="/"):
    with h5py.File(path, "r+") as f:
        f[obj].attrs[name] = value


def test_versions(run, tmp_path):
    p = tmp_path / "v2.h5"
    shutil.copy(run, p)
    _set_attr(p, "schema_version", "2.0.0")
    with pytest.raises(RunFileError, match=r"unknown major version") as e:
        validate_run(p)
    assert str(p) in str(e.value) and "schema_version" in str(e.value)
    _set_attr(p, "schema_version", "1.7.0")
    report = validate_run(p)
    assert any("newer" in n for n in report.notes)
    _set_attr(p, "schema_version", "one")
    with pytest.raises(RunFileError, match=r"MAJOR\.MINOR\.PATCH"):
        open_run(p)


def test_bad_files(tmp_path, run):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5 at all" * 100)
    with pytest.raises(RunFileError, match="not an HDF5 file"):
        validate_run(garbage)
    with pytest.raises(RunFileError, match="no such file"):
        open_run(tmp_path / "missing.h5")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2, 3]
    with pytest.raises(RunFileError, match="foreign"):
        open_run(foreign)
    data = run.read_bytes()
    for cut in (100, len(data) // 3, len(data) - 5000):
        t = tmp_path / f"trunc{cut}.h5"
        t.write_bytes(data[:cut])
        with pytest.raises(RunFileError):
            open_run(t)


@pytest.mark.parametrize(("mutate", "item"), [
    (lambda f: f["scan"].__delitem__("counts_signal"), "/scan/counts_signal"),
    (lambda f: f["scan"].__delitem__("dwell_s"), "/scan/dwell_s"),
    (lambda f: f.__delitem__("calibration/dark"), "/calibration/dark"),
    (lambda f: f["config/target"].attrs.__delitem__("E_eg_eV"), "/config/target@E_eg_eV"),
    (lambda f: f["scan/gate_live_time_s"].attrs.__delitem__("units"),
     "/scan/gate_live_time_s@units"),
    (lambda f: f["scan/dwell_s"].attrs.__setitem__("units", "ms"), "/scan/dwell_s@units"),
    (lambda f: f.attrs.__setitem__("file_kind", "simulated"), "/@file_kind"),
])
def test_schema_violations(tmp_path, run, mutate, item):
    p = tmp_path / "bad.h5"
    shutil.copy(run, p)
    with h5py.File(p, "r+") as f:
        mutate(f)
    with pytest.raises(RunFileError) as e:
        validate_run(p)
    msg = str(e.value)
    assert msg.startswith(str(p)) and item in msg


def _replace(path, name, data):
    with h5py.File(path, "r+") as f:
        attrs = dict(f[name].attrs)
        del f[name]
        f[name] = data
        for k, v in attrs.items():
            f[name].attrs[k] = v


def test_wrong_dtype_nan_and_lengths(tmp_path, run):
    p = tmp_path / "nan.h5"
    shutil.copy(run, p)
    counts = np.ones((7, 2))
    counts[3, 1] = np.nan
    _replace(p, "scan/counts_signal", counts)
    with pytest.raises(RunFileError, match=r"/scan/counts_signal: dtype float64: expected "
                                           r"uint64"):
        validate_run(p)
    p2 = tmp_path / "len.h5"
    shutil.copy(run, p2)
    _replace(p2, "scan/dwell_s", np.ones(6))
    with pytest.raises(RunFileError, match=r"/scan/dwell_s: shape \(6,\)"):
        validate_run(p2)
    p3 = tmp_path / "neg.h5"
    shutil.copy(run, p3)
    live = np.full((7, 2), 1.0)
    live[4, 0] = np.nan
    _replace(p3, "scan/gate_live_time_s", live)
    with pytest.raises(RunFileError, match=r"gate_live_time_s\[4\]: nan: expected finite"):
        validate_run(p3)
    p4 = tmp_path / "time.h5"
    shutil.copy(run, p4)
    _replace(p4, "events/timestamps", np.arange(1200, dtype=np.int64)[::-1].copy())
    with pytest.raises(RunFileError, match=r"/events/timestamps\[1\]"):
        validate_run(p4)
    assert validate_run(p4, deep=False).ok


def test_user_group_ignored_and_extras_noted(tmp_path, run):
    p = tmp_path / "extra.h5"
    shutil.copy(run, p)
    with h5py.File(p, "r+") as f:
        f["user/anything"] = np.array([np.nan])
        f["scan/extra_column"] = np.zeros(7)
    report = validate_run(p)
    assert report.ok
    assert any("/scan/extra_column" in n for n in report.notes)
    assert not any("/user" in n for n in report.notes)


def test_writer_input_errors(tmp_path):
    p = tmp_path / "w.h5"
    rows = step_rows(3)
    w = RunWriter(p, identity(), small_config())
    with pytest.raises(InputError, match="counts_signal"):
        w.append_steps({**rows, "counts_signal": np.full((3, 2), -1)})
    with pytest.raises(InputError, match="dwell_s"):
        w.append_steps({**rows, "dwell_s": np.array([1.0, np.nan, 1.0])})
    with pytest.raises(InputError, match=r"omega_eV|set_photon_energy_eV"):
        w.append_steps({k: v for k, v in rows.items() if k != "omega_eV"})
    with pytest.raises(InputError, match="bogus"):
        w.append_steps({**rows, "bogus": 1})
    w.append_steps(rows)
    w.append_gti(T0, T0 + 1)
    with pytest.raises(RunFileError, match="/calibration/detector_efficiency"):
        w.close()
    assert not p.exists() and not list(tmp_path.iterdir())
    with pytest.raises(InputError, match="E_eg_eV"):
        cfg = small_config()
        RunWriter(p, identity(), type(cfg)(target={**cfg.target, "E_eg_eV": "big"},
                                           lasers=cfg.lasers, detectors=cfg.detectors,
                                           daq=cfg.daq))
    with pytest.raises(InputError, match="truth"):
        from renpsim.runfile import TruthSpec
        RunWriter(p, identity("real", None), small_config(), truth=TruthSpec({}))


def test_seed_required_and_sources_kept(tmp_path):
    with pytest.raises(InputError, match="seed"):
        RunWriter(tmp_path / "s.h5", identity("synthetic", None), small_config())
    cfg = small_config()
    cfg = type(cfg)(target=cfg.target, lasers=cfg.lasers, detectors=cfg.detectors,
                    daq=cfg.daq, campaign_toml="[campaign]\nname = 'x'\n",
                    hardware_toml="[target]\nspecies = 'Yb'\n")
    p = tmp_path / "src.h5"
    with RunWriter(p, identity(), cfg) as w:
        w.append_steps(step_rows(2))
        w.append_gti(T0, T0 + 1)
        calibration(w)
    with h5py.File(p, "r") as f:
        assert f["config/campaign_toml"][()].decode() == "[campaign]\nname = 'x'\n"
        assert f.attrs["default"] == "entry" and f["entry"].attrs["default"] == "scan_counts"
        assert f["scan/n_shots_requested"][()].tolist() == [100, 100]
    assert validate_run(p).ok
    with h5py.File(p, "r+") as f:
        f.attrs["seed_entropy"] = ""
    with pytest.raises(RunFileError, match="seed_entropy"):
        validate_run(p)


def test_split_columns_roundtrip(tmp_path, run):
    """RunFile.scan (2-D datasets split as <name>_<j>) can be written back unchanged."""
    rf = open_run(run)
    p = tmp_path / "copy.h5"
    with RunWriter(p, identity(), small_config()) as w:
        w.append_steps(rf.scan)
        w.append_gti(T0, T0 + 1)
        calibration(w)
    with h5py.File(run, "r") as a, h5py.File(p, "r") as b:
        for k in a["scan"]:
            assert a["scan"][k][()].tobytes() == b["scan"][k][()].tobytes(), k


def test_exception_in_block_keeps_existing_file(tmp_path):
    p = write_run(tmp_path / "keep.h5", 3)
    before = p.read_bytes()
    with pytest.raises(RuntimeError), RunWriter(p, identity(), small_config()) as w:
        w.append_steps(step_rows(2))
        calibration(w)
        raise RuntimeError("DAQ failed")
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["keep.h5"]


def test_runfile_error_is_renpsim_error():
    assert issubclass(RunFileError, RenpsimError)


def test_doc_is_generated_from_schema():
    assert DOC_PATH.read_text(encoding="utf-8") == render_markdown(), \
        "docs/runfile-format.md is stale: run python -m renpsim.runfile --write"
    doc = render_markdown()
    for g in load_schema()["groups"]:
        assert f"`{g['path']}`" in doc
    json.dumps(load_schema())


def test_io_failure_becomes_runfile_error(tmp_path, monkeypatch):
    from renpsim.runfile import writer as wmod

    p = tmp_path / "full.h5"
    w = RunWriter(p, identity(), small_config(), shots=True, buffer_rows=10)

    def disk_full(self, block, m):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wmod._Table, "_write", disk_full)
    with pytest.raises(RunFileError, match="No space left on device"):
        w.append_steps(step_rows(1))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RunFileError, match="aborted"):
        w.append_steps(step_rows(1))
    with pytest.raises(RunFileError, match="aborted"):
        w.close()


def test_writer_checks_order_across_calls(tmp_path):
    w = RunWriter(tmp_path / "o.h5", identity(), small_config(), shots=True, events=True)
    w.append_shots(shot_id=[0, 1, 2], subrun_index=0, t_shot=[0, 5, 9], counts=0)
    with pytest.raises(InputError, match=r"shot_id.*expected increasing"):
        w.append_shots(shot_id=[2, 3], subrun_index=0, t_shot=[10, 11], counts=0)
    with pytest.raises(InputError, match=r"timestamps.*expected non-decreasing"):
        w.append_events(timestamps=[5, 4], channel=0, shot_id=0, dtime=0)
    rows = step_rows(3)
    w.append_steps({k: v[1:2] for k, v in rows.items()}, step=0)
    with pytest.raises(InputError, match="t_start_utc_ns"):
        w.append_steps({k: v[0:1] for k, v in rows.items()}, step=1)
    w.abort()


def test_empty_appends_are_harmless(tmp_path):
    p = tmp_path / "e.h5"
    with RunWriter(p, identity(), small_config(), shots=True, events=True,
                   buffer_rows=4) as w:
        w.append_events(timestamps=np.zeros(0, np.int64), channel=np.zeros(0),
                        shot_id=np.zeros(0), dtime=np.zeros(0))
        w.append_shots(shot_id=[0, 1], subrun_index=0, t_shot=[0, 1], counts=[[0, 1], [1, 0]])
        w.append_shots(shot_id=np.zeros(0), subrun_index=np.zeros(0), t_shot=np.zeros(0),
                       counts=np.zeros((0, 2)))
        w.append_events(timestamps=[3, 4], channel=0, shot_id=1, dtime=[1, 2])
        w.append_steps(step_rows(1))
        w.append_gti(T0, T0 + 1)
        calibration(w)
    rf = open_run(p)
    assert len(next(rf.iter_shots())) == 2 and len(next(rf.iter_events())) == 2


def test_steps_outside_run_window(tmp_path, run):
    p = tmp_path / "win.h5"
    shutil.copy(run, p)
    with h5py.File(p, "r+") as f:
        f.attrs["run_stop_utc_ns"] = np.int64(T0 + 10)
    with pytest.raises(RunFileError, match=r"/scan/t_stop_utc_ns\[0\].*within the run"):
        validate_run(p)


def test_good_time_from_gti_matches_brute_force():
    from renpsim.runfile.reader import good_time_s

    rng = np.random.default_rng(5)
    g0 = np.sort(rng.integers(0, 1000, 30))
    g1 = g0 + rng.integers(0, 80, 30)           # some overlap, some empty
    s0 = rng.integers(-50, 1100, 200)
    s1 = s0 + rng.integers(0, 300, 200)
    grid = np.arange(-100, 1500)
    good = np.zeros(len(grid), bool)
    for a, b in zip(g0, g1, strict=True):
        good |= (grid >= a) & (grid < b)
    brute = np.array([good[(grid >= a) & (grid < b)].sum() for a, b in zip(s0, s1, strict=True)])
    np.testing.assert_allclose(good_time_s(s0, s1, g0, g1), brute * 1e-9, rtol=0, atol=1e-18)


def test_steps_good_time(run):
    rf = open_run(run)
    np.testing.assert_allclose(rf.steps["good_time_s"], 10.0)
