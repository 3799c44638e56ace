"""Binned datasets: what the fitter consumes (scan steps, coherent exposures, counts, calibration).

The exposure of a step (``exposure_s``) is its coherent exposure, seconds of full coherence
(a run file's ``/scan/coherent_exposure_s``); it is never the wall-clock dwell time of the
step (``/scan/dwell_s``), which the statistics code does not use.

A :class:`BinnedDataset` is plain data (numpy arrays and floats), so it pickles cheaply to worker
processes and Dask workers. It can be built by hand, from a campaign
(:mod:`renpsim.stats.benchmark`) or from a run file (:func:`renpsim.stats.io.load_dataset`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError
from renpsim.physics.oscillation import DEFAULT_PRESET


def _opt_pos(where: str, key: str, value, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(where, key, value, "a number") from None
    ok = v >= 0.0 if allow_zero else v > 0.0
    if not (math.isfinite(v) and ok):
        raise InputError(where, key, value, "a finite number " + (">= 0" if allow_zero else "> 0"))
    return v


def _per_channel(where: str, key: str, value, allow_zero: bool) -> NDArray[np.float64]:
    """Validate a 1-d array of one finite number per detector channel."""
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise InputError(where, key, value, "numbers, one per detector channel") from None
    ok = arr >= 0 if allow_zero else arr > 0
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr) & ok):
        raise InputError(where, key, arr.tolist(), "one finite number per channel, "
                         + (">= 0" if allow_zero else "> 0"))
    return arr


@dataclass(frozen=True)
class LikelihoodCalibration:
    """Calibration inputs of the likelihood: rate scale and the nuisance constraints.

    (Not the run file's calibration records, :class:`renpsim.runfile.Calibration`, from which
    the readers derive it.)

    A ``None`` entry means "no calibration for this nuisance": the nuisance is then fixed at its
    nominal value by default, and asking for it to be free is an :class:`InputError`.

    Attributes
    ----------
    rate_scale_per_s : float or array
        Nominal rate per unit I(omega): Gamma_0 (V/V_ref)(n_a/n_ref)^2(n_g/n_ref) eta in s^-1
        ([physics §1.5]), one value or one per step (a step-dependent response, e.g. from the
        hardware model). The fitted ``norm`` multiplies it.
    norm_sigma_rel : float or None
        Relative 1 sigma of the normalisation (Gamma_0 x density x coherence); Gaussian term.
        ``None``: norm is unconstrained when free ([physics §6.1] "profile a free scale").
    efficiency, efficiency_sigma : float, float or None; or arrays (one per channel)
        Detector efficiency and its 1 sigma (Gaussian constraint). Per channel: each channel's
        own efficiency nuisance (independent calibrations); a NaN sigma leaves that channel's
        efficiency fixed.
    dark_counts, dark_live_s : float, array or None
        Dark-run counts and live time (s): Poisson constraint on the dark rate. One value, or
        one per detector channel (then each channel has its own dark rate and dark run).
    background_rate_per_s : array or None
        Background photon rate per step (s^-1, before efficiency), e.g. QED backgrounds; split
        among the channels like the signal (``channel_weight``).
    background_sigma_rel : float or None
        Relative 1 sigma of the background scale (Gaussian).
    freq_offset_sigma_eV : float or None
        1 sigma of a common trigger-frequency offset (Gaussian around 0).
    E_eg_sigma_eV : float or None
        1 sigma of E_eg (isotope shift / level uncertainty; Gaussian around 0).
    channel_weight : array or None
        Share of the signal (and photon background) photons that reach each detector channel
        before its efficiency, normalised to sum 1 (None: equal shares). Channel c then
        detects T eps_c w_c (signal + background) ([hardware §5.2]); with a single
        ``efficiency`` every channel has that efficiency.

    """

    rate_scale_per_s: float | NDArray[np.float64]
    norm_sigma_rel: float | None = None
    efficiency: float | NDArray[np.float64] = 1.0
    efficiency_sigma: float | NDArray[np.float64] | None = None
    dark_counts: float | None = None
    dark_live_s: float | None = None
    background_rate_per_s: NDArray[np.float64] | None = None
    background_sigma_rel: float | None = None
    freq_offset_sigma_eV: float | None = None
    E_eg_sigma_eV: float | None = None
    channel_weight: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        w = "calibration"
        try:
            r0 = np.asarray(self.rate_scale_per_s, dtype=float)
        except (TypeError, ValueError):
            raise InputError(w, "rate_scale_per_s", self.rate_scale_per_s, "rates > 0") from None
        if r0.ndim > 1 or not np.all(np.isfinite(r0)) or np.any(r0 <= 0):
            raise InputError(w, "rate_scale_per_s", r0.tolist(), "finite rates > 0 (s^-1)")
        object.__setattr__(self, "rate_scale_per_s", float(r0) if r0.ndim == 0 else r0)
        _opt_pos(w, "norm_sigma_rel", self.norm_sigma_rel)
        if np.ndim(self.efficiency):  # one efficiency (and 1 sigma) per detector channel
            eff = _per_channel(w, "efficiency", self.efficiency, False)
            if np.any(eff > 1.0):
                raise InputError(w, "efficiency", eff.tolist(), "numbers in (0, 1]")
            object.__setattr__(self, "efficiency", eff)
            if self.efficiency_sigma is not None:
                sig = np.broadcast_to(np.asarray(self.efficiency_sigma, dtype=float),
                                      eff.shape).copy()
                if not np.all(np.isnan(sig) | (sig > 0)) or np.all(np.isnan(sig)):
                    raise InputError(w, "efficiency_sigma", sig.tolist(), "one 1 sigma > 0 per "
                                     "channel (NaN: that channel is not calibrated)")
                object.__setattr__(self, "efficiency_sigma", sig)
        else:
            eff = _opt_pos(w, "efficiency", self.efficiency)
            if eff is not None and eff > 1.0:
                raise InputError(w, "efficiency", self.efficiency, "a number in (0, 1]")
            _opt_pos(w, "efficiency_sigma", self.efficiency_sigma)
        for key, zero in (("dark_counts", True), ("dark_live_s", False)):
            v = getattr(self, key)
            if v is not None and np.ndim(v):
                arr = _per_channel(w, key, v, zero)
                object.__setattr__(self, key, float(arr[0]) if arr.size == 1 else arr)
            else:
                _opt_pos(w, key, v, allow_zero=zero)
        if self.dark_counts is not None and self.dark_live_s is not None \
                and np.shape(self.dark_counts) != np.shape(self.dark_live_s):
            raise InputError(w, "dark_counts/dark_live_s", (np.shape(self.dark_counts),
                             np.shape(self.dark_live_s)), "one value each or one per channel")
        if self.channel_weight is not None:
            cw = _per_channel(w, "channel_weight", self.channel_weight, False)
            object.__setattr__(self, "channel_weight", cw / cw.sum())
        if (self.dark_counts is None) != (self.dark_live_s is None):
            raise InputError(w, "dark_counts/dark_live_s", (self.dark_counts, self.dark_live_s),
                             "both given (dark-run counts and live time) or neither")
        _opt_pos(w, "background_sigma_rel", self.background_sigma_rel)
        _opt_pos(w, "freq_offset_sigma_eV", self.freq_offset_sigma_eV)
        _opt_pos(w, "E_eg_sigma_eV", self.E_eg_sigma_eV)
        if self.background_rate_per_s is not None:
            b = np.asarray(self.background_rate_per_s, dtype=float)
            if not np.all(np.isfinite(b)) or np.any(b < 0):
                raise InputError(w, "background_rate_per_s", b.tolist(), "finite rates >= 0")
            object.__setattr__(self, "background_rate_per_s", b)

    @property
    def dark_rate_nominal_per_s(self) -> float | NDArray[np.float64]:
        """Dark rate estimate from the dark run (0 without one), per channel if given so."""
        if self.dark_counts is None:
            return 0.0
        return self.dark_counts / self.dark_live_s

    @property
    def n_dark_channels(self) -> int | None:
        """Number of channels the dark run and channel weights describe (None: any)."""
        for v in (self.dark_counts, self.channel_weight, self.efficiency):
            if v is not None and np.ndim(v):
                return int(np.size(v))
        return None


@dataclass(frozen=True)
class BinnedDataset:
    """Counts per scan step with the exposure and the physics context of the run.

    Attributes
    ----------
    omega_eV : numpy.ndarray
        Nominal trigger photon energy of each step (eV).
    exposure_s : numpy.ndarray
        Coherent exposure time of each step (s), [physics §1.5] convention (T per frequency).
    counts : numpy.ndarray
        Observed counts per step, shape (n_steps,), or per step and detector channel, shape
        (n_steps, n_channels) (float64; Asimov data may be non-integer).
    calibration : LikelihoodCalibration
        Nuisance constraints.
    target : str
        Target name for :func:`renpsim.physics.load_target` (e.g. ``"Yb-gp21"``).
    oscillation : str
        Oscillation preset that constrains the oscillation nuisances.
    label : str
        Free text (run id, campaign name).
    live_s : numpy.ndarray or None
        Detector live time over which dark counts accumulate, per step (n_steps,) or per step
        and channel (n_steps, n_channels); default ``exposure_s``.
    imprinted_momentum_eV, imprinted_cos : float
        Pair momentum imprinted by the trigger geometry and its cosine to the photon (hardware
        ``lasers.imprinted_momentum_eV``/``imprinted_cos``); the fit's spectrum uses them.

    """

    omega_eV: NDArray[np.float64]
    exposure_s: NDArray[np.float64]
    counts: NDArray[np.float64]
    calibration: LikelihoodCalibration
    target: str = "Yb"
    oscillation: str = DEFAULT_PRESET
    label: str = ""
    live_s: NDArray[np.float64] | None = None
    meta: dict = field(default_factory=dict, compare=False)
    imprinted_momentum_eV: float = 0.0
    imprinted_cos: float = 1.0

    def __post_init__(self) -> None:
        w = f"dataset {self.label}".strip()
        arrays = {}
        keys = ("omega_eV", "exposure_s", "counts") + (() if self.live_s is None else ("live_s",))
        for key in keys:
            try:
                arr = np.atleast_1d(np.asarray(getattr(self, key), dtype=np.float64))
            except (TypeError, ValueError):
                raise InputError(w, key, getattr(self, key), "an array of numbers") from None
            ndim_ok = arr.ndim == 1 or (key in ("counts", "live_s") and arr.ndim == 2)
            if not ndim_ok or not np.all(np.isfinite(arr)):
                raise InputError(w, key, arr.tolist(), "a 1-d array of finite numbers"
                                 + (" (or steps x channels)" if key in ("counts", "live_s")
                                    else ""))
            arrays[key] = arr
        n = arrays["omega_eV"].size
        for key, arr in arrays.items():
            if arr.shape[0] != n:
                raise InputError(w, key, f"{arr.shape[0]} entries", f"{n} entries (one per step)")
        if n == 0:
            raise InputError(w, "omega_eV", [], "at least one scan step")
        n_ch = arrays["counts"].shape[1] if arrays["counts"].ndim == 2 else 1
        if n_ch == 0:
            raise InputError(w, "counts", arrays["counts"].tolist(), "at least one channel")
        live = arrays.get("live_s")
        if live is not None and live.ndim == 2 and live.shape[1] != n_ch:
            raise InputError(w, "live_s", f"{live.shape[1]} channels",
                             f"{n_ch} channels (as the counts)")
        if np.any(arrays["omega_eV"] <= 0):
            raise InputError(w, "omega_eV", arrays["omega_eV"].tolist(), "energies > 0 eV")
        for key in ("exposure_s", "live_s"):
            if key in arrays and np.any(arrays[key] < 0):
                raise InputError(w, key, arrays[key].tolist(), "times >= 0 s")
        if np.any(arrays["counts"] < 0):
            raise InputError(w, "counts", arrays["counts"].tolist(), "counts >= 0")
        r0 = np.asarray(self.calibration.rate_scale_per_s)
        if r0.shape not in ((), (n,)):
            raise InputError(w, "calibration.rate_scale_per_s", r0.tolist(),
                             f"one rate or {n} rates (one per step)")
        bkg = self.calibration.background_rate_per_s
        if bkg is not None and bkg.shape not in ((), (n,)):
            raise InputError(w, "calibration.background_rate_per_s", bkg.tolist(),
                             f"one rate or {n} rates (one per step)")
        cal_ch = self.calibration.n_dark_channels
        if cal_ch is not None and cal_ch != n_ch:
            raise InputError(w, "calibration.dark_counts/channel_weight", f"{cal_ch} channels",
                             f"{n_ch} channel(s), as the counts")
        for key, arr in arrays.items():
            object.__setattr__(self, key, arr)

    @property
    def n_channels(self) -> int:
        """Number of detector channels (1 for 1-d counts)."""
        return int(self.counts.shape[1]) if self.counts.ndim == 2 else 1

    @property
    def counts_2d(self) -> NDArray[np.float64]:
        """Counts as (n_steps, n_channels)."""
        return self.counts.reshape(self.n_steps, self.n_channels)

    @property
    def counts_per_step(self) -> NDArray[np.float64]:
        """Counts per step summed over the channels."""
        return self.counts_2d.sum(axis=1)

    @property
    def n_bins(self) -> int:
        """Number of Poisson bins (steps x channels)."""
        return self.n_steps * self.n_channels

    @property
    def channel_weight(self) -> NDArray[np.float64]:
        """Signal share of each channel (sums to 1; equal shares unless calibrated)."""
        cw = self.calibration.channel_weight
        return np.full(self.n_channels, 1.0 / self.n_channels) if cw is None else cw

    @property
    def n_steps(self) -> int:
        """Number of scan steps (bins)."""
        return int(self.omega_eV.size)

    def with_counts(self, counts: ArrayLike) -> BinnedDataset:
        """Copy with other counts (toys, Asimov)."""
        return replace(self, counts=np.asarray(counts, dtype=np.float64))

    def with_exposure(self, exposure_s: ArrayLike) -> BinnedDataset:
        """Copy with other coherent exposures (exposure planning); live times scale alike."""
        new = np.asarray(exposure_s, dtype=np.float64)
        live = None
        if self.live_s is not None:
            old = self.exposure_s
            ratio = np.where(old > 0, new / np.where(old > 0, old, 1), 1.0)
            live = self.live_s * (ratio if self.live_s.ndim == 1 else ratio[:, None])
        return replace(self, exposure_s=new, live_s=live)

    @property
    def dark_exposure_s(self) -> NDArray[np.float64]:
        """Time over which dark counts accumulate per step (``live_s`` or ``exposure_s``)."""
        return self.exposure_s if self.live_s is None else self.live_s

    @property
    def dark_exposure_2d(self) -> NDArray[np.float64]:
        """Dark-count live time per (step, channel); a 1-d ``live_s`` holds for every channel."""
        t = self.dark_exposure_s
        return np.broadcast_to(t.reshape(self.n_steps, -1), (self.n_steps, self.n_channels))
