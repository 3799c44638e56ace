"""DAQ benchmark: simulation throughput per level, including writing the HDF5 run file.

Figures (one core; medians of repeated runs):

* steps level: steps/s (a 20 000-step uniform Yb-vapour scan);
* shots level: shots/s (Yb-vapour, 1e5 shots per step): a 1e7-shot run (streaming
  throughput), and the earlier 2e6-shot run, where the fixed cost of finishing a file
  (final flush, reopen, validation, fsync, rename: ~0.1 s) weighs about a quarter; file size
  in bytes per shot;
* events level: photons/s (Yb-vapour with the trigger-leak knob raised to ~2 photons per shot,
  so the detector stream dominates), counting photons entering the detector model;
* no-write: the same simulation with a writer that discards everything (same process, same
  run), so ``with writing / no-write`` measures the writer's share independently of how busy
  the shared machine is;
* reference: a plain per-shot Python loop (same physics: energies, log-normal eta, jitter,
  Poisson counts; events: per-photon times and a sequential dead-time/afterpulse pass) writing
  the same columns with h5py, measured on a subset; the ratio is fast/reference;
* peak memory (VmHWM of a child process; not ru_maxrss, which on Linux keeps the benchmark
  parent's RSS at fork across exec) of a shots-level run: 1e7 shots by default,
  1e8 shots with RENPSIM_BENCH_1E8=1 (about a minute and ~2 GB of disk).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from benchmarks.timing import median_time
from renpsim.campaign import load_campaign
from renpsim.daq import simulate

_MEM_SCRIPT = """
import resource, sys, time
from renpsim.campaign import load_campaign
from renpsim.daq import simulate
n = int(sys.argv[1]); out = sys.argv[2]
steps = 100
over = {"scan.n_steps": steps, "scan.reference_every": 0, "scan.shots_per_step": n // steps}
if n > 50_000_000:   # 1e8 shots at 10 Hz last 116 days: beyond int64 ticks of 1 ps
    over["hardware.daq.time_unit_s"] = 1e-9
c = load_campaign("yb-threshold-scan", overrides=over)
t = time.perf_counter()
simulate(c, out, level="shots")
dt = time.perf_counter() - t
try:   # peak RSS of this process image (VmHWM; Linux)
    with open("/proc/self/status") as fh:
        peak = next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmHWM:"))
except (OSError, StopIteration):
    # ru_maxrss: on Linux it also keeps the parent's RSS at fork across exec, so a large
    # benchmark parent would inflate it
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(peak, dt)
"""


class _NullWriter:
    """Stands in for RunWriter: accepts every call and writes nothing (no-write figure)."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _no_write(fn):
    """Run ``fn`` with the DAQ writing into :class:`_NullWriter`."""
    import renpsim.daq.levels as levels

    real = levels.RunWriter
    levels.RunWriter = _NullWriter
    try:
        return fn()
    finally:
        levels.RunWriter = real


def _campaign(steps: int, shots: int, **extra):
    over = {"scan.n_steps": steps, "scan.shots_per_step": shots, "scan.reference_every": 0,
            **extra}
    return load_campaign("yb-threshold-scan", overrides=over)


def _reference_shots(c, n_shots: int, path: Path, events: bool = False) -> int:
    """Plain per-shot Python loop: the straightforward implementation of the same model."""
    from renpsim.daq.rates import step_model

    hw = c.hardware
    m = step_model(c)
    rng = np.random.default_rng(0)
    las, coh, det = hw.lasers, hw.coherence, hw.detector
    I0 = 0.05
    rows = []
    ev = []
    gate_lo, gate_hi = hw.gate
    s_pulse = las.duration_s / 2.3548
    for k in range(n_shots):
        e1 = 1 + las.energy_jitter_rel * rng.normal()
        e2 = 1 + las.energy_jitter_rel * rng.normal()
        f = e1 * e2 * math.exp(coh.sigma_eta * rng.normal() - 0.5 * coh.sigma_eta**2)
        tau = m.tau_mean_s * f
        jit = las.jitter_Hz * rng.normal()
        mu_coh = tau * (m.c_sig[0] * I0 + m.c_mcq3[0])
        mu_leak = m.leak_per_shot[0] * e1
        mu_flat = m.dark_per_shot
        if not events:
            n = rng.poisson(mu_coh + mu_leak + mu_flat)
        else:
            times = [rng.normal(0, s_pulse) for _ in range(rng.poisson(mu_leak))]
            times += [gate_lo + (gate_hi - gate_lo) * rng.random()
                      for _ in range(rng.poisson(mu_flat + mu_coh))]
            times.sort()
            last = -1.0
            n = 0
            for t in times:
                if gate_lo <= t < gate_hi and t - last >= det.dead_time_s:
                    last = t
                    n += 1
                    ev.append((k, t + rng.normal(0, det.jitter_sigma_s)))
        rows.append((k, e1 * las.pulse_energy_J, e2 * las.pulse_energy_J, jit, tau, n))
    arr = np.array(rows)
    with h5py.File(path, "w") as fh:
        for i, name in enumerate(("shot_id", "e1", "e2", "jitter", "tau", "counts")):
            fh.create_dataset(name, data=arr[:, i])
        if events:
            fh.create_dataset("events", data=np.array(ev) if ev else np.zeros((0, 2)))
    return len(ev)


def _peak_memory(n_shots: int, out: Path) -> tuple[float, float]:
    res = subprocess.run([sys.executable, "-c", _MEM_SCRIPT, str(n_shots), str(out)],
                         capture_output=True, text=True, check=True)
    rss, dt = res.stdout.split()
    return float(rss), float(dt)


def run(quick: bool = False) -> dict:
    """Measure and print the figures; return them as a dict."""
    rep = 3 if quick else 5
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # ---- steps level
        n_steps = 2000 if quick else 20000
        c = _campaign(n_steps, 10000, **{"scan.generator": "uniform"})
        t = median_time(lambda: simulate(c, d / "s.h5", level="steps"), repeat=rep)
        out["steps_per_s"] = n_steps / t
        # ---- shots level: a long run (streaming throughput) and the short one
        n_per, steps = (100_000, 20) if quick else (100_000, 100)
        c = _campaign(steps, n_per)
        t = median_time(lambda: simulate(c, d / "sh.h5", level="shots"), repeat=rep)
        out["shots_per_s"] = n_per * steps / t
        out["shots_file_bytes_per_shot"] = (d / "sh.h5").stat().st_size / (n_per * steps)
        t = median_time(lambda: _no_write(lambda: simulate(c, d / "x.h5", level="shots")),
                        repeat=rep)
        out["shots_nowrite_per_s"] = n_per * steps / t
        out["shots_write_vs_nowrite"] = out["shots_per_s"] / out["shots_nowrite_per_s"]
        n_per, steps = (100_000, 5) if quick else (100_000, 20)
        c = _campaign(steps, n_per)
        t = median_time(lambda: simulate(c, d / "sh.h5", level="shots"), repeat=rep)
        out["shots_short_per_s"] = n_per * steps / t
        t = median_time(lambda: _no_write(lambda: simulate(c, d / "x.h5", level="shots")),
                        repeat=rep)
        out["shots_short_nowrite_per_s"] = n_per * steps / t
        out["shots_short_write_vs_nowrite"] = (out["shots_short_per_s"] /
                                               out["shots_short_nowrite_per_s"])
        out["shots_short_run"] = float(n_per * steps)
        n_ref = 20_000 if quick else 50_000
        t_ref = median_time(lambda: _reference_shots(c, n_ref, d / "ref.h5"), repeat=1,
                            warmup=0)
        out["shots_ref_per_s"] = n_ref / t_ref
        out["shots_ratio"] = out["shots_per_s"] / out["shots_ref_per_s"]
        # ---- events level: ~2 photons per shot (trigger-leak knob raised)
        ce = _campaign(steps, n_per // 2, **{"hardware.backgrounds.trigger_leak_eps": 4e-17})
        exp_photons = ce.steps.total_shots * 2.0
        from renpsim.daq import expected_counts

        exp_photons = float(expected_counts(ce)["total"].sum())
        t = median_time(lambda: simulate(ce, d / "ev.h5", level="events"), repeat=rep)
        with h5py.File(d / "ev.h5") as f:
            recorded = len(f["events/shot_id"])
        out["events_photons_per_s"] = exp_photons / t
        out["events_recorded_per_s"] = recorded / t
        out["events_shots_per_s"] = ce.steps.total_shots / t
        t = median_time(lambda: _no_write(lambda: simulate(ce, d / "x.h5", level="events")),
                        repeat=rep)
        out["events_nowrite_photons_per_s"] = exp_photons / t
        out["events_write_vs_nowrite"] = (out["events_photons_per_s"] /
                                          out["events_nowrite_photons_per_s"])
        n_ref_e = 10_000 if quick else 30_000
        t_ref = median_time(lambda: _reference_shots(ce, n_ref_e, d / "refe.h5", True),
                            repeat=1, warmup=0)
        out["events_ref_photons_per_s"] = exp_photons / ce.steps.total_shots * n_ref_e / t_ref
        out["events_ratio"] = out["events_photons_per_s"] / out["events_ref_photons_per_s"]
        # ---- peak memory of a long shots-level run (child process)
        big = 100_000_000 if os.environ.get("RENPSIM_BENCH_1E8") else (
            2_000_000 if quick else 10_000_000)
        small = big // 10
        rss_small, _ = _peak_memory(small, d / "m1.h5")
        rss_big, t_big = _peak_memory(big, d / "m2.h5")
        out["mem_run_shots"] = float(big)
        out["mem_peak_MiB"] = rss_big / 2**20
        out["mem_peak_MiB_10x_shorter"] = rss_small / 2**20
        out["mem_run_shots_per_s"] = big / t_big
    print(f"steps level : {out['steps_per_s']:.3g} steps/s")
    print(f"shots level : {out['shots_per_s']:.3g} shots/s  (reference loop "
          f"{out['shots_ref_per_s']:.3g}/s, ratio {out['shots_ratio']:.0f}x; target >= 5e6)")
    print(f"              no-write {out['shots_nowrite_per_s']:.3g} shots/s; with writing "
          f"{out['shots_write_vs_nowrite']:.2f} of it; "
          f"{out['shots_file_bytes_per_shot']:.1f} bytes/shot on disk")
    print(f"  short run ({out['shots_short_run']:.0e} shots): {out['shots_short_per_s']:.3g} "
          f"shots/s, no-write {out['shots_short_nowrite_per_s']:.3g}/s, with writing "
          f"{out['shots_short_write_vs_nowrite']:.2f} of it (per-file finishing costs)")
    print(f"events level: {out['events_photons_per_s']:.3g} photons/s "
          f"({out['events_recorded_per_s']:.3g} recorded/s, {out['events_shots_per_s']:.3g} "
          f"shots/s; reference {out['events_ref_photons_per_s']:.3g}/s, ratio "
          f"{out['events_ratio']:.0f}x; target >= 2e6)")
    print(f"              no-write {out['events_nowrite_photons_per_s']:.3g} photons/s; with "
          f"writing {out['events_write_vs_nowrite']:.2f} of it")
    print(f"peak memory : {out['mem_peak_MiB']:.0f} MiB for {big:.0e} shots "
          f"({out['mem_peak_MiB_10x_shorter']:.0f} MiB for {small:.0e}); "
          f"{out['mem_run_shots_per_s']:.3g} shots/s; target < 1024 MiB")
    return out


if __name__ == "__main__":
    t0 = time.perf_counter()
    run(quick="--quick" in sys.argv)
    print(f"({time.perf_counter() - t0:.0f} s)")
