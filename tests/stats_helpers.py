"""Helpers for the statistics tests: small renp-run v1 files ([hardware §9])."""

import json

import h5py
import numpy as np


def write_runfile(path, counts, *, omega=(1.0688, 1.0699, 1.0711), exposure_s=2.0e5,
                  efficiency_unc=0.02, truth=None, dark=True, corrupt_truth=False,
                  efficiency=0.8, dark_counts=0, dark_live_s=1e5, live_s=None):
    """Write a valid run file (no frozen campaign) through the importer of real data.

    Target: Yb-gp21 (the GP21 E_eg recorded with isotope 174) at the reference conditions
    (V = 100 cm^3 as 1e-4 m^2 x 1 m, n = 1e21 cm^-3).
    One detector channel for 1-d ``counts``; ``counts`` of shape (n_steps, n_channels) makes
    one channel each, with ``efficiency``, ``efficiency_unc`` (None: 0, uncalibrated),
    ``dark_counts``, ``dark_live_s`` given per channel (or one value for all). ``dark`` may be
    a list of the channels that have a dark run (the others get a dark run of live time 0).
    ``live_s``: gate live time [n_steps, n_channels] (default the coherent exposure).
    ``truth`` (a dict) or ``corrupt_truth`` make it a synthetic file with
    ``/truth/params_json`` (the latter not valid JSON).
    """
    import pandas as pd

    from renpsim.runfile import import_counts

    n = len(omega)
    counts = np.asarray(counts).reshape(n, -1)
    n_ch = counts.shape[1]
    live = (np.full((n, n_ch), exposure_s) if live_s is None
            else np.asarray(live_s, float).reshape(n, n_ch))

    def per(v, c):
        return v[c] if np.ndim(v) else v

    table = {"omega_eV": np.asarray(omega, float), "dwell_s": np.full(n, exposure_s),
             "exposure_s": np.full(n, exposure_s)}
    for c in range(n_ch):
        suffix = "" if n_ch == 1 else f"_{c}"
        table[f"counts{suffix}"] = counts[:, c].astype(np.int64)
        table[f"live_s{suffix}"] = live[:, c]
    with_dark = list(range(n_ch)) if dark is True else list(dark or [])
    meta = {
        "run": {"run_id": "TEST-0001", "experiment": "stats-test", "file_kind": "real",
                "run_start_utc_ns": 1_750_000_000 * 10**9},
        "target": {"species": "Yb", "isotope": 174, "E_eg_eV": 2.14349,
                   "E_eg_unc_eV": 5e-6, "phase": "solid", "number_density_m3": 1e27,
                   "length_m": 1.0, "area_m2": 1e-4},
        "lasers": [{"role": "omega", "nominal_wavelength_m": 1.16e-6},
                   {"role": "omega_prime", "nominal_wavelength_m": 1.16e-6}],
        "detectors": [{"type": "ideal", "efficiency": float(per(efficiency, c)),
                       "efficiency_unc": float(per(efficiency_unc, c) or 0.0),
                       "dark_rate_Hz": 0.0, "dead_time_s": 0.0, "dead_time_model": "none"}
                      for c in range(n_ch)],
        "daq": {"mode": "counts", "time_unit_s": 1e-12},
        "calibration": {
            "frequency": {"offset_Hz": 0.0, "offset_unc_Hz": 1e6, "reference": "test"},
            # a channel without a dark run: live time 0 (the format has one group per channel)
            "dark": [{"channel": c, "counts": int(per(dark_counts, c)) if c in with_dark else 0,
                      "live_time_s": float(per(dark_live_s, c)) if c in with_dark else 0.0}
                     for c in range(n_ch)],
            "detector_efficiency": [
                {"channel": c, "wavelength_m": [1.157e-6],
                 "efficiency": [float(per(efficiency, c))],
                 "efficiency_unc": [float(per(efficiency_unc, c) or 0.0)], "method": "test",
                 "date_utc_ns": 0, "reference": "test"} for c in range(n_ch)]},
    }
    import_counts(pd.DataFrame(table), meta, path)
    if truth is not None or corrupt_truth:
        with h5py.File(path, "r+") as f:
            f.attrs["file_kind"] = "synthetic"
            f.attrs["seed_entropy"] = "1"
            f.attrs["has_truth"] = True
            f["truth/params_json"] = "{not json" if corrupt_truth else json.dumps(truth)
            f["truth/expected_signal"] = np.zeros((n, n_ch))
            for item, units in (("params_json", ""), ("expected_signal", "1")):
                f[f"truth/{item}"].attrs.update({"units": units, "description": item})


def split_channels(src, dst, *, efficiency=(1.0, 0.5), dark_rate_per_s=(1e-5, 1e-3),
                   dark_live_s=1e6, seed=0):
    """Copy a one-channel run file written by ``renpsim simulate`` into a two-channel one.

    The simulated signal counts of each step are split binomially in the ratio of the channel
    efficiencies (both channels see equal photon fluxes, [hardware §5.2]); each channel then
    gets Poisson dark counts at its own rate over its gate live time, and a dark run of
    ``dark_live_s`` with Poisson counts at that rate. The frozen campaign is unchanged.
    """
    import shutil

    rng = np.random.default_rng(seed)
    eff = np.asarray(efficiency, float)
    share = eff / eff.sum()
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        s = f["scan"]
        live = s["gate_live_time_s"][()]
        n1 = s["counts_signal"][()][:, 0].astype(np.int64)
        first = rng.binomial(n1, share[0])
        dark = rng.poisson(np.asarray(dark_rate_per_s) * live)
        new = {"counts_signal": np.column_stack([first, n1 - first]) + dark,
               "counts_background": np.column_stack([s["counts_background"][()][:, 0]] * 2)
               + dark,
               "gate_live_time_s": np.column_stack([live[:, 0]] * 2),
               "detection_efficiency": np.column_stack([s["detection_efficiency"][()][:, 0]]
                                                       * 2),
               "expected_background_counts": np.asarray(dark_rate_per_s) * live}
        for name, arr in new.items():
            old = s[name]
            attrs, dtype = dict(old.attrs), old.dtype
            del s[name]
            ds = s.create_dataset(name, data=arr.astype(dtype), maxshape=(None, 2),
                                  chunks=True)
            ds.attrs.update(attrs)
        per_channel = []
        f["truth"].visititems(lambda n, o: per_channel.append(n) if isinstance(
            o, h5py.Dataset) and o.ndim == 2 and o.shape[1] == 1 else None)
        for name in per_channel:
            old = f["truth"][name]
            attrs, v = dict(old.attrs), old[()][:, 0]
            arr = (np.asarray(dark_rate_per_s) * live if name.endswith("dark")
                   else np.column_stack([v * share[0], v * share[1]]))
            del f["truth"][name]
            f["truth"].create_dataset(name, data=arr, maxshape=(None, 2),
                                      chunks=True).attrs.update(attrs)
        from renpsim.runfile.writer import write_nexus_entry

        write_nexus_entry(f)   # the NeXus view of /scan now has two channels
        f.copy(f["config/detector/det_0"], f["config/detector"], "det_1")
        for c, e in enumerate(eff):
            f[f"config/detector/det_{c}"].attrs["efficiency"] = e
            f[f"config/detector/det_{c}"].attrs["channel"] = c
        for grp in list(f["calibration"]):
            g = f["calibration"][grp]
            if isinstance(g, h5py.Group) and "det_0" in g:
                g.copy(g["det_0"], g, "det_1")
        for c, r in enumerate(dark_rate_per_s):
            d = f[f"calibration/dark/det_{c}"]
            for item, value in (("counts", rng.poisson(r * dark_live_s)),
                                ("live_time_s", dark_live_s)):
                attrs, dtype = dict(d[item].attrs), d[item].dtype
                del d[item]
                d.create_dataset(item, data=np.asarray(value, dtype=dtype)).attrs.update(attrs)
