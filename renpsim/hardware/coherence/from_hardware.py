"""Maxwell-Bloch inputs from a hardware configuration, and the front-end entry points.

:func:`solve_hardware` (one shot at the configured point, with eta(t), PSR field and spectrum)
is what the command line and the TUI call; :func:`hardware_table` is the cached lookup table the
DAQ simulation interpolates (docs/coherence.md section 8).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from renpsim.constants import E_CHARGE_C
from renpsim.errors import InputError
from renpsim.hardware.coherence.model import AU_POLARISABILITY_SI, Grid, MBParameters, Pulse
from renpsim.hardware.coherence.result import CoherenceSolution
from renpsim.hardware.coherence.table import (
    CoherenceTable,
    TableRequest,
    build_table,
    cached,
    remember,
)

if TYPE_CHECKING:  # pragma: no cover
    from renpsim.hardware.config import HardwareConfig

_SOLUTIONS: dict[str, CoherenceSolution] = {}


def mb_parameters(hw: HardwareConfig) -> MBParameters:
    """Translate the hardware tables into solver inputs (SI units).

    Pump 1 and pump 2 are the laser pair (``lasers.pulse_energy_J`` and
    ``pulse_energy_prime_J``, FWHM ``duration_s``, beam area pi w^2 / 2); density, length, T1 and
    T2 come from ``[target]`` and ``[coherence]``; the rest from ``[maxwell_bloch]``.

    Raises
    ------
    InputError
        Photon energies that do not fit E_eg (named by their hardware key).

    """
    mb = hw.maxwell_bloch
    las = hw.lasers
    E = hw.E_eg_eV
    src = hw.source
    if mb.pump1_eV is None and mb.scheme == "raman":
        raise InputError(src, "maxwell_bloch.pump1_eV", None,
                         "a photon energy in eV for scheme = 'raman' (pump 1 - pump 2 = E_eg)")
    w1 = E / 2.0 if mb.pump1_eV is None else mb.pump1_eV
    w2 = E - w1 if mb.scheme == "sum" else w1 - E
    if not w2 > 0:
        raise InputError(src, "maxwell_bloch.pump1_eV", w1,
                         f"{'< E_eg' if mb.scheme == 'sum' else '> E_eg'} = {E:g} eV "
                         f"(pump 2 = {w2:g} eV must be positive)")
    wt = E / 2.0 if mb.trigger_eV is None else mb.trigger_eV
    if not 0 < wt < E:
        raise InputError(src, "maxwell_bloch.trigger_eV", wt, f"0 < trigger < E_eg = {E:g} eV")
    tau = las.duration_s
    e1 = las.pulse_energy_J
    e2 = las.pulse_energy_J if las.pulse_energy_prime_J is None else las.pulse_energy_prime_J
    trig_fwhm = tau if mb.trigger_fwhm_s is None else mb.trigger_fwhm_s
    trig_J = mb.trigger_energy_J + mb.seed_photons * wt * E_CHARGE_C
    a_ts = mb.alpha_pump_au if mb.alpha_ts_au is None else mb.alpha_ts_au
    return MBParameters(
        density_m3=hw.target.density_cm3 * 1e6, length_m=hw.target.length_m,
        area_m2=math.pi * las.waist_m**2 / 2.0, T1_s=hw.coherence.T1_s, T2_s=hw.coherence.T2_s,
        detuning_Hz=mb.detuning_Hz, alpha_g_SI=mb.alpha_g_au * AU_POLARISABILITY_SI,
        alpha_e_SI=mb.alpha_e_au * AU_POLARISABILITY_SI,
        alpha_pump_SI=mb.alpha_pump_au * AU_POLARISABILITY_SI,
        alpha_ts_SI=a_ts * AU_POLARISABILITY_SI, scheme=mb.scheme,
        pulses=(Pulse(e1, tau, 0.0, w1), Pulse(e2, tau, mb.pump_delay_s, w2),
                Pulse(trig_J, trig_fwhm, mb.trigger_delay_s, wt),
                Pulse(0.0, trig_fwhm, mb.trigger_delay_s, E - wt)))


def hardware_request(hw: HardwareConfig, *, n_cells: int | None = None) -> TableRequest:
    """Return the lookup-table request of ``hw`` (pulse-energy axes if table_points > 1)."""
    mb = hw.maxwell_bloch
    base = mb_parameters(hw)
    grid = Grid(n_cells=mb.n_cells if n_cells is None else n_cells, cfl=mb.cfl)
    axes: tuple = ()
    if mb.table_points > 1:
        import numpy as np

        f = np.geomspace(1.0 - mb.table_span_rel, 1.0 + mb.table_span_rel, mb.table_points)
        axes = (("pump1_energy_J", tuple(base.pulses[0].energy_J * f)),
                ("pump2_energy_J", tuple(base.pulses[1].energy_J * f)))
    lo, hi = hw.gate
    return TableRequest(base=base, grid=grid, gate_s=(lo, hi), axes=axes)


def solve_hardware(hw: HardwareConfig, *, n_cells: int | None = None) -> CoherenceSolution:
    """Solve one shot of the configured hardware (memoised per inputs' hash).

    This is the call for front ends (``renpsim coherence``, the TUI's hardware view): eta(t),
    eta(z, t), exposure in the detector gate, prepared |rho_eg|, PSR field, spectrum and yield.
    """
    from renpsim.hardware.coherence.solver import solve

    req = hardware_request(hw, n_cells=n_cells)
    point = TableRequest(req.base, req.grid, req.gate_s)
    key = point.key()
    if key not in _SOLUTIONS:
        sol = solve(req.base, req.grid, gate_s=req.gate_s)
        _SOLUTIONS[key] = sol
        remember(point, sol)  # the one-point table of this configuration is this solution
    return _SOLUTIONS[key]


def hardware_table(hw: HardwareConfig, executor: Any = None,
                   cache_dir: Any = None) -> CoherenceTable:
    """Return the cached lookup table of ``hw`` (one point if table_points = 1)."""
    req = hardware_request(hw)
    if not req.axes and cached(req) is None:
        solve_hardware(hw)
    return build_table(req, executor=executor, cache_dir=cache_dir)
