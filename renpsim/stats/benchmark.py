"""Return the GP21 benchmark campaign (stand-in until ``renpsim.hardware.load_campaign`` is merged).

GP21 section IV (physics.md 1.5): Yb at V = 100 cm^3, n_a = n_gamma = 1e21 cm^-3, eta = 1
(Gamma_0 = 0.002 s^-1), three frequencies 1.0688 / 1.0699 / 1.0711 eV with equal time, NO,
m1 = 0.01 eV, NuFIT 5.0, E_eg = 2.14349 eV (target ``Yb-gp21``). Convention (physics.md 1.5
"trap"): **T = 2.3 days is the total**, split equally (about 21 SM events), no background, no
systematics (GP21 eqs. 30-31).
"""

from __future__ import annotations

from dataclasses import dataclass

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

    def dataset(self, counts=None) -> BinnedDataset:
        """Return a :class:`BinnedDataset` of this campaign (zero counts unless given)."""
        return BinnedDataset(
            omega_eV=self.omega_eV, dwell_s=self.dwell_s,
            counts=np.zeros(len(self.omega_eV)) if counts is None else counts,
            calibration=self.calibration, target=self.target, oscillation=self.oscillation,
            label=self.name)


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
    """Campaign by name. Until the hardware branch lands only ``gp21-benchmark`` exists."""
    if name not in CAMPAIGNS:
        raise InputError("argument CAMPAIGN", "campaign", name,
                         "one of " + ", ".join(CAMPAIGNS))
    return CAMPAIGNS[name]()
