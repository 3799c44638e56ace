"""Run-file writing: rows/s for steps, shots and events vs a row-by-row h5py reference, and the
peak memory while streaming many shot rows (target for 1e8 shots: < 1 GiB)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from benchmarks.timing import median_time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _writer(path, shots=False, events=False, **kw):
    from runfile_helpers import identity, small_config

    from renpsim.runfile import RunWriter

    return RunWriter(path, identity(), small_config(), shots=shots, events=events, **kw)


def _finish(w, n_steps):
    from runfile_helpers import T0, calibration

    if w.n_steps == 0:
        from runfile_helpers import step_rows

        w.append_steps(step_rows(1))
    w.append_gti(T0, T0 + 1)
    calibration(w)
    w.close()


def _shot_block(lo, m):
    ids = np.arange(lo, lo + m, dtype=np.uint64)
    counts = (ids % 97 == 0).astype(np.uint16)
    return {"shot_id": ids, "subrun_index": np.zeros(m, np.uint32),
            "t_shot": ids.astype(np.int64) * 1_000_000_000,   # 1 kHz in ps ticks
            "counts": np.stack([counts, counts], axis=1)}


def _event_block(lo, m):
    ids = np.arange(lo, lo + m, dtype=np.int64)
    return {"timestamps": ids * 1000, "channel": (ids % 2).astype(np.int16),
            "shot_id": (ids // 3).astype(np.uint64), "dtime": ids % 5000}


def bench_steps(d: Path, n: int) -> float:
    from runfile_helpers import step_rows

    rows = step_rows(n)

    def go():
        w = _writer(d / "steps.h5")
        for i in range(n):            # one committed step per call, as a DAQ does
            w.append_steps({k: v[i:i + 1] for k, v in rows.items()})
        _finish(w, n)
    return n / median_time(go, repeat=3)


def bench_table(d: Path, n: int, kind: str, block: int = 1 << 16, **kw) -> float:
    make = _shot_block if kind == "shots" else _event_block

    def go():
        w = _writer(d / f"{kind}.h5", shots=kind == "shots", events=kind == "events", **kw)
        app = w.append_shots if kind == "shots" else w.append_events
        for lo in range(0, n, block):
            app(make(lo, min(block, n - lo)))
        _finish(w, 1)
    return n / median_time(go, repeat=3)


def reference_rows(d: Path, n: int, kind: str) -> float:
    """Straightforward reference: resize by one row and write it, per row (h5py)."""
    make = _shot_block if kind == "shots" else _event_block
    data = make(0, n)

    def go():
        with h5py.File(d / "ref.h5", "w") as f:
            ds = {k: f.create_dataset(k, shape=(0, *v.shape[1:]), maxshape=(None, *v.shape[1:]),
                                      dtype=v.dtype, chunks=True) for k, v in data.items()}
            for i in range(n):
                for k, v in data.items():
                    ds[k].resize(i + 1, axis=0)
                    ds[k][i] = v[i]
    return n / median_time(go, repeat=3)


def reference_blocks(d: Path, n: int, block: int = 1 << 16) -> float:
    """Plain h5py: the same ten /shots columns appended block by block (gzip 4, shuffle), no
    validation, defaults or SWMR: the cost floor of the format itself."""
    def go():
        with h5py.File(d / "refb.h5", "w", libver=("v110", "v110")) as f:
            cols = None
            for lo in range(0, n, block):
                m = min(block, n - lo)
                b = _shot_block(lo, m)
                data = {"shot_id": b["shot_id"], "subrun_index": b["subrun_index"],
                        "t_shot": b["t_shot"], "counts_signal": b["counts"],
                        "counts_background": np.zeros((m, 2), np.uint16),
                        "laser_energy_J": np.full((m, 2), np.nan, np.float32),
                        "laser_freq_Hz": np.full((m, 2), np.nan),
                        "live_fraction": np.ones((m, 2), np.float32),
                        "coherent_exposure_s": np.full(m, np.nan, np.float32),
                        "flags": np.zeros(m, np.uint32)}
                if cols is None:
                    cols = {k: f.create_dataset(k, shape=(0, *v.shape[1:]),
                                                maxshape=(None, *v.shape[1:]), dtype=v.dtype,
                                                chunks=(block, *v.shape[1:]),
                                                compression="gzip", compression_opts=4,
                                                shuffle=True) for k, v in data.items()}
                for k, v in data.items():
                    cols[k].resize(lo + m, axis=0)
                    cols[k][lo:lo + m] = v
    return n / median_time(go, repeat=3)


_MEM_SCRIPT = """
import resource, sys
sys.path.insert(0, {bench!r})
from pathlib import Path
import bench_runfile as b
n = {n}
w = b._writer(Path({path!r}), shots=True)
for lo in range(0, n, 1 << 18):
    w.append_shots(b._shot_block(lo, min(1 << 18, n - lo)))
b._finish(w, 1)
try:   # VmHWM (kiB): peak RSS of this process image; ru_maxrss keeps the parent's across exec
    with open("/proc/self/status") as fh:
        print(next(int(x.split()[1]) for x in fh if x.startswith("VmHWM:")))
except (OSError, StopIteration):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_memory_mib(d: Path, n: int) -> tuple[float, float]:
    script = _MEM_SCRIPT.format(bench=str(Path(__file__).parent), n=n, path=str(d / "mem.h5"))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=False, cwd=Path(__file__).resolve().parents[1])
    if out.returncode:
        raise RuntimeError(f"memory run failed: {out.stderr[-2000:]}")
    return int(out.stdout.strip().splitlines()[-1]) / 1024.0, time.perf_counter() - t0


def run(quick: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        n_steps = 200 if quick else 2000
        n_rows = 1_000_000 if quick else 10_000_000
        n_ref = 5_000 if quick else 20_000
        res = {}
        res["steps_per_s"] = bench_steps(d, n_steps)
        res["shots_per_s"] = bench_table(d, n_rows, "shots")
        res["shots_per_s_gzip1"] = bench_table(d, n_rows, "shots", compression_level=1)
        res["shots_per_s_nofilter"] = bench_table(d, n_rows, "shots", compression=None)
        res["events_per_s"] = bench_table(d, n_rows, "events")
        res["ref_block_shots_per_s"] = reference_blocks(d, n_rows)
        res["overhead_vs_plain_h5py"] = res["ref_block_shots_per_s"] / res["shots_per_s"]
        res["ref_shots_per_s"] = reference_rows(d, n_ref, "shots")
        res["ref_events_per_s"] = reference_rows(d, n_ref, "events")
        res["shots_ratio"] = res["shots_per_s"] / res["ref_shots_per_s"]
        res["events_ratio"] = res["events_per_s"] / res["ref_events_per_s"]
        small, big = (1_000_000, 4_000_000) if quick else (10_000_000, 100_000_000)
        res["peak_rss_MiB_small"], _ = peak_memory_mib(d, small)
        res["peak_rss_MiB_big"], t_big = peak_memory_mib(d, big)
        res["mem_shots_small"], res["mem_shots_big"] = small, big
        res["mem_big_wall_s"] = t_big
    print(f"steps (one committed step per call): {res['steps_per_s']:.3g} steps/s")
    print(f"shots: {res['shots_per_s']:.3g} rows/s; row-by-row reference "
          f"{res['ref_shots_per_s']:.3g} rows/s; ratio {res['shots_ratio']:.0f}x")
    print(f"shots, gzip level 1: {res['shots_per_s_gzip1']:.3g} rows/s; no filter: "
          f"{res['shots_per_s_nofilter']:.3g} rows/s")
    print(f"plain h5py block append of the same shot columns (gzip 4): "
          f"{res['ref_block_shots_per_s']:.3g} rows/s (writer costs "
          f"{res['overhead_vs_plain_h5py']:.2f}x its time)")
    print(f"events: {res['events_per_s']:.3g} rows/s; row-by-row reference "
          f"{res['ref_events_per_s']:.3g} rows/s; ratio {res['events_ratio']:.0f}x")
    print(f"peak RSS streaming {small:.0e} shots: {res['peak_rss_MiB_small']:.0f} MiB; "
          f"{big:.0e} shots: {res['peak_rss_MiB_big']:.0f} MiB ({t_big:.0f} s; target for "
          f"1e8 shots < 1024 MiB)")
    return res
