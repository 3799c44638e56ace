"""Reading binned datasets for the fitter: JSON datasets and HDF5 run files.

* ``*.json``: a plain binned dataset (``omega_eV``, ``exposure_s`` in coherent seconds (the
  former name ``dwell_s`` is still read), ``counts``, optional ``live_s``, ``target``,
  ``oscillation``, ``label`` and a ``calibration`` object with the fields of
  :class:`~renpsim.stats.dataset.LikelihoodCalibration`).
* ``*.h5`` / ``*.hdf5``: a run file of schema ``renp-run`` v1 ([hardware §9]), always read
  (and validated) by ``renpsim.runfile.open_run``, the one run-file reader; this module builds
  the dataset from its result and never opens HDF5 itself. Files with a frozen campaign in
  ``/config/config_json`` (written by renpsim) take the hardware response of
  ``renpsim.daq.expected_counts``; files without one (imported real data) the target's
  reference normalisation (:func:`_from_run_without_campaign`). ``/truth`` is never read
  unless ``validate_truth=True`` ([hardware §9.4]).

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


def _dark_runs(run, path: Path) -> tuple:
    """Dark-run counts and live time per channel from ``RunFile.calibration.dark``.

    Every channel needs its own dark run (each has its own dark-rate nuisance) once the file
    has any; one channel gives plain floats, several give arrays. Without a dark run (none, or
    every channel's live time 0) the result is (None, None). One rule for every run file.
    """
    dark, n_ch = run.calibration.dark, int(run.n_channels)
    if not dark or all(not d.live_time_s > 0 for d in dark.values()):
        return None, None   # no dark run (every channel's live time 0)
    counts, live = [], []
    for c in range(n_ch):
        key = f"/calibration/dark/det_{c}"
        if c not in dark:
            raise DataFileError(str(path), key, f"missing: no dark run for detector channel {c} "
                                f"(the file has {n_ch} channels and a dark calibration; every "
                                "channel needs its own)")
        n, t = float(dark[c].counts), float(dark[c].live_time_s)
        if not (np.isfinite(t) and t > 0):
            raise DataFileError(str(path), f"{key}/live_time_s", f"{t}: expected a live time "
                                f"> 0 s for the dark run of channel {c}")
        counts.append(n)
        live.append(t)
    if n_ch == 1:
        return counts[0], live[0]
    return np.asarray(counts), np.asarray(live)


def _target_name(species: str, isotope, E_eg_eV: float | None) -> str:
    """Target preset of a run file's ``/config/target``: ``<species>-<isotope>`` or the species.

    When the file's E_eg differs from that preset's, the isotope entry of the species whose
    E_eg equals the file's (e.g. ``Yb-gp21``, the GP21 reference value) is used: the file
    states the level energy of its measurement.
    """
    from renpsim.physics.targets import list_isotopes

    name = species if isotope in (None, "", "0", 0) else f"{species}-{isotope}"
    try:
        target = load_target(name)
    except InputError:
        name, target = species, load_target(species)
    if E_eg_eV and target.E_eg_eV != E_eg_eV:
        for iso in list_isotopes(species):
            try:
                if load_target(species, iso).E_eg_eV == E_eg_eV:
                    return f"{species}-{iso}"
            except InputError:
                continue
    return name


def _from_run_without_campaign(run, path: Path, truth: dict | None
                               ) -> tuple[BinnedDataset, dict | None]:
    """Dataset of a run file that records no campaign (e.g. imported real data).

    The signal normalisation is the target's reference Gamma_0 scaled to the file's volume
    and density ([physics §1.5]); efficiencies and their uncertainties are the detectors'
    ``/config/detector/det_<c>`` attributes (absolute), the dark rates are constrained by the
    dark runs, the frequency calibration offset is applied to the set energies and its
    uncertainty is the frequency nuisance; E_eg uncertainty from ``/config/target``.
    """
    n_ch = int(run.n_channels)
    tg = run.hardware["target"]
    species = str(tg.get("species", "Yb"))
    target_name = _target_name(species, tg.get("isotope"), tg.get("E_eg_eV"))
    target = load_target(target_name)
    try:
        n_m3 = float(tg["number_density_m3"])
        vol_cm3 = float(tg["area_m2"]) * float(tg["length_m"]) * 1e6
    except (KeyError, TypeError, ValueError):
        raise DataFileError(str(path), "/config/target", "number_density_m3, area_m2 and "
                            "length_m are needed for the signal normalisation") from None
    n_cm3 = n_m3 * 1e-6
    r0 = float(rate_scale(target, volume_cm3=vol_cm3, n_atoms_cm3=n_cm3, n_gamma_cm3=n_cm3))
    eff = np.array([float(d.get("efficiency", 1.0)) for d in run.hardware["detectors"]])
    eff_unc = np.array([float(d.get("efficiency_unc") or 0.0)
                        for d in run.hardware["detectors"]])
    if n_ch > 1:
        # independent detector calibrations: one efficiency nuisance per channel; each channel
        # receives an equal share of the photons (no geometric split in the file) [A]
        e = eff
        e_unc = np.where(eff_unc > 0, eff_unc, np.nan) if np.any(eff_unc > 0) else None
    else:
        e = float(eff[0])
        e_unc = float(eff_unc[0]) or None
    dark_c, dark_t = _dark_runs(run, path)
    cal = run.calibration
    f_unc = cal.frequency_offset_unc_Hz * H_EV_S or None
    E_unc = tg.get("E_eg_unc_eV")
    if n_ch == 1:
        counts = run.steps["counts"].to_numpy(float)
        live = run.scan["gate_live_time_s_0"].to_numpy(float)
    else:
        counts = np.column_stack([run.scan[f"counts_signal_{c}"].to_numpy(float)
                                  for c in range(n_ch)])
        live = np.column_stack([run.scan[f"gate_live_time_s_{c}"].to_numpy(float)
                                for c in range(n_ch)])
    try:
        calib = LikelihoodCalibration(
            rate_scale_per_s=r0, efficiency=e, efficiency_sigma=e_unc, dark_counts=dark_c,
            dark_live_s=dark_t, freq_offset_sigma_eV=f_unc,
            E_eg_sigma_eV=float(E_unc) if E_unc else None)
        ds = BinnedDataset(
            omega_eV=run.steps["omega_eV"].to_numpy(float) + cal.frequency_offset_Hz * H_EV_S,
            exposure_s=run.steps["exposure_s"].to_numpy(float), counts=counts,
            calibration=calib, target=target_name, oscillation=DEFAULT_PRESET,
            label=str(run.identity.get("run_id", path.stem)), live_s=live,
            meta={"path": str(path), "reader": "renpsim.runfile",
                  "oscillation_source": "default (the file records no preset)",
                  "response": "target reference normalisation (no campaign in the file)"})
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
    params = None
    if validate_truth:
        try:
            params = dict(run.truth()["params"])
        except RunFileError as exc:
            raise DataFileError(str(path), exc.key, exc.problem) from None
        except ValueError as exc:   # not valid JSON (json.JSONDecodeError) or not an object
            raise DataFileError(str(path), "/truth/params_json", f"not a valid JSON object "
                                f"({exc})") from None
    steps = run.steps
    doc = run.config.get("campaign") if isinstance(run.config, dict) else None
    if not isinstance(doc, dict):
        return _from_run_without_campaign(run, path, params)
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
    dark_c, dark_t = _dark_runs(run, path)
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
    if params is not None:
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
        return _from_runfile(p, validate_truth)
    raise InputError("argument RUN", "path", str(p), "a .json dataset or a .h5/.hdf5 run file")
