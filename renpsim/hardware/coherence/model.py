"""Inputs of the Maxwell-Bloch solver: physical parameters, pulses and the numerical grid.

Everything here is SI (seconds, metres, joules, C m^2 V^-1 for polarisabilities); the
equations and normalisation are derived in docs/coherence.md [physics §5.1] [hardware §5.1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from renpsim.constants import C_M_PER_S
from renpsim.errors import InputError

#: SI value of one atomic unit of polarisability, 4 pi eps0 a0^3 (CODATA 2018), C m^2 V^-1.
AU_POLARISABILITY_SI = 1.64877727436e-41
#: Vacuum permittivity eps0 in F/m (CODATA 2018).
EPS0_F_PER_M = 8.8541878128e-12
#: Reduced Planck constant in J s (CODATA 2018, exact).
HBAR_J_S = 1.054571817e-34

#: Field order in the state array: pump 1 (right-going), pump 2 (left-going),
#: trigger (right-going), signal (left-going).
FIELDS = ("pump1", "pump2", "trigger", "signal")
#: +1 for fields travelling towards +z, -1 towards -z (same order as FIELDS).
DIRECTIONS = (1, -1, 1, -1)

FWHM_AMPLITUDE = 2.0 * math.log(2.0)  # intensity FWHM tau -> amplitude exp(-2 ln2 (t/tau)^2)


@dataclass(frozen=True)
class Pulse:
    """One injected laser pulse with a Gaussian intensity envelope.

    Parameters
    ----------
    energy_J : float
        Pulse energy (0 for an absent field).
    fwhm_s : float
        Intensity FWHM.
    delay_s : float
        Time at which the pulse peak crosses the cell centre z = L/2.
    photon_eV : float
        Photon energy hbar omega of the carrier.

    """

    energy_J: float
    fwhm_s: float
    delay_s: float
    photon_eV: float

    def peak_intensity_W_m2(self, area_m2: float) -> float:
        """Peak intensity E / (A tau sqrt(pi / (4 ln 2))) of a Gaussian pulse."""
        return self.energy_J / (area_m2 * self.fwhm_s * math.sqrt(math.pi / (4 * math.log(2))))

    def peak_field_V_m(self, area_m2: float) -> float:
        """Peak envelope amplitude |E| = sqrt(2 I / (c eps0)) (field = Re[E exp(-i w t)])."""
        return math.sqrt(2.0 * self.peak_intensity_W_m2(area_m2) / (C_M_PER_S * EPS0_F_PER_M))


@dataclass(frozen=True)
class MBParameters:
    """Physical inputs of one Maxwell-Bloch solution (see docs/coherence.md section 2).

    Parameters
    ----------
    density_m3 : float
        Number density n of the active atoms or molecules.
    length_m : float
        Cell length L (the medium fills 0 <= z <= L).
    area_m2 : float
        Effective beam area (converts pulse energies to intensities; photon yields are per
        this area).
    T1_s, T2_s : float
        Population lifetime and dephasing time (gamma1 = 1/T1, gamma2 = 1/T2).
    detuning_Hz : float
        Two-photon detuning delta / (2 pi) of the pump pair: (omega_1 +- omega_2 - omega_eg)/2pi.
    alpha_g_SI, alpha_e_SI : float
        Polarisabilities of |g> and |e> (AC Stark shifts), the same for all four fields.
    alpha_pump_SI, alpha_ts_SI : float
        Two-photon transition polarisabilities of the pump pair and of the trigger/signal pair.
    scheme : {"sum", "raman"}
        Pump pair absorbs one photon of each beam (``sum``: omega_1 + omega_2 = omega_eg) or
        scatters pump 1 into pump 2 (``raman``: omega_1 - omega_2 = omega_eg).
    pulses : tuple of Pulse
        pump1, pump2, trigger, signal (the signal pulse is usually a zero-energy seed).
    rho_ee0, rho_eg0 : float, complex
        Uniform initial state (an externally prepared medium); default the ground state.

    """

    density_m3: float
    length_m: float
    area_m2: float
    T1_s: float
    T2_s: float
    detuning_Hz: float
    alpha_g_SI: float
    alpha_e_SI: float
    alpha_pump_SI: float
    alpha_ts_SI: float
    pulses: tuple[Pulse, Pulse, Pulse, Pulse]
    scheme: str = "sum"
    rho_ee0: float = 0.0
    rho_eg0: complex = 0.0

    def __post_init__(self) -> None:
        for name in ("density_m3", "length_m", "area_m2", "T1_s", "T2_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError("maxwell-bloch parameters", name, v, "a finite number > 0")
        if self.scheme not in ("sum", "raman"):
            raise InputError("maxwell-bloch parameters", "scheme", self.scheme,
                             "'sum' or 'raman'")
        if len(self.pulses) != 4:
            raise InputError("maxwell-bloch parameters", "pulses", len(self.pulses),
                             "four pulses (pump1, pump2, trigger, signal)")
        for name, p in zip(FIELDS, self.pulses, strict=True):
            if not (p.energy_J >= 0 and p.fwhm_s > 0 and p.photon_eV > 0
                    and math.isfinite(p.delay_s)):
                raise InputError("maxwell-bloch parameters", f"pulses.{name}", p,
                                 "energy >= 0, FWHM > 0, photon energy > 0, finite delay")
        r = abs(complex(self.rho_eg0))
        if not (0.0 <= self.rho_ee0 <= 1.0 and r * r <= self.rho_ee0 * (1 - self.rho_ee0)
                + 1e-15):
            raise InputError("maxwell-bloch parameters", "rho_eg0", self.rho_eg0,
                             "|rho_eg0|^2 <= rho_ee0 (1 - rho_ee0) (a physical state)")


@dataclass(frozen=True)
class Grid:
    """Numerical grid: nodes z_i = i L / n_cells, fixed time step cfl * dz / c.

    Parameters
    ----------
    n_cells : int
        Number of cells (n_cells + 1 nodes).
    cfl : float
        Courant number c dt / dz of the explicit scheme (stable up to about 1.6).
    t_start_s, t_stop_s : float or None
        Time window; None = from the pulses (2.5 FWHM before the earliest peak at the cell to
        2.5 FWHM after the latest plus the transit time L/c).
    n_out : int
        Number of stored time samples of eta(z, t) (the exit fields are kept at every step).

    """

    n_cells: int = 400
    cfl: float = 1.0
    t_start_s: float | None = None
    t_stop_s: float | None = None
    n_out: int = 400

    def __post_init__(self) -> None:
        if not (isinstance(self.n_cells, int) and self.n_cells >= 4):
            raise InputError("maxwell-bloch grid", "n_cells", self.n_cells, "an integer >= 4")
        if not (0.0 < self.cfl <= 1.6):
            raise InputError("maxwell-bloch grid", "cfl", self.cfl, "a number in (0, 1.6]")
        if not (isinstance(self.n_out, int) and self.n_out >= 2):
            raise InputError("maxwell-bloch grid", "n_out", self.n_out, "an integer >= 2")


def time_window(params: MBParameters, grid: Grid) -> tuple[float, float]:
    """Return (t_start, t_stop) in s: the grid's window or the default one from the pulses."""
    live = [p for p in params.pulses if p.energy_J > 0] or list(params.pulses)
    t0 = min(p.delay_s - 2.5 * p.fwhm_s for p in live) - params.length_m / C_M_PER_S
    t1 = max(p.delay_s + 2.5 * p.fwhm_s for p in live) + params.length_m / C_M_PER_S
    t0 = t0 if grid.t_start_s is None else grid.t_start_s
    t1 = t1 if grid.t_stop_s is None else grid.t_stop_s
    if not t1 > t0:
        raise InputError("maxwell-bloch grid", "t_stop_s", t1, f"> t_start_s = {t0:g} s")
    return t0, t1
