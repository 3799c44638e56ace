"""Asimov setups of campaigns: the hardware-layer seam and the built-in GP21 stand-in.

There is one campaign type, :class:`renpsim.campaign.Campaign`; the statistics engine sees a
campaign as an :class:`~renpsim.stats.sensitivity.AsimovSetup` (plain data: steps, exposures,
rate per unit I, backgrounds, truth). :func:`from_hardware_campaign` builds it from a resolved
campaign, with the rate per unit I(omega) held by the DAQ step model
(:func:`renpsim.daq.rates.step_model`, ``c_sig``), never divided back out of expected counts.

The stand-in :func:`gp21_benchmark` (used by tests): GP21 section IV [physics §1.5]: Yb at
V = 100 cm^3, n_a = n_gamma = 1e21 cm^-3, eta = 1 (Gamma_0 = 0.002 s^-1), three frequencies
1.0688 / 1.0699 / 1.0711 eV with equal time, NO, m1 = 0.01 eV, NuFIT 5.0, E_eg = 2.14349 eV
(target ``Yb-gp21``). Convention [physics §1.5]: **T = 2.3 days is the total**, split equally
(about 21 SM events), no background, no systematics (GP21 eqs. 30-31).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from renpsim.constants import SECONDS_PER_DAY
from renpsim.errors import InputError
from renpsim.physics.gp21 import (
    GP21_M_LIGHTEST_EV,
    GP21_NATURE,
    GP21_OMEGA_EV,
    GP21_ORDERING,
    GP21_OSCILLATION,
    GP21_TOTAL_DAYS,
)
from renpsim.physics.rate import rate_scale
from renpsim.physics.targets import load_target
from renpsim.stats.sensitivity import AsimovSetup


def gp21_benchmark(total_days: float = GP21_TOTAL_DAYS) -> AsimovSetup:
    """Return the Asimov setup of the GP21 benchmark (stand-in, see module docstring)."""
    target = load_target("Yb-gp21")
    dwell = total_days * SECONDS_PER_DAY / 3.0
    return AsimovSetup(
        omega_eV=GP21_OMEGA_EV, exposure_s=(dwell, dwell, dwell),
        rate_scale_per_s=float(rate_scale(target)), target="Yb-gp21", ordering=GP21_ORDERING,
        nature=GP21_NATURE, oscillation=GP21_OSCILLATION, m_lightest_eV=GP21_M_LIGHTEST_EV)


def from_hardware_campaign(camp, expected) -> AsimovSetup:
    """Return the statistics engine's Asimov setup of a resolved campaign.

    Parameters
    ----------
    camp : renpsim.campaign.Campaign
        Resolved campaign (hardware, steps, truth hypothesis).
    expected : pandas.DataFrame
        Its :func:`renpsim.daq.expected_counts` table (coherent exposure and backgrounds).

    """
    from renpsim.daq.rates import step_model

    t = camp.truth
    tgt = camp.hardware.target
    return replace(campaign_from_counts_table(
        camp.name, expected, rate_per_unit_I_per_s=step_model(camp).c_sig,
        target=f"{tgt.species}-{tgt.isotope}", ordering=t.ordering, nature=t.nature,
        oscillation=t.oscillation, m_lightest_eV=t.m_lightest_eV), **camp.hardware.lasers.imprinted)


def campaign_from_counts_table(name: str, table, *, rate_per_unit_I_per_s, target: str,
                               ordering: str, nature: str, oscillation: str,
                               m_lightest_eV: float) -> AsimovSetup:
    """Build an :class:`AsimovSetup` from an expected-counts table (the DAQ seam).

    ``table`` is what ``renpsim.daq.expected_counts(campaign)`` returns: one row per step with
    ``omega_eV``, ``exposure_s`` (coherent seconds) and ``background`` (expected counts, dark
    included); ``rate_per_unit_I_per_s`` is the signal rate per unit I(omega) and per coherent
    second of each step (the step model's ``c_sig``). The backgrounds become a per-step rate per
    coherent second, so they scale with the exposure when the dwell times are changed.

    Caveat: the table's I_eff is smeared by the laser line width; the statistics engine
    evaluates the unsmeared spectrum (see docs/statistics.md, limitations).
    """
    cols = ("omega_eV", "exposure_s", "background")
    missing = [c for c in cols if c not in getattr(table, "columns", ())]
    if missing:
        raise InputError(f"campaign {name}", "expected_counts", missing[0],
                         "a table with columns " + ", ".join(cols))
    expo = np.asarray(table["exposure_s"], dtype=float)
    r0 = np.broadcast_to(np.asarray(rate_per_unit_I_per_s, float), expo.shape)
    if not np.any((r0 > 0) & (expo > 0)):
        raise InputError(f"campaign {name}", "rate_per_unit_I_per_s", "no open step",
                         "at least one step with a signal response and exposure")
    bkg = np.where(expo > 0, np.asarray(table["background"], float) / np.where(expo > 0, expo, 1),
                   0.0)
    r0_arg = float(r0[0]) if np.allclose(r0, r0[0], rtol=1e-12) else tuple(map(float, r0))
    return AsimovSetup(
        omega_eV=tuple(map(float, np.asarray(table["omega_eV"], float))),
        exposure_s=tuple(map(float, expo)), rate_scale_per_s=r0_arg,
        background_rate_per_s=tuple(map(float, bkg)), target=target, ordering=ordering,
        nature=nature, oscillation=oscillation, m_lightest_eV=float(m_lightest_eV))
