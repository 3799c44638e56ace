"""The ``[maxwell_bloch]`` table of a hardware file: knobs of the Maxwell-Bloch eta model.

Used when ``coherence.eta_model = "maxwell-bloch"`` (docs/coherence.md section 8). Pulse energies,
duration, waist, T1, T2, density and length come from the other tables; this one holds the
coupling constants, the frequencies, the trigger/signal pair, the numerical grid and the lookup
table. Every number is an assumption [A] or unverified [U] unless its tag says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from renpsim.hardware.schema import knob

_SRC = "[hardware §5.1]"


@dataclass(frozen=True)
class MaxwellBlochConfig:
    """Knobs of the 1-D Maxwell-Bloch model (docs/coherence.md)."""

    scheme: str = knob("sum", kind="str", choices=("sum", "raman"),
                       doc="Pump pair: 'sum' = two-photon absorption of omega and E_eg - omega "
                           "(the RENP trigger pair); 'raman' = pump 1 scattered into pump 2 "
                           "(omega_1 - omega_2 = E_eg, para-H2).", source=_SRC)
    alpha_g_au: float = knob(0.0, unit="a.u.", lo=-1e5, hi=1e5,
                             doc="Polarisability of |g> (atomic units, 4 pi eps0 a0^3) for the "
                                 "AC Stark shifts; only alpha_e - alpha_g enters.", source=_SRC)
    alpha_e_au: float = knob(0.0, unit="a.u.", lo=-1e5, hi=1e5,
                             doc="Polarisability of |e> (atomic units).", source=_SRC)
    alpha_pump_au: float = knob(1.0, unit="a.u.", lo=0.0, hi=1e5,
                                doc="Two-photon (or Raman) transition polarisability of the pump "
                                    "pair (atomic units).", source=_SRC)
    alpha_ts_au: float | None = knob(None, kind="float?", unit="a.u.", lo=0.0, hi=1e5,
                                     doc="Transition polarisability of the trigger/signal pair; "
                                         "absent = alpha_pump_au.", source=_SRC)
    detuning_Hz: float = knob(0.0, unit="Hz", lo=-1e12, hi=1e12,
                              doc="Two-photon detuning (omega_1 +- omega_2 - E_eg/hbar)/2pi of "
                                  "the pump pair.", source=_SRC)
    pump1_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0, lo_open=True,
                                  doc="Photon energy of pump 1 (the lasers' omega beam); absent "
                                      "= E_eg/2 (sum scheme; required for 'raman'). Pump 2 is "
                                      "E_eg - pump1 (sum) or pump1 - E_eg (raman).", source=_SRC)
    pump_delay_s: float = knob(0.0, unit="s", lo=-1e-6, hi=1e-6,
                               doc="Delay of pump 2 after pump 1 (peaks at the cell centre).")
    trigger_energy_J: float = knob(0.0, unit="J", lo=0.0,
                                   doc="Energy of the injected trigger of the trigger/signal "
                                       "pair (the mid-IR trigger of the para-H2 experiments).",
                                   source="[hardware §1.1]")
    trigger_eV: float | None = knob(None, kind="float?", unit="eV", lo=0.0, lo_open=True,
                                    doc="Trigger photon energy; absent = E_eg/2 (degenerate "
                                        "McQ2). The signal is at E_eg - trigger.", source=_SRC)
    trigger_fwhm_s: float | None = knob(None, kind="float?", unit="s", lo=0.0, lo_open=True,
                                        doc="Trigger FWHM; absent = lasers.duration_s.")
    trigger_delay_s: float = knob(0.0, unit="s", lo=-1e-6, hi=1e-6,
                                  doc="Delay of the trigger after pump 1.")
    seed_photons: float = knob(1.0, lo=0.0, hi=1e30,
                               doc="Photons added to the trigger pulse: the classical stand-in "
                                   "for the spontaneous start of paired superradiance.")
    pumps_follow_scan: bool = knob(False, kind="bool",
                                   doc="True: the pump pair is the scanned trigger pair "
                                       "(omega, E_eg - omega), so the coherence it prepares "
                                       "phase-matches the PSR pair at every step (PSR line flat "
                                       "in omega); false: the pumps stay at pump1_eV and a pair "
                                       "away from trigger_eV is mismatched (sinc^2 line, "
                                       "docs/coherence.md section 6a).", source=_SRC)
    n_cells: int = knob(400, kind="int", lo=4, hi=100000,
                        doc="Cells of the z grid (the time step is cfl dz / c).")
    cfl: float = knob(1.0, lo=0.0, lo_open=True, hi=1.6,
                      doc="Courant number of the explicit RK4 scheme.")
    table_points: int = knob(1, kind="int", lo=1, hi=41,
                             doc="Points per pulse-energy axis of the lookup table used for "
                                 "shot-to-shot energy fluctuations (1 = one solution, the "
                                 "(E1 E2)^p rule of the level-1 model for the fluctuations).")
    table_span_rel: float = knob(0.3, lo=0.0, lo_open=True, hi=0.9,
                                 doc="Relative half-span of the pulse-energy axes of the table: "
                                     "nodes from E / (1 + span) to E (1 + span), geometric.")
    table_detuning_step_Hz: float = knob(0.0, unit="Hz", lo=0.0, hi=1e12,
                                         doc="Node spacing of the table's detuning axis (nodes at "
                                             "multiples of it; the two around detuning_Hz are "
                                             "solved, the value interpolated); 0 = no axis, "
                                             "solved at detuning_Hz.")
    table_density_step_dex: float = knob(0.0, unit="dex", lo=0.0, hi=1.0,
                                         doc="Node spacing in log10 of the table's density axis "
                                             "(nodes at 10^(k step) m^-3 around "
                                             "target.density_cm3); 0 = no axis.")
    table_length_step_dex: float = knob(0.0, unit="dex", lo=0.0, hi=1.0,
                                        doc="Node spacing in log10 of the table's length axis "
                                            "(around target.length_m); 0 = no axis.")
    table_T2_step_dex: float = knob(0.0, unit="dex", lo=0.0, hi=1.0,
                                    doc="Node spacing in log10 of the table's T2 axis (around "
                                        "coherence.T2_s); 0 = no axis.")
