"""Photon-counting detector channel: configuration and response models ([hardware §3.4]).

Models ([hardware §3.4], items 1-6):

1. detection: each photon is counted with probability efficiency x optics_transmission
   (binomial thinning, Poisson in -> Poisson out);
2. dark counts: homogeneous Poisson process of rate d over the gate, N ~ Poisson(d tau_g);
3. dead time, acting on the time-ordered stream of one shot: ``nonparalyzable`` (events within
   tau after an *accepted* event are lost; observed rate m = n/(1 + n tau)), ``paralyzable``
   (after *any* event; m = n exp(-n tau)); optional soft recovery, efficiency
   eps(dt) = eps0 (1 - exp(-dt/tau_rec)) with dt since the last accepted count ([Wavemeter]);
4. afterpulsing: each accepted count spawns an afterpulse with probability p_ap at delay
   tau_dead (hold-off) + Exp(tau_ap); afterpulses can cascade (mean p/(1-p) per primary);
5. timing jitter: Gaussian sigma plus an optional exponential tail (amplitude, constant);
6. saturation: implied by the dead time (maximum rate 1/tau).

The stream is processed shot by shot, vectorised across shots (one pass per rank of event within
the shot). Dead time does not carry over between shots: valid when tau_dead and the afterpulse
delays are much shorter than the shot period (checked by the DAQ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from renpsim.hardware.schema import knob

#: Source codes of photon events (written to /truth in event mode).
SOURCE_CODES = {"signal": 0, "mcq3": 1, "psr": 2, "leak": 3, "dark": 4, "stray": 5,
                "afterpulse": 6}


@dataclass(frozen=True)
class DetectorConfig:
    """One photon-counting channel.

    Source: [hardware §3.1] to [hardware §3.4], [hardware §7.1], [hardware §7.2].
    """

    preset: str | None = knob(None, kind="str",
                              doc="Start from a preset of hardware/detectors.toml; the other "
                                  "keys of the table override it.")
    technology: str = knob("SNSPD", kind="str", doc="Technology label (recorded).",
                           source="[hardware §3.1]")
    efficiency: float = knob(0.80, lo=0.0, hi=1.0, doc="Detection efficiency at the signal "
                             "wavelength.", source="[hardware §3.1], [hardware §7.1] ([Zadeh17], "
                                                   "[Reddy20])")
    optics_transmission: float = knob(1.0, lo=0.0, hi=1.0,
                                      doc="Coupling/optics transmission T_optics.",
                                      source="[hardware §3.4] item 1, 10 item 6")
    dark_rate_Hz: float = knob(100.0, unit="Hz", lo=0.0, tag="[V]",
                               doc="Dark-count rate.", source="[hardware §7.1] ([Zadeh17] <130 Hz)")
    dead_time_s: float = knob(50e-9, unit="s", lo=0.0, doc="Dead (recovery / hold-off) time.",
                              source="[hardware §7.1]")
    dead_time_model: str = knob("nonparalyzable", kind="str",
                                choices=("none", "nonparalyzable", "paralyzable"),
                                doc="Dead-time model (event level).", source="[hardware §3.4]")
    recovery_tau_s: float = knob(0.0, unit="s", lo=0.0,
                                 doc="Soft-recovery constant tau_rec (0 = step recovery).",
                                 source="[hardware §3.4] ([Wavemeter])")
    afterpulse_prob: float = knob(0.0, lo=0.0, hi=0.5, doc="Afterpulse probability p_ap.",
                                  source="[hardware §3.4], [hardware §7.1] ([InGaAs21])")
    afterpulse_tau_s: float = knob(1.5e-6, unit="s", lo=0.0, lo_open=True,
                                   doc="Afterpulse delay constant after the hold-off.",
                                   source="[hardware §3.1] ([InGaAs21]: 1.1-2.4 us)")
    jitter_sigma_s: float = knob(30e-12, unit="s", lo=0.0, tag="[V]/[A]",
                                 doc="Gaussian timing jitter sigma.",
                                 source="[hardware §7.1] ([Zadeh17] 14.8 ps)")
    jitter_tail_amp: float = knob(0.0, lo=0.0, hi=1.0,
                                  doc="Fraction of tags with an extra exponential delay.",
                                  source="[hardware §3.4] item 5")
    jitter_tail_tau_s: float = knob(100e-12, unit="s", lo=0.0, lo_open=True,
                                    doc="Exponential jitter-tail constant.")
    gate_start_s: float = knob(-5e-9, unit="s",
                               doc="Gate opening relative to the trigger-pulse peak.",
                               source="[hardware §7.1]")
    gate_width_s: float = knob(50e-9, unit="s", lo=0.0,
                               doc="Gate width; 0 = always open (whole shot period).",
                               source="[hardware §7.1]")

    def gate(self, period_s: float) -> tuple[float, float]:
        """(start, stop) of the counting window in one shot, relative to the pulse peak."""
        if self.gate_width_s == 0.0:
            return self.gate_start_s, self.gate_start_s + period_s
        return self.gate_start_s, self.gate_start_s + min(self.gate_width_s, period_s)

    @property
    def detection_prob(self) -> float:
        """Efficiency x optics transmission."""
        return self.efficiency * self.optics_transmission


# ----------------------------------------------------------------------------- analytic models
def observed_rate_nonparalyzable(n: float, tau: float) -> float:
    """M = n / (1 + n tau) ([hardware §3.4] item 3; STScI HSP, [STScI])."""
    return n / (1.0 + n * tau)


def true_rate_nonparalyzable(m: float, tau: float) -> float:
    """Inverse n = m / (1 - m tau) ([hardware §3.4] item 3)."""
    return m / (1.0 - m * tau)


def observed_rate_paralyzable(n: float, tau: float) -> float:
    """M = n exp(-n tau) ([hardware §3.4] item 3)."""
    return n * math.exp(-n * tau)


def fano_nonparalyzable(n: float, tau: float) -> float:
    """Var/mean of long-window counts: CV^2 of tau + Exp(n) intervals.

    Source: renewal theory, [DeadTime].
    """
    return 1.0 / (1.0 + n * tau) ** 2


def fano_paralyzable(n: float, tau: float) -> float:
    """Var/mean of long-window counts for paralyzable dead time: 1 - 2 n tau exp(-n tau).

    Source: [DeadTime].
    """
    return 1.0 - 2.0 * n * tau * math.exp(-n * tau)


def afterpulse_mean_per_primary(p: float) -> float:
    """Mean number of (cascading) afterpulses per isolated primary: p/(1-p)."""
    return p / (1.0 - p)


# ----------------------------------------------------------------------------- event stream
def _stable_by_shot(shot: NDArray[np.int64]) -> NDArray[np.intp]:
    """Stable argsort of shot numbers (radix sort when the span fits 16 bits)."""
    if len(shot) and int(shot.max()) - int(shot.min()) < 1 << 16:
        return np.argsort((shot - shot.min()).astype(np.uint16), kind="stable")
    return np.argsort(shot, kind="stable")


def order_by_shot_time(shot: NDArray[np.int64], t: NDArray[np.float64]) -> NDArray[np.intp]:
    """Return ``np.lexsort((t, shot))`` (sort by shot, then time; ties keep input order), faster.

    Already ordered input is detected in one pass; otherwise a sort by time followed by a
    stable sort by shot gives exactly the same permutation as the lexsort. The time sort is
    numpy's fast (unstable) sort when no two times are equal (then every sort gives the same
    permutation), and the stable sort otherwise.
    """
    n = len(shot)
    if n < 2:
        return np.arange(n)
    ds = np.diff(shot)
    if (ds >= 0).all() and ((ds > 0) | (np.diff(t) >= 0)).all():
        return np.arange(n)
    o1 = np.argsort(t)
    ts = t[o1]
    if (ts[1:] == ts[:-1]).any() or np.isnan(ts[-1]):
        o1 = np.argsort(t, kind="stable")
    return o1[_stable_by_shot(shot[o1])]


def process_stream(
    shot: NDArray[np.int64],
    t: NDArray[np.float64],
    src: NDArray[np.uint8],
    det: DetectorConfig,
    rng: np.random.Generator,
    gate_hi_s: float,
    slots: int = 4,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.uint8]]:
    """Apply dead time, soft recovery, afterpulsing and jitter to a time-ordered stream.

    Parameters
    ----------
    shot, t, src : arrays
        Candidate counts (already thinned by the efficiency), sorted by (shot, t); times in s
        relative to the pulse peak; source codes (:data:`SOURCE_CODES`).
    det : DetectorConfig
        Response parameters.
    rng : numpy.random.Generator
        Random stream (consumed deterministically for a given input).
    gate_hi_s : float
        End of the counting window: afterpulses beyond it are not recorded.
    slots : int
        Maximum pending afterpulses per shot (extra ones are dropped; only reached at rates far
        beyond a realistic RENP setup).

    Returns
    -------
    shot, t, src : arrays
        Recorded counts, sorted by (shot, measured time); t includes the jitter.

    """
    tau = det.dead_time_s if det.dead_time_model != "none" else 0.0
    p_ap = det.afterpulse_prob
    rec = det.recovery_tau_s
    if len(t) and (tau > 0.0 or p_ap > 0.0 or rec > 0.0):
        shot, t, src = _dead_time_afterpulse(shot, t, src, det, tau, p_ap, rec, rng,
                                             gate_hi_s, slots)
    if len(t) and (det.jitter_sigma_s > 0.0 or det.jitter_tail_amp > 0.0):
        t = t + rng.normal(0.0, det.jitter_sigma_s, size=t.shape) if det.jitter_sigma_s else t
        if det.jitter_tail_amp > 0.0:
            tail = rng.random(t.shape) < det.jitter_tail_amp
            t = t + np.where(tail, rng.exponential(det.jitter_tail_tau_s, size=t.shape), 0.0)
        order = order_by_shot_time(shot, t)
        shot, t, src = shot[order], t[order], src[order]
    return shot, t, src


def _dead_time_afterpulse(shot, t, src, det, tau, p_ap, rec, rng, gate_hi, slots):
    n = len(t)
    brk = np.flatnonzero(np.diff(shot)) + 1
    starts = np.concatenate(([0], brk))
    ends = np.concatenate((brk, [n]))
    shot_of = shot[starts]
    S = len(starts)
    ptr = starts.copy()
    last_acc = np.full(S, -np.inf)
    last_any = np.full(S, -np.inf)
    ap = np.full((S, slots), np.inf)
    paralyzable = det.dead_time_model == "paralyzable"
    active = np.arange(S)
    out_i, out_t, out_s = [], [], []
    ap_code = np.uint8(SOURCE_CODES["afterpulse"])
    while active.size:
        p = ptr[active]
        has_p = p < ends[active]
        tp = np.where(has_p, t[np.minimum(p, n - 1)], np.inf)
        apa = ap[active]
        j = np.argmin(apa, axis=1)
        ta = apa[np.arange(active.size), j]
        use_ap = ta < tp
        tnext = np.where(use_ap, ta, tp)
        live = np.isfinite(tnext)
        if not live.all():
            active, p, tnext, use_ap, j = (active[live], p[live], tnext[live], use_ap[live],
                                           j[live])
            if not active.size:
                break
        ptr[active[~use_ap]] += 1
        ap[active[use_ap], j[use_ap]] = np.inf
        if paralyzable:
            ok = tnext - last_any[active] >= tau
            last_any[active] = tnext
        else:
            ok = tnext - last_acc[active] >= tau
        if rec > 0.0:
            dt = tnext - last_acc[active]
            ok &= rng.random(active.size) < -np.expm1(-dt / rec)
        ok &= tnext < gate_hi
        acc = active[ok]
        if acc.size:
            ta_ok = tnext[ok]
            out_i.append(shot_of[acc])
            out_t.append(ta_ok)
            out_s.append(np.where(use_ap[ok], ap_code, src[np.minimum(p[ok], n - 1)]))
            last_acc[acc] = ta_ok
            if p_ap > 0.0:
                spawn = rng.random(acc.size) < p_ap
                if spawn.any():
                    who = acc[spawn]
                    when = ta_ok[spawn] + tau + rng.exponential(det.afterpulse_tau_s, who.size)
                    free = np.isinf(ap[who])
                    has_free = free.any(axis=1)
                    col = np.argmax(free, axis=1)
                    ap[who[has_free], col[has_free]] = when[has_free]
    if not out_i:
        return (np.empty(0, np.int64), np.empty(0, float), np.empty(0, np.uint8))
    s_out = np.concatenate(out_i)
    t_out = np.concatenate(out_t)
    c_out = np.concatenate(out_s).astype(np.uint8)
    # Per shot, accepted times come out non-decreasing round after round (afterpulses are
    # scheduled after the count that spawns them), so a stable sort by shot alone equals
    # np.lexsort((t_out, s_out)).
    order = _stable_by_shot(s_out)
    return s_out[order], t_out[order], c_out[order]
