"""Reading binned datasets for the fitter: JSON datasets and HDF5 run files.

* ``*.json``: a plain binned dataset (``omega_eV``, ``exposure_s`` in coherent seconds (the
  former name ``dwell_s`` is still read), ``counts``, optional ``live_s``, ``target``,
  ``oscillation``, ``label`` and a ``calibration`` object with the fields of
  :class:`~renpsim.stats.dataset.LikelihoodCalibration`).
* ``*.h5`` / ``*.hdf5``: a run file of schema ``renp-run`` v1 ([hardware §9]).
  Files written by renpsim (a frozen campaign in ``/config/config_json``) are read through
  ``renpsim.runfile.open_run`` and the hardware response of ``renpsim.daq.expected_counts``
  (:func:`_from_runfile`). Other v1 files (e.g. converted real data without a campaign) go
  through a minimal direct reader of ``/scan``, ``/config`` and ``/calibration``.
  ``/truth`` is never opened unless ``validate_truth=True`` ([hardware §9.4]).

Normalisation from a run file (assumption, stated in the output): the nominal rate per unit I is
the target's reference Gamma_0 scaled to V = area x length and n_a = n_gamma = number density
([physics §1.5]); the coherence eta is inside ``/scan/coherent_exposure_s``. The normalisation
is left unconstrained: the run-file schema defines no normalisation calibration, and items the
schema does not define are not read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from renpsim.constants import H_EV_S
from renpsim.errors import DataFileError, InputError
from renpsim.physics.oscillation import DEFAULT_PRESET
from renpsim.physics.rate import rate_scale
from renpsim.physics.targets import load_target
from renpsim.stats.dataset import BinnedDataset, LikelihoodCalibration

_CAL_FIELDS = ("rate_scale_per_s", "norm_sigma_rel", "efficiency", "efficiency_sigma",
               "dark_counts", "dark_live_s", "background_rate_per_s", "background_sigma_rel",
               "freq_offset_sigma_eV", "E_eg_sigma_eV", "channel_weight")


def dataset_to_json(ds: BinnedDataset) -> dict:
    """JSON-ready form of a dataset (inverse of :func:`load_dataset` for ``.json``)."""
    cal = {k: getattr(ds.calibration, k) for k in _CAL_FIELDS}
    for k, v in cal.items():
        if v is not None and np.ndim(v):
            # per-step or per-channel arrays; an uncalibrated channel's NaN sigma -> null
            cal[k] = [None if np.isnan(e) else e for e in np.asarray(v, dtype=float).tolist()]
    if cal["channel_weight"] is None:
        del cal["channel_weight"]
    out = {"format": "renpsim-binned-dataset v1", "omega_eV": ds.omega_eV.tolist(),
           "exposure_s": ds.exposure_s.tolist(), "counts": ds.counts.tolist(), "target": ds.target,
           "oscillation": ds.oscillation, "label": ds.label, "calibration": cal}
    if ds.live_s is not None:
        out["live_s"] = ds.live_s.tolist()
    return out


def _from_json(path: Path) -> tuple[BinnedDataset, dict | None]:
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise DataFileError(str(path), "-", f"cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), "-", f"not valid JSON ({exc.msg}, line {exc.lineno})") \
            from None
    if not isinstance(doc, dict):
        raise DataFileError(str(path), "-", "expected a JSON object")
    if "exposure_s" not in doc and "dwell_s" in doc:   # the field's former name
        doc = {**doc, "exposure_s": doc["dwell_s"]}
    for key in ("omega_eV", "exposure_s", "counts", "calibration"):
        if key not in doc:
            raise DataFileError(str(path), key, "missing")
    cal = doc["calibration"]
    if not isinstance(cal, dict) or "rate_scale_per_s" not in cal:
        raise DataFileError(str(path), "calibration.rate_scale_per_s", "missing")
    unknown = set(cal) - set(_CAL_FIELDS)
    if unknown:
        raise DataFileError(str(path), f"calibration.{sorted(unknown)[0]}",
                            "unknown field; expected one of " + ", ".join(_CAL_FIELDS))
    if isinstance(cal.get("efficiency_sigma"), list):
        cal = {**cal, "efficiency_sigma": [np.nan if e is None else e
                                           for e in cal["efficiency_sigma"]]}
    try:
        calib = LikelihoodCalibration(**cal)
        ds = BinnedDataset(
            omega_eV=doc["omega_eV"], exposure_s=doc["exposure_s"], counts=doc["counts"],
            calibration=calib, target=doc.get("target", "Yb"),
            oscillation=doc.get("oscillation", DEFAULT_PRESET),
            label=doc.get("label", path.stem), live_s=doc.get("live_s"),
            meta={"path": str(path), "oscillation_source": (
                "dataset field oscillation" if "oscillation" in doc
                else "default (the file records no preset)")})
    except InputError as exc:
        raise InputError(str(path), exc.key, exc.value, exc.expected) from None
    return ds, doc.get("truth")


def _has_campaign_config(path: Path) -> bool:
    """Return True for run files written by renpsim (frozen campaign in config_json)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if "config/config_json" not in f:
                return False
            raw = f["config/config_json"][()]
            doc = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
            return isinstance(doc, dict) and isinstance(doc.get("campaign"), dict)
    except (OSError, ValueError):
        return False


def _attr(node, key, path, default=None, required=True):
    if key in node.attrs:
        v = node.attrs[key]
        return v.decode() if isinstance(v, bytes) else v
    if required and default is None:
        raise DataFileError(str(path), f"{node.name}@{key}", "missing attribute")
    return default


def _channels(group, path: Path) -> list:
    """Members ``det_<c>`` of a group in channel order ([hardware §9]: c = 0 .. N-1)."""
    out = {}
    for name, node in group.items():
        if name.startswith("det_") and name[4:].isdigit():
            out[int(name[4:])] = node
    if sorted(out) != list(range(len(out))):
        raise DataFileError(str(path), group.name, f"channels {sorted(out)}: expected det_0 .. "
                            f"det_{len(out) - 1} without gaps")
    return [out[c] for c in range(len(out))]


def _dark_runs(group, n_ch: int, path: Path) -> tuple:
    """Dark-run counts and live time per channel from ``/calibration/dark/det_<c>``.

    Every channel needs its own dark run (each has its own dark-rate nuisance); one channel
    gives plain floats, several give arrays.
    """
    counts, live = [], []
    for c in range(n_ch):
        key = f"{group.name}/det_{c}"
        if f"det_{c}" not in group:
            raise DataFileError(str(path), key, f"missing: no dark run for detector channel {c} "
                                f"(the file has {n_ch} channels and a dark calibration; every "
                                "channel needs its own)")
        g = group[f"det_{c}"]
        for item in ("counts", "live_time_s"):
            if item not in g:
                raise DataFileError(str(path), f"{key}/{item}", "missing")
        n = float(np.sum(g["counts"][()]))
        t = float(np.sum(g["live_time_s"][()]))
        if not (np.isfinite(t) and t > 0):
            raise DataFileError(str(path), f"{key}/live_time_s", f"{t}: expected a live time "
                                f"> 0 s for the dark run of channel {c}")
        if not (np.isfinite(n) and n >= 0):
            raise DataFileError(str(path), f"{key}/counts", f"{n}: expected counts >= 0")
        counts.append(n)
        live.append(t)
    if n_ch == 1:
        return counts[0], live[0]
    return np.asarray(counts), np.asarray(live)


def _from_h5(path: Path, validate_truth: bool) -> tuple[BinnedDataset, dict | None]:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataFileError(str(path), "-", f"not a readable HDF5 file ({exc})") from None
    with f:
        name = _attr(f, "schema_name", path, required=False, default="?")
        version = str(_attr(f, "schema_version", path, required=False, default="?"))
        if name != "renp-run" or not version.startswith("1."):
            raise DataFileError(str(path), "schema_name/schema_version", f"{name} {version}: "
                                "expected a renp-run v1.x file")
        for item in ("scan/set_photon_energy_eV", "scan/coherent_exposure_s",
                     "scan/counts_signal", "config/target"):
            if item not in f:
                raise DataFileError(str(path), "/" + item, "missing (required for a fit)")
        omega = np.asarray(f["scan/set_photon_energy_eV"][()], dtype=float)
        expo = np.asarray(f["scan/coherent_exposure_s"][()], dtype=float)
        counts = np.asarray(f["scan/counts_signal"][()], dtype=float)
        counts = counts.reshape(counts.shape[0], -1)
        n_ch = counts.shape[1]
        live = None
        if "scan/gate_live_time_s" in f:
            live = np.asarray(f["scan/gate_live_time_s"][()], dtype=float)
            live = live.reshape(live.shape[0], -1) if live.ndim else live
            if live.ndim != 2 or live.shape[1] not in (1, n_ch):
                raise DataFileError(str(path), "/scan/gate_live_time_s",
                                    f"shape {live.shape}: expected [N_steps, {n_ch}] (one "
                                    "column per channel of /scan/counts_signal)")
        tg = f["config/target"]
        species = str(_attr(tg, "species", path))
        isotope = _attr(tg, "isotope", path, required=False)
        target_name = species if isotope is None else f"{species}-{isotope}"
        try:
            target = load_target(target_name)
        except InputError:
            target = load_target(species)
            target_name = species
        n_m3 = float(_attr(tg, "number_density_m3", path))
        vol_cm3 = float(_attr(tg, "area_m2", path)) * float(_attr(tg, "length_m", path)) * 1e6
        n_cm3 = n_m3 * 1e-6
        r0 = float(rate_scale(target, volume_cm3=vol_cm3, n_atoms_cm3=n_cm3, n_gamma_cm3=n_cm3))
        E_unc = _attr(tg, "E_eg_unc_eV", path, required=False)
        eff, eff_unc = [], []
        if "config/detector" in f:
            dets = _channels(f["config/detector"], path)
            if len(dets) != n_ch:
                raise DataFileError(str(path), "/config/detector", f"{len(dets)} det_<c> "
                                    f"groups but /scan/counts_signal has {n_ch} channel(s)")
            for det in dets:
                eff.append(float(_attr(det, "efficiency", path)))
                u = _attr(det, "efficiency_unc", path, required=False)
                eff_unc.append(float(u) if u is not None else np.nan)
        dark_c = dark_t = None
        if "calibration/dark" in f:
            dark_c, dark_t = _dark_runs(f["calibration/dark"], n_ch, path)
        f_unc = None
        if "calibration/frequency" in f:
            g = f["calibration/frequency"]
            if "offset_unc_Hz" in g:
                f_unc = float(np.asarray(g["offset_unc_Hz"][()]).ravel()[0]) * H_EV_S
        truth = None
        if validate_truth:
            if "truth/params_json" not in f:
                raise DataFileError(str(path), "/truth/params_json",
                                    "missing (needed for validate_truth)")
            raw = f["truth/params_json"][()]
            try:
                truth = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
            except json.JSONDecodeError as exc:
                raise DataFileError(str(path), "/truth/params_json",
                                    f"not valid JSON ({exc.msg})") from None
        label = str(_attr(f, "run_id", path, required=False, default=path.stem))
    if n_ch > 1 and eff:
        # independent detector calibrations: one efficiency nuisance per channel; each channel
        # receives an equal share of the photons (no geometric split in the file) [A]
        e, e_unc = np.asarray(eff), np.asarray(eff_unc)
        e_unc = e_unc if np.any(np.isfinite(e_unc) & (e_unc > 0)) else None
        if e_unc is not None:
            e_unc = np.where(e_unc > 0, e_unc, np.nan)
    else:
        e = float(np.mean(eff)) if eff else 1.0
        e_unc = float(np.nanmean(eff_unc)) if eff_unc and np.any(np.isfinite(eff_unc)) \
            else None
        e_unc = e_unc or None
    try:
        cal = LikelihoodCalibration(
            rate_scale_per_s=r0, efficiency=e, efficiency_sigma=e_unc, dark_counts=dark_c,
            dark_live_s=dark_t, freq_offset_sigma_eV=f_unc or None,
            E_eg_sigma_eV=float(E_unc) if E_unc else None)
        counts = counts[:, 0] if n_ch == 1 else counts
        if live is not None and live.ndim == 2 and live.shape[1] == 1:
            live = live[:, 0]
        ds = BinnedDataset(omega_eV=omega, exposure_s=expo, counts=counts, calibration=cal,
                           target=target_name, oscillation=DEFAULT_PRESET, label=label,
                           live_s=live, meta={"path": str(path), "oscillation_source":
                                              "default (the file records no preset)"})
    except InputError as exc:
        raise InputError(str(path), exc.key, exc.value, exc.expected) from None
    return ds, truth


#: Relative 1 sigma of the modelled background (bkg_scale) for run files [A]: the hardware
#: background model is not calibrated in situ; an assumption knob, stated in the output.
RUNFILE_BACKGROUND_SIGMA_REL = 0.5


def _from_runfile(path: Path, validate_truth: bool) -> tuple[BinnedDataset, dict | None]:
    """Read a run file through ``renpsim.runfile.open_run`` ([hardware §9]).

    * counts, coherent exposure and gate live time per step from ``RunFile.steps``;
    * the signal response per unit I(omega) and the modelled backgrounds (not dark) from the
      frozen campaign in ``/config/config_json`` through ``renpsim.daq.expected_counts``
      (hypothesis independent: signal / I_eff); never from ``/truth``;
    * counts and gate live time per (step, channel); several channels share the modelled
      response in proportion to their efficiencies (``channel_weight``);
    * dark rate per channel: each channel's dark-run counts and live time of
      ``/calibration/dark/det_<c>`` (Poisson term);
    * efficiency: a relative multiplier per channel (1 +- efficiency_unc/efficiency at the
      signal wavelength) since the response already includes the absolute efficiency;
    * frequency offset: the calibration offset is applied to the set energies and its
      uncertainty becomes the frequency nuisance; E_eg uncertainty from ``/config/target``.
    """
    from renpsim.campaign.campaign import campaign_from_dict
    from renpsim.constants import C_M_PER_S
    from renpsim.daq import expected_counts
    from renpsim.daq.rates import step_model
    from renpsim.errors import RunFileError
    from renpsim.runfile import open_run

    try:
        run = open_run(path)
    except RunFileError as exc:
        raise DataFileError(str(path), exc.key, exc.problem) from None
    if run.identity.get("complete") is not True:
        raise DataFileError(str(path), "/@complete", f"{run.identity.get('complete')!r}: "
                            "expected True (the writer did not finish: a partial file, or "
                            "one still being written; fit it once complete)")
    steps = run.steps
    doc = run.config.get("campaign") if isinstance(run.config, dict) else None
    if not isinstance(doc, dict):
        raise DataFileError(str(path), "/config/config_json", "no 'campaign' section: the "
                            "signal response per unit I(omega) cannot be calibrated")
    camp = campaign_from_dict(doc, f"{path}:/config/config_json")
    table = expected_counts(camp)
    if len(table) != len(steps):
        raise DataFileError(str(path), "/scan", f"{len(steps)} steps but the frozen campaign "
                            f"has {len(table)}")
    expo = steps["exposure_s"].to_numpy(float)
    model_expo = table["exposure_s"].to_numpy(float)
    # the rate per unit I(omega) per coherent second is held by the step model (not divided
    # back out of the expected counts)
    r0 = np.asarray(step_model(camp).c_sig, float)
    if not np.any((r0 > 0) & (model_expo > 0)):
        raise DataFileError(str(path), "/config/config_json", "no step with signal in the model")
    cal = run.calibration
    n_ch = int(run.n_channels)
    dark_c = dark_t = None
    if cal.dark and all(d.live_time_s > 0 for d in cal.dark.values()):
        for c in range(n_ch):
            if c not in cal.dark:
                raise DataFileError(str(path), f"/calibration/dark/det_{c}", "missing: no dark "
                                    f"run for detector channel {c} (the file has {n_ch} "
                                    "channels and a dark calibration; every channel needs its "
                                    "own)")
        dark_c = np.array([float(cal.dark[c].counts) for c in range(n_ch)])
        dark_t = np.array([float(cal.dark[c].live_time_s) for c in range(n_ch)])
        if n_ch == 1:
            dark_c, dark_t = float(dark_c[0]), float(dark_t[0])
    # with a dark run the dark rate is its own (Poisson-constrained) nuisance; without one the
    # modelled dark counts stay in the modelled background
    bkg_counts = (table["background"] - (table["dark"] if dark_c is not None else 0.0))
    bkg_counts = bkg_counts.to_numpy(float)
    bkg = np.where(model_expo > 0, bkg_counts / np.where(model_expo > 0, model_expo, 1.0), 0.0)
    tgt = run.hardware["target"]
    E_eg = float(tgt.get("E_eg_eV", 0.0)) or None
    eff_rel = None
    if cal.detector_efficiency and E_eg:
        lam = H_EV_S * C_M_PER_S / (E_eg / 2.0)
        rel = []
        for c in range(n_ch) if n_ch > 1 else sorted(cal.detector_efficiency):
            e = cal.detector_efficiency.get(c)
            eff = float(np.interp(lam, e.wavelength_m, e.efficiency)) if e else 0.0
            unc = float(np.interp(lam, e.wavelength_m, e.efficiency_unc)) if e else 0.0
            rel.append(unc / eff if eff > 0 and unc > 0 else np.nan)
        if n_ch > 1:  # independent calibrations: one relative efficiency nuisance per channel
            eff_rel = np.asarray(rel) if np.any(np.isfinite(rel)) else None
        else:
            eff_rel = float(np.nanmean(rel)) if np.any(np.isfinite(rel)) else None
    counts = steps["counts"].to_numpy(float)
    live = steps["live_s"].to_numpy(float)
    weight = None
    if n_ch > 1:
        # per-channel counts and live times; the frozen campaign's response (one detector
        # model) is split among the channels by their relative efficiencies eps_c / sum eps
        # ([hardware §5.2]: equal photon shares, each detected with its own efficiency)
        counts = np.column_stack([run.scan[f"counts_signal_{c}"].to_numpy(float)
                                  for c in range(n_ch)])
        live = np.column_stack([run.scan[f"gate_live_time_s_{c}"].to_numpy(float)
                                for c in range(n_ch)])
        eps = np.array([float(d.get("efficiency", 0.0) or 0.0)
                        for d in run.hardware["detectors"]])
        weight = eps if np.all(eps > 0) else None
    f_unc = cal.frequency_offset_unc_Hz * H_EV_S or None
    omega = steps["omega_eV"].to_numpy(float) + cal.frequency_offset_Hz * H_EV_S
    species = str(tgt.get("species", "Yb"))
    iso = str(tgt.get("isotope", ""))
    target = camp.hardware.target
    target_name = f"{target.species}-{target.isotope}" if target.isotope else species
    try:
        load_target(target_name)
    except InputError:
        target_name = species if not iso or iso == "0" else f"{species}-{iso}"
    E_unc = tgt.get("E_eg_unc_eV")
    truth = None
    if validate_truth:
        try:
            params = dict(run.truth()["params"])
        except RunFileError as exc:
            raise DataFileError(str(path), exc.key, exc.problem) from None
        nu = params.get("neutrinos", {}) if isinstance(params.get("neutrinos"), dict) else {}
        truth = {k: v for k, v in params.items() if isinstance(v, int | float)}
        truth.update({k: v for k, v in nu.items() if isinstance(v, int | float | str)})
        truth["norm"] = 1.0  # the response is the generating model's by construction
    try:
        calib = LikelihoodCalibration(
            rate_scale_per_s=float(r0[0]) if np.allclose(r0, r0[0], rtol=1e-12) else r0,
            efficiency=1.0 if n_ch == 1 else np.ones(n_ch), efficiency_sigma=eff_rel,
            dark_counts=dark_c, dark_live_s=dark_t, channel_weight=weight,
            background_rate_per_s=bkg,
            background_sigma_rel=RUNFILE_BACKGROUND_SIGMA_REL if np.any(bkg > 0) else None,
            freq_offset_sigma_eV=f_unc, E_eg_sigma_eV=float(E_unc) if E_unc else None)
        ds = BinnedDataset(
            omega_eV=omega, exposure_s=expo, counts=counts,
            calibration=calib, target=target_name, oscillation=camp.truth.oscillation,
            label=str(run.identity.get("run_id", path.stem)),
            live_s=live, meta={"path": str(path), "reader": "renpsim.runfile",
                  "oscillation_source": "run file /config/config_json campaign.truth."
                                        "oscillation",
                  "response": "renpsim.daq.expected_counts of the frozen campaign",
                  "background_sigma_rel": RUNFILE_BACKGROUND_SIGMA_REL},
            **camp.hardware.lasers.imprinted)
    except InputError as exc:
        raise InputError(str(path), exc.key, exc.value, exc.expected) from None
    return ds, truth


def load_dataset(path: str | Path, *, validate_truth: bool = False
                 ) -> tuple[BinnedDataset, dict | None]:
    """Load a binned dataset from ``.json`` or a ``.h5`` run file.

    Returns
    -------
    (BinnedDataset, dict or None)
        The dataset and, only with ``validate_truth=True``, the truth parameters.

    Raises
    ------
    InputError
        Unsupported extension or missing file.
    DataFileError
        Malformed content.

    """
    p = Path(path)
    if not p.is_file():
        raise InputError("argument RUN", "path", str(p), "an existing .json or .h5 file")
    if p.suffix.lower() == ".json":
        return _from_json(p)
    if p.suffix.lower() in (".h5", ".hdf5"):
        if _has_campaign_config(p):
            return _from_runfile(p, validate_truth)
        return _from_h5(p, validate_truth)
    raise InputError("argument RUN", "path", str(p), "a .json dataset or a .h5/.hdf5 run file")
