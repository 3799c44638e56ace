"""Explicit solver of the 1-D Maxwell-Bloch system (docs/coherence.md sections 2-4).

State per cell centre z_i = (i + 1/2) L / N (i = 0..N-1), in scaled units (time in ns, fields
in units of the largest injected peak amplitude F): rho_gg, rho_ee, rho_eg and the four field
envelopes. The z derivative is the third-order upwind-biased stencil; inflow ghosts continue the
quadratic through the injected face value and the first two cells. The method-of-lines system
is advanced with the classic fourth-order Runge-Kutta scheme at a fixed step cfl * dz / c, or
handed to
:func:`scipy.integrate.solve_ivp` (the independent reference integrator). Pure numerics, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from renpsim.constants import C_M_PER_S, E_CHARGE_C
from renpsim.errors import InputError
from renpsim.hardware.coherence import kernel
from renpsim.hardware.coherence.model import (
    EPS0_F_PER_M,
    FWHM_AMPLITUDE,
    HBAR_J_S,
    Grid,
    MBParameters,
    time_window,
)
from renpsim.hardware.coherence.result import CoherenceSolution, finish

TAU0_S = 1e-9  # internal time unit
# Internal row order: rho_gg, rho_ee, rho_eg, pump1 (R), trigger (R), pump2 (L), signal (L)
_ROW = {"pump1": 3, "trigger": 4, "pump2": 5, "signal": 6}
_ORDER = ("pump1", "pump2", "trigger", "signal")  # public (FIELDS) order


@dataclass(frozen=True)
class Scaled:
    """Dimensionless coefficients of one problem (docs/coherence.md section 3)."""

    F_V_m: float                 # field unit
    c: float                     # m per internal time unit
    dz: float
    z: NDArray[np.float64]
    kg: float
    ke: float
    kp: float
    kts: float
    delta: float
    g1: float
    g2: float
    amp: NDArray[np.float64]     # injected peak amplitudes / F, FIELDS order
    tau: NDArray[np.float64]     # FWHMs (internal units), FIELDS order
    t_d: NDArray[np.float64]     # delays (internal units), FIELDS order
    G: NDArray[np.float64]       # field coefficients omega_a tau0 n / (2 eps0), FIELDS order
    alpha_g: float
    alpha_e: float
    alpha_p: float
    alpha_ts: float
    raman: bool
    L: float


def scale(params: MBParameters, n_cells: int) -> Scaled:
    """Return the scaled coefficients of ``params`` on a grid of ``n_cells`` cells."""
    A = params.area_m2
    peaks = np.array([p.peak_field_V_m(A) if p.energy_J > 0 else 0.0 for p in params.pulses])
    F = float(peaks.max()) if peaks.max() > 0 else 1.0
    q = F * F * TAU0_S / (4.0 * HBAR_J_S)
    omega = np.array([p.photon_eV * E_CHARGE_C / HBAR_J_S for p in params.pulses])
    L = params.length_m
    return Scaled(
        F_V_m=F, c=C_M_PER_S * TAU0_S, dz=L / n_cells,
        z=(np.arange(n_cells) + 0.5) * (L / n_cells),
        kg=params.alpha_g_SI * q, ke=params.alpha_e_SI * q, kp=params.alpha_pump_SI * q,
        kts=params.alpha_ts_SI * q, delta=2.0 * math.pi * params.detuning_Hz * TAU0_S,
        g1=TAU0_S / params.T1_s, g2=TAU0_S / params.T2_s, amp=peaks / F,
        tau=np.array([p.fwhm_s for p in params.pulses]) / TAU0_S,
        t_d=np.array([p.delay_s for p in params.pulses]) / TAU0_S,
        G=omega * TAU0_S * params.density_m3 / (2.0 * EPS0_F_PER_M),
        alpha_g=params.alpha_g_SI, alpha_e=params.alpha_e_SI, alpha_p=params.alpha_pump_SI,
        alpha_ts=params.alpha_ts_SI, raman=params.scheme == "raman", L=L)


class MaxwellBloch:
    """Right-hand side of the method-of-lines system and its boundary data.

    Parameters
    ----------
    params : MBParameters
    grid : Grid

    """

    def __init__(self, params: MBParameters, grid: Grid) -> None:
        self.params = params
        self.grid = grid
        s = self.s = scale(params, grid.n_cells)
        n = grid.n_cells
        self.n_nodes = n
        c6 = s.c / (6.0 * s.dz)
        self._c6 = c6
        # per-row source coefficients (internal order pump1, trigger, pump2, signal)
        idx = [0, 2, 1, 3]
        # refractive part relative to the ground-state medium (its index is in the carrier
        # wavenumber, docs/coherence.md section 3): i G (alpha_e - alpha_g) rho_ee
        self._Gst = (s.G * (s.alpha_e - s.alpha_g))[idx][:, None]
        self._Gc = np.array([s.G[0] * s.alpha_p, s.G[2] * s.alpha_ts, s.G[1] * s.alpha_p,
                             s.G[3] * s.alpha_ts])[:, None]
        self.gst = np.ascontiguousarray(self._Gst[:, 0])
        self.gc = np.ascontiguousarray(self._Gc[:, 0])
        self.coef = np.array([s.kp, s.kts, s.kg, s.ke, s.delta, s.g1, s.g2, c6,
                              1.0 if s.raman else 0.0])
        # injection: right-going rows (pump1, trigger) enter at z = 0, left-going at z = L
        self._amp = s.amp[idx]
        self._tau = s.tau[idx]
        self._td = s.t_d[idx] - 0.5 * s.L / s.c        # peak time at the entrance face
        self._face_tab: tuple | None = None

    def initial_state(self) -> NDArray[np.complex128]:
        """Return the uniform initial medium (fields zero; see :meth:`set_fields_free`)."""
        p = self.params
        y = np.zeros((7, self.n_nodes), complex)
        y[1] = p.rho_ee0
        y[0] = 1.0 - p.rho_ee0
        y[2] = complex(p.rho_eg0)
        return y

    def set_fields_free(self, y: NDArray[np.complex128], t: float) -> None:
        """Fill the field rows with the freely propagating injected pulses at time t."""
        s = self.s
        z = s.z
        for r in range(4):
            tt = t - z / s.c if r < 2 else t - (s.L - z) / s.c
            y[3 + r] = self._envelope(r, tt)

    def _envelope(self, r: int, t: NDArray[np.float64] | float) -> NDArray[np.float64]:
        if self._amp[r] == 0.0:
            return np.zeros_like(np.asarray(t, float))
        x = (np.asarray(t) - self._td[r]) / self._tau[r]
        return self._amp[r] * np.exp(-FWHM_AMPLITUDE * x * x)

    def injected(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Injected amplitudes at the entrance faces, shape (len(t), 4), FIELDS order."""
        t = np.asarray(t, float)
        out = np.empty((len(t), 4))
        for pub, r in zip(_ORDER, (0, 2, 1, 3), strict=True):
            out[:, _ORDER.index(pub)] = self._envelope(r, t)
        return out

    def faces(self, t: float) -> NDArray[np.float64]:
        """Injected amplitudes at the entrance faces at time t (internal field order).

        Looked up in the table of :meth:`tabulate_faces` when t is one of its times.
        """
        tab = self._face_tab
        if tab is not None:
            x = (t - tab[0]) / tab[1]
            j = round(x)
            if abs(x - j) < 1e-6 and 0 <= j < len(tab[2]):
                return tab[2][j]
        return np.array([float(self._envelope(r, t)) for r in range(4)])

    def tabulate_faces(self, t0: float, dt: float, n: int) -> None:
        """Precompute the entrance-face values at t0 + j dt, j = 0..n-1 (the RK stage times)."""
        tt = t0 + dt * np.arange(n)
        self._face_tab = (t0, dt, np.stack([self._envelope(r, tt) for r in range(4)], axis=1))

    def rhs(self, t: float, y: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """Return dy/dt of the method-of-lines system (scaled units; compiled kernel)."""
        dy = np.empty_like(y)
        kernel.rhs(y, self.faces(t), self.coef, self.gst, self.gc, dy)
        return dy

    def eta_norm(self) -> tuple[int, float]:
        """Row of the RENP trigger field (pump 1, else the trigger) and its injected peak."""
        if self._amp[0] > 0:
            return 3, float(self._amp[0])
        if self._amp[1] > 0:
            return 4, float(self._amp[1])
        return -1, 1.0

    def eta_z(self, y: NDArray[np.complex128]) -> NDArray[np.float64]:
        """eta(z) = 4 |rho_eg|^2 |E_trig|^2 / |E_trig,peak|^2 (docs/coherence.md section 5)."""
        row, pk = self.eta_norm()
        out = np.empty(y.shape[1])
        kernel.eta_cells(y, row, 1.0 / (pk * pk), out)
        return out

    def boundary(self, y: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """Fields at their exit faces, FIELDS order (pump1 and trigger at z = L, others z = 0).

        Quadratic extrapolation from the last three cell centres to the face.
        """
        out = np.empty(4, complex)
        kernel.boundary(y, out)
        return out


def _trapz_mean(f: NDArray[np.float64]) -> float:
    """Mean over the cells (midpoint rule on the cell-centred grid)."""
    return float(f.mean())


def solve(params: MBParameters, grid: Grid | None = None, *, method: str = "rk4",
          rtol: float = 1e-9, atol: float = 1e-12,
          gate_s: tuple[float, float] | None = None) -> CoherenceSolution:
    """Solve the Maxwell-Bloch system for one shot.

    Parameters
    ----------
    params : MBParameters
        Physical inputs.
    grid : Grid, optional
        Numerical grid (default 400 cells, CFL 1).
    method : {"rk4", "solve_ivp"}
        The fixed-step fourth-order Runge-Kutta scheme of this module, or scipy's adaptive
        DOP853 on the same method-of-lines system (reference integrator; slower).
    rtol, atol : float
        Tolerances of ``solve_ivp`` (scaled units).
    gate_s : (float, float), optional
        Counting window relative to the time origin for the coherent exposure; default the whole
        time window.

    Returns
    -------
    CoherenceSolution

    """
    grid = Grid() if grid is None else grid
    mb = MaxwellBloch(params, grid)
    s = mb.s
    t0_s, t1_s = time_window(params, grid)
    t0, t1 = t0_s / TAU0_S, t1_s / TAU0_S
    dt_max = grid.cfl * s.dz / s.c
    n_steps = max(2, math.ceil((t1 - t0) / dt_max))
    h = (t1 - t0) / n_steps
    stride = max(1, n_steps // (grid.n_out - 1))
    y = mb.initial_state()
    mb.set_fields_free(y, t0)
    if method == "rk4":
        mb.tabulate_faces(t0, 0.5 * h, 2 * n_steps + 1)
        t_fine = t0 + h * np.arange(n_steps + 1)
        exits = np.empty((n_steps + 1, 4), complex)
        eta_fine = np.empty(n_steps + 1)
        idx = np.unique(np.r_[np.arange(0, n_steps + 1, stride), n_steps])
        Y = np.empty((len(idx), *y.shape), complex)
        row, pk = mb.eta_norm()
        ex_int = np.empty((n_steps + 1, 4), complex)
        ns = kernel.rk4_run(y, np.ascontiguousarray(mb._face_tab[2]), h, n_steps, stride,
                            mb.coef, mb.gst, mb.gc, row, 1.0 / (pk * pk), ex_int, eta_fine, Y)
        if ns != len(idx):  # pragma: no cover - internal consistency
            raise RuntimeError("sample count mismatch")
        exits[:] = ex_int
        t_s = t0 + h * idx
    elif method == "solve_ivp":
        from scipy.integrate import solve_ivp

        shape = y.shape
        idx = np.unique(np.r_[np.arange(0, n_steps + 1, stride), n_steps])
        t_s = t0 + h * idx  # the sample times of the RK4 path

        def fun(t, v):
            return mb.rhs(t, v.reshape(shape)).ravel()

        sol = solve_ivp(fun, (t0, t1), y.ravel(), method="DOP853", t_eval=t_s, rtol=rtol,
                        atol=atol)
        if not sol.success:  # pragma: no cover - reference path only
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        Y = sol.y.T.reshape((len(t_s), *shape))
        t_fine = t_s
        exits = np.array([mb.boundary(Yk) for Yk in Y])
        eta_fine = np.array([_trapz_mean(mb.eta_z(Yk)) for Yk in Y])
        n_steps = int(sol.t.size)
    else:
        raise ValueError(f"method must be 'rk4' or 'solve_ivp', not {method!r}")
    if not (np.all(np.isfinite(eta_fine)) and np.all(np.isfinite(exits))):
        raise InputError("maxwell-bloch grid", "cfl", grid.cfl,
                         "a smaller Courant number or more cells (the explicit solution "
                         f"diverged on {grid.n_cells} cells)")
    return finish(mb, t_s * TAU0_S, Y, t_fine * TAU0_S, exits, eta_fine, gate_s,
                  method=method, n_steps=n_steps)
