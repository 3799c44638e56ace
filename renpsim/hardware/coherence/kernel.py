"""Compiled right-hand side and RK4 loop of the Maxwell-Bloch system (numba).

Profiling the numpy formulation showed about 40 array operations per evaluation, i.e. 150-250
microseconds per right-hand side on a 400-cell grid; the yb-vapour shot needs about 1.2e5
evaluations (30 000 RK4 steps at CFL 1), so 20-30 s. One fused loop over the cells brings an
evaluation to a few microseconds. The equations are those of docs/coherence.md sections 2-4;
:func:`rhs` is the only implementation, used by the RK4 loop and (through a Python wrapper) by
``scipy.integrate.solve_ivp``.

State rows: 0 rho_gg, 1 rho_ee, 2 rho_eg, 3 pump1 (+z), 4 trigger (+z), 5 pump2 (-z),
6 signal (-z). ``coef`` = (kp, kts, kg, ke, delta, gamma1, gamma2, c/(6 dz), raman),
``gst`` and ``gc`` the refractive and coupling coefficients of rows 3..6, ``faces`` the
injected amplitudes at the entrance faces for rows 3..6.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath=False)
def _inflow_ghosts(a: float, b: complex, c: complex) -> tuple[complex, complex]:
    """Ghosts one and two cells outside: the quadratic through face value a (at -1/2), b, c."""
    beta = (3.0 * b + c - 4.0 * a) / 3.0
    gam = c - b - beta
    return b - beta + gam, b - 2.0 * beta + 4.0 * gam


@njit(cache=True, fastmath=False)
def rhs(y: np.ndarray, faces: np.ndarray, coef: np.ndarray, gst: np.ndarray, gc: np.ndarray,
        dy: np.ndarray) -> None:
    """Write dy/dt of the method-of-lines system into ``dy``."""
    kp, kts, kg, ke, delta, g1, g2, c6, raman = (coef[0], coef[1], coef[2], coef[3], coef[4],
                                                coef[5], coef[6], coef[7], coef[8])
    n = y.shape[1]
    for i in range(n):
        ree = y[1, i].real
        reg = y[2, i]
        e1 = y[3, i]
        et = y[4, i]
        e2 = y[5, i]
        es = y[6, i]
        creg = np.conj(reg)
        if raman > 0.5:
            om = kp * e1 * np.conj(e2) + kts * et * es
        else:
            om = kp * e1 * e2 + kts * et * es
        inten = (e1.real**2 + e1.imag**2 + e2.real**2 + e2.imag**2 + et.real**2 + et.imag**2
                 + es.real**2 + es.imag**2)
        w = 2.0 * (om * creg).imag
        dee = -w - g1 * ree
        dy[0, i] = -dee
        dy[1, i] = dee
        dy[2, i] = 1j * ((delta + (ke - kg) * inten) * reg + om * (1.0 - 2.0 * ree)) - g2 * reg
        if raman > 0.5:
            s1 = reg * e2
            s2 = creg * e1
        else:
            s1 = reg * np.conj(e2)
            s2 = reg * np.conj(e1)
        dy[3, i] = 1j * (gc[0] * s1 + gst[0] * ree * e1)
        dy[4, i] = 1j * (gc[1] * reg * np.conj(es) + gst[1] * ree * et)
        dy[5, i] = 1j * (gc[2] * s2 + gst[2] * ree * e2)
        dy[6, i] = 1j * (gc[3] * reg * np.conj(et) + gst[3] * ree * es)
    # transport, third-order upwind-biased: du/dz ~ (2u[i+1] + 3u[i] - 6u[i-1] + u[i-2])/6dz
    for r in range(3, 7):
        fwd = r < 5
        u = y[r]
        if fwd:
            gm1, gm2 = _inflow_ghosts(faces[r - 3], u[0], u[1])
            gp1 = 3.0 * u[n - 1] - 3.0 * u[n - 2] + u[n - 3]
        else:
            gm1, gm2 = _inflow_ghosts(faces[r - 3], u[n - 1], u[n - 2])
            gp1 = 3.0 * u[0] - 3.0 * u[1] + u[2]
        for i in range(n):
            # j = index along the direction of travel
            j = i if fwd else n - 1 - i
            up1 = gp1 if i == n - 1 else (u[j + 1] if fwd else u[j - 1])
            if i >= 2:
                um1 = u[j - 1] if fwd else u[j + 1]
                um2 = u[j - 2] if fwd else u[j + 2]
            elif i == 1:
                um1 = u[j - 1] if fwd else u[j + 1]
                um2 = gm1
            else:
                um1 = gm1
                um2 = gm2
            dy[r, j] -= c6 * (2.0 * up1 + 3.0 * u[j] - 6.0 * um1 + um2)


@njit(cache=True, fastmath=False)
def boundary(y: np.ndarray, out: np.ndarray) -> None:
    """Fields at their exit faces (pump1, pump2, trigger, signal), quadratic extrapolation."""
    n = y.shape[1]
    out[0] = (15.0 * y[3, n - 1] - 10.0 * y[3, n - 2] + 3.0 * y[3, n - 3]) / 8.0
    out[2] = (15.0 * y[4, n - 1] - 10.0 * y[4, n - 2] + 3.0 * y[4, n - 3]) / 8.0
    out[1] = (15.0 * y[5, 0] - 10.0 * y[5, 1] + 3.0 * y[5, 2]) / 8.0
    out[3] = (15.0 * y[6, 0] - 10.0 * y[6, 1] + 3.0 * y[6, 2]) / 8.0


@njit(cache=True, fastmath=False)
def eta_cells(y: np.ndarray, row: int, inv_pk2: float, out: np.ndarray) -> None:
    """Eta per cell: 4 |rho_eg|^2 |E_row|^2 / peak^2 (row < 0: no field factor)."""
    n = y.shape[1]
    for i in range(n):
        r = y[2, i]
        e = 4.0 * (r.real**2 + r.imag**2)
        if row >= 0:
            f = y[row, i]
            e *= (f.real**2 + f.imag**2) * inv_pk2
        out[i] = e


@njit(cache=True, fastmath=False)
def eta_mean(y: np.ndarray, row: int, inv_pk2: float, buf: np.ndarray) -> float:
    """Cell average of :func:`eta_cells` (``buf`` a work array of one row)."""
    eta_cells(y, row, inv_pk2, buf)
    return buf.mean()


@njit(cache=True, fastmath=False)
def rk4_run(y: np.ndarray, face_tab: np.ndarray, h: float, n_steps: int, stride: int,
            coef: np.ndarray, gst: np.ndarray, gc: np.ndarray, eta_row: int, inv_pk2: float,
            exits: np.ndarray, eta_fine: np.ndarray, samples: np.ndarray) -> int:
    """Advance ``n_steps`` classic RK4 steps in place; return the number of samples written.

    Exits and eta are recorded every step, samples every ``stride`` steps and at the end;
    ``face_tab[k]`` holds the entrance-face values at t0 + k h / 2.
    """
    k1 = np.empty_like(y)
    k2 = np.empty_like(y)
    k3 = np.empty_like(y)
    k4 = np.empty_like(y)
    yt = np.empty_like(y)
    ex = np.empty(4, np.complex128)
    buf = np.empty(y.shape[1])
    boundary(y, ex)
    exits[0] = ex
    eta_fine[0] = eta_mean(y, eta_row, inv_pk2, buf)
    samples[0] = y
    ns = 1
    for k in range(n_steps):
        rhs(y, face_tab[2 * k], coef, gst, gc, k1)
        yt[:] = y + (0.5 * h) * k1
        rhs(yt, face_tab[2 * k + 1], coef, gst, gc, k2)
        yt[:] = y + (0.5 * h) * k2
        rhs(yt, face_tab[2 * k + 1], coef, gst, gc, k3)
        yt[:] = y + h * k3
        rhs(yt, face_tab[2 * k + 2], coef, gst, gc, k4)
        y += (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        boundary(y, ex)
        exits[k + 1] = ex
        eta_fine[k + 1] = eta_mean(y, eta_row, inv_pk2, buf)
        if (k + 1) % stride == 0 or k + 1 == n_steps:
            samples[ns] = y
            ns += 1
    return ns
