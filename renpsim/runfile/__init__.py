"""HDF5 run files, format ``renp-run`` v1 ([hardware §9]; docs/runfile-format.md).

Writing (the DAQ simulation and importers)::

    import numpy as np
    from renpsim.runfile import RunConfig, RunIdentity, RunWriter, TruthSpec

    ident = RunIdentity(run_id="SIM-0001", file_kind="synthetic", experiment="gp21-benchmark",
                        seed=np.random.SeedSequence(1), run_start_utc_ns=1_750_000_000 * 10**9)
    cfg = RunConfig(
        target={"species": "Yb", "isotope": 174, "E_eg_eV": 2.14349, "E_eg_unc_eV": 0.0,
                "phase": "solid", "number_density_m3": 1e27, "length_m": 0.1, "area_m2": 1e-3},
        lasers=[{"role": "omega", "nominal_wavelength_m": 1.16e-6},
                {"role": "omega_prime", "nominal_wavelength_m": 1.16e-6}],
        detectors=[{"type": "ideal", "efficiency": 1.0, "efficiency_unc": 0.0,
                    "dark_rate_Hz": 0.0, "dead_time_s": 0.0, "dead_time_model": "none"}],
        daq={"mode": "counts", "time_unit_s": 1e-12},
        full={"campaign": {...}, "hardware": {...}},       # frozen config -> /config/config_json
    )
    with RunWriter("RUN.h5", ident, cfg, shots=False, events=False,
                   truth=TruthSpec(params={...}, background_components=["dark"])) as w:
        for step in steps:                                   # one call per step (or many rows)
            w.append_steps(omega_eV=step.omega, omega_prime_eV=step.omega_prime,
                           dwell_s=step.dwell, t_start_utc_ns=t0, t_stop_utc_ns=t1,
                           shots=step.n_shots, live_s=step.live, exposure_s=step.exposure,
                           counts=step.counts,                # (n,) or (n, N_channels)
                           truth={"expected_signal": mu, "expected_background": {"dark": b}})
            # w.append_shots(shot_id=..., subrun_index=..., t_shot=..., counts=...)
            # w.append_events(timestamps=..., channel=..., shot_id=..., dtime=...)
        w.append_gti(start_utc_ns, stop_utc_ns)
        w.write_calibration(detector_efficiency={0: {"wavelength_m": [1.157e-6],
                            "efficiency": [1.0], "efficiency_unc": [0.0], "method": "ideal",
                            "date_utc_ns": 0, "reference": "preset"}},
                            dark={0: {"counts": 0, "live_time_s": 3600.0}},
                            frequency={"offset_Hz": 0.0, "offset_unc_Hz": 0.0,
                                       "reference": "ideal"})
    # On leaving the block: validated, fsynced and renamed from .RUN.h5.partial-<pid>.
    # On an exception the partial file is deleted and an existing RUN.h5 is untouched.
    # High shot/event rates: pass compression_level=1 (about 5e6 shot rows/s on one core)
    # or compression=None; the default gzip level 4 ([hardware §9.1]) gives about 4e6 rows/s.
    # Append shots/events in blocks (e.g. 65536 rows per call): memory stays bounded.

Reading (the fitter)::

    from renpsim.runfile import open_run, validate_run, follow_run

    run = open_run("RUN.h5")           # validates; RunFileError if anything is wrong
    run.scan                           # pandas DataFrame, one row per step (all /scan columns)
    run.steps                          # compact table: step, omega_eV, omega_prime_eV, dwell_s,
                                       #   live_s (mean over channels), n_shots, counts,
                                       #   counts_background (sums over channels), exposure_s,
                                       #   good_time_s (step time inside the GTIs)
    run.gti                            # good time intervals (start_utc_ns, stop_utc_ns, reason)
    run.calibration.dark               # {channel: DarkCalibration(counts, live_time_s, ...)}
    run.truth()                        # only on explicit request (synthetic files)
    for block in run.iter_shots():     # bounded-memory DataFrames of /shots (also iter_events)
        ...
    for new_steps in follow_run("RUN.h5"):   # live: DataFrames of newly committed steps
        ...

Other entry points: :func:`strip_truth`, :func:`import_counts`, :func:`clean_partials`,
:func:`render_markdown` (the format document is generated from the shipped schema).
"""

from renpsim._atomic import clean_partials
from renpsim.runfile.importer import import_counts
from renpsim.runfile.reader import (
    Calibration,
    DarkCalibration,
    RunFile,
    follow_run,
    imprinted_momentum,
    open_run,
    run_total_counts,
)
from renpsim.runfile.schema import load_schema, render_markdown, schema_version
from renpsim.runfile.strip import strip_truth
from renpsim.runfile.validate import ValidationReport, validate_run
from renpsim.runfile.writer import (
    RunConfig,
    RunIdentity,
    RunWriter,
    TruthSpec,
)

__all__ = [
    "Calibration",
    "DarkCalibration",
    "RunConfig",
    "RunFile",
    "RunIdentity",
    "RunWriter",
    "TruthSpec",
    "ValidationReport",
    "clean_partials",
    "follow_run",
    "import_counts",
    "imprinted_momentum",
    "load_schema",
    "open_run",
    "render_markdown",
    "run_total_counts",
    "schema_version",
    "strip_truth",
    "validate_run",
]
