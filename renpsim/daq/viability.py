"""Is a campaign viable? Expected signal events and, when far below one, the size of the gap.

The signal of a step is ([physics §1.5]; [hardware §8.1])::

    N = Gamma_0 (V/V_ref)(n_a/n_ref)^2(n_gamma/n_ref) * I(omega) * exposure * detection

with exposure = sum over shots of int eta dt (seconds of full coherence) and detection = detector
efficiency x waveguide transmission x signal-separation efficiency. The gap to a target number of
events is split into these factors, each relative to the GP21 benchmark (Gamma_0 = 0.002 s^-1,
V = 100 cm^3, n_a = n_gamma = 1e21 cm^-3, eta = 1, ideal detection, 2.3 days); the factor with the
largest deficit is the knob that dominates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from renpsim.constants import SECONDS_PER_DAY
from renpsim.physics.gp21 import GP21_TOTAL_DAYS

#: GP21 benchmark reference for the gap decomposition ([physics §1.5]).
REFERENCE = {"gamma0_per_s": 0.002, "volume_cm3": 100.0, "density_cm3": 1e21,
             "total_time_s": GP21_TOTAL_DAYS * SECONDS_PER_DAY}


@dataclass(frozen=True)
class Factor:
    """One multiplicative knob of the signal rate, relative to the GP21 benchmark."""

    name: str
    ratio: float
    description: str

    @property
    def log10(self) -> float:
        """log10 of the ratio (negative: a deficit)."""
        return math.log10(self.ratio) if self.ratio > 0 else -math.inf


@dataclass(frozen=True)
class Viability:
    """Expected events of a campaign and, if needed, how far it is from being viable.

    Attributes
    ----------
    expected_signal, expected_background : float
        Expected events over the whole campaign (before dead time).
    target_events : float
        Number of signal events regarded as the minimum for a measurement.
    growth_factor : float
        target_events / expected_signal: how much rate x exposure must grow to reach the target
        (<= 1: already enough).
    factors : tuple of Factor
        The signal-rate knobs relative to the GP21 benchmark, largest deficit first.

    """

    expected_signal: float
    expected_background: float
    target_events: float
    growth_factor: float
    factors: tuple[Factor, ...]

    @property
    def viable(self) -> bool:
        """At least one expected signal event."""
        return self.expected_signal >= 1.0

    @property
    def dominant(self) -> Factor:
        """The knob with the largest deficit."""
        return self.factors[0]

    def sentence(self) -> str:
        """One plain-language line for reports and the TUI."""
        head = (f"Expected signal {self.expected_signal:.3g} events "
                f"(background {self.expected_background:.3g}).")
        if self.viable:
            return head
        knobs = ", ".join(f"{f.name} x{f.ratio:.1e}" for f in self.factors[:3])
        return (f"{head} Far below one event: rate x exposure must grow by a factor "
                f"{self.growth_factor:.1e} to reach {self.target_events:g} events. The largest "
                f"deficit is {self.dominant.name} ({self.dominant.ratio:.1e} of the GP21 "
                f"benchmark; {self.dominant.description}); largest deficits: {knobs}.")

    def to_dict(self) -> dict:
        """Plain-data form (JSON)."""
        return {
            "expected_signal": self.expected_signal,
            "expected_background": self.expected_background,
            "target_events": self.target_events,
            "growth_factor": self.growth_factor,
            "viable": self.viable,
            "dominant": self.dominant.name,
            "factors": [{"name": f.name, "ratio": f.ratio, "description": f.description}
                        for f in self.factors],
            "statement": self.sentence(),
        }


def assess_viability(campaign, expected: pd.DataFrame | None = None,
                     target_events: float = 10.0) -> Viability:
    """Assess a resolved campaign (see :func:`renpsim.campaign.load_campaign`).

    Parameters
    ----------
    campaign : Campaign
        The campaign.
    expected : pandas.DataFrame, optional
        Output of :func:`renpsim.daq.rates.expected_counts` (computed if omitted).
    target_events : float
        Signal events regarded as the minimum for a measurement (default 10).

    """
    from renpsim.daq.rates import expected_counts, step_model

    table = expected_counts(campaign) if expected is None else expected
    hw = campaign.hardware
    tgt = hw.target
    model = step_model(campaign)
    sig = float(table["signal"].sum())
    bkg = float(table["background"].sum())
    dwell = float(np.sum(table["dwell_s"]))
    exposure = float(np.sum(table["exposure_s"]))
    scale = hw.rate_per_unit_I()
    detection = float(np.mean(model.c_sig)) / scale if scale > 0 else 0.0
    n_gamma = hw.n_gamma_cm3()
    ref = REFERENCE
    factors = [
        Factor("atom density n_a^2", (tgt.density_cm3 / ref["density_cm3"]) ** 2,
               f"n_a = {tgt.density_cm3:.3g} cm^-3 enters squared"),
        Factor("trigger photon density n_gamma", n_gamma / ref["density_cm3"],
               f"n_gamma = {n_gamma:.3g} cm^-3"),
        Factor("volume V", tgt.volume_cm3 / ref["volume_cm3"], f"V = {tgt.volume_cm3:.3g} cm^3"),
        Factor("Gamma_0", hw.gamma0_per_s() / ref["gamma0_per_s"],
               f"Gamma_0 = {hw.gamma0_per_s():.3g} s^-1 at the reference point"),
        Factor("coherent duty cycle", exposure / dwell if dwell > 0 else 0.0,
               f"{exposure:.3g} s of full coherence in {dwell:.3g} s of running"),
        Factor("detection", detection,
               "detector efficiency x waveguide transmission x signal separation"),
        Factor("running time", dwell / ref["total_time_s"], f"{dwell / SECONDS_PER_DAY:.3g} days"),
    ]
    factors.sort(key=lambda f: f.log10)
    growth = target_events / sig if sig > 0 else math.inf
    return Viability(sig, bkg, target_events, growth, tuple(factors))
