"""Checks of the Maxwell-Bloch solver against closed forms and independent computations.

docs/coherence.md derives the equations; the limits tested here are listed in its section 7.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from renpsim.errors import InputError
from renpsim.hardware.coherence import Grid, MBParameters, Pulse, solve

AU = 1.64877727436e-41      # atomic unit of polarisability, C m^2 / V (CODATA 2018)
EPS0 = 8.8541878128e-12
HBAR = 1.054571817e-34
C = 299_792_458.0
QE = 1.602176634e-19
GAUSS = math.sqrt(math.pi / (4.0 * math.log(2.0)))   # int of a unit-peak Gaussian / FWHM
OFF = Pulse(0.0, 1e-9, 0.0, 1.0)


def field_amplitude(energy_J, fwhm_s, area_m2):
    """Peak envelope |E| of a Gaussian pulse, from I = c eps0 |E|^2 / 2 (written out here)."""
    intensity = energy_J / (area_m2 * fwhm_s * GAUSS)
    return math.sqrt(2.0 * intensity / (C * EPS0))


def energy_for_field(E_V_m, fwhm_s, area_m2):
    return 0.5 * C * EPS0 * E_V_m**2 * area_m2 * fwhm_s * GAUSS


def params(**kw):
    base = dict(density_m3=1e22, length_m=0.02, area_m2=1e-6, T1_s=1.0, T2_s=1.0,
                detuning_Hz=0.0, alpha_g_SI=0.0, alpha_e_SI=0.0, alpha_pump_SI=0.0,
                alpha_ts_SI=0.0, pulses=(OFF, OFF, OFF, OFF))
    base.update(kw)
    return MBParameters(**base)


def h2_like(**kw):
    """A para-H2-like configuration (Raman pump pair, mid-IR trigger) with strong dynamics."""
    base = dict(density_m3=5.6e25, length_m=0.15, area_m2=1e-6, T1_s=1 / (2 * np.pi * 3e6),
                T2_s=2.4e-9, detuning_Hz=0.0, alpha_g_SI=5.4 * AU, alpha_e_SI=5.6 * AU,
                alpha_pump_SI=0.5 * AU, alpha_ts_SI=0.5 * AU, scheme="raman",
                pulses=(Pulse(5e-3, 6e-9, 0.0, 2.33), Pulse(3e-3, 6e-9, 0.0, 1.815),
                        Pulse(1e-4, 4e-9, 0.0, 0.2668), Pulse(0.0, 4e-9, 0.0, 0.2491)))
    base.update(kw)
    return MBParameters(**base)


def test_free_decay_T1_T2_and_detuning():
    T1, T2, det = 40e-9, 7e-9, 50e6
    p = params(T1_s=T1, T2_s=T2, detuning_Hz=det, rho_ee0=0.3, rho_eg0=0.4 + 0.1j)
    sol = solve(p, Grid(n_cells=8, t_start_s=0.0, t_stop_s=20e-9, n_out=50))
    t = sol.t_s
    ree = 0.3 * np.exp(-t / T1)
    reg = (0.4 + 0.1j) * np.exp((2j * np.pi * det - 1.0 / T2) * t)
    np.testing.assert_allclose(sol.rho_ee_zt, np.repeat(ree[:, None], 8, axis=1), rtol=1e-9)
    np.testing.assert_allclose(sol.rho_eg_abs_zt, np.repeat(np.abs(reg)[:, None], 8, axis=1),
                               rtol=1e-9)
    assert sol.eta_peak == pytest.approx(4 * abs(0.4 + 0.1j) ** 2, rel=1e-12)


def test_uniform_stationary_case_matches_the_bloch_ode_without_propagation():
    """Constant, undepleted pumps: every cell follows the 0-D density-matrix equation.

    The reference is written as a 2x2 Hamiltonian with a Lindblad decay, independently of the
    solver's component equations, and checks their signs (AC Stark shifts, detuning, coupling).
    """
    area, fwhm = 1e-6, 1e-3                 # pulses long enough to be constant in the window
    E1, E2 = 1.2e8, 0.8e8                   # V/m
    ag, ae, ap = 3.0 * AU, 5.0 * AU, 1.5 * AU
    T1, T2, det = 30e-9, 8e-9, -40e6
    pulses = (Pulse(energy_for_field(E1, fwhm, area), fwhm, 0.0, 1.1),
              Pulse(energy_for_field(E2, fwhm, area), fwhm, 0.0, 1.0), OFF, OFF)
    p = params(density_m3=1.0, T1_s=T1, T2_s=T2, detuning_Hz=det, alpha_g_SI=ag,
               alpha_e_SI=ae, alpha_pump_SI=ap, pulses=pulses)
    sol = solve(p, Grid(n_cells=6, t_start_s=0.0, t_stop_s=10e-9, n_out=40))
    # reference: H = -(1/2) alpha <E^2> per level, two-photon term -(alpha_p/4) E1 E2, basis (g, e)
    sg = ag * (E1**2 + E2**2) / (4 * HBAR)
    se = ae * (E1**2 + E2**2) / (4 * HBAR)
    om = ap * E1 * E2 / (4 * HBAR)
    delta = 2 * np.pi * det
    H = np.array([[-sg, -om], [-om, -se - delta]], complex)
    g1, g2 = 1 / T1, 1 / T2
    gphi = g2 - g1 / 2
    lower = np.array([[0, 1], [0, 0]], complex)     # |g><e|
    proj_e = np.diag([0.0, 1.0]).astype(complex)

    def rhs(t, v):
        r = v.reshape(2, 2)
        d = -1j * (H @ r - r @ H)
        d += g1 * (lower @ r @ lower.conj().T - 0.5 * (proj_e @ r + r @ proj_e))
        d += 2 * gphi * (proj_e @ r @ proj_e - 0.5 * (proj_e @ r + r @ proj_e))
        return d.ravel()

    r0 = np.array([[1, 0], [0, 0]], complex).ravel()
    ref = solve_ivp(rhs, (0.0, sol.t_s[-1]), r0, t_eval=sol.t_s, rtol=1e-11, atol=1e-13,
                    method="DOP853")
    ree = ref.y[3].real
    reg = np.abs(ref.y[2])
    assert ree.max() > 0.05                       # the test has dynamics
    for j in range(6):
        np.testing.assert_allclose(sol.rho_ee_zt[:, j], ree, atol=1e-7)
        np.testing.assert_allclose(sol.rho_eg_abs_zt[:, j], reg, atol=1e-7)


@pytest.mark.parametrize("scheme", ["sum", "raman"])
def test_prepared_coherence_and_weak_trigger_grow_the_signal_linearly_in_length(scheme):
    """|E_s(0)| = omega_s n alpha_ts |rho_eg| L |E_t| / (2 eps0 c) (docs/coherence.md 7)."""
    area, fwhm, n, a_ts, rho = 1e-6, 1e-3, 1e22, 1.0 * AU, 0.5
    E_t = 1e3
    w_s_eV = 0.9
    out = []
    for L in (0.05, 0.10):
        pulses = (OFF, OFF, Pulse(energy_for_field(E_t, fwhm, area), fwhm, 0.0, 1.2),
                  Pulse(0.0, fwhm, 0.0, w_s_eV))
        p = params(density_m3=n, length_m=L, alpha_ts_SI=a_ts, pulses=pulses, rho_ee0=0.5,
                   rho_eg0=rho, scheme=scheme)
        sol = solve(p, Grid(n_cells=40, t_start_s=0.0, t_stop_s=3 * L / C, n_out=10))
        E_s = abs(sol.exit_field_V_m[-1, 3])
        out.append(E_s)
        coef = (w_s_eV * QE / HBAR) * n * a_ts * rho / (2 * EPS0 * C)
        assert E_s == pytest.approx(coef * L * E_t, rel=1e-4)
    assert out[1] / out[0] == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("scheme", ["sum", "raman"])
def test_manley_rowe_photon_balance(scheme):
    """Photons of each pair and the excited atoms balance (gamma1 = 0, fields leave the cell)."""
    p = h2_like(T1_s=1.0, scheme=scheme)
    sol = solve(p, Grid(n_cells=50))
    d = sol.photons_out + sol.photons_left - sol.photons_in     # pump1, pump2, trigger, signal
    assert abs(d[0]) > 1e15 and abs(d[2]) > 1e12                # real exchange took place
    pump2 = -d[1] if scheme == "raman" else d[1]                # Raman: pump 2 gains
    assert pump2 == pytest.approx(d[0], rel=1e-5)
    assert d[3] == pytest.approx(d[2], rel=1e-4)
    # every photon taken from a pair excites one atom (pump 1 and trigger count once each)
    assert -(d[0] + d[2]) == pytest.approx(sol.excited_change, rel=3e-4)


def test_halving_steps_changes_eta_and_psr_below_one_percent():
    coarse = solve(h2_like(), Grid(n_cells=50))
    fine = solve(h2_like(), Grid(n_cells=100))
    assert coarse.psr_photons > 1e9 and coarse.exposure_s > 0
    assert fine.exposure_s == pytest.approx(coarse.exposure_s, rel=1e-2)
    assert fine.psr_photons == pytest.approx(coarse.psr_photons, rel=1e-2)
    assert fine.eta_peak == pytest.approx(coarse.eta_peak, rel=1e-2)


def test_rk4_and_solve_ivp_agree():
    p = h2_like(length_m=0.03, pulses=(Pulse(5e-3, 1e-9, 0.0, 2.33),
                                       Pulse(3e-3, 1e-9, 0.0, 1.815),
                                       Pulse(1e-4, 1e-9, 0.0, 0.2668),
                                       Pulse(0.0, 1e-9, 0.0, 0.2491)))
    grid = Grid(n_cells=10, n_out=30)
    a = solve(p, grid, method="rk4")
    b = solve(p, grid, method="solve_ivp", rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(a.t_s, b.t_s, rtol=0, atol=1e-20)
    scale = a.eta_zt.max()
    assert scale > 1e-6
    np.testing.assert_allclose(a.eta_zt, b.eta_zt, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(a.rho_ee_zt, b.rho_ee_zt, rtol=0,
                               atol=1e-4 * a.rho_ee_zt.max())


def test_bad_parameters_name_the_field():
    with pytest.raises(InputError, match="T2_s"):
        params(T2_s=0.0)
    with pytest.raises(InputError, match="rho_eg0"):
        params(rho_ee0=0.1, rho_eg0=0.5)
    with pytest.raises(InputError, match="n_cells"):
        Grid(n_cells=2)


def test_a_diverging_explicit_solution_is_reported_not_returned():
    # Stark rates far beyond the step's stability region: the RK4 solution blows up
    p = h2_like(alpha_e_SI=5e3 * AU, pulses=(Pulse(5e-1, 6e-9, 0.0, 2.33),
                                             Pulse(3e-1, 6e-9, 0.0, 1.815), OFF, OFF))
    with pytest.raises(InputError, match="cfl"):
        solve(p, Grid(n_cells=8, cfl=1.6))
