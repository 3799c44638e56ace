"""Helpers for the statistics tests: a minimal renp-run v1 file (hardware.md section 9)."""

import json

import h5py
import numpy as np


def write_runfile(path, counts, *, omega=(1.0688, 1.0699, 1.0711), exposure_s=2.0e5,
                  efficiency_unc=0.02, truth=None, dark=True, corrupt_truth=False):
    """Write the items of schema v1 that a binned fit needs (one detector channel).

    Target: Yb-gp21 reference conditions (V = 100 cm^3 as 1e-4 m^2 x 1 m, n = 1e21 cm^-3).
    """
    n = len(omega)
    with h5py.File(path, "w") as f:
        f.attrs["schema_name"] = "renp-run"
        f.attrs["schema_version"] = "1.0.0"
        f.attrs["file_kind"] = "synthetic"
        f.attrs["run_id"] = "TEST-0001"
        f.attrs["has_truth"] = truth is not None or corrupt_truth
        t = f.create_group("config/target")
        t.attrs.update({"species": "Yb", "isotope": "gp21", "E_eg_eV": 2.14349,
                        "E_eg_unc_eV": 5e-6, "number_density_m3": 1e27, "length_m": 1.0,
                        "area_m2": 1e-4})
        d = f.create_group("config/detector/det_0")
        d.attrs["efficiency"] = 0.8
        if efficiency_unc is not None:
            d.attrs["efficiency_unc"] = efficiency_unc
        s = f.create_group("scan")
        s["set_photon_energy_eV"] = np.asarray(omega, float)
        s["coherent_exposure_s"] = np.full(n, exposure_s)
        s["gate_live_time_s"] = np.full((n, 1), exposure_s)
        s["counts_signal"] = np.asarray(counts, dtype=np.uint64).reshape(n, 1)
        if dark:
            g = f.create_group("calibration/dark/det_0")
            g["counts"] = np.uint64(0)
            g["live_time_s"] = 1e5
        fr = f.create_group("calibration/frequency")
        fr["offset_Hz"] = 0.0
        fr["offset_unc_Hz"] = 1e6
        if truth is not None:
            f["truth/params_json"] = json.dumps(truth)
        if corrupt_truth:
            f["truth/params_json"] = "{not json"
