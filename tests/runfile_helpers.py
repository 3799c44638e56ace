"""Shared fixtures for the run-file tests: a small valid configuration and a writer helper."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from renpsim.runfile import RunConfig, RunIdentity, RunWriter, TruthSpec

T0 = 1_750_000_000 * 10**9


def small_config(n_channels: int = 2) -> RunConfig:
    return RunConfig(
        target={"species": "Yb", "isotope": 174, "E_eg_eV": 2.1435, "E_eg_unc_eV": 6e-6,
                "phase": "vapour", "number_density_m3": 8.9e20, "length_m": 0.1,
                "area_m2": 1e-4, "temperature_K": 800.0},
        lasers=[{"role": "omega", "nominal_wavelength_m": 1.157e-6},
                {"role": "omega_prime", "nominal_wavelength_m": 1.157e-6, "direction": "-z"}],
        detectors=[{"type": "SNSPD", "efficiency": 0.8, "efficiency_unc": 0.02,
                    "dark_rate_Hz": 100.0, "dead_time_s": 5e-8,
                    "dead_time_model": "nonparalyzable"}] * n_channels,
        daq={"mode": "T3", "time_unit_s": 1e-12},
        waveguide={"type": "none"},
        full={"campaign": {"name": "test", "steps": 3}, "hardware": {"preset": "yb-vapour"}},
    )


def identity(kind: str = "synthetic", seed: int | None = 7) -> RunIdentity:
    return RunIdentity(run_id="TEST-1", file_kind=kind, experiment="test",
                       seed=np.random.SeedSequence(seed) if seed is not None else None,
                       run_start_utc_ns=T0)


def step_rows(n_steps: int, n_channels: int = 2, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    omega = np.linspace(1.0688, 1.0711, n_steps)
    start = T0 + np.arange(n_steps, dtype=np.int64) * 10**10
    return {
        "omega_eV": omega, "omega_prime_eV": 2.1435 - omega, "dwell_s": np.full(n_steps, 10.0),
        "t_start_utc_ns": start, "t_stop_utc_ns": start + 10**10,
        "n_shots": np.full(n_steps, 100), "live_s": np.full((n_steps, n_channels), 9.5),
        "coherent_exposure_s": rng.uniform(0, 1e-6, n_steps),
        "counts_signal": rng.poisson(5.0, (n_steps, n_channels)),
        "counts_background": rng.poisson(1.0, (n_steps, n_channels)),
    }


def calibration(w: RunWriter, n_channels: int = 2) -> None:
    w.write_calibration(
        detector_efficiency={c: {"wavelength_m": [1.157e-6], "efficiency": [0.8],
                                 "efficiency_unc": [0.02], "method": "test", "date_utc_ns": T0,
                                 "reference": "unit test"} for c in range(n_channels)},
        dark={c: {"counts": 12, "live_time_s": 100.0} for c in range(n_channels)},
        frequency={"offset_Hz": 1e6, "offset_unc_Hz": 2e7, "reference": "wavemeter"})


def write_run(path: Path, n_steps: int = 5, *, shots: int = 0, events: int = 0,
              truth: bool = True, chunk_rows: int = 65536, buffer_rows: int = 1 << 18,
              step_block: int = 1, kind: str = "synthetic", n_channels: int = 2) -> Path:
    rows = step_rows(n_steps, n_channels)
    tspec = TruthSpec(params={"Gamma0": 0.002}, background_components=["dark", "leak"]) \
        if truth else None
    with RunWriter(path, identity(kind, 7 if kind == "synthetic" else None),
                   small_config(n_channels), shots=shots > 0, events=events > 0, truth=tspec,
                   chunk_rows=chunk_rows, buffer_rows=buffer_rows,
                   slow_control={"oven_temperature": {"units": "K",
                                                      "description": "oven"}}) as w:
        for lo in range(0, n_steps, step_block):
            sl = slice(lo, min(n_steps, lo + step_block))
            block = {k: v[sl] for k, v in rows.items()}
            m = len(block["omega_eV"])
            tr = {"expected_signal": np.full((m, n_channels), 0.5),
                  "expected_background": {"dark": np.full((m, n_channels), 0.1),
                                          "leak": np.full((m, n_channels), 0.2)}} \
                if truth else None
            w.append_steps(block, truth=tr)
        if shots:
            rng = np.random.default_rng(11)
            per = 100_000
            for lo in range(0, shots, per):
                m = min(per, shots - lo)
                ids = np.arange(lo, lo + m, dtype=np.uint64)
                w.append_shots(shot_id=ids, subrun_index=(ids * n_steps // shots),
                               t_shot=ids.astype(np.int64) * 10**11,
                               counts=rng.poisson(0.01, (m, n_channels)))
        if events:
            rng = np.random.default_rng(12)
            per = 100_000
            for lo in range(0, events, per):
                m = min(per, events - lo)
                ids = np.arange(lo, lo + m, dtype=np.int64)
                w.append_events(timestamps=ids * 10**9, channel=(ids % n_channels),
                                shot_id=ids.astype(np.uint64) // 3,
                                dtime=rng.integers(0, 10**6, m))
        w.append_gti(rows["t_start_utc_ns"], rows["t_stop_utc_ns"])
        w.append_slow_control("oven_temperature", rows["t_start_utc_ns"],
                              np.full(n_steps, 800.0))
        calibration(w, n_channels)
    return path


def slow_writer(path: str, n_steps: int, sleep_s: float) -> None:
    """Write a run file one step at a time with pauses (target of kill and SWMR tests)."""
    import time

    rows = step_rows(n_steps)
    with RunWriter(path, identity(), small_config(), shots=True,
                   truth=TruthSpec(params={"x": 1}, background_components=["dark"])) as w:
        print("started", flush=True)
        for i in range(n_steps):
            w.append_steps({k: v[i:i + 1] for k, v in rows.items()},
                           truth={"expected_signal": np.full((1, 2), 0.5),
                                  "expected_background": {"dark": np.zeros((1, 2))}})
            w.append_shots(shot_id=np.arange(i * 50, i * 50 + 50), subrun_index=i,
                           t_shot=np.arange(i * 50, i * 50 + 50), counts=np.ones((50, 2)))
            time.sleep(sleep_s)
        w.append_gti(rows["t_start_utc_ns"], rows["t_stop_utc_ns"])
        calibration(w)


if __name__ == "__main__":
    import sys

    slow_writer(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))


def h5_items(path: Path) -> list[tuple[str, str | None]]:
    """Every group/dataset (name, None) and attribute (name, attr) of an HDF5 file."""
    import h5py

    out: list[tuple[str, str | None]] = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            out.append((name, None))
            out.extend((name, a) for a in obj.attrs)
        f.visititems(visit)
        out.extend(("", a) for a in f.attrs)
    return out
