"""Campaigns for the sensitivity engine: the hardware-layer seam and the built-in GP21 stand-in.

:func:`load_campaign` resolves preset names and TOML paths through ``renpsim.campaign`` and the
per-step response of ``renpsim.daq.expected_counts`` (:func:`campaign_from_counts_table`).

The stand-in :func:`gp21_benchmark` (used by tests, and when the hardware layer is absent):
GP21 section IV (physics.md 1.5): Yb at V = 100 cm^3, n_a = n_gamma = 1e21 cm^-3, eta = 1
(Gamma_0 = 0.002 s^-1), three frequencies 1.0688 / 1.0699 / 1.0711 eV with equal time, NO,
m1 = 0.01 eV, NuFIT 5.0, E_eg = 2.14349 eV (target ``Yb-gp21``). Convention (physics.md 1.5
"trap"): **T = 2.3 days is the total**, split equally (about 21 SM events), no background, no
systematics (GP21 eqs. 30-31).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from renpsim.constants import SECONDS_PER_DAY
from renpsim.errors import InputError
from renpsim.physics.rate import rate_scale
from renpsim.physics.targets import load_target
from renpsim.stats.dataset import BinnedDataset, Calibration

GP21_OMEGA_EV = (1.0688, 1.0699, 1.0711)
GP21_TOTAL_DAYS = 2.3


@dataclass(frozen=True)
class Campaign:
    """Minimal campaign description the sensitivity engine needs (plain data).

    Attributes
    ----------
    name : str
        Campaign id.
    omega_eV, dwell_s : numpy.ndarray
        Scan steps and time per step (s of full coherence).
    target : str
        Target name (``load_target``).
    ordering, nature, oscillation : str
        Truth neutrino hypothesis and the oscillation preset.
    m_lightest_eV : float
        Truth lightest mass.
    calibration : Calibration
        Rate scale and nuisance constraints.
    imprinted_momentum_eV, imprinted_cos : float
        Imprinted pair momentum of the trigger geometry (hardware ``lasers``) and its cosine.

    """

    name: str
    omega_eV: np.ndarray
    dwell_s: np.ndarray
    target: str
    ordering: str
    nature: str
    oscillation: str
    m_lightest_eV: float
    calibration: Calibration
    imprinted_momentum_eV: float = 0.0
    imprinted_cos: float = 1.0

    def dataset(self, counts=None) -> BinnedDataset:
        """Return a :class:`BinnedDataset` of this campaign (zero counts unless given)."""
        return BinnedDataset(
            omega_eV=self.omega_eV, dwell_s=self.dwell_s,
            counts=np.zeros(len(self.omega_eV)) if counts is None else counts,
            calibration=self.calibration, target=self.target, oscillation=self.oscillation,
            label=self.name, imprinted_momentum_eV=self.imprinted_momentum_eV,
            imprinted_cos=self.imprinted_cos)


def gp21_benchmark(total_days: float = GP21_TOTAL_DAYS) -> Campaign:
    """Return the GP21 benchmark campaign (stand-in, see module docstring)."""
    target = load_target("Yb-gp21")
    dwell = np.full(3, total_days * SECONDS_PER_DAY / 3.0)
    return Campaign(
        name="gp21-benchmark", omega_eV=np.array(GP21_OMEGA_EV), dwell_s=dwell,
        target="Yb-gp21", ordering="NO", nature="dirac", oscillation="nufit-5.0",
        m_lightest_eV=0.01,
        calibration=Calibration(rate_scale_per_s=float(rate_scale(target))),
    )


CAMPAIGNS = {"gp21-benchmark": gp21_benchmark}


def load_campaign(name: str) -> Campaign:
    """Return a campaign by preset name or TOML path.

    Campaigns come from the hardware layer (``renpsim.campaign.load_campaign`` and the
    response of ``renpsim.daq.expected_counts``) through :func:`campaign_from_counts_table`.
    The built-in GP21 stand-in (:func:`gp21_benchmark`) is used for ``gp21-benchmark`` only
    when the hardware layer is not installed; the two give identical limits (tested).
    """
    try:
        from renpsim.campaign import load_campaign as hw_load_campaign
        from renpsim.daq import expected_counts
    except ImportError:
        if name in CAMPAIGNS:
            return CAMPAIGNS[name]()
        raise InputError("argument CAMPAIGN", "campaign", name,
                         "one of " + ", ".join(CAMPAIGNS)
                         + " (other campaigns need renpsim.campaign)") from None
    camp = hw_load_campaign(name)
    return from_hardware_campaign(camp, expected_counts(camp))


def from_hardware_campaign(camp, expected) -> Campaign:
    """Return the sensitivity engine's view of a resolved :class:`renpsim.campaign.Campaign`.

    Parameters
    ----------
    camp : renpsim.campaign.Campaign
        Resolved campaign (hardware, steps, truth hypothesis).
    expected : pandas.DataFrame
        Its :func:`renpsim.daq.expected_counts` table (per-step response and backgrounds).

    """
    t = camp.truth
    tgt = camp.hardware.target
    return replace(campaign_from_counts_table(
        camp.name, expected, target=f"{tgt.species}-{tgt.isotope}",
        ordering=t.ordering, nature=t.nature, oscillation=t.oscillation,
        m_lightest_eV=t.m_lightest_eV), **camp.hardware.lasers.imprinted)


def campaign_from_counts_table(name: str, table, *, target: str, ordering: str, nature: str,
                               oscillation: str, m_lightest_eV: float) -> Campaign:
    """Build a :class:`Campaign` from a hardware expected-counts table (the DAQ seam).

    ``table`` is what ``renpsim.daq.expected_counts(campaign)`` returns (hardware branch): one
    row per step with ``omega_eV``, ``exposure_s`` (coherent seconds), ``gate_live_s``,
    ``I_eff``, ``signal`` and ``background`` (expected counts). The signal response per unit I
    becomes the per-step rate scale (signal / (I_eff x exposure)); all backgrounds (dark
    included) become a per-step background rate per coherent second, so they scale with the
    exposure when the dwell times are changed.

    Caveat: the table's I_eff is smeared by the laser line width; the statistics engine
    evaluates the unsmeared spectrum (see docs/statistics.md, limitations).
    """
    cols = ("omega_eV", "exposure_s", "I_eff", "signal", "background")
    missing = [c for c in cols if c not in getattr(table, "columns", ())]
    if missing:
        raise InputError(f"campaign {name}", "expected_counts", missing[0],
                         "a table with columns " + ", ".join(cols))
    expo = np.asarray(table["exposure_s"], dtype=float)
    I_eff = np.asarray(table["I_eff"], dtype=float)
    sig = np.asarray(table["signal"], dtype=float)
    ok = (I_eff > 0) & (expo > 0)
    if not np.any(ok):
        raise InputError(f"campaign {name}", "expected_counts", "no open step",
                         "at least one step with signal (I_eff > 0)")
    r0 = np.empty(len(expo))
    r0[ok] = sig[ok] / (I_eff[ok] * expo[ok])
    r0[~ok] = np.median(r0[ok])
    bkg = np.where(expo > 0, np.asarray(table["background"], float) / np.where(expo > 0, expo, 1),
                   0.0)
    r0_arg = float(r0[0]) if np.allclose(r0, r0[0], rtol=1e-12) else r0
    return Campaign(
        name=name, omega_eV=np.asarray(table["omega_eV"], float), dwell_s=expo, target=target,
        ordering=ordering, nature=nature, oscillation=oscillation,
        m_lightest_eV=float(m_lightest_eV),
        calibration=Calibration(rate_scale_per_s=r0_arg, background_rate_per_s=bkg))
