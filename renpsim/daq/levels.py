"""DAQ simulation of a campaign into a run file, in three levels sharing one rate model.

Levels ([hardware §3.4], [hardware §4.3], [hardware §5], [hardware §9]):

* ``steps``: per-step Poisson counts of every component (fast; /scan only);
* ``shots``: per-shot records: true pulse energies and frequencies (jitter, drift), the shot's
  coherent exposure (log-normal eta fluctuation, energy dependence), monitor readbacks with
  noise, Poisson counts; /scan sums them;
* ``events``: time-tagged photons (T3-like: shot id and time within the shot) drawn from the
  time profiles (coherent: eta(t); leakage: the trigger pulse; dark/stray: uniform in the gate),
  then dead time, soft recovery, afterpulsing and jitter act on the time-ordered stream. Each
  recorded event carries the process that produced it (``/truth/event_source``), and the time
  tags fill the inter-arrival-time calibration histogram (:class:`InterArrival`).

Randomness: the root is ``SeedSequence(seed)``; each step (steps level) or each fixed block of
:data:`BLOCK_SHOTS` shots of a step has its own stream ``SeedSequence(seed, spawn_key=(2, kind,
step, block))``; the source labels of a block use their own stream (kind 4), so the events do
not depend on them. Chunks only group blocks for writing, so results do not depend on the chunk
size, and memory is bounded by the chunk size whatever the run length.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from renpsim.campaign.campaign import KEY_RUN, Campaign
from renpsim.constants import C_M_PER_S, H_EV_S
from renpsim.daq.rates import (
    BACKGROUNDS,
    StepModel,
    expected_blocks,
    expected_counts,
    expected_totals,
    psr_line,
    psr_shift_eV,
    smeared_I,
    step_model,
)
from renpsim.errors import InputError
from renpsim.hardware.detector import SOURCE_CODES, order_by_shot_time, process_stream
from renpsim.hardware.target_cell import FWHM_TO_SIGMA, eta_profile
from renpsim.physics.spectrum import spectral_function
from renpsim.runfile import RunConfig, RunIdentity, RunWriter, TruthSpec

LEVELS = ("steps", "shots", "events")
#: Shots per random-number block (fixed: results must not depend on the chunk size).
BLOCK_SHOTS = 16384
#: Steps per random-number block in the steps level.
BLOCK_STEPS = 1024
#: Nominal run start of synthetic runs: 2027-01-01T00:00:00Z (fixed for reproducible files).
RUN_START_UTC_NS = 1_798_761_600 * 10**9
_STREAM_RUN, _STREAM_STEPS, _STREAM_SHOTS, _STREAM_CAL, _STREAM_LABELS = 0, 1, 2, 3, 4
#: Names of the event source codes (index = code; hardware.detector.SOURCE_CODES).
EVENT_SOURCES = tuple(sorted(SOURCE_CODES, key=SOURCE_CODES.get))
#: Inter-arrival histogram (/calibration/afterpulse/det_0/hist_interarrival): bins per decade
#: and the upper end of the log-spaced edges (the last bin also holds longer intervals).
HIST_BINS_PER_DECADE, HIST_MAX_S = 10, 1e6
#: Shot levels: step rows are appended at least this often (seconds of wall time) so that a
#: live reader (renpsim inspect --follow) sees the scan grow; contents do not depend on it.
STEP_ROWS_INTERVAL_S = 1.0
_U16 = np.iinfo(np.uint16).max

ProgressFn = Callable[[int, int], None]


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(KEY_RUN, *key)))


@dataclass
class _StepAcc:
    """Per-step accumulators over the shots of one step."""

    counts: int = 0
    exposure: float = 0.0
    e_sum: np.ndarray | None = None
    e_sq: np.ndarray | None = None
    f_sum: np.ndarray | None = None
    f_sq: np.ndarray | None = None
    temp_sum: float = 0.0
    n: int = 0

    def __post_init__(self):
        self.e_sum, self.e_sq = np.zeros(2), np.zeros(2)
        self.f_sum, self.f_sq = np.zeros(2), np.zeros(2)

    def add(self, counts, exposure, e_meas, f_meas_rel):
        # Column sums via per-column (pairwise) reductions: a reduction over axis 0
        # of an (n, 2) array runs sequentially and is ~30 times slower. Each block has a fixed
        # size (BLOCK_SHOTS), so the sums do not depend on the chunk size.
        self.counts += int(counts.sum())
        self.exposure += float(exposure.sum())
        for x, s, q in ((e_meas, self.e_sum, self.e_sq), (f_meas_rel, self.f_sum, self.f_sq)):
            x2 = np.square(x, dtype=float)
            for j in range(x.shape[1]):
                s[j] += x[:, j].sum(dtype=float)
                q[j] += x2[:, j].sum()
        self.n += len(counts)

    def mean_std(self, s, q):
        m = s / self.n
        return m, np.sqrt(np.maximum(q / self.n - m * m, 0.0))


@dataclass
class _StepBlock:
    """Per-step quantities of steps [lo, hi) for the shot levels (one block of steps)."""

    lo: int
    hi: int
    m: StepModel
    exp: Any                      # expected counts (pandas.DataFrame)
    start_ns: np.ndarray
    stop_ns: np.ndarray
    t0_ticks: np.ndarray          # step starts in DAQ ticks since the run start
    nu_set_Hz: np.ndarray         # [n, 2] set frequencies

    @classmethod
    def build(cls, sim: _Sim, lo: int, m: StepModel) -> _StepBlock:
        rows = slice(lo, lo + len(m.n_shots))
        start, stop = sim.step_ns(m)
        t = (start - RUN_START_UTC_NS) * 1e-9 / sim.unit
        return cls(lo, rows.stop, m, expected_counts(sim.c, model=m, rows=rows), start, stop,
                   t.round().astype(np.int64), _nu_set_Hz(sim, rows))


class _Sim:
    """State shared by the levels for one campaign."""

    def __init__(self, campaign: Campaign, seed: int):
        self.c = campaign
        self.hw = campaign.hardware
        self.seed = seed
        # Per-step quantities are computed per block by the steps level (memory does not grow
        # with the number of steps); the shot levels use the whole-scan arrays below (lazy).
        self.m0: StepModel = step_model(campaign, slice(0, 0))   # the scalar coefficients
        self.period = self.hw.period_s
        self.gate_lo, self.gate_hi = self.hw.gate
        lasers = self.hw.lasers
        rr = _rng(seed, _STREAM_RUN)
        self.wavemeter_offset_Hz = float(rr.normal(0.0, lasers.wavemeter_offset_sigma_Hz)) \
            if lasers.wavemeter_offset_sigma_Hz > 0 else 0.0
        self.E0 = np.array([lasers.pulse_energy_J, lasers.pulse_energy_prime_J or
                            lasers.pulse_energy_J])
        self.E_eg = self.hw.E_eg_eV
        # time layout: calibration runs at start, scan, calibration runs at end
        cal = campaign.calibration
        self.cal_start = [c for c in cal if c.position == "start"]
        self.cal_end = [c for c in cal if c.position == "end"]
        pre = sum(c.shots for c in self.cal_start) * self.period
        self.scan_t0_ns = RUN_START_UTC_NS + round(pre * 1e9)
        self.unit = self.hw.daq.time_unit_s
        self.period_ticks = round(self.period / self.unit)
        self._blocks: dict[int, _StepBlock] = {}
        self._block_t0: list[float] = [0.0]
        self._tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._interp: dict[int, TableInterp] = {}
        self.interarrival = InterArrival(self.unit)

    def step_ns(self, m: StepModel) -> tuple[np.ndarray, np.ndarray]:
        """(start, stop) UTC ns of the steps of a step model (a block or the whole scan)."""
        start = self.scan_t0_ns + np.rint(m.t_start_s * 1e9).astype(np.int64)
        return start, start + np.rint(m.n_shots * self.period * 1e9).astype(np.int64)

    # ------------------------------------------------------- step blocks (shot levels)
    # The shot levels walk the steps in order and read per-step quantities through blocks of
    # BLOCK_STEPS steps (step model, expected counts, times, set frequencies), computed in
    # sequence with the same sums as for the whole scan (bit for bit) and dropped once every
    # row of theirs is written: memory does not grow with the number of steps.
    def block(self, s: int) -> _StepBlock:
        """Return the block of steps holding step ``s`` (computed in order, kept until released)."""
        k = s // BLOCK_STEPS
        if k not in self._blocks:
            while len(self._block_t0) <= k:      # start times: sequential over the blocks
                j = len(self._block_t0) - 1
                self._block_t0.append(self._blocks[j].m.next_t0_s() if j in self._blocks
                                      else self._model(j).next_t0_s())
            self._blocks[k] = _StepBlock.build(self, k * BLOCK_STEPS, self._model(k))
        return self._blocks[k]

    def _model(self, k: int) -> StepModel:
        n = len(self.c.steps)
        rows = slice(k * BLOCK_STEPS, min((k + 1) * BLOCK_STEPS, n))
        return step_model(self.c, rows, self._block_t0[k])

    def release_before(self, s: int) -> None:
        """Drop the blocks whose steps all come before step ``s`` (all written)."""
        for k in [k for k, b in self._blocks.items() if b.hi <= s]:
            del self._blocks[k]

    def check_run_length(self) -> int:
        """Refuse runs too long for int64 time tags; return the last step's stop (UTC ns).

        Walks the step model block by block (the sums of the whole scan, bit for bit).

        Raises
        ------
        InputError
            If the run is too long for int64 time tags at this tick (1 ps: 106 days).

        """
        n = len(self.c.steps)
        t0 = 0.0
        m = self.m0
        for b0 in range(0, n, BLOCK_STEPS):
            m = step_model(self.c, slice(b0, min(b0 + BLOCK_STEPS, n)), t0)
            t0 = m.next_t0_s()
        last_stop = int(self.step_ns(m)[1][-1]) if n else self.scan_t0_ns
        run_s = float(last_stop - RUN_START_UTC_NS) * 1e-9 + self.period
        if run_s / self.unit >= 2.0**62:
            raise InputError(f"simulate {self.c.name}", "hardware.daq.time_unit_s", self.unit,
                             f"a tick of at least {run_s / 2.0**62:.2g} s: the run lasts "
                             f"{run_s:.4g} s and time tags are int64 ticks since its start")
        return last_stop

    # ---------------------------------------------------------------- per-shot spectral table
    def I_table(self, s: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(offset grid in eV, I convolved with the laser line) around the drifted step centre."""
        blk = self.block(s)
        m, i = blk.m, s - blk.lo
        if m.sigma_total_eV == 0.0 and m.drift_eV_per_s == 0.0:
            return None
        if s not in self._tables:
            half_drift = abs(m.drift_eV_per_s) * m.n_shots[i] * self.period
            span = 8.0 * m.sigma_total_eV + half_drift + 1e-12
            x = np.linspace(-span, span, 129)
            w0 = m.omega_eV[i] + m.drift_eV[i]
            vals = self._line_convolved(w0, x)
            self._tables = {s: (x, vals)}
            self._interp = {s: TableInterp(x, vals)}
        return self._tables[s]

    def _line_convolved(self, w0: float, x: np.ndarray) -> np.ndarray:
        """I(w0 + x) convolved with the laser line (discrete convolution on the grid)."""
        sig = self.m0.sigma_laser_eV
        h = x[1] - x[0]
        imprinted = self.hw.lasers.imprinted
        if sig == 0.0:
            return spectral_function(w0 + x, self.c.neutrinos, self.hw.atomic, validate=False,
                                     **imprinted)
        K = math.ceil(7.0 * sig / h)
        if K > 4096:  # line much wider than the table: use the direct rule
            return smeared_I(w0 + x, sig, self.c.neutrinos, self.c)
        x_ext = x[0] + h * np.arange(-K, len(x) + K)
        vals = spectral_function(np.clip(w0 + x_ext, 1e-9, None), self.c.neutrinos,
                                 self.hw.atomic, validate=False, **imprinted)
        ker = np.exp(-0.5 * (h * np.arange(-K, K + 1) / sig) ** 2)
        return np.convolve(vals, ker / ker.sum(), mode="valid")

    # ---------------------------------------------------------------- one block of shots
    def shots_block(self, s: int, b: int, events: bool):
        """Simulate shots [b*B, min((b+1)*B, n_s)) of step s; return per-shot columns."""
        hw = self.hw
        blk = self.block(s)
        m, i = blk.m, s - blk.lo
        lasers, coh = hw.lasers, hw.coherence
        n_s = int(m.n_shots[i])
        k0 = b * BLOCK_SHOTS
        n = min(BLOCK_SHOTS, n_s - k0)
        rng = _rng(self.seed, _STREAM_SHOTS, s, b)
        local = np.arange(k0, k0 + n)
        t_rel = local * self.period  # s after step start
        # pulse energies (true) and their monitor readbacks
        if lasers.energy_jitter_rel > 0:
            efac = 1.0 + lasers.energy_jitter_rel * rng.standard_normal((n, 2), dtype=np.float32)
            np.maximum(efac, 0.0, out=efac)
        else:
            efac = np.ones((n, 2), dtype=np.float32)
        # shot exposure factor: (E1 E2/<E1 E2>)^p x LogNormal(-s^2/2, s)  ([hardware §5.1])
        if coh.eta_model == "maxwell-bloch" and hw.maxwell_bloch.table_points > 1:
            f = hw.coherence_energy_factor(efac).astype(np.float32)  # lookup table
        else:
            p = coh.energy_exponent
            f = efac[:, 0] * efac[:, 1]
            if p != 1.0:
                f = f ** np.float32(p)
        if coh.sigma_eta > 0:
            sig = coh.sigma_eta
            f = f * np.exp(np.float32(sig) * rng.standard_normal(n, dtype=np.float32)
                           - np.float32(0.5 * sig * sig))
        tau = (m.tau_mean_s * f).astype(np.float64)
        # frequency: drift + jitter ([hardware §4.3])
        drift_local = m.drift_eV_per_s * (m.t_start_s[i] + t_rel) - m.drift_eV[i]
        if lasers.jitter_Hz > 0:
            jit = (lasers.jitter_Hz * H_EV_S) * rng.standard_normal(n, dtype=np.float32)
            dw = drift_local + jit
        else:
            dw = drift_local
        table = self.I_table(s)
        if table is None:
            I_k = np.full(n, float(blk.exp["I_eff"].iloc[i]))
        else:
            I_k = self._interp[s](dw)
        w_k = m.omega_eV[i] + m.drift_eV[i] + dw
        mu_coh = tau * (m.c_sig[i] * I_k + m.c_mcq3[i])
        if m.c_psr[i] > 0:
            mu_coh += tau * m.c_psr[i] * psr_line(hw, w_k)
        mu_leak = m.leak_per_shot[i] * efac[:, 0]
        mu_flat = m.dark_per_shot + m.stray_per_shot
        # monitors
        e_meas = self.E0 * efac
        if lasers.energy_monitor_noise_rel > 0:
            e_meas = e_meas * (1.0 + lasers.energy_monitor_noise_rel *
                               rng.standard_normal((n, 2), dtype=np.float32))
        # measured frequencies relative to the set values, in Hz (omega beam, omega' beam)
        f_rel = np.empty((n, 2))
        f_rel[:, 0] = dw / H_EV_S + m.drift_eV[i] / H_EV_S + self.wavemeter_offset_Hz
        f_rel[:, 1] = self.wavemeter_offset_Hz - f_rel[:, 0] + self.wavemeter_offset_Hz
        if lasers.wavemeter_noise_Hz > 0:
            f_rel += lasers.wavemeter_noise_Hz * rng.standard_normal((n, 2))
        out = {"n": n, "local": local, "tau": tau, "e_meas": e_meas, "f_rel": f_rel}
        if not events:
            out["counts"] = rng.poisson(mu_coh + mu_leak + mu_flat)
            return out
        # ---- events: photons with times, then the detector stream
        n_coh = rng.poisson(mu_coh)
        n_leak = rng.poisson(mu_leak)
        n_flat = rng.poisson(np.full(n, mu_flat)) if mu_flat > 0 else np.zeros(n, np.int64)
        shot = np.concatenate((np.repeat(local, n_coh), np.repeat(local, n_leak),
                               np.repeat(local, n_flat)))
        t = np.concatenate((self._draw_times("coh", int(n_coh.sum()), rng),
                            self._draw_times("leak", int(n_leak.sum()), rng),
                            self._draw_times("flat", int(n_flat.sum()), rng)))
        src = np.concatenate((self._coherent_sources(s, b, n_coh, I_k, w_k),
                              np.full(int(n_leak.sum()), SOURCE_CODES["leak"], np.uint8),
                              self._flat_sources(s, b, n_flat)))
        order = order_by_shot_time(shot, t)
        shot, t, src = process_stream(shot[order], t[order], src[order], hw.detector, rng,
                                      self.gate_hi)
        out["counts"] = np.bincount(shot - k0, minlength=n) if len(shot) else np.zeros(n,
                                                                                       np.int64)
        out["ev_shot"], out["ev_t"], out["ev_src"] = shot, t, src
        return out

    def _coherent_sources(self, s: int, b: int, n_coh: np.ndarray, I_k: np.ndarray,
                          w_k: np.ndarray) -> np.ndarray:
        """Label the macro-coherent photons signal, mcq3 or psr (truth only).

        Given a shot's Poisson total, each photon is one of the components with probability
        proportional to the component's mean (Poisson splitting). The draws use their own
        stream (``_STREAM_LABELS``), so the simulated events do not depend on the labelling.
        """
        total = int(n_coh.sum())
        if total == 0:
            return np.empty(0, np.uint8)
        blk = self.block(s)
        m, i = blk.m, s - blk.lo
        a_sig = m.c_sig[i] * I_k
        a_mcq3 = np.full_like(a_sig, m.c_mcq3[i])
        a_psr = m.c_psr[i] * psr_line(self.hw, w_k) if m.c_psr[i] > 0 else np.zeros_like(a_sig)
        a_tot = a_sig + a_mcq3 + a_psr
        safe = np.where(a_tot > 0, a_tot, 1.0)
        k = np.repeat(np.arange(len(n_coh)), n_coh)
        u = _rng(self.seed, _STREAM_LABELS, s, b).random(total) * safe[k]
        out = np.full(total, SOURCE_CODES["psr"], np.uint8)
        out[u < (a_sig + a_mcq3)[k]] = SOURCE_CODES["mcq3"]
        out[u < a_sig[k]] = SOURCE_CODES["signal"]
        return out

    def _flat_sources(self, s: int, b: int, n_flat: np.ndarray) -> np.ndarray:
        """Label the flat-in-time photons dark or stray (truth only; own stream)."""
        total = int(n_flat.sum())
        out = np.full(total, SOURCE_CODES["dark"], np.uint8)
        dark, stray = self.m0.dark_per_shot, self.m0.stray_per_shot
        if total and stray > 0:
            u = _rng(self.seed, _STREAM_LABELS, s, b, 1).random(total)
            out[u * (dark + stray) >= dark] = SOURCE_CODES["stray"]
        return out

    def _draw_times(self, kind: str, k: int, rng: np.random.Generator) -> np.ndarray:
        if k == 0:
            return np.empty(0)
        key = f"inv_{kind}"
        if key not in self.__dict__:
            grid, cdf = self._cdf(kind)
            self.__dict__[key] = TableInterp(cdf, grid)
        return self.__dict__[key](rng.random(k))

    def _cdf(self, kind: str):
        key = f"cdf_{kind}"
        if key not in self.__dict__:
            lo, hi = self.gate_lo, self.gate_hi
            if kind == "coh" and self.hw.coherence.eta_model == "level1":
                lo = max(lo, 0.0)
            grid = np.linspace(lo, hi, 8193)
            if kind == "flat" or (kind == "coh" and self.hw.coherence.eta_model == "constant"):
                dens = np.ones_like(grid)
            elif kind == "coh" and self.hw.coherence.eta_model == "maxwell-bloch":
                sol = self.hw.coherence_solution()  # eta(t) of the Maxwell-Bloch solution
                dens = np.interp(grid, sol.t_fine_s, sol.eta_t, left=0.0, right=0.0)
            elif kind == "coh":
                dens = eta_profile(self.hw.coherence, self.hw.lasers.duration_s, grid)
            else:
                s = self.hw.lasers.duration_s * FWHM_TO_SIGMA
                dens = np.exp(-0.5 * (grid / s) ** 2)
            cdf = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) *
                                                   np.diff(grid))))
            if cdf[-1] <= 0:
                cdf = np.linspace(0.0, 1.0, len(grid))
            self.__dict__[key] = (grid, cdf / cdf[-1])
        return self.__dict__[key]


class TableInterp:
    """``np.interp(x, xp, fp)`` bit for bit, faster, for a fixed table and many ``x``.

    ``np.interp`` spends most of its time in a binary search of the table. Here a table of
    :attr:`BUCKETS` starting indices over ``[xp[0], xp[-1]]`` narrows the search to a step or
    two; the value is then computed with numpy's own formula ``slope[j] * (x - xp[j]) + fp[j]``
    (slopes precomputed as ``np.interp`` does for long inputs), ``fp[j]`` where ``x == xp[j]``,
    and ``fp[0]``/``fp[-1]`` outside the table. A self-check against ``np.interp`` at
    construction falls back to it if the platform rounds differently; non-finite ``x`` also use
    ``np.interp``.

    Parameters
    ----------
    xp : array
        Non-decreasing table abscissae (finite, at least 2 points).
    fp : array
        Values at ``xp``.

    """

    BUCKETS = 1 << 13

    def __init__(self, xp: np.ndarray, fp: np.ndarray):
        self.xp, self.fp = np.asarray(xp, float), np.asarray(fp, float)
        self.last = len(self.xp) - 1
        lo, hi = self.xp[0], self.xp[-1]
        self.exact = bool(self.last >= 1 and np.isfinite(lo) and np.isfinite(hi) and hi > lo)
        if not self.exact:
            return
        self.lo, self.scale = lo, self.BUCKETS / (hi - lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.slope = np.append(np.diff(self.fp) / np.diff(self.xp), 0.0)
        edges = lo + np.arange(self.BUCKETS + 1) / self.scale
        self.j_lo = np.clip(np.searchsorted(self.xp, edges, side="right") - 1, 0, self.last)
        rng = np.random.default_rng(0)
        x = np.concatenate((lo + (hi - lo) * rng.uniform(-0.05, 1.05, 4096), self.xp,
                            [np.nextafter(hi, -np.inf), np.nextafter(lo, np.inf)]))
        self.exact = np.array_equal(self._fast(x), np.interp(x, self.xp, self.fp),
                                    equal_nan=True)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Return ``np.interp(x, xp, fp)``."""
        x = np.asarray(x, float)
        if not self.exact or x.ndim != 1 or not len(x) or not np.isfinite(x).all():
            return np.interp(x, self.xp, self.fp)
        return self._fast(x)

    def _fast(self, x: np.ndarray) -> np.ndarray:
        xp, last = self.xp, self.last
        b = (x - self.lo) * self.scale
        np.clip(b, 0, self.BUCKETS - 1, out=b)
        j = self.j_lo[b.astype(np.intp)]
        # the largest j with xp[j] <= x (0 below the table): a step or two from the bucket start
        for _ in range(4):
            down = (j > 0) & (xp[j] > x)
            up = (j < last) & (xp[np.minimum(j + 1, last)] <= x)
            if not (down.any() or up.any()):
                break
            j += up
            j -= down
        else:
            bad = ((j > 0) & (xp[j] > x)) | ((j < last) & (xp[np.minimum(j + 1, last)] <= x))
            if bad.any():
                j[bad] = np.clip(np.searchsorted(xp, x[bad], side="right") - 1, 0, last)
        out = self.slope[j] * (x - xp[j]) + self.fp[j]
        hit = (x == xp[j]) | (j == last)
        if hit.any():
            out[hit] = self.fp[j[hit]]
        nan = np.isnan(out)
        if nan.any():   # non-finite table values: numpy's special cases
            out[nan] = np.interp(x[nan], xp, self.fp)
        below, above = x < xp[0], x > xp[last]
        if below.any():
            out[below] = self.fp[0]
        if above.any():
            out[above] = self.fp[last]
        return out


def _run_config(sim: _Sim, level: str) -> RunConfig:
    hw, c = sim.hw, sim.c
    t = hw.target
    lam = H_EV_S * C_M_PER_S / (sim.E_eg / 2.0)
    iso = int(t.isotope) if t.isotope.isdigit() else 0
    las = hw.lasers
    common = {"nominal_wavelength_m": lam, "linewidth_fwhm_Hz": las.linewidth_Hz,
              "pulse_fwhm_s": las.duration_s, "rep_rate_Hz": las.rep_rate_Hz,
              "waist_m": las.waist_m, "polarization": las.polarisation,
              "source_type": las.source_type}
    det = hw.detector
    wg = hw.waveguide
    return RunConfig(
        target={"species": t.species, "isotope": iso, "E_eg_eV": sim.E_eg,
                "E_eg_unc_eV": hw.atomic.E_eg_sigma_eV, "phase": t.phase,
                "number_density_m3": t.density_cm3 * 1e6, "length_m": t.length_m,
                "area_m2": t.area_m2, "temperature_K": t.temperature_K,
                "T1_s": hw.coherence.T1_s, "T2_s": hw.coherence.T2_s, "B_field_T": t.B_field_T,
                "buffer_pressure_Pa": t.buffer_gas_Pa},
        lasers=[{"role": "omega", "direction": "+z", "pulse_energy_J": float(sim.E0[0]),
                 **common},
                {"role": "omega_prime", "direction": "-z", "pulse_energy_J": float(sim.E0[1]),
                 **common}],
        detectors=[{"type": det.technology, "efficiency": det.detection_prob,
                    "efficiency_unc": 0.0, "dark_rate_Hz": det.dark_rate_Hz,
                    "dead_time_s": det.dead_time_s, "dead_time_model": det.dead_time_model,
                    "recovery_tau_s": det.recovery_tau_s, "jitter_sigma_s": det.jitter_sigma_s,
                    "afterpulse_prob": det.afterpulse_prob,
                    "afterpulse_tau_s": det.afterpulse_tau_s,
                    "gate_offset_s": sim.gate_lo, "gate_width_s": sim.gate_hi - sim.gate_lo}],
        daq={"mode": {"steps": "counts", "shots": "shots", "events": "T3"}[level],
             "time_unit_s": sim.unit},
        waveguide=({"type": "photonic_crystal", "cutoff_eV": wg.cutoff_eV,
                    "gap_lo_eV": wg.gap_lo_eV, "gap_hi_eV": wg.gap_hi_eV, "S_gap": wg.s_gap,
                    "T_sig": wg.T_sig, "eps_res": wg.eps_res} if wg.enabled else
                   {"type": "none"}),
        **las.imprinted,
        full={"campaign": c.to_dict(steps="generator"), "simulation": {
            "level": level, "seed": sim.seed, "block_shots": BLOCK_SHOTS,
            "block_steps": BLOCK_STEPS, "event_time_origin": "trigger-pulse peak (t_shot)",
            "notes": "counts before dead time in steps/shots levels; dead time, afterpulsing "
                     "and jitter act only in the events level"}},
    )


SENSORS = {
    "laser_energy_omega": ("J", "omega-beam pulse-energy monitor, mean over a block of shots"),
    "laser_energy_omega_prime": ("J", "omega'-beam pulse-energy monitor, block mean"),
    "wavemeter_freq_omega": ("Hz", "omega-beam wavemeter reading, block mean"),
    "target_temperature": ("K", "target cell temperature"),
}


def simulate(campaign: Campaign, path: str | Path, *, level: str = "steps",
             seed: int | None = None, chunk_shots: int = 1 << 18,
             progress: ProgressFn | None = None, compression: str | None = "gzip",
             overwrite: bool = True, compress_floats: bool = False) -> Path:
    """Simulate a campaign and write a run file (crash-safe: temporary name, then rename).

    Parameters
    ----------
    campaign : Campaign
        Resolved campaign (:func:`renpsim.campaign.load_campaign`).
    path : path-like
        Output run file.
    level : {"steps", "shots", "events"}
        Level of detail (see the module docstring).
    seed : int, optional
        Overrides the campaign's seed.
    chunk_shots : int
        Shots per write chunk (rounded up to a multiple of :data:`BLOCK_SHOTS`); bounds memory.
        Results are identical for any value.
    progress : callable, optional
        ``progress(done, total)`` in shots (steps level: in steps).
    compression : {"gzip", None}
        HDF5 filter of the chunked datasets (see :class:`renpsim.runfile.RunWriter`).
    compress_floats : bool
        Also compress the floating-point columns of /shots and /events (monitor noise: about
        21 instead of 29 bytes per shot, at roughly half the writing speed; see
        :class:`renpsim.runfile.RunWriter`).
    overwrite : bool
        Replace an existing file (it stays intact until the new one is complete).

    Returns
    -------
    pathlib.Path
        The final path.

    """
    if level not in LEVELS:
        raise InputError("simulate", "level", level, "one of " + ", ".join(LEVELS))
    if chunk_shots < 1:
        raise InputError("simulate", "chunk_shots", chunk_shots, "a positive integer")
    seed = campaign.seed if seed is None else int(seed)
    if seed < 0:
        raise InputError("simulate", "seed", seed, "an integer >= 0")
    sim = _Sim(campaign, seed)
    if level != "steps":
        last_stop_ns = sim.check_run_length()   # before any file exists
    blocks_per_chunk = max(1, -(-int(chunk_shots) // BLOCK_SHOTS))
    truth = TruthSpec(params=_truth_params(sim), background_components=list(BACKGROUNDS),
                      event_sources=EVENT_SOURCES if level == "events" else ())
    ident = RunIdentity(run_id=f"SIM-{campaign.name}-{seed}-{level}", file_kind="synthetic",
                        experiment=campaign.name, seed=np.random.SeedSequence(seed),
                        run_start_utc_ns=RUN_START_UTC_NS,
                        comment=f"renpsim simulate, level {level}")
    sensors = {k: {"units": u, "description": d,
                   "nominal_period_s": BLOCK_SHOTS * sim.period if level != "steps" else 0.0}
               for k, (u, d) in SENSORS.items()}
    rows = BLOCK_SHOTS * blocks_per_chunk
    with RunWriter(path, ident, _run_config(sim, level), shots=level != "steps",
                   events=level == "events", slow_control=sensors, truth=truth,
                   compression=compression, compress_floats=compress_floats,
                   chunk_rows=min(rows, 1 << 16),
                   # the steps level appends blocks of BLOCK_STEPS rows: no larger buffers
                   buffer_rows=rows if level != "steps" else BLOCK_STEPS,
                   overwrite=overwrite) as w:
        if level == "steps":
            last_stop_ns = _steps_level(sim, w, progress)
        else:
            _shot_levels(sim, w, level == "events", blocks_per_chunk, progress)
        _calibration(sim, w, level == "events")
        stop = last_stop_ns + round(sum(c.shots for c in sim.cal_end) *
                                                     sim.period * 1e9)
        w.set_run_stop(stop)
    return Path(path)


#: Most expected counts a simulated scan may hold: far above any real run (counts are int64
#: and numpy's Poisson sampler refuses means near 2^63), so a larger expectation is a setup
#: out of its physical range (a hardware value in the wrong unit, a huge area or density).
MAX_EXPECTED_COUNTS = 1e15


def _check_expectation(c: Campaign, totals: Mapping[str, float]) -> None:
    """Refuse a scan whose expected counts are not finite or beyond MAX_EXPECTED_COUNTS."""
    for name in ("signal", "background"):
        v = float(totals[name])
        if not (math.isfinite(v) and v <= MAX_EXPECTED_COUNTS):
            raise InputError(c.source, f"expected {name} counts", v,
                             f"a finite expectation of at most {MAX_EXPECTED_COUNTS:.0e} counts "
                             "for the whole scan (a hardware value out of its physical range "
                             "or in the wrong unit?)")


def _truth_params(sim: _Sim) -> dict:
    t = sim.c.truth
    totals = expected_totals(sim.c)
    _check_expectation(sim.c, totals)
    return {"neutrinos": {"ordering": t.ordering, "m_lightest_eV": t.m_lightest_eV,
                          "nature": t.nature, "oscillation": t.oscillation,
                          "alpha21_rad": t.alpha21_rad, "alpha31_rad": t.alpha31_rad,
                          "delta_rad": float(np.asarray(sim.c.neutrinos.delta).reshape(-1)[0]),
                          "masses_eV": np.asarray(sim.c.neutrinos.masses_eV).reshape(-1)
                          .tolist()},
            "E_eg_eV": sim.E_eg, "gamma0_ref_per_s": sim.hw.gamma0_per_s(),
            "rate_per_unit_I_per_s": sim.hw.rate_per_unit_I(),
            "wavemeter_offset_Hz": sim.wavemeter_offset_Hz,
            "tau_mean_per_shot_s": sim.m0.tau_mean_s, "seed": sim.seed,
            "expected_total_signal": totals["signal"],
            "expected_total_background": totals["background"]}


def _truth_block(e) -> dict:
    """/truth rows of the steps of ``e`` (expected counts of those steps)."""
    return {"expected_signal": e["signal"].to_numpy(),
            "expected_background": {b: e[b].to_numpy() for b in BACKGROUNDS}}


def _nu_set_Hz(sim: _Sim, sl: slice) -> np.ndarray:
    w = sim.c.steps.omega_eV[sl]
    return np.stack((w / H_EV_S, (sim.E_eg - w) / H_EV_S), axis=1)


def _steps_level(sim: _Sim, w: RunWriter, progress: ProgressFn | None) -> int:
    """Write the steps level block by block; return the last step's stop time (UTC ns).

    Memory does not grow with the number of steps: the step model and the expected counts
    are computed per block of :data:`BLOCK_STEPS` steps (the campaign's step table is the
    only whole-scan array).
    """
    hw = sim.hw
    lasers = hw.lasers
    n_steps = len(sim.c.steps)
    comps = ["signal", *BACKGROUNDS]
    last_stop = sim.scan_t0_ns
    for sl, m, e in expected_blocks(sim.c, BLOCK_STEPS):
        rng = _rng(sim.seed, _STREAM_STEPS, sl.start // BLOCK_STEPS)
        n = len(e)
        start_ns, stop_ns = sim.step_ns(m)
        counts = np.zeros(n, np.int64)
        for comp in comps:
            counts += rng.poisson(e[comp].to_numpy())
        shots = m.n_shots.astype(float)
        nu_set = _nu_set_Hz(sim, sl)
        sj = math.hypot(lasers.jitter_Hz, lasers.wavemeter_noise_Hz)
        drift_Hz = m.drift_eV / H_EV_S
        meas = nu_set + (drift_Hz * np.array([[1.0], [-1.0]])).T + sim.wavemeter_offset_Hz
        meas = meas + (sj / np.sqrt(shots))[:, None] * rng.standard_normal((n, 2))
        e_rel = math.hypot(lasers.energy_jitter_rel, lasers.energy_monitor_noise_rel)
        e_mean = sim.E0 * (1.0 + (e_rel / np.sqrt(shots))[:, None] *
                           rng.standard_normal((n, 2)))
        temp = hw.target.temperature_K + hw.target.temperature_noise_K * rng.standard_normal(n)
        w.append_steps(
            omega_eV=m.omega_eV, omega_prime_eV=sim.E_eg - m.omega_eV,
            set_frequency_Hz=nu_set, meas_frequency_Hz=meas,
            meas_frequency_std_Hz=np.full((n, 2), sj),
            t_start_utc_ns=start_ns, t_stop_utc_ns=stop_ns,
            dwell_s=m.dwell_s, shots=m.n_shots, live_s=e["gate_live_s"].to_numpy(),
            exposure_s=e["exposure_s"].to_numpy(), counts=counts,
            laser_energy_mean_J=e_mean, laser_energy_std_J=np.tile(sim.E0 * e_rel, (n, 1)),
            target_temperature_K=temp, flags=_flags(sim, sl),
            detection_efficiency=np.full(n, hw.detector.detection_prob),
            expected_background_counts=e["background"].to_numpy(),
            truth=_truth_block(e))
        mid = (start_ns + stop_ns) // 2
        w.append_slow_control("laser_energy_omega", mid, e_mean[:, 0])
        w.append_slow_control("laser_energy_omega_prime", mid, e_mean[:, 1])
        w.append_slow_control("wavemeter_freq_omega", mid, meas[:, 0])
        w.append_slow_control("target_temperature", mid, temp)
        w.append_gti(start_ns, stop_ns)
        last_stop = int(stop_ns[-1])
        if progress:
            progress(sl.stop, n_steps)
    return last_stop


#: /scan flag bits (renpsim): 1 = reference step, 2 = within 3 PSR widths of the photon
#: endpoint (E_eg/2, moved by an imprinted pair momentum; the PSR line centre).
FLAG_REFERENCE, FLAG_NEAR_ENDPOINT = 1, 2


def _flags(sim: _Sim, sl: slice) -> np.ndarray:
    ref = sim.c.steps.is_reference[sl].astype(np.uint32) * FLAG_REFERENCE
    near = sim.hw.psr_near_line(sim.c.steps.omega_eV[sl] - psr_shift_eV(sim.hw))
    return ref | near.astype(np.uint32) * FLAG_NEAR_ENDPOINT


def _shot_levels(sim: _Sim, w: RunWriter, events: bool, blocks_per_chunk: int,
                 progress: ProgressFn | None) -> None:
    """Shots/events levels: blocks in acquisition order, written in chunks across steps."""
    hw = sim.hw
    n_shots = sim.c.steps.n_shots
    total = int(n_shots.sum())
    shot_offset = 0          # shots of the steps before this one (the step's first shot id)
    rng_temp = _rng(sim.seed, _STREAM_RUN, 1)
    sc = {k: ([], []) for k in SENSORS}
    pending_steps: list[dict] = []
    parts: list[dict] = []
    done = 0

    last_steps = time.monotonic()

    def flush(final: bool = False) -> None:
        nonlocal parts, done, last_steps
        if parts:
            _write_shot_chunk(sim, w, parts, events)
            done += sum(p["n"] for p in parts)
            parts = []
        # Step rows (with their GTIs and slow-control samples) go out in batches: at 256
        # pending steps, after STEP_ROWS_INTERVAL_S for live readers, and at the end.
        now = time.monotonic()
        if pending_steps and (final or len(pending_steps) >= 256 or
                              now - last_steps >= STEP_ROWS_INTERVAL_S):
            last_steps = now
            _write_step_rows(sim, w, pending_steps)
            sim.release_before(pending_steps[-1]["s"] + 1)
            pending_steps.clear()
            for k, (tt, vv) in sc.items():
                if tt:
                    w.append_slow_control(k, np.array(tt), np.array(vv))
                    tt.clear()
                    vv.clear()
        if progress:
            progress(done, total)

    for s in range(len(n_shots)):
        n_s = int(n_shots[s])
        acc = _StepAcc()
        temps = []
        blk = sim.block(s)
        i = s - blk.lo
        nu_set = blk.nu_set_Hz[i]
        nu0 = float(nu_set[0])
        for b in range(-(-n_s // BLOCK_SHOTS)):
            p = sim.shots_block(s, b, events)
            p["step"] = s
            p["shot_id0"] = shot_offset
            p["t0_tick"] = int(blk.t0_ticks[i])
            p["nu_set"] = nu_set
            acc.add(p["counts"], p["tau"], p["e_meas"], p["f_rel"])
            mid_ns = int(blk.start_ns[i]) + round(
                (p["local"][0] + p["n"] / 2) * sim.period * 1e9)
            temp = hw.target.temperature_K + hw.target.temperature_noise_K * \
                rng_temp.standard_normal()
            temps.append(temp)
            for k, v in (("laser_energy_omega", float(p["e_meas"][:, 0].mean())),
                         ("laser_energy_omega_prime", float(p["e_meas"][:, 1].mean())),
                         ("wavemeter_freq_omega", nu0 + float(p["f_rel"][:, 0].mean())),
                         ("target_temperature", temp)):
                sc[k][0].append(mid_ns)
                sc[k][1].append(v)
            parts.append(p)
            if len(parts) >= blocks_per_chunk:
                flush()
        shot_offset += n_s
        pending_steps.append({"s": s, "acc": acc, "temp": float(np.mean(temps))})
        if len(pending_steps) >= 256:
            flush()
    flush(final=True)


def _write_shot_chunk(sim: _Sim, w: RunWriter, parts: list[dict], events: bool) -> None:
    """Append the shots (and events) of a chunk of blocks.

    Columns are assembled block by block straight into arrays of the on-disk dtypes (no
    gathers over the whole chunk; the writer then needs no conversion copies). Values are
    those of the elementwise formulas (same operations, same rounding).
    """
    n_tot = sum(p["n"] for p in parts)
    step = np.empty(n_tot, np.uint32)
    shot_id = np.empty(n_tot, np.uint64)
    t_shot = np.empty(n_tot, np.int64)
    energy = np.empty((n_tot, 2), np.float32)
    freq = np.empty((n_tot, 2))
    counts = np.empty(n_tot, np.uint16)
    over = np.zeros(n_tot, np.uint32)
    tau = np.empty(n_tot, np.float32)
    i = 0
    for p in parts:
        n, s = p["n"], p["step"]
        sl = slice(i, i + n)
        step[sl] = s
        shot_id[sl] = p["local"]
        shot_id[sl] += np.uint64(p["shot_id0"])
        np.multiply(p["local"], sim.period_ticks, out=t_shot[sl])
        t_shot[sl] += p["t0_tick"]
        energy[sl] = p["e_meas"]
        np.add(p["nu_set"], p["f_rel"], out=freq[sl])
        c = p["counts"]
        if c.size and int(c.max()) > _U16:
            over[sl] = c > _U16
            c = np.minimum(c, _U16)
        counts[sl] = c
        tau[sl] = p["tau"]
        i += n
    w.append_shots(shot_id=shot_id, step=step, t_shot=t_shot, laser_energy_J=energy,
                   laser_freq_Hz=freq, counts=counts, coherent_exposure_s=tau, flags=over)
    if events:
        n_ev = sum(len(p["ev_shot"]) for p in parts)
        ts = np.empty(n_ev, np.int64)
        dtime = np.empty(n_ev, np.int64)
        ev_id = np.empty(n_ev, np.uint64)
        src = np.empty(n_ev, np.uint8)
        i = 0
        for p in parts:
            k = len(p["ev_shot"])
            sl = slice(i, i + k)
            dtime[sl] = np.rint(p["ev_t"] / sim.unit)
            np.multiply(p["ev_shot"], sim.period_ticks, out=ts[sl])
            ts[sl] += p["t0_tick"]
            ts[sl] += dtime[sl]
            ev_id[sl] = p["ev_shot"]
            ev_id[sl] += np.uint64(p["shot_id0"])
            src[sl] = p["ev_src"]
            i += k
        w.append_events(timestamps=ts, channel=np.zeros(n_ev, np.int16), shot_id=ev_id,
                        dtime=dtime, source=src)
        sim.interarrival.add(ts)


class InterArrival:
    """Histogram of the intervals between consecutive time tags of one channel.

    The in-situ calibration product of [hardware §3.4] item 7 ([daSilva]: fitted for efficiency,
    afterpulse and dark-count probabilities). Bins: ``[0, tick)`` and then
    :data:`HIST_BINS_PER_DECADE` log-spaced bins per decade from one tick to
    :data:`HIST_MAX_S`; the last bin also holds longer intervals. Time tags arrive in order,
    in any grouping (the previous tag is carried over), so the histogram does not depend on
    the chunk size.

    Parameters
    ----------
    time_unit_s : float
        Seconds per tick of the time tags.

    """

    def __init__(self, time_unit_s: float):
        lo = math.log10(time_unit_s)
        n = max(1, math.ceil((math.log10(HIST_MAX_S) - lo) * HIST_BINS_PER_DECADE - 1e-9))
        self.unit = time_unit_s
        self.edges_s = np.concatenate(([0.0], 10.0 ** (lo + np.arange(n + 1) /
                                                       HIST_BINS_PER_DECADE)))
        self.counts = np.zeros(len(self.edges_s) - 1, np.uint64)
        self._last: int | None = None

    def add(self, ticks: np.ndarray) -> None:
        """Add the intervals ending at each of ``ticks`` (int64, non-decreasing)."""
        if not len(ticks):
            return
        prev = ticks[:1] if self._last is None else np.array([self._last], np.int64)
        d = np.diff(np.concatenate((prev, ticks)))
        if self._last is None:
            d = d[1:]
        self._last = int(ticks[-1])
        idx = np.searchsorted(self.edges_s, d * self.unit, side="right") - 1
        np.minimum(idx, len(self.counts) - 1, out=idx)
        self.counts += np.bincount(idx, minlength=len(self.counts)).astype(np.uint64)


def _write_step_rows(sim: _Sim, w: RunWriter, rows: list[dict]) -> None:
    """Append the step rows (and GTIs) of consecutive steps, one block of steps at a time."""
    while rows:
        blk = sim.block(rows[0]["s"])
        part = [r for r in rows if r["s"] < blk.hi]
        rows = rows[len(part):]
        _write_block_rows(sim, w, blk, part)


def _write_block_rows(sim: _Sim, w: RunWriter, blk: _StepBlock, rows: list[dict]) -> None:
    hw = sim.hw
    m = blk.m
    idx = np.array([r["s"] for r in rows])
    sl = slice(int(idx[0]), int(idx[-1]) + 1)
    loc = slice(sl.start - blk.lo, sl.stop - blk.lo)
    nu_set = blk.nu_set_Hz[loc]
    e_ms = [r["acc"].mean_std(r["acc"].e_sum, r["acc"].e_sq) for r in rows]
    f_ms = [r["acc"].mean_std(r["acc"].f_sum, r["acc"].f_sq) for r in rows]
    ex = blk.exp.iloc[loc]
    w.append_steps(
        omega_eV=m.omega_eV[loc], omega_prime_eV=sim.E_eg - m.omega_eV[loc],
        set_frequency_Hz=nu_set, meas_frequency_Hz=nu_set + np.array([f[0] for f in f_ms]),
        meas_frequency_std_Hz=np.array([f[1] for f in f_ms]),
        t_start_utc_ns=blk.start_ns[loc], t_stop_utc_ns=blk.stop_ns[loc],
        dwell_s=m.dwell_s[loc], shots=m.n_shots[loc], live_s=ex["gate_live_s"].to_numpy(),
        exposure_s=np.array([r["acc"].exposure for r in rows]),
        counts=np.array([r["acc"].counts for r in rows]),
        laser_energy_mean_J=np.array([e[0] for e in e_ms]),
        laser_energy_std_J=np.array([e[1] for e in e_ms]),
        target_temperature_K=np.array([r["temp"] for r in rows]), flags=_flags(sim, sl),
        detection_efficiency=np.full(len(rows), hw.detector.detection_prob),
        expected_background_counts=ex["background"].to_numpy(), truth=_truth_block(ex),
        commit=False)
    w.append_gti(blk.start_ns[loc], blk.stop_ns[loc])


def _calibration(sim: _Sim, w: RunWriter, events: bool = False) -> None:
    hw = sim.hw
    det = hw.detector
    rng = _rng(sim.seed, _STREAM_CAL)
    dark_counts, dark_live = 0, 0.0
    laser_off = []
    for c in (*sim.cal_start, *sim.cal_end):
        live = c.shots * sim.m0.gate_s
        rate = det.dark_rate_Hz + (hw.backgrounds.stray_rate_Hz if c.kind == "laser_off" else
                                   0.0)
        k = int(rng.poisson(rate * live))
        if c.kind == "dark":
            dark_counts += k
            dark_live += live
        else:
            laser_off.append((k, live))
    if dark_live == 0.0 and laser_off:
        dark_counts = sum(k for k, _ in laser_off)
        dark_live = sum(x for _, x in laser_off)
    lam = H_EV_S * C_M_PER_S / (sim.E_eg / 2.0)
    w.write_calibration(
        detector_efficiency={0: {"wavelength_m": [lam], "efficiency": [det.detection_prob],
                                 "efficiency_unc": [0.0], "method": "preset (synthetic)",
                                 "date_utc_ns": RUN_START_UTC_NS,
                                 "reference": hw.source}},
        dark={0: {"counts": dark_counts, "live_time_s": dark_live,
                  "temperature_K": hw.target.temperature_K, "date_utc_ns": RUN_START_UTC_NS}},
        frequency={"offset_Hz": 0.0, "offset_unc_Hz": hw.lasers.wavemeter_offset_sigma_Hz,
                   "reference": "wavemeter, uncalibrated offset (truth in /truth/params_json)"},
        dead_time={0: {"value_s": det.dead_time_s, "model": det.dead_time_model}},
        afterpulse={0: {"prob": det.afterpulse_prob, "tau_s": det.afterpulse_tau_s,
                        **({"hist_interarrival": sim.interarrival.counts,
                            "hist_interarrival_edges_s": sim.interarrival.edges_s}
                           if events else {})}},
    )
