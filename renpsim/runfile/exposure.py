"""Coherent exposure of imported steps when the source does not hold it [hardware §5.2].

The dwell time of a step (wall-clock seconds, ``/scan/dwell_s``) and its coherent exposure
(seconds of full coherence, ``/scan/coherent_exposure_s`` = sum over shots of the integral of
eta(t) over the gate) are different quantities: the exposure is typically 1e-7 to 1e-2 of the
dwell time. An importer writes the exposure the lab measured or estimated; when it is absent, it
is derived here from a declared coherence model (the ``[coherence]`` table of the import
metadata, same keys as the hardware files' ``[coherence]``), or the import is refused.

Per shot the exposure is ``eta_peak * integral of eta(t)/eta_peak over the gate``
(:func:`renpsim.hardware.target_cell.envelope_integral_s`, the simulator's own rule); per step
it is that times the number of shots. The ``constant`` model (GP21: eta = eta0 during the whole
shot period) gives ``eta0 * gate width`` per shot, ``eta0 * dwell_s`` for an always-open gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from renpsim.errors import InputError


@dataclass(frozen=True)
class DerivedExposure:
    """Exposure per step derived from the dwell time and a coherence model.

    Attributes
    ----------
    exposure_s : numpy.ndarray
        Coherent exposure per step, s (finite, >= 0).
    note : str
        One sentence for ``/provenance@derived`` saying how it was derived.

    """

    exposure_s: np.ndarray
    note: str


def _number(where: str, key: str, table: Mapping[str, Any], name: str) -> float | None:
    v = table.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v <= 0:
        raise InputError(where, f"{key}.{name}", v, "a finite number > 0")
    return float(v)


def derive_exposure(where: str, coherence: Any, lasers: Sequence[Mapping[str, Any]],
                    detectors: Sequence[Mapping[str, Any]], dwell_s: np.ndarray,
                    n_shots: np.ndarray | None) -> DerivedExposure:
    """Derive the coherent exposure of each step from its dwell time and a coherence model.

    Parameters
    ----------
    where : str
        Metadata file named in errors.
    coherence : mapping
        The ``[coherence]`` table (``eta_model``, ``eta0``, ``rho_ge0`` or ``f_exc``, ``T1_s``,
        ``T2_s``; missing keys take the hardware defaults, which are assumptions, recorded in
        the note).
    lasers, detectors : sequence of mapping
        The ``[[lasers]]`` (``rep_rate_Hz``, ``pulse_fwhm_s`` of laser 0, the omega beam) and
        ``[[detectors]]`` (``gate_offset_s``, ``gate_width_s`` of channel 0) tables.
    dwell_s : array
        Dwell time of each step, s.
    n_shots : array, optional
        Laser shots per step; default ``rep_rate_Hz * dwell_s``.

    Returns
    -------
    DerivedExposure

    Raises
    ------
    InputError
        A key needed by the model is missing or invalid (named as ``lasers[0].rep_rate_Hz``...).

    """
    from renpsim.hardware.schema import build
    from renpsim.hardware.target_cell import CoherenceConfig, envelope_integral_s

    coh = build(CoherenceConfig, dict(coherence), where, "coherence")
    if coh.eta_model == "level1" and coh.rho_ge0 is None and coh.f_exc is None:
        raise InputError(where, "coherence.rho_ge0", None,
                         "rho_ge0 or f_exc for eta_model = 'level1'")
    laser = dict(lasers[0]) if lasers else {}
    det = dict(detectors[0]) if detectors else {}
    rep = _number(where, "lasers[0]", laser, "rep_rate_Hz")
    width = _number(where, "detectors[0]", det, "gate_width_s")
    offset = det.get("gate_offset_s", 0.0)
    if isinstance(offset, bool) or not isinstance(offset, int | float) or \
            not np.isfinite(offset):
        raise InputError(where, "detectors[0].gate_offset_s", offset, "a finite number (s)")
    dwell = np.asarray(dwell_s, dtype=float)
    params = (f"eta_model={coh.eta_model}, eta0={coh.eta0:g}"
              + ("" if coh.eta_model == "constant" else
                 f", |rho_ge(0)|={coh.rho:g}, T1_s={coh.T1_s:g}, T2_s={coh.T2_s:g}"))
    if coh.eta_model == "constant" and (width is None or rep is None):
        # GP21 convention: eta0 over the whole shot period, gate always open.
        return DerivedExposure(coh.eta0 * dwell, (
            f"/scan/coherent_exposure_s derived by renpsim import as eta0 x dwell_s (coherence "
            f"model {params}; gate open during the whole step)"))
    if rep is None and n_shots is None:
        raise InputError(where, "lasers[0].rep_rate_Hz", "(missing)",
                         "the repetition rate (Hz), or an n_shots column, to derive the "
                         "coherent exposure per step")
    if width is None:
        if rep is None:
            raise InputError(where, "detectors[0].gate_width_s", "(missing)",
                             "the gate width (s), or lasers[0].rep_rate_Hz (gate = the whole "
                             "shot period), to derive the coherent exposure per shot")
        width = 1.0 / rep
    shots = np.asarray(n_shots, dtype=float) if n_shots is not None else rep * dwell
    if coh.eta_model == "constant":
        fwhm = 0.0
    else:
        fwhm = _number(where, "lasers[0]", laser, "pulse_fwhm_s")
        if fwhm is None:
            raise InputError(where, "lasers[0].pulse_fwhm_s", "(missing)",
                             "the trigger pulse FWHM (s) of the level1 coherence model")
    tau = coh.eta_peak * envelope_integral_s(coh, fwhm, float(offset), float(offset) + width)
    shots_note = "n_shots" if n_shots is not None else f"rep_rate_Hz x dwell_s ({rep:g} Hz)"
    return DerivedExposure(shots * tau, (
        f"/scan/coherent_exposure_s derived by renpsim import as shots x {tau:.6g} s per shot "
        f"(shots = {shots_note}; coherence model {params}; gate [{float(offset):g}, "
        f"{float(offset) + width:g}] s"
        + ("" if coh.eta_model == "constant" else f", pulse FWHM {fwhm:g} s") + ")"))
