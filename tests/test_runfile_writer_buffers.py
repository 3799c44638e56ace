"""RunWriter: bounded write buffer, fill-value rows, commit cadence, event-source truth, the
inter-arrival histogram and schema 1.0 compatibility."""

import shutil

import h5py
import numpy as np
import pytest
from runfile_helpers import T0, calibration, identity, small_config, step_rows, write_run

from renpsim.errors import InputError
from renpsim.runfile import RunWriter, TruthSpec, open_run, validate_run


def _shot_blocks(seed: int = 1):
    """Blocks of shot rows of varied sizes; some columns hold only their fill value in some
    blocks (live_fraction 1, counts_background 0, laser_energy_J omitted = NaN)."""
    rng = np.random.default_rng(seed)
    lo = 0
    out = []
    for k, m in enumerate([3, 1, 9, 4, 0, 13, 2, 7, 30, 5]):
        ids = np.arange(lo, lo + m, dtype=np.uint64)
        b = {"shot_id": ids, "subrun_index": np.zeros(m, np.uint32),
             "t_shot": ids.astype(np.int64) * 1000,
             "counts": rng.poisson(0.3, (m, 2)).astype(np.uint16),
             "live_fraction": (np.ones((m, 2), np.float32) if k % 2 else
                               rng.uniform(0.5, 1, (m, 2)).astype(np.float32)),
             "counts_background": (np.zeros((m, 2), np.uint16) if k % 3 else
                                   rng.poisson(2, (m, 2)).astype(np.uint16))}
        if k % 4 == 1:
            b["laser_energy_J"] = rng.uniform(1e-3, 2e-3, (m, 2)).astype(np.float32)
        out.append(b)
        lo += m
    return out


def _write_shots(path, blocks, **kw):
    w = RunWriter(path, identity(), small_config(), shots=True, **kw)
    w.append_steps(step_rows(1))
    for b in blocks:
        w.append_shots(b)
    w.append_gti(T0, T0 + 10**10)
    calibration(w)
    return w.close()


@pytest.mark.parametrize("buffer_rows,chunk_rows", [(1, 1), (7, 5), (10, 64), (1000, 4)])
def test_shots_read_back_bit_identical_whatever_buffer_and_chunks(tmp_path, buffer_rows,
                                                                   chunk_rows):
    blocks = _shot_blocks()
    path = _write_shots(tmp_path / "s.h5", blocks, buffer_rows=buffer_rows,
                        chunk_rows=chunk_rows)
    n = sum(len(b["shot_id"]) for b in blocks)
    with h5py.File(path) as f:
        g = f["shots"]
        assert g["shot_id"].shape == (n,)
        live = np.concatenate([b["live_fraction"] for b in blocks])
        assert g["live_fraction"][()].tobytes() == live.tobytes()
        bg = np.concatenate([b["counts_background"] for b in blocks])
        assert np.array_equal(g["counts_background"][()], bg)
        e = np.concatenate([b.get("laser_energy_J", np.full((len(b["shot_id"]), 2), np.nan,
                                                            np.float32)) for b in blocks])
        assert g["laser_energy_J"][()].tobytes() == e.tobytes()       # NaN bits included
        assert np.array_equal(g["shot_id"][()], np.arange(n))
        # never-given columns hold their fill value without a single chunk written
        assert np.all(g["flags"][()] == 0) and g["flags"].id.get_storage_size() == 0
        assert np.isnan(g["coherent_exposure_s"][()]).all()
        assert int(f["quality/n_shots_committed"][()]) == n
    assert validate_run(path, deep=True).ok


def test_buffer_memory_is_bounded(tmp_path):
    w = RunWriter(tmp_path / "b.h5", identity(), small_config(), shots=True, buffer_rows=64)
    lo = 0
    for m in (10, 100, 1000, 3, 64):
        ids = np.arange(lo, lo + m, dtype=np.uint64)
        w.append_shots(shot_id=ids, subrun_index=0, t_shot=ids.astype(np.int64), counts=0)
        lo += m
        assert all(len(b) == 64 for b in (w._shots.buffer or {}).values())
        assert w._shots.buffered < 64
        assert w._shots.n + w._shots.buffered == lo
    w.abort()


def test_commit_cadence(tmp_path):
    w = RunWriter(tmp_path / "c.h5", identity(), small_config(), shots=True, buffer_rows=4,
                  commit_interval_s=1e9)
    counter = w._counters["n_shots_committed"]
    ids = np.arange(10, dtype=np.uint64)
    w.append_shots(shot_id=ids, subrun_index=0, t_shot=ids.astype(np.int64), counts=0)
    assert w._shots.n == 8 and int(counter[()]) == 0      # written, not yet committed
    w.append_steps(step_rows(1))                           # a step commit commits all tables
    assert int(counter[()]) == 8 and int(w._counters["n_steps_committed"][()]) == 1
    w.append_steps({k: v[1:2] for k, v in step_rows(2).items()}, step=1, commit=False)
    assert int(w._counters["n_steps_committed"][()]) == 1
    w.commit()
    assert int(w._counters["n_steps_committed"][()]) == 2
    w.abort()
    with pytest.raises(InputError, match="commit_interval_s"):
        RunWriter(tmp_path / "d.h5", identity(), small_config(), commit_interval_s=-1)


def _event_writer(path, names=("a", "b", "c")):
    return RunWriter(path, identity(), small_config(), events=True, buffer_rows=5,
                     truth=TruthSpec(params={}, background_components=[],
                                     event_sources=names))


def test_event_source_truth_roundtrip_and_errors(tmp_path):
    w = _event_writer(tmp_path / "e.h5")
    codes = np.array([0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 0, 2, 1], np.uint8)
    ts = np.arange(len(codes), dtype=np.int64) * 7
    for lo, hi in ((0, 3), (3, 4), (4, 13)):
        w.append_events(timestamps=ts[lo:hi], channel=0, shot_id=np.arange(lo, hi),
                        dtime=0, source=codes[lo:hi])
    with pytest.raises(InputError, match="source"):
        w.append_events(timestamps=[100], channel=0, shot_id=[20], dtime=0)
    with pytest.raises(InputError, match=r"codes in \[0, 3\)"):
        w.append_events(timestamps=[100], channel=0, shot_id=[20], dtime=0, source=[3])
    with pytest.raises(InputError, match="rows"):
        w.append_events(timestamps=[100, 101], channel=0, shot_id=[20, 21], dtime=0,
                        source=[1, 2, 0])
    w.append_steps(step_rows(1), truth={"expected_signal": np.zeros((1, 2)),
                                        "expected_background": {}})
    w.append_gti(T0, T0 + 10**10)
    calibration(w)
    path = w.close()
    rf = open_run(path)
    got = [s for b in rf.iter_events(block_rows=4, truth_source=True) for s in b["source"]]
    assert got == [("a", "b", "c")[k] for k in codes]
    assert rf.truth()["event_source_names"] == ["a", "b", "c"]
    assert validate_run(path, deep=True).ok
    # a writer without event sources refuses them
    w2 = RunWriter(tmp_path / "f.h5", identity(), small_config(), events=True)
    with pytest.raises(InputError, match="source"):
        w2.append_events(timestamps=[1], channel=0, shot_id=[0], dtime=0, source=[0])
    w2.abort()


def test_interarrival_histogram_written_and_checked(tmp_path):
    w = RunWriter(tmp_path / "h.h5", identity(), small_config(), events=True)
    w.append_steps(step_rows(1))
    w.append_gti(T0, T0 + 10**10)
    calibration(w)
    with pytest.raises(InputError, match="hist_interarrival_edges_s"):
        w.write_calibration(afterpulse={0: {"prob": 0.0, "tau_s": 1e-6,
                                            "hist_interarrival": [1, 2],
                                            "hist_interarrival_edges_s": [0.0, 1.0]}})
    w.write_calibration(afterpulse={0: {"prob": 0.0, "tau_s": 1e-6,
                                        "hist_interarrival": [1, 2],
                                        "hist_interarrival_edges_s": [0.0, 1e-9, 1.0]}})
    path = w.close()
    rf = open_run(path)
    h = rf.calibration.extra["afterpulse"]["det_0"]
    assert h["hist_interarrival"].tolist() == [1, 2]
    with h5py.File(path, "r+") as f:
        g = f["calibration/afterpulse/det_0"]
        del g["hist_interarrival_edges_s"]
        ds = g.create_dataset("hist_interarrival_edges_s", data=[0.0, 1.0])
        ds.attrs["units"], ds.attrs["description"] = "s", "edges"
    report = validate_run(path, raise_on_error=False)
    assert any("hist_interarrival_edges_s" in e for e in report.errors)


def test_schema_1_0_files_stay_valid(tmp_path):
    src = write_run(tmp_path / "RUN.h5", 4, shots=50, events=40)
    p = tmp_path / "old.h5"
    shutil.copy(src, p)
    with h5py.File(p, "r+") as f:
        f.attrs["schema_version"] = "1.0.0"
    report = validate_run(p, deep=True)
    assert report.ok and not any("newer" in n for n in report.notes)
    assert open_run(p).total_counts == open_run(src).total_counts


def test_compress_floats_changes_storage_not_values(tmp_path):
    blocks = _shot_blocks(3)
    a = _write_shots(tmp_path / "a.h5", blocks, compression="gzip")
    b = _write_shots(tmp_path / "b.h5", blocks, compression="gzip", compress_floats=True)
    with h5py.File(a) as fa, h5py.File(b) as fb:
        for name in fa["shots"]:
            x, y = fa["shots"][name], fb["shots"][name]
            assert x[()].tobytes() == y[()].tobytes(), name
            assert y.compression == "gzip"
            assert x.compression == (None if x.dtype.kind == "f" else "gzip"), name
