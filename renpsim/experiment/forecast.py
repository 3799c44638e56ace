"""Campaign -> response, expected counts, Asimov setup and the viability verdict.

The only place where a resolved :class:`renpsim.campaign.Campaign` becomes the statistics
engine's inputs (per-step rate per unit I from :func:`renpsim.daq.expected_counts`, backgrounds,
truth hypothesis).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from renpsim.experiment.defaults import (
    DEFAULT_MAJORANA_PHASES,
    DEFAULT_SCALAR_PHASE,
    DEFAULT_WIDTH_FRACTION,
    TARGET_EVENTS,
)
from renpsim.experiment.results import (
    Assumptions,
    Forecast,
    check_majorana_phases,
    check_normalisation,
)


@dataclass(frozen=True, eq=False)
class Experiment:
    """A resolved campaign with its expected-counts table (the input of every workflow).

    Attributes
    ----------
    campaign : renpsim.campaign.Campaign
        The resolved campaign (hardware, steps, truth hypothesis, seed).
    expected : pandas.DataFrame
        Its per-step expected counts (:func:`renpsim.daq.expected_counts`), computed on first
        use (a simulation of a long scan never builds the whole table).
    source : str
        Preset name or path it was loaded from.

    """

    campaign: Any
    source: str = ""

    @cached_property
    def expected(self):
        """Per-step expected counts (:func:`renpsim.daq.expected_counts`), computed once."""
        from renpsim.daq import expected_counts

        return expected_counts(self.campaign)

    def expected_totals(self) -> dict[str, float]:
        """Return the expected total ``signal`` and ``background`` counts.

        Without building the per-step table when it does not exist yet (block by block:
        memory does not grow with the number of steps).
        """
        if "expected" in self.__dict__:
            e = self.expected
            return {"signal": float(e["signal"].sum()), "background": float(e["background"].sum())}
        from renpsim.daq.rates import expected_totals

        return expected_totals(self.campaign)

    @property
    def name(self) -> str:
        """Campaign name."""
        return self.campaign.name

    @property
    def truth(self) -> dict:
        """Truth hypothesis (ordering, nature, m_lightest_eV)."""
        t = self.campaign.truth
        return {"ordering": t.ordering, "nature": t.nature, "m_lightest_eV": t.m_lightest_eV}

    @property
    def oscillation(self) -> str:
        """The campaign's oscillation preset (its truth)."""
        return self.campaign.truth.oscillation

    @cached_property
    def _stats_view(self):
        from renpsim.stats.benchmark import from_hardware_campaign

        return from_hardware_campaign(self.campaign, self.expected)

    def asimov_setup(self, normalisation: str = "fixed", *,
                     width_fraction: float = DEFAULT_WIDTH_FRACTION,
                     scalar_phase: str = DEFAULT_SCALAR_PHASE, ordering: str | None = None,
                     nature: str | None = None, true_m_lightest_eV: float | None = None,
                     majorana_phases: str = DEFAULT_MAJORANA_PHASES,
                     imprinted_momentum_eV: float | None = None,
                     imprinted_cos: float | None = None):
        """Return the statistics engine's Asimov setup of this campaign.

        Parameters
        ----------
        normalisation : {"fixed", "profiled"}
            Treatment of the signal normalisation.
        width_fraction, scalar_phase :
            Mediator width Gamma/M and pseudoscalar phase convention.
        ordering, nature, true_m_lightest_eV : optional
            Overrides of the campaign's truth hypothesis.
        majorana_phases : {"profiled", "fixed"}
            Majorana hypotheses (limits with a Majorana truth, the alternatives of the
            ordering and nature decisions): phases alpha21, alpha31 - 2 delta fitted with a
            multi-start on the torus (default) or kept at zero.
        imprinted_momentum_eV, imprinted_cos : float, optional
            Overrides of the imprinted pair momentum and its cosine to the photon (default:
            the campaign's ``hardware.lasers``); zero gives the numbers without it.

        """
        from renpsim.stats.sensitivity import AsimovSetup

        over: dict = {"profile_norm": check_normalisation(normalisation),
                      "scalar_phase": scalar_phase, "width_fraction": width_fraction,
                      "majorana_phases": check_majorana_phases(majorana_phases)}
        for key, val in (("ordering", ordering), ("nature", nature),
                         ("m_lightest_eV", true_m_lightest_eV),
                         ("imprinted_momentum_eV", imprinted_momentum_eV),
                         ("imprinted_cos", imprinted_cos)):
            if val is not None:
                over[key] = val
        return AsimovSetup.from_campaign(self._stats_view, **over)

    def asimov_dataset(self, setup):
        """Return the binned dataset (exposures and calibration) of this campaign for ``setup``."""
        return setup.dataset(label=self.name)

    @property
    def rate_per_unit_I_per_s(self):
        """Signal counts per coherent second per unit I(omega) of each step (the step model's)."""
        from renpsim.daq.rates import step_model

        return step_model(self.campaign).c_sig

    def assumptions(self, setup=None, **kw) -> Assumptions:
        """Assumptions record of a computation on this campaign (``setup``: its Asimov setup)."""
        if setup is None:
            return Assumptions(oscillation=self.oscillation,
                               oscillation_source="campaign truth", truth=self.truth, **kw)
        p0 = float(getattr(setup, "imprinted_momentum_eV", 0.0))
        base = dict(oscillation=setup.oscillation, oscillation_source="campaign truth",
                    normalisation="profiled" if setup.profile_norm else "fixed",
                    majorana_phases=getattr(setup, "majorana_phases", None),
                    imprinted_momentum_eV=p0 if p0 != 0.0 else None,
                    imprinted_cos=float(setup.imprinted_cos) if p0 != 0.0 else None,
                    width_fraction=setup.width_fraction, scalar_phase=setup.scalar_phase,
                    truth={"ordering": setup.ordering, "nature": setup.nature,
                           "m_lightest_eV": setup.m_lightest_eV})
        base.update(kw)
        return Assumptions(**base)


def load_experiment(campaign: str | Path | Any,
                    overrides: dict | None = None) -> Experiment:
    """Resolve a campaign (preset name, TOML path or a resolved Campaign) and its response.

    Parameters
    ----------
    campaign : str, path or renpsim.campaign.Campaign
        What to load.
    overrides : dict, optional
        Dotted-key overrides (``hardware.target.density_cm3``, ``truth.nature``, ``seed``...).

    """
    from renpsim.campaign import Campaign, load_campaign

    if isinstance(campaign, Campaign):
        camp, source = campaign, campaign.source
    else:
        camp, source = load_campaign(str(campaign), overrides=overrides or None), str(campaign)
    return Experiment(campaign=camp, source=source)


def forecast(experiment: Experiment, target_events: float = TARGET_EVENTS) -> Forecast:
    """Return the expected counts and the library's viability verdict of a campaign."""
    from renpsim.daq.viability import assess_viability

    v = assess_viability(experiment.campaign, experiment.expected, target_events)
    return Forecast(campaign=experiment.name, expected=experiment.expected, viability=v,
                    assumptions=experiment.assumptions(seed=experiment.campaign.seed))
