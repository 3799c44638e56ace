"""Fit a run file and report it as a plain dictionary (the JSON of ``renpsim fit``).

Shared by ``renpsim fit`` and the end-to-end ``renpsim run`` so that both give the same answer.
Intervals of boundary parameters (lightest mass >= 0, couplings that enter squared) come from
profile scans, not MINOS (docs/statistics.md; [physics §6.2] for the thresholds).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from renpsim.errors import DataFileError
from renpsim.stats.deviance import delta_chi2_threshold

MODELS = ("sm-dirac", "sm-majorana", "vector", "scalar", "dipole")
COMPARE = ("none", "ordering", "nature")


def _with_recorded_imprinted(run: str | Path, ds):
    """Return the dataset with the imprinted pair momentum its run file records (1.3.0).

    A run file records P0 and its cosine in ``/config/lasers``; the fit's spectrum, thresholds
    and photon endpoint use them (docs/sterile-and-momentum.md 2). Files written before 1.3.0
    keep the dataset's value (the frozen campaign's, else 0). A record that contradicts the
    frozen campaign is refused.
    """
    p = Path(run)
    if p.suffix.lower() not in (".h5", ".hdf5"):
        return ds
    from renpsim.runfile import imprinted_momentum

    rec = imprinted_momentum(p)
    if rec is None:
        return ds
    if ds.imprinted_momentum_eV != 0.0 and (
            ds.imprinted_momentum_eV, ds.imprinted_cos) != (rec["imprinted_momentum_eV"],
                                                            rec["imprinted_cos"]):
        raise DataFileError(str(p), "/config/lasers/imprinted_momentum_eV",
                            f"{rec['imprinted_momentum_eV']!r} eV (cos "
                            f"{rec['imprinted_cos']!r}): expected the frozen campaign's "
                            f"{ds.imprinted_momentum_eV!r} eV (cos {ds.imprinted_cos!r})")
    return replace(ds, **rec)


def load_fit_dataset(run: str | Path, *, validate_truth: bool = False):
    """Load the dataset a fit of ``run`` uses: the reader's, with the recorded P0.

    Parameters
    ----------
    run : path
        ``.h5`` run file or ``.json`` binned dataset.
    validate_truth : bool
        Also read the truth parameters (synthetic files).

    Returns
    -------
    (BinnedDataset, dict or None)
        The dataset (its imprinted pair momentum the one the run file records in
        ``/config/lasers``, schema 1.3.0) and the truth parameters or None.

    """
    from renpsim.stats.io import load_dataset

    ds, truth = load_dataset(run, validate_truth=validate_truth)
    return _with_recorded_imprinted(run, ds), truth


def fit_run(
    run: str | Path,
    *,
    model: str = "sm-dirac",
    coupling: str | None = None,
    mediator_mass_eV: float = 1.0,
    nature: str | None = None,
    ordering: str = "NO",
    oscillation: str | None = None,
    free: tuple[str, ...] = (),
    fixed: dict | None = None,
    profile: tuple[str, ...] = (),
    oscillation_constraints: bool = True,
    compare: str = "none",
    profile_scans: bool = True,
    validate_truth: bool = False,
) -> dict:
    """Fit a run file (or JSON binned dataset) and return the report.

    Parameters
    ----------
    run : path
        ``.h5`` run file or ``.json`` binned dataset.
    model : {"sm-dirac", "sm-majorana", "vector", "scalar", "dipole"}
        Physics model.
    coupling : str, optional
        BSM coupling for vector/scalar/dipole models (gL11, yS11, mu11, ...).
    mediator_mass_eV : float
        Mediator mass (fixed) for vector/scalar models.
    nature : {"dirac", "majorana"}, optional
        Neutrino nature of a vector/scalar/dipole model (default Dirac; must agree with an
        ``sm-*`` model name).
    ordering : {"NO", "IO"}
        Mass ordering of the fitted model.
    oscillation : str, optional
        Oscillation preset for the constraints (default: the dataset's).
    free, profile : tuple of str
        Parameters of interest to float; extra nuisances to profile.
    fixed : dict, optional
        Parameters fixed at given values.
    oscillation_constraints : bool
        Float the oscillation parameters within the preset's 1 sigma errors.
    compare : {"none", "ordering", "nature"}
        Also compare discrete hypotheses by the difference of profiled minima (multi-start).
    profile_scans : bool
        Add profile-scan intervals of the lightest mass and of the coupling.
    validate_truth : bool
        Read /truth (synthetic files only) and add pulls; otherwise /truth is never read.

    Returns
    -------
    dict
        At least ``parameters`` (name -> {value, error}), ``deviance``, ``ndof``, ``steps``
        (omega_eV, exposure_s, observed and fitted counts per step summed over the channels,
        n_channels, and observed_per_channel / fitted_per_channel as [step][channel]); plus
        ``intervals``, ``comparison``, ``truth``/``pulls`` where requested.

    """
    from renpsim.stats.fit import (
        compare_hypotheses,
        fit_multistart,
        mass_ordering_models,
        nature_models,
        profile_scan,
    )
    from renpsim.stats.model import BinnedLikelihood, model_from_name

    ds, truth = load_fit_dataset(run, validate_truth=validate_truth)
    if oscillation:
        ds = replace(ds, oscillation=oscillation)
    spec = model_from_name(model, ordering=ordering, coupling=coupling, nature=nature,
                           mediator_mass_eV=mediator_mass_eV)
    kw = dict(free=tuple(free), fixed=dict(fixed or {}), profile=tuple(profile),
              oscillation_constraints=oscillation_constraints)
    lik = BinnedLikelihood(ds, spec, **kw)
    result = fit_multistart(lik, hypothesis=model)
    _require_finite_fit(run, ds, lik, result)
    out = result.to_dict()
    out["run"] = str(run)
    out["oscillation"] = {"preset": ds.oscillation, "source": (
        "requested" if oscillation else ds.meta.get("oscillation_source", "dataset"))}
    fitted = lik.expected_2d(lik.vector(result.values))
    out["steps"] = {
        "omega_eV": np.asarray(ds.omega_eV, float).tolist(),
        "exposure_s": np.asarray(ds.exposure_s, float).tolist(),
        "observed": ds.counts_per_step.tolist(),
        "fitted": fitted.sum(axis=1).tolist(),
        # per detector channel, [step][channel] (the likelihood's bins)
        "n_channels": ds.n_channels,
        "observed_per_channel": ds.counts_2d.tolist(),
        "fitted_per_channel": fitted.tolist(),
    }
    out["model"] = {"name": model, "ordering": spec.ordering, "nature": spec.nature,
                    "coupling": spec.coupling,
                    "mediator_mass_eV": spec.mediator_mass_eV if spec.coupling else None}
    # 1 sigma (68.27%) and 95% points of chi^2 with 1 dof ([physics §6.2])
    thr68, thr95 = delta_chi2_threshold(0.6826894921370859, 1), delta_chi2_threshold(0.95, 1)
    if lik.parameters["m_lightest_eV"].role != "fixed" and profile_scans:
        grid = np.linspace(0.0, max(0.1, 3 * result.values["m_lightest_eV"]), 41)
        prof = profile_scan(lik, "m_lightest_eV", grid, best=result)
        out["intervals"] = {"m_lightest_eV": {
            "method": "profile scan (boundary m_lightest >= 0; not MINOS)",
            "68.27%": list(prof.interval(thr68)), "95%": list(prof.interval(thr95)),
            "grid_max_eV": float(grid[-1]),
            "scan_edge_bounds": _edge_bounds(prof, {"68.27%": thr68, "95%": thr95},
                                             physical_low=True)}}
    if spec.coupling is not None and profile_scans:
        name = spec.coupling
        err = result.errors[name]
        span = 5.0 * err if np.isfinite(err) and err > 0 else 10.0 * lik.parameters[name].step
        centre = result.values[name]
        grid = np.linspace(centre - span, centre + span, 41)
        prof = profile_scan(lik, name, grid, best=result)
        lo95, hi95 = prof.interval(thr95)
        out.setdefault("intervals", {})[name] = {
            "method": "profile scan (couplings enter squared; not MINOS)",
            "68.27%": list(prof.interval(thr68)), "95%": [lo95, hi95],
            "abs_upper_95": max(abs(lo95), abs(hi95)),
            "grid": [float(grid[0]), float(grid[-1])],
            "scan_edge_bounds": _edge_bounds(prof, {"68.27%": thr68, "95%": thr95},
                                             physical_low=False)}
    if compare != "none":
        models = (mass_ordering_models(spec.nature) if compare == "ordering"
                  else nature_models(spec.ordering))
        out["comparison"] = compare_hypotheses(ds, models, **kw).to_dict()
        for f in out["comparison"]["fits"].values():
            f.pop("correlation", None)
    if truth is not None:
        pulls = {}
        for name, p in out["parameters"].items():
            if name in truth and p["error"] > 0:
                pulls[name] = (p["value"] - float(truth[name])) / p["error"]
        out["truth"] = truth
        out["pulls"] = pulls
    return out


def _edge_bounds(prof, thresholds: dict, physical_low: bool) -> dict:
    """Interval ends that are only the edge of the scanned grid, per CL.

    An end where the profile never crossed the threshold inside the grid is not a measured
    interval end but a bound set by the scan range: it is named here (``{"95%": {"high":
    0.1}}``); a lower end at a physical boundary (m_lightest = 0) is a true end and not listed.
    """
    out = {}
    for label, thr in thresholds.items():
        ok = prof.delta_chi2 <= thr
        ends = {}
        if ok.size and ok[0] and not physical_low:
            ends["low"] = float(prof.grid[0])
        if ok.size and ok[-1]:
            ends["high"] = float(prof.grid[-1])
        if ends:
            out[label] = ends
    return out


def _require_finite_fit(run, ds, lik, result) -> None:
    """Refuse a fit whose best deviance is infinite (counts where the model predicts none).

    That happens when a step has counts but neither signal (e.g. omega beyond the RENP endpoint
    E_eg/2, or a unit mistake) nor any background or dark-count term: reporting the "best fit"
    of such data would be meaningless ([physics §6.1], the Poisson deviance is +inf there).
    """
    from renpsim.errors import InputError

    if np.isfinite(result.deviance):
        return
    mu = lik.expected_2d(lik.vector(result.values))
    n = ds.counts_2d
    bad = np.argwhere((n > 0) & ~(mu > 0))
    k, c = (int(v) for v in bad[0]) if bad.size else np.unravel_index(
        int(np.argmax(~np.isfinite(mu))), mu.shape)
    chan = f", channel {c}" if ds.n_channels > 1 else ""
    raise InputError(str(run), f"counts of step {k}{chan} (omega_eV = {ds.omega_eV[k]:.7g})",
                     float(n[k, c]), "no counts where the model (signal + background + "
                     "dark) predicts none: check the omega units and the endpoint E_eg/2, or "
                     "give a background/dark calibration")
