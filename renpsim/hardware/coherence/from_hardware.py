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
    vary,
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


#: Lattice axes of the table other than the pulse energies: (axis, knob of its node spacing,
#: True for a log10 lattice).
LATTICE_AXES = (("detuning_Hz", "table_detuning_step_Hz", False),
                ("density_m3", "table_density_step_dex", True),
                ("length_m", "table_length_step_dex", True),
                ("T2_s", "table_T2_step_dex", True))


def lattice_nodes(value: float, step: float, log: bool) -> tuple[float, float]:
    """Return the two lattice nodes around ``value``: k step <= value < (k + 1) step.

    In log10 if ``log``.

    The nodes depend on ``value`` only through k, so every value between them gives the same
    table (and its cache entry).
    """
    u = math.log10(value) / step if log else value / step
    k = math.floor(u)
    if log:
        return 10.0 ** (k * step), 10.0 ** ((k + 1) * step)
    return k * step, (k + 1) * step


def hardware_point(hw: HardwareConfig) -> dict[str, float]:
    """Return the hardware's actual value of every table axis (table.AXES), in its units."""
    base = mb_parameters(hw)
    return {"pump1_energy_J": base.pulses[0].energy_J, "pump2_energy_J": base.pulses[1].energy_J,
            "detuning_Hz": base.detuning_Hz, "density_m3": base.density_m3,
            "length_m": base.length_m, "T2_s": base.T2_s}


def hardware_request(hw: HardwareConfig, *, n_cells: int | None = None) -> TableRequest:
    """Return the lookup-table request of ``hw``.

    Axes: the two pulse energies if ``table_points`` > 1 (geometric nodes from E / (1 + span) to
    E (1 + span), centred on the configured energies), and every lattice axis whose node spacing
    (``table_detuning_step_Hz``, ``table_density_step_dex``, ...) is positive: the two lattice
    nodes around the configured value. The base parameters of a lattice axis are set to its
    first node, so the request (and its hash) does not change while the configured value
    stays between the same nodes. Without axes: one solution at the configured point.
    """
    mb = hw.maxwell_bloch
    base = mb_parameters(hw)
    grid = Grid(n_cells=mb.n_cells if n_cells is None else n_cells, cfl=mb.cfl)
    axes: list = []
    if mb.table_points > 1:
        import numpy as np

        f = np.geomspace(1.0 / (1.0 + mb.table_span_rel), 1.0 + mb.table_span_rel,
                         mb.table_points)
        axes += [("pump1_energy_J", tuple(base.pulses[0].energy_J * f)),
                 ("pump2_energy_J", tuple(base.pulses[1].energy_J * f))]
    actual = hardware_point(hw)
    for name, knob_name, log in LATTICE_AXES:
        step = getattr(mb, knob_name)
        if step > 0:
            nodes = lattice_nodes(actual[name], step, log)
            axes.append((name, nodes))
            base = vary(base, name, nodes[0])
    lo, hi = hw.gate
    return TableRequest(base=base, grid=grid, gate_s=(lo, hi), axes=tuple(axes))


def hardware_lookup(hw: HardwareConfig, quantity: str,
                    energy_factors: Any = None) -> Any:
    """Return a table quantity at the hardware's actual point on every axis of its table.

    Parameters
    ----------
    hw : HardwareConfig
        The configuration (its table is built or taken from the cache).
    quantity : str
        One of table.QUANTITIES.
    energy_factors : array (n, 2), optional
        Relative pulse energies of n shots (pump 1, pump 2); default the configured energies.

    Returns
    -------
    float or ndarray
        The interpolated value (an array of n values with ``energy_factors``).

    """
    table = hardware_table(hw)
    actual = hardware_point(hw)
    coords: dict[str, Any] = {name: actual[name] for name, _ in table.axes}
    if energy_factors is not None:
        import numpy as np

        e = np.asarray(energy_factors, dtype=float)
        coords["pump1_energy_J"] = actual["pump1_energy_J"] * e[:, 0]
        coords["pump2_energy_J"] = actual["pump2_energy_J"] * e[:, 1]
        return table(quantity, **coords)
    return float(table(quantity, **coords))


def psr_phase_matching(hw: HardwareConfig, omega_eV: Any) -> Any:
    """sinc^2(dk L / 2) of the PSR pair (omega, E_eg - omega) (docs/coherence.md section 6a).

    The solved pair (trigger ``maxwell_bloch.trigger_eV``, default E_eg/2) is phase matched
    (factor exactly 1); L = ``target.length_m``, index of the unexcited medium from
    ``maxwell_bloch.alpha_g_au`` and the density. With ``maxwell_bloch.pumps_follow_scan`` the
    coherence follows the pair and the factor is 1 everywhere.
    """
    import numpy as np

    from renpsim.hardware.coherence.phase_matching import (
        ground_state_index,
        phase_matching_factor,
    )

    if hw.maxwell_bloch.pumps_follow_scan:
        return np.ones_like(np.asarray(omega_eV, dtype=float))
    base = mb_parameters(hw)
    n = ground_state_index(base.density_m3, base.alpha_g_SI)
    return phase_matching_factor(omega_eV, base.pulses[2].photon_eV, base.length_m, n)


def psr_first_zero_eV(hw: HardwareConfig) -> float:
    """Distance from the solved trigger energy to the first zero of the phase-matching factor.

    Returns inf with ``maxwell_bloch.pumps_follow_scan`` (no zero).
    """
    if hw.maxwell_bloch.pumps_follow_scan:
        return math.inf
    from renpsim.hardware.coherence.phase_matching import first_zero_eV, ground_state_index

    base = mb_parameters(hw)
    return first_zero_eV(base.length_m, ground_state_index(base.density_m3, base.alpha_g_SI))


def solve_hardware(hw: HardwareConfig, *, n_cells: int | None = None) -> CoherenceSolution:
    """Solve one shot of the configured hardware (memoised per inputs' hash).

    This is the call for front ends (``renpsim coherence``, the TUI's hardware view): eta(t),
    eta(z, t), exposure in the detector gate, prepared |rho_eg|, PSR field, spectrum and yield.
    """
    from renpsim.hardware.coherence.solver import solve

    req = hardware_request(hw, n_cells=n_cells)
    # at the configured values (the request's base sits on the lower node of a lattice axis)
    point = TableRequest(mb_parameters(hw), req.grid, req.gate_s)
    key = point.key()
    if key not in _SOLUTIONS:
        sol = solve(point.base, point.grid, gate_s=point.gate_s)
        _SOLUTIONS[key] = sol
        remember(point, sol)  # the one-point table of this configuration is this solution
    return _SOLUTIONS[key]


def hardware_table(hw: HardwareConfig, executor: Any = None,
                   cache_dir: Any = None) -> CoherenceTable:
    """Return the cached lookup table of ``hw`` (one point without axes)."""
    req = hardware_request(hw)
    if not req.axes and cached(req) is None:
        solve_hardware(hw)
    return build_table(req, executor=executor, cache_dir=cache_dir)
