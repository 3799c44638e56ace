"""Hardware presets offered by the Hardware tab (STAND-IN for the hardware branch's presets).

Values from hardware.md section 8.2 (presets ``gp21-benchmark``, ``yb-vapour``, ``xe-gas``),
mapped onto the interface's scalar hardware model: ``eta`` is the peak coherence
eta_peak = eta0 * 4|rho_ge(0)|^2 (hardware.md 5.2), so a step's dwell time is its coherent
exposure. Once ``renpsim.hardware`` is merged, :mod:`renpsim_tui.backend` takes the presets from
there and this table goes away.
"""

from __future__ import annotations

#: Preset name -> (target name, Gamma_0 override or None, hardware scalars).
HARDWARE_PRESETS: dict[str, tuple[str, float | None, dict[str, float]]] = {
    "gp21-benchmark": ("Yb-gp21", None, {
        "volume_cm3": 100.0, "n_atoms_cm3": 1e21, "n_gamma_cm3": 1e21, "eta": 1.0,
        "signal_transmission": 1.0, "detector_efficiency": 1.0, "dark_rate_Hz": 0.0,
        "gate_s": 5e-8, "pulse_energy_J": 0.01, "pulse_duration_s": 5e-9, "rep_rate_Hz": 10.0,
        "waist_m": 2e-3, "T2_s": 1e-8, "trigger_leak_eps": 0.0, "background_rate_per_s": 0.0,
    }),
    "yb-vapour": ("Yb-174", None, {
        "volume_cm3": 10.0, "n_atoms_cm3": 8.9e14, "n_gamma_cm3": 8.9e14,
        "eta": 1e-2 * 4 * 0.1**2, "signal_transmission": 0.5, "detector_efficiency": 0.8,
        "dark_rate_Hz": 100.0, "gate_s": 5e-8, "pulse_energy_J": 0.01,
        "pulse_duration_s": 5e-9, "rep_rate_Hz": 10.0, "waist_m": 2e-3, "T2_s": 1e-8,
        "trigger_leak_eps": 1e-20, "background_rate_per_s": 0.0,
    }),
    "xe-gas": ("Xe-natural", 0.037, {
        "volume_cm3": 10.0, "n_atoms_cm3": 2.4e19, "n_gamma_cm3": 2.4e19,
        "eta": 1e-2 * 4 * 1e-3 * (1 - 1e-3), "signal_transmission": 0.5,
        "detector_efficiency": 0.7, "dark_rate_Hz": 1e-4, "gate_s": 5e-8,
        "pulse_energy_J": 1e-3, "pulse_duration_s": 5e-9, "rep_rate_Hz": 10.0,
        "waist_m": 2e-3, "T2_s": 1e-9, "trigger_leak_eps": 1e-20, "background_rate_per_s": 0.0,
    }),
}
