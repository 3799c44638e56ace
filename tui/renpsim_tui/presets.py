"""Hardware presets offered by the Hardware tab (STAND-IN for ``renpsim.hardware`` presets).

Values of hardware.md section 8.2 (presets ``gp21-benchmark``, ``yb-vapour``, ``xe-gas``) and
section 3 (detectors), written with the key names of the hardware branch's schema
(``[target]``, ``[coherence]``, ``[lasers]``, ``[waveguide]``, ``[backgrounds]``,
``[detector]``), restricted to the knobs the interface edits. Once ``renpsim.hardware`` is merged,
:func:`renpsim_tui.backend.hardware_sections` takes the full resolved configuration from there and
this table goes away.
"""

from __future__ import annotations

_IDEAL_DETECTOR = {"efficiency": 1.0, "dark_rate_Hz": 0.0, "gate_width_s": 0.0}
_SNSPD_1157 = {"efficiency": 0.80, "dark_rate_Hz": 100.0, "gate_width_s": 50e-9}
_UV_SNSPD = {"efficiency": 0.70, "dark_rate_Hz": 1e-4, "gate_width_s": 50e-9}

#: Preset name -> sections -> key -> value.
HARDWARE_PRESETS: dict[str, dict[str, dict[str, object]]] = {
    "gp21-benchmark": {
        "target": {"species": "Yb", "isotope": "gp21", "density_cm3": 1e21, "length_m": 0.1,
                   "area_m2": 1e-3, "n_gamma": "equal_n_a"},
        "coherence": {"eta_model": "constant", "eta0": 1.0, "rho_ge0": 0.5, "T2_s": 10e-9},
        "lasers": {"pulse_energy_J": 10e-3, "duration_s": 5e-9, "rep_rate_Hz": 10.0,
                   "waist_m": 2e-3},
        "waveguide": {"enabled": False, "T_sig": 1.0},
        "backgrounds": {"trigger_leak_eps": 0.0, "signal_sep_eff": 1.0, "stray_rate_Hz": 0.0},
        "detector": dict(_IDEAL_DETECTOR),
    },
    "yb-vapour": {
        "target": {"species": "Yb", "isotope": "174", "E_eg_eV": 2.14350, "density_cm3": 8.9e14,
                   "length_m": 0.10, "area_m2": 1e-4, "n_gamma": "equal_n_a"},
        "coherence": {"eta_model": "level1", "eta0": 1e-2, "rho_ge0": 0.1, "T2_s": 10e-9},
        "lasers": {"pulse_energy_J": 10e-3, "duration_s": 5e-9, "rep_rate_Hz": 10.0,
                   "waist_m": 2e-3},
        "waveguide": {"enabled": True, "T_sig": 0.5},
        "backgrounds": {"trigger_leak_eps": 1e-20, "signal_sep_eff": 1.0, "stray_rate_Hz": 0.0},
        "detector": dict(_SNSPD_1157),
    },
    "xe-gas": {
        "target": {"species": "Xe", "isotope": "natural", "E_eg_eV": 8.315316,
                   "density_cm3": 2.4e19, "length_m": 0.10, "area_m2": 1e-4,
                   "gamma0_per_s": 0.037, "n_gamma": "equal_n_a"},
        "coherence": {"eta_model": "level1", "eta0": 1e-2, "rho_ge0": 0.0316069612,
                      "T2_s": 1e-9},
        "lasers": {"pulse_energy_J": 1e-3, "duration_s": 5e-9, "rep_rate_Hz": 10.0,
                   "waist_m": 2e-3},
        "waveguide": {"enabled": True, "T_sig": 0.5},
        "backgrounds": {"trigger_leak_eps": 1e-20, "signal_sep_eff": 1.0, "stray_rate_Hz": 0.0},
        "detector": dict(_UV_SNSPD),
    },
}


#: Detector presets (hardware.md 3.1-3.2; values as in the hardware branch's detectors.toml):
#: name -> detector knobs the interface writes as overrides.
DETECTOR_PRESETS: dict[str, dict[str, float]] = {
    "ideal": {"efficiency": 1.0, "dark_rate_Hz": 0.0, "gate_start_s": 0.0,
              "gate_width_s": 0.0},
    "snspd-1157": {"efficiency": 0.80, "dark_rate_Hz": 100.0, "gate_start_s": -5e-9,
                   "gate_width_s": 50e-9},
    "ingaas-free": {"efficiency": 0.10, "dark_rate_Hz": 600.0, "gate_start_s": -5e-9,
                    "gate_width_s": 0.0},
    "ingaas-gated": {"efficiency": 0.243, "dark_rate_Hz": 1880.0, "gate_start_s": -5e-9,
                     "gate_width_s": 50e-9},
    "nir-pmt": {"efficiency": 0.02, "dark_rate_Hz": 1.0e4, "gate_start_s": -5e-9,
                "gate_width_s": 50e-9},
    "uv-snspd": {"efficiency": 0.70, "dark_rate_Hz": 1.0e-4, "gate_start_s": -5e-9,
                 "gate_width_s": 50e-9},
    "mcp-pmt": {"efficiency": 0.25, "dark_rate_Hz": 30.0, "gate_start_s": -5e-9,
                "gate_width_s": 50e-9},
}
