"""Physical constants in eV-based natural units (hbar = c = 1) and SI conversions.

Sources
-------
* CODATA 2018 (E. Tiesinga et al., Rev. Mod. Phys. 93, 025010 (2021)): h, hbar, c, m_e, alpha,
  mu_B, k_B, eV.
* PDG 2024 (S. Navas et al., Phys. Rev. D 110, 030001 (2024)), "Physical constants" table:
  G_F/(hbar c)^3 = 1.1663788(6)e-5 GeV^-2, sin^2 theta_W (MS-bar, M_Z) = 0.23129.
"""

from __future__ import annotations

import math

#: Planck constant in eV s (CODATA 2018, exact).
H_EV_S = 4.135667696e-15
#: Reduced Planck constant in eV s (CODATA 2018, exact).
HBAR_EV_S = 6.582119569e-16
#: Speed of light in m/s (exact).
C_M_PER_S = 299_792_458.0
#: hbar c in eV m.
HBARC_EV_M = HBAR_EV_S * C_M_PER_S
#: hbar c in eV cm.
HBARC_EV_CM = HBARC_EV_M * 100.0
#: Conversion of a wavenumber in cm^-1 to eV: E = h c nu~.
EV_PER_INV_CM = H_EV_S * C_M_PER_S * 100.0
#: Boltzmann constant in eV/K (CODATA 2018, exact).
K_B_EV_PER_K = 8.617333262e-5
#: Boltzmann constant in J/K (exact).
K_B_J_PER_K = 1.380649e-23
#: Elementary charge in C (exact); also J per eV.
E_CHARGE_C = 1.602176634e-19

#: Fermi constant in eV^-2 (PDG 2024: 1.1663788e-5 GeV^-2).
G_F_EV2 = 1.1663788e-5 * 1e-18
#: Electron mass in eV (CODATA 2018).
M_E_EV = 0.51099895000e6
#: Fine-structure constant (CODATA 2018).
ALPHA = 7.2973525693e-3
#: Electron charge in Heaviside-Lorentz natural units, e^2 = 4 pi alpha.
E_HL = math.sqrt(4.0 * math.pi * ALPHA)
#: Bohr magneton in natural units, mu_B = e / (2 m_e), in eV^-1.
MU_B_INV_EV = E_HL / (2.0 * M_E_EV)
#: Weak mixing angle, sin^2 theta_W (MS-bar at M_Z, PDG 2024).
SIN2_THETA_W = 0.23129

#: Seconds per day.
SECONDS_PER_DAY = 86_400.0
#: 1 cm^3 in eV^-3 (natural units): (1 cm / hbar c)^3.
CM3_IN_INV_EV3 = (1.0 / HBARC_EV_CM) ** 3
