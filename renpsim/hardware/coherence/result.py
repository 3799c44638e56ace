"""The typed result of one Maxwell-Bloch solution and its derived outputs.

eta(z, t), eta(t), the coherent exposure per shot, the prepared |rho_eg|, the paired-superradiance
(PSR, McQ2) field leaving the cell and its spectrum, and the photon bookkeeping used by the
Manley-Rowe check (docs/coherence.md sections 5 and 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from renpsim.constants import C_M_PER_S, E_CHARGE_C
from renpsim.hardware.coherence.model import EPS0_F_PER_M, FIELDS

if TYPE_CHECKING:  # pragma: no cover
    from renpsim.hardware.coherence.solver import MaxwellBloch


@dataclass(frozen=True)
class CoherenceSolution:
    """One shot of the Maxwell-Bloch model (all arrays read-only by convention).

    Attributes
    ----------
    t_s : ndarray
        Sample times (time origin: the nominal pulse peak at the cell centre).
    z_m : ndarray
        Cell centres (i + 1/2) L / N.
    eta_zt : ndarray
        eta(z, t) on (t_s, z_m): 4 |rho_eg|^2 times the RENP trigger intensity over its injected
        peak.
    eta_t : ndarray
        eta(t) = (1/L) int eta(z, t) dz on ``t_fine_s``.
    t_fine_s : ndarray
        Time steps of the integrator (every step for RK4).
    rho_ee_zt, rho_eg_abs_zt : ndarray
        Excited population and |rho_eg| on (t_s, z_m).
    exposure_s : float
        Coherent exposure of one shot, int_gate eta(t) dt.
    gate_s : tuple of float
        The window of ``exposure_s``.
    eta_peak : float
        max eta(t).
    rho_ge_prepared : float
        Prepared coherence: max over t of the z-averaged |rho_eg|.
    exit_field_V_m : ndarray
        Complex envelopes at the exit faces on ``t_fine_s``, columns FIELDS order (pump1 and
        trigger at z = L, pump2 and signal at z = 0).
    photons_in, photons_out : ndarray
        Photons per shot entering / leaving through the faces (beam area ``area_m2``), FIELDS
        order; ``photons_left`` is the field content still inside at the end.
    photons_left : ndarray
    excited_change : float
        Change of the number of excited atoms in the beam volume, n A int (rho_ee(end) -
        rho_ee(start)) dz.
    psr_photons : float
        PSR (McQ2) yield per shot: signal photons leaving at z = 0 minus those injected.
    psr_freq_Hz : ndarray
        Frequency offsets from the signal carrier (ascending).
    psr_spectrum_per_Hz : ndarray
        Photons per Hz of the signal field leaving the cell; integrates to the photons out.
    psr_line : ndarray
        ``psr_spectrum_per_Hz`` normalised to peak 1 (the McQ2 line shape).
    area_m2, length_m : float
    method : str
    n_steps : int

    """

    t_s: NDArray[np.float64]
    z_m: NDArray[np.float64]
    eta_zt: NDArray[np.float64]
    eta_t: NDArray[np.float64]
    t_fine_s: NDArray[np.float64]
    rho_ee_zt: NDArray[np.float64]
    rho_eg_abs_zt: NDArray[np.float64]
    exposure_s: float
    gate_s: tuple[float, float]
    eta_peak: float
    rho_ge_prepared: float
    exit_field_V_m: NDArray[np.complex128]
    photons_in: NDArray[np.float64]
    photons_out: NDArray[np.float64]
    photons_left: NDArray[np.float64]
    excited_change: float
    psr_photons: float
    psr_freq_Hz: NDArray[np.float64]
    psr_spectrum_per_Hz: NDArray[np.float64]
    psr_line: NDArray[np.float64]
    area_m2: float
    length_m: float
    method: str
    n_steps: int

    def psr_line_at(self, offset_Hz: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """McQ2 line shape (peak 1) at offsets from the signal carrier.

        Inside the computed band the spectrum is interpolated; beyond it the line continues as
        the 1/offset^2 tail of the dephasing (Lorentzian) matched at the band edge
        (docs/coherence.md section 6).
        """
        x = np.asarray(offset_Hz, dtype=float)
        f, p = self.psr_freq_Hz, self.psr_line
        edge = 0.8 * min(-f[0], f[-1])
        inside = np.interp(x, f, p, left=0.0, right=0.0)
        p_edge_hi = float(np.interp(edge, f, p))
        p_edge_lo = float(np.interp(-edge, f, p))
        ax = np.abs(x)
        tail = np.where(x > 0, p_edge_hi, p_edge_lo) * (edge / np.maximum(ax, edge)) ** 2
        return np.where(ax <= edge, inside, tail)

    def summary(self) -> dict[str, Any]:
        """Scalar outputs as a JSON-ready dict (units in the keys)."""
        return {
            "eta_peak": self.eta_peak,
            "exposure_per_shot_s": self.exposure_s,
            "gate_s": list(self.gate_s),
            "rho_ge_prepared": self.rho_ge_prepared,
            "psr_photons_per_shot": self.psr_photons,
            "psr_linewidth_Hz": self.psr_fwhm_Hz(),
            "method": self.method,
            "n_steps": self.n_steps,
            "n_cells": len(self.z_m),
        }

    def psr_fwhm_Hz(self) -> float | None:
        """Full width at half maximum of the McQ2 line (None without PSR photons)."""
        p = self.psr_line
        if not np.any(p > 0):
            return None
        above = np.nonzero(p >= 0.5)[0]
        return float(self.psr_freq_Hz[above[-1]] - self.psr_freq_Hz[above[0]])


def _photon_factor(mb: MaxwellBloch) -> NDArray[np.float64]:
    """Photons per (scaled |e|^2 x second) through the beam area, FIELDS order."""
    F = mb.s.F_V_m
    photon_J = np.array([p.photon_eV * E_CHARGE_C for p in mb.params.pulses])
    return mb.params.area_m2 * C_M_PER_S * EPS0_F_PER_M * F * F / (2.0 * photon_J)


def _trapz(y: NDArray, x: NDArray, axis: int = 0) -> NDArray:
    return np.trapezoid(y, x, axis=axis)


def finish(mb: MaxwellBloch, t_s: NDArray[np.float64], Y: NDArray[np.complex128],
           t_fine_s: NDArray[np.float64], exits: NDArray[np.complex128],
           eta_fine: NDArray[np.float64], gate_s: tuple[float, float] | None, *,
           method: str, n_steps: int) -> CoherenceSolution:
    """Assemble a :class:`CoherenceSolution` from the raw integrator output."""
    z = mb.s.z
    eta_zt = np.array([mb.eta_z(Yk) for Yk in Y])
    rho_ee = Y[:, 1].real.copy()
    rho_abs = np.abs(Y[:, 2])
    if gate_s is None:
        gate_s = (float(t_fine_s[0]), float(t_fine_s[-1]))
    lo, hi = gate_s
    sel = (t_fine_s >= lo) & (t_fine_s <= hi)
    exposure = float(_trapz(eta_fine[sel], t_fine_s[sel])) if sel.sum() > 1 else 0.0
    pf = _photon_factor(mb)
    inj = mb.injected(t_fine_s / 1e-9)
    photons_in = pf * _trapz(inj**2, t_fine_s)
    photons_out = pf * _trapz(np.abs(exits) ** 2, t_fine_s)
    # fields still inside: photons per length = pf / c
    rows = (3, 5, 4, 6)
    last = Y[-1]
    dz = mb.s.dz
    left = np.array([pf[k] / C_M_PER_S * dz * np.sum(np.abs(last[r]) ** 2)
                     for k, r in enumerate(rows)])
    first = Y[0]
    before = np.array([pf[k] / C_M_PER_S * dz * np.sum(np.abs(first[r]) ** 2)
                       for k, r in enumerate(rows)])
    photons_in = photons_in + before  # the window may start with light inside the cell
    n_area = mb.params.density_m3 * mb.params.area_m2
    excited_change = float(n_area * dz * np.sum(Y[-1, 1].real - Y[0, 1].real))
    # PSR: the signal field leaving at z = 0 (FIELDS index 3)
    k_sig = FIELDS.index("signal")
    psr = float(photons_out[k_sig] - photons_in[k_sig])
    e = exits[:, k_sig] * mb.s.F_V_m
    dt = float(np.mean(np.diff(t_fine_s)))
    n_fft = 1 << max(10, math.ceil(math.log2(4 * len(e))))
    # carrier exp(-i w t): an envelope component exp(-i W t) sits at offset +W, so the
    # spectral amplitude is int e(t) exp(+i W t) dt (an inverse DFT)
    amp = np.fft.fftshift(np.fft.ifft(e, n_fft)) * n_fft * dt
    freq = np.fft.fftshift(np.fft.fftfreq(n_fft, dt))
    spec = pf[k_sig] / (mb.s.F_V_m ** 2) * np.abs(amp) ** 2
    peak = float(spec.max())
    line = spec / peak if peak > 0 else np.zeros_like(spec)
    eta_t = eta_fine
    return CoherenceSolution(
        t_s=t_s, z_m=z, eta_zt=eta_zt, eta_t=eta_t, t_fine_s=t_fine_s, rho_ee_zt=rho_ee,
        rho_eg_abs_zt=rho_abs, exposure_s=exposure, gate_s=(float(lo), float(hi)),
        eta_peak=float(eta_fine.max()),
        rho_ge_prepared=float(rho_abs.mean(axis=1).max()),
        exit_field_V_m=exits * mb.s.F_V_m, photons_in=photons_in, photons_out=photons_out,
        photons_left=left, excited_change=excited_change, psr_photons=psr, psr_freq_Hz=freq,
        psr_spectrum_per_Hz=spec, psr_line=line, area_m2=mb.params.area_m2,
        length_m=mb.params.length_m, method=method, n_steps=n_steps)
