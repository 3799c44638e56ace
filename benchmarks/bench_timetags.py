"""Time-tag import benchmark: time to import 1e7 photon time tags (PicoQuant PTU, T3).

Figures (medians of repeated runs):

* ``renpsim.runfile.import_timetags`` of a PTU file with 1e7 photon records (``--quick``: 1e6)
  on two detector channels, 1e6 laser shots, 10 steps delimited by markers: read with
  ptufile, gates, live time, per-shot monitors, and the run file written with /shots and
  /events (gzip); tags per second and seconds for 1e7 tags;
* reference: a straightforward importer measured in the same run on a subset (1e5 tags):
  the records decoded by ptufile, then one Python loop over the photons accumulating counts,
  background counts and dead-time losses per step and channel, and the events written to
  HDF5 row block by row block (lists converted at the end); the ratio is fast/reference.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import ptufile

from benchmarks.timing import median_time
from renpsim.constants import H_EV_S
from renpsim.runfile.timetags import import_timetags

PERIOD, RES = 1e-3, 1e-9
STEPS = 10
META = {
    "run": {"run_id": "BENCH-TT", "run_start_utc_ns": 1748779200000000000},
    "target": {"species": "Yb", "isotope": 174, "E_eg_eV": 2.1435, "E_eg_unc_eV": 6e-6,
               "phase": "vapour", "number_density_m3": 8.9e20, "length_m": 0.1,
               "area_m2": 1e-4},
    "lasers": [{"role": "omega", "nominal_wavelength_m": 1.157e-6, "rep_rate_Hz": 1000.0},
               {"role": "omega_prime", "nominal_wavelength_m": 1.157e-6}],
    "detectors": [{"type": "SNSPD", "efficiency": 0.8, "efficiency_unc": 0.02,
                   "dark_rate_Hz": 100.0, "dead_time_s": 2e-8,
                   "dead_time_model": "nonparalyzable", "gate_offset_s": 1e-8,
                   "gate_width_s": 5e-8, "bg_gate_offset_s": 2e-6, "bg_gate_width_s": 5e-8}
                  for _ in range(2)],
    "daq": {"mode": "T3", "time_unit_s": 1e-12, "signal_channels": [0, 1]},
    "coherence": {"eta_model": "constant", "eta0": 1e-2},
    "timetags": {"step_marker": 1},
    "calibration": {
        "frequency": {"offset_Hz": 0.0, "offset_unc_Hz": 2e7, "reference": "wavemeter"},
        "dark": [{"channel": c, "counts": 100, "live_time_s": 3600.0} for c in range(2)],
        "detector_efficiency": [{"channel": c, "wavelength_m": [1.157e-6], "efficiency": [0.8],
                                 "efficiency_unc": [0.02], "method": "m", "date_utc_ns": 0,
                                 "reference": "r"} for c in range(2)]},
}


def _records(n_tags: int, n_shots: int, seed: int = 1) -> np.ndarray:
    """HydraHarp V2 T3 records (vectorised encoder): photons, step markers, sync overflows."""
    rng = np.random.default_rng(seed)
    shot = rng.integers(0, n_shots, n_tags)
    dt = rng.integers(0, 3000, n_tags)
    o = np.lexsort((dt, shot))   # a tagger writes in time order
    shot, dt = shot[o], dt[o].astype(np.uint32)
    ch = rng.integers(0, 2, n_tags).astype(np.uint32)
    marks = np.arange(STEPS) * (n_shots // STEPS)
    s = np.concatenate([shot, marks])
    word = np.concatenate([(ch << 25) | (dt << 10),
                           np.full(STEPS, (1 << 31) | (1 << 25), np.uint32)])
    order = np.argsort(s, kind="stable")
    s, word = s[order], word[order] | (s[order] % 1024).astype(np.uint32)
    wraps = s // 1024
    inc = np.diff(np.concatenate([[0], wraps]))   # overflows before each record
    assert inc.max() < 1024
    out = np.empty(s.size + int((inc > 0).sum()), np.uint32)
    pos = np.arange(s.size) + np.cumsum(inc > 0)
    out[pos] = word
    ovf = np.flatnonzero(inc > 0)
    out[pos[ovf] - 1] = (1 << 31) | (63 << 25) | inc[ovf].astype(np.uint32)
    return out


def _write_ptu(path: Path, rec: np.ndarray, n_shots: int) -> Path:
    import struct

    def tag(name, typ, value):
        head = name.encode().ljust(32, b"\0") + struct.pack("<iI", -1, typ)
        return head + (struct.pack("<d", value) if typ == 0x20000008 else
                       struct.pack("<q", int(value)))
    tags = [tag("Measurement_Mode", 0x10000008, 3), tag("Measurement_SubMode", 0x10000008, 0),
            tag("MeasDesc_Resolution", 0x20000008, RES),
            tag("MeasDesc_GlobalResolution", 0x20000008, PERIOD),
            tag("TTResult_SyncRate", 0x10000008, 1000),
            tag("TTResultFormat_TTTRRecType", 0x10000008, 0x01010304),
            tag("TTResultFormat_BitsPerRecord", 0x10000008, 32),
            tag("TTResult_NumberOfRecords", 0x10000008, rec.size),
            tag("MeasDesc_AcquisitionTime", 0x10000008, round(n_shots * PERIOD * 1e3)),
            tag("Header_End", 0xFFFF0008, 0)]
    path.write_bytes(b"PQTTTR\0\0" + b"1.0.00\0\0" + b"".join(tags) + rec.tobytes())
    return path


def _monitors(path: Path, n_shots: int) -> Path:
    step = np.arange(n_shots) // (n_shots // STEPS)
    pd.DataFrame({"shot": np.arange(n_shots),
                  "set_frequency_Hz_0": (1.0688 + 1e-4 * step) / H_EV_S,
                  "pulse_energy_J_0": np.full(n_shots, 1e-3)}).to_csv(path, index=False)
    return path


def reference(ptu: Path, n_tags: int, d: Path) -> float:
    """Straightforward importer on the first ``n_tags`` photons: tags per second."""
    def go():
        with ptufile.PtuFile(ptu) as f:
            rec = f.decode_records()
        marks = rec["time"][(rec["channel"] < 0) & (rec["marker"] > 0)].astype(np.int64)
        counts, bg, lost = {}, {}, {}
        rows = []
        n = 0
        for t, dtime, ch, _marker in rec.tolist():
            if ch < 0:
                continue
            step = int(np.searchsorted(marks, t, side="right")) - 1
            x = dtime * RES
            key = (step, ch)
            if 1e-8 <= x < 6e-8:
                counts[key] = counts.get(key, 0) + 1
            if 2e-6 <= x < 2.05e-6:
                bg[key] = bg.get(key, 0) + 1
            lost[key] = lost.get(key, 0.0) + max(0.0, min(x + 2e-8, 6e-8) - max(x, 1e-8))
            rows.append((round(t * PERIOD / 1e-12) + round(x / 1e-12), ch, t, dtime * 1000))
            n += 1
            if n >= n_tags:
                break
        with h5py.File(d / "ref.h5", "w") as h:
            a = np.asarray(rows, np.int64)
            for j, name in enumerate(("timestamps", "channel", "shot_id", "dtime")):
                h.create_dataset(name, data=a[:, j], compression="gzip")
    return n_tags / median_time(go, repeat=3, warmup=0)


def run(quick: bool) -> dict:
    n_tags = 1_000_000 if quick else 10_000_000
    n_shots = n_tags // 10
    res: dict = {"n_tags": n_tags}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        ptu = _write_ptu(d / "bench.ptu", _records(n_tags, n_shots), n_shots)
        mon = _monitors(d / "mon.csv", n_shots)
        res["setup_s"] = time.perf_counter() - t0
        res["import_s"] = median_time(lambda: import_timetags(
            ptu, "ptu", META, d / "RUN.h5", monitors=mon), repeat=3, warmup=0)
        res["tags_per_s"] = n_tags / res["import_s"]
        res["file_bytes"] = (d / "RUN.h5").stat().st_size
        small = d / "small.ptu"
        n_ref = 20_000 if quick else 100_000
        _write_ptu(small, _records(n_ref, max(STEPS * 10, n_ref // 10)), n_ref // 10)
        res["ref_tags_per_s"] = reference(small, n_ref, d)
        res["ratio"] = res["tags_per_s"] / res["ref_tags_per_s"]
    print(f"import of {n_tags:.0e} PTU time tags (2 channels, {n_shots:.0e} shots, {STEPS} "
          f"steps): {res['import_s']:.2f} s median = {res['tags_per_s']:.3g} tags/s; run file "
          f"{res['file_bytes'] / 1e6:.1f} MB")
    print(f"straightforward reference (per-photon Python loop, {n_ref:.0e} tags): "
          f"{res['ref_tags_per_s']:.3g} tags/s; ratio {res['ratio']:.0f}x")
    return res
