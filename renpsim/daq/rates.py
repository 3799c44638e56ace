"""The one rate model shared by the three DAQ levels.

Source: [hardware §3.4], [hardware §5.2], [hardware §8.1]; [physics §1.5].

Per shot k of step s (counts, before dead time and afterpulsing)::

    mu_sig,k  = Gamma_0' * T_wg(omega) * eps_sep * eps_det * I_L(omega_k) * tau_k
    mu_McQ3,k = R3_over_RENP_free * Gamma_0' * F_McQ3(omega) * eps_det * tau_k
    mu_PSR,k  = psr_over_sig * Gamma_0' * T_wg(omega) * eps_sep * eps_det * P(omega_k) * tau_k
    mu_leak,k = N_trig,gate(omega) * (E1_k/<E1>) * eps_leak * eps_det     ('leak' scheme)
    mu_dark,k = d * tau_gate,       mu_stray,k = r_stray * tau_gate

(for eta_model = "maxwell-bloch": mu_PSR,k = Y_PSR T_wg eps_sep eps_det P(omega_k) tau_k / tau_bar,
with the yield Y_PSR per shot and the McQ2 line P of the solver, docs/coherence.md section 8;
the line P is centred on the photon endpoint, E_eg/2 or, with an imprinted pair momentum, where
s = 0: :func:`psr_line`, docs/sterile-and-momentum.md 2.4)
with Gamma_0' = Gamma_0 (V/V_ref)(n_a/n_ref)^2(n_gamma/n_ref) ([hardware §8.1]), tau_k the coherent
exposure of the shot inside the gate ([hardware §5.2]; mean tau_bar, fluctuating with the pulse
energies and the log-normal factor of mean 1), I_L the spectral function I(omega) ([physics §1.3])
convolved with the laser line (Gaussian, FWHM = linewidth) and omega_k = omega_set + drift(t) +
jitter_k ([hardware §4.3]). The step expectation integrates the jitter analytically:
I_bar = I convolved with a Gaussian of sigma^2 = sigma_L^2 + sigma_j^2, evaluated at the drifted
step centre (mid-step time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from renpsim.campaign.campaign import Campaign
from renpsim.constants import H_EV_S
from renpsim.hardware.config import HardwareConfig
from renpsim.hardware.target_cell import FWHM_TO_SIGMA
from renpsim.physics.kinematics import photon_endpoint
from renpsim.physics.neutrino import NeutrinoState
from renpsim.physics.spectrum import spectral_function

#: Background components, in the order used everywhere (/truth/expected_background/<name>).
BACKGROUNDS = ("mcq3", "psr", "leak", "dark", "stray")

# Gaussian kernel on a uniform grid over +-7 sigma: robust where I(omega) has threshold kinks
# (a Gauss-Hermite rule converges slowly there).
_K_X = np.linspace(-7.0, 7.0, 201)
_K_W = np.exp(-0.5 * _K_X**2)
_K_W = _K_W / _K_W.sum()
#: Points per piece in :func:`smeared_I` (bounds its memory to about 60 MB).
_SMEAR_ROWS = 1024


def smeared_I(omega_eV: NDArray[np.float64], sigma_eV: float, state: NeutrinoState, campaign:
              Campaign, E_eg_eV: float | None = None) -> NDArray[np.float64]:
    """Return I(omega) convolved with a Gaussian of standard deviation sigma (201-point rule).

    Points beyond the photon endpoint (E_eg/2, or where s = 0 with the imprinted momentum of
    ``campaign.hardware.lasers``) contribute zero (every channel is closed there).
    """
    target = campaign.hardware.atomic
    imprinted = campaign.hardware.lasers.imprinted
    w = np.asarray(omega_eV, dtype=float)
    if sigma_eV <= 0.0:
        return spectral_function(w, state, target, E_eg_eV=E_eg_eV, validate=False, **imprinted)
    if w.ndim == 1 and len(w) > _SMEAR_ROWS:
        # Bounded memory: the (rows, 201) grid and the spectral function's temporaries take
        # about 56 kB per point (5.6 GB for 1e5 steps in one piece). Blocks are multiples of
        # 4 rows, so the BLAS dot products group rows as in one piece (same results).
        return np.concatenate([smeared_I(w[k:k + _SMEAR_ROWS], sigma_eV, state, campaign,
                                         E_eg_eV) for k in range(0, len(w), _SMEAR_ROWS)])
    pts = w[..., None] + sigma_eV * _K_X
    vals = spectral_function(np.clip(pts, 1e-9, None), state, target, E_eg_eV=E_eg_eV,
                             validate=False, **imprinted)
    return vals @ _K_W


@dataclass(frozen=True)
class StepModel:
    """Per-step coefficients of the rate model (arrays over the campaign's steps)."""

    omega_eV: NDArray[np.float64]
    n_shots: NDArray[np.int64]
    dwell_s: NDArray[np.float64]
    t_start_s: NDArray[np.float64]      # step start, seconds after the scan start
    drift_eV: NDArray[np.float64]       # frequency drift at mid-step
    c_sig: NDArray[np.float64]          # counts per second of coherence per unit I
    c_mcq3: NDArray[np.float64]
    c_psr: NDArray[np.float64]
    leak_per_shot: NDArray[np.float64]
    dark_per_shot: float
    stray_per_shot: float
    tau_mean_s: float                   # mean coherent exposure per shot (in gate)
    gate_s: float
    sigma_laser_eV: float               # laser line sigma
    sigma_jitter_eV: float              # shot-to-shot jitter sigma
    drift_eV_per_s: float
    period_s: float = 0.0               # shot period

    def next_t0_s(self) -> float:
        """Start of the step after the last one (``t0_s`` of the next block)."""
        if not len(self.t_start_s):
            return 0.0
        return float(self.t_start_s[-1] + self.n_shots[-1] * self.period_s)

    @property
    def sigma_total_eV(self) -> float:
        """Combined Gaussian width of laser line and shot jitter."""
        return math.hypot(self.sigma_laser_eV, self.sigma_jitter_eV)


def psr_line(hw: HardwareConfig, omega_eV: ArrayLike) -> NDArray[np.float64]:
    """McQ2/PSR line shape P(omega) (peak 1) centred on the photon endpoint.

    The PSR pair is two photons: with a momentum P0 imprinted on the coherence, phase matching
    k + k2 = P0 and energy omega + |k2| = E_eg put the detected photon where the pair
    invariant mass s = (E_eg - omega)^2 - |P0 - k|^2 vanishes, i.e. at the photon endpoint
    (E_eg^2 - P0^2) / [2 (E_eg - P0 c)] (docs/sterile-and-momentum.md 2.4). The hardware's
    line (:meth:`~renpsim.hardware.config.HardwareConfig.psr_profile`, centred on E_eg/2) is
    moved there unchanged in shape; without imprinted momentum it is evaluated as before,
    bit for bit.

    Parameters
    ----------
    hw : HardwareConfig
        The hardware (its ``lasers.imprinted_momentum_eV``/``imprinted_cos`` and line model).
    omega_eV : array_like
        Photon energies.

    Returns
    -------
    numpy.ndarray
        P(omega), 1 at the endpoint.

    """
    shift = psr_shift_eV(hw)
    if shift == 0.0:
        return hw.psr_profile(omega_eV)
    return hw.psr_profile(np.asarray(omega_eV, dtype=float) - shift)


def psr_shift_eV(hw: HardwareConfig) -> float:
    """Return how far an imprinted pair momentum moves the PSR line from E_eg/2 (eV).

    The photon endpoint minus E_eg/2 (docs/sterile-and-momentum.md 2.4); exactly 0 without
    imprinted momentum.
    """
    imprinted = hw.lasers.imprinted
    if imprinted["imprinted_momentum_eV"] == 0.0:
        return 0.0
    return float(photon_endpoint(hw.E_eg_eV, **imprinted)) - 0.5 * hw.E_eg_eV


def step_model(campaign: Campaign, rows: slice | None = None, t0_s: float = 0.0) -> StepModel:
    """Evaluate the hardware response for the steps of the campaign (no randomness).

    Parameters
    ----------
    campaign : Campaign
        A resolved campaign.
    rows : slice, optional
        Only these steps (a block of a long scan, so that memory does not grow with the
        number of steps); default all.
    t0_s : float
        Start of the first step of ``rows`` after the scan start: 0 for the first block, then
        :meth:`StepModel.next_t0_s` of the previous block (the same sums as for all steps at
        once, bit for bit).

    """
    hw = campaign.hardware
    st = campaign.steps
    sl = slice(None) if rows is None else rows
    n_shots, dwell_s = st.n_shots[sl], st.dwell_s[sl]
    w = st.omega_eV[sl]
    det = hw.detector
    bg = hw.backgrounds
    eps_det = det.detection_prob
    scale = np.array([hw.rate_per_unit_I(float(x)) for x in w]) if hw.target.n_gamma == \
        "from_laser" else np.full(len(w), hw.rate_per_unit_I())
    T = hw.waveguide.signal_transmission(w)
    c_sig = scale * T * bg.signal_sep_eff * eps_det
    c_mcq3 = bg.R3_over_RENP_free * scale * hw.waveguide.mcq3_factor(w, hw.E_eg_eV) * eps_det
    if hw.coherence.eta_model == "maxwell-bloch":
        # PSR photons per shot from the same Maxwell-Bloch solution, per second of exposure
        # (so that mu_PSR,k = Y_PSR P(omega_k) tau_k / tau_bar; docs/coherence.md section 8)
        tau_bar = hw.exposure_per_shot_s()
        y_psr = hw.psr_photons_per_shot() / tau_bar if tau_bar > 0 else 0.0
        c_psr = y_psr * T * bg.signal_sep_eff * eps_det
    else:
        c_psr = bg.psr_over_sig * scale * T * bg.signal_sep_eff * eps_det
    if bg.detection_scheme == "leak":
        leak = np.array([hw.trigger_photons_in_gate(float(x)) for x in w]) * \
            bg.trigger_leak_eps * eps_det
    else:
        leak = np.zeros(len(w))
    gate = hw.gate_width_s
    period = hw.period_s
    # sequential sums (np.cumsum), started at t0_s: identical in one piece or in blocks
    t_start = np.cumsum(np.concatenate(([float(t0_s)], n_shots[:-1] * period))) if len(w) \
        else np.empty(0)
    drift_rate = hw.lasers.drift_Hz_per_h / 3600.0 * H_EV_S
    drift = drift_rate * (t_start + 0.5 * n_shots * period)
    return StepModel(
        omega_eV=w, n_shots=n_shots, dwell_s=dwell_s, t_start_s=t_start, drift_eV=drift,
        c_sig=c_sig, c_mcq3=c_mcq3, c_psr=c_psr, leak_per_shot=leak,
        dark_per_shot=det.dark_rate_Hz * gate, stray_per_shot=bg.stray_rate_Hz * gate,
        tau_mean_s=hw.exposure_per_shot_s(), gate_s=gate,
        sigma_laser_eV=hw.lasers.linewidth_Hz * FWHM_TO_SIGMA * H_EV_S,
        sigma_jitter_eV=hw.lasers.jitter_Hz * H_EV_S, drift_eV_per_s=drift_rate,
        period_s=period,
    )


def expected_counts(campaign: Campaign, *, neutrinos: NeutrinoState | None = None,
                    E_eg_eV: float | None = None, model: StepModel | None = None,
                    rows: slice | None = None) -> pd.DataFrame:
    """Return the expected counts per step: signal, each background, exposure.

    This is the rate model shared by the three DAQ levels.

    Parameters
    ----------
    campaign : Campaign
        A resolved campaign (see :func:`renpsim.campaign.load_campaign`).
    neutrinos : NeutrinoState, optional
        Hypothesis for the signal (unbatched); default the campaign's truth hypothesis. For
        many hypotheses use :func:`step_model` once and :func:`smeared_I` per hypothesis:
        ``signal = c_sig * smeared_I(omega + drift, sigma_total) * n_shots * tau_mean``.
    E_eg_eV : float, optional
        Override of E_eg (an isotope-shift nuisance) for the spectral function.
    model : StepModel, optional
        The step model of ``rows`` (from :func:`step_model`); default computed here.
    rows : slice, optional
        Only these steps (a block of a long scan); default all.

    Returns
    -------
    pandas.DataFrame
        One row per step in acquisition order: ``step``, ``omega_eV``, ``dwell_s``, ``n_shots``,
        ``is_reference``, ``exposure_s`` (coherent, seconds of full coherence),
        ``gate_live_s``, ``I_eff`` (smeared spectral function), ``signal``, ``mcq3``, ``psr``,
        ``leak``, ``dark``, ``stray``, ``background`` (sum) and ``total``: expected counts before
        dead time and afterpulsing.

    """
    m = step_model(campaign, rows) if model is None else model
    sl = slice(None) if rows is None else rows
    first = sl.indices(len(campaign.steps))[0]
    state = campaign.neutrinos if neutrinos is None else neutrinos
    hw = campaign.hardware
    n = m.n_shots.astype(float)
    exposure = n * m.tau_mean_s
    w_eff = m.omega_eV + m.drift_eV
    I_eff = smeared_I(w_eff, m.sigma_total_eV, state, campaign, E_eg_eV)
    prof = psr_line(hw, w_eff)
    out = pd.DataFrame({
        "step": np.arange(first, first + len(n)),
        "omega_eV": m.omega_eV,
        "dwell_s": m.dwell_s,
        "n_shots": m.n_shots,
        "is_reference": campaign.steps.is_reference[sl],
        "exposure_s": exposure,
        "gate_live_s": n * m.gate_s,
        "I_eff": I_eff,
        "signal": m.c_sig * I_eff * exposure,
        "mcq3": m.c_mcq3 * exposure,
        "psr": m.c_psr * prof * exposure,
        "leak": m.leak_per_shot * n,
        "dark": m.dark_per_shot * n,
        "stray": m.stray_per_shot * n,
    })
    out["background"] = out[list(BACKGROUNDS)].sum(axis=1)
    out["total"] = out["signal"] + out["background"]
    return out


#: Steps per block when a whole scan is walked in pieces (bounded memory).
BLOCK_ROWS = 1024


def expected_blocks(campaign: Campaign, block: int = BLOCK_ROWS):
    """Yield ``(rows, model, table)`` for consecutive blocks of steps (bounded memory).

    ``model`` is :func:`step_model` and ``table`` :func:`expected_counts` of the block's
    ``rows``; their values equal those of the whole scan at once, bit for bit.
    """
    n = len(campaign.steps)
    t0 = 0.0
    for b0 in range(0, n, block):
        rows = slice(b0, min(b0 + block, n))
        m = step_model(campaign, rows, t0)
        yield rows, m, expected_counts(campaign, model=m, rows=rows)
        t0 = m.next_t0_s()


def expected_totals(campaign: Campaign) -> dict[str, float]:
    """Return the expected total ``signal`` and ``background`` counts of the scan.

    Computed block by block (memory does not grow with the number of steps); the sums are
    exact to rounding (``math.fsum`` of the per-step values).
    """
    sig: list[float] = []
    bg: list[float] = []
    for _, _, e in expected_blocks(campaign):
        sig.append(math.fsum(e["signal"].to_numpy()))
        bg.append(math.fsum(e["background"].to_numpy()))
    return {"signal": math.fsum(sig), "background": math.fsum(bg)}
