"""Typed, immutable results of the experiment workflows.

Every result carries an :class:`Assumptions` record (threshold convention, normalisation
treatment, coupling sign, mediator width, oscillation preset and where it came from, seed) so
that a front end can state them next to the number it renders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from renpsim.experiment.defaults import NORMALISATIONS


def _num(x: Any) -> float | None:
    """Finite float or None (strict JSON has no NaN or inf)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def normalisation_label(profile_norm: bool) -> str:
    """``"profiled"`` or ``"fixed"`` for a profile-normalisation flag."""
    return "profiled" if profile_norm else "fixed"


def check_normalisation(normalisation: str) -> bool:
    """Validate a normalisation treatment and return whether it is profiled."""
    from renpsim.errors import InputError

    if normalisation not in NORMALISATIONS:
        raise InputError("experiment", "normalisation", normalisation,
                         "one of " + ", ".join(NORMALISATIONS))
    return normalisation == "profiled"


@dataclass(frozen=True)
class Assumptions:
    """What a result assumed.

    Attributes
    ----------
    oscillation : str
        Oscillation preset of the computation.
    oscillation_source : str
        Where the preset came from (``"campaign truth"``, ``"run file ..."``, ``"requested"``,
        ``"default"``).
    normalisation : {"fixed", "profiled"}, optional
        Treatment of the signal normalisation in Delta chi^2.
    delta_chi2, cl, dof : float, float, int, optional
        Threshold convention of a limit.
    coupling_sign : {"both", "+", "-"}, optional
        Coupling sign(s) tested.
    width_fraction : float, optional
        Mediator width Gamma/M.
    scalar_phase : str, optional
        Pseudoscalar phase convention.
    seed : int, optional
        SeedSequence entropy or simulation seed.
    truth : dict
        Truth hypothesis of an Asimov computation (ordering, nature, m_lightest_eV).

    """

    oscillation: str
    oscillation_source: str = "default"
    normalisation: str | None = None
    delta_chi2: float | None = None
    cl: float | None = None
    dof: int | None = None
    coupling_sign: str | None = None
    width_fraction: float | None = None
    scalar_phase: str | None = None
    seed: int | None = None
    truth: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain-data form (strict JSON)."""
        return {"oscillation": self.oscillation, "oscillation_source": self.oscillation_source,
                "normalisation": self.normalisation, "delta_chi2": _num(self.delta_chi2),
                "cl": _num(self.cl), "dof": self.dof, "coupling_sign": self.coupling_sign,
                "width_fraction": _num(self.width_fraction), "scalar_phase": self.scalar_phase,
                "seed": self.seed, "truth": dict(self.truth)}


@dataclass(frozen=True, eq=False)
class Forecast:
    """Expected counts of a campaign and the viability verdict.

    Attributes
    ----------
    campaign : str
        Campaign name.
    expected : pandas.DataFrame
        Per-step expected counts (:func:`renpsim.daq.expected_counts`).
    viability : renpsim.daq.viability.Viability
        The library's viability rule and the gap decomposition.
    assumptions : Assumptions

    """

    campaign: str
    expected: Any
    viability: Any
    assumptions: Assumptions

    @property
    def expected_signal(self) -> float:
        """Expected signal events of the whole campaign."""
        return self.viability.expected_signal

    @property
    def expected_background(self) -> float:
        """Expected background events of the whole campaign."""
        return self.viability.expected_background

    @property
    def viable(self) -> bool:
        """The library's viability verdict."""
        return self.viability.viable

    def to_dict(self) -> dict:
        """Plain-data form: the viability record plus the assumptions."""
        return {**self.viability.to_dict(), "assumptions": self.assumptions.to_dict()}


@dataclass(frozen=True, eq=False)
class ReachCurve:
    """Asimov coupling limits over a grid (mediator masses or lightest masses).

    Attributes
    ----------
    coupling, quantity : str
        Coupling name and the limits-database quantity.
    x_name : str
        ``m_eV`` (mediator mass) or ``m_lightest_eV``.
    x, limit : tuple of float
        Grid and limit (inf where none is reached).
    status : tuple of int
        Search status per point.
    table : renpsim.stats.output.SensitivityTable
        The same numbers in the one sensitivity-table format (CSV/HDF5 writer).
    assumptions : Assumptions

    """

    coupling: str
    quantity: str
    x_name: str
    x: tuple
    limit: tuple
    status: tuple
    table: Any
    assumptions: Assumptions

    def rows(self) -> list[dict]:
        """One dict per grid point (limit None where not finite)."""
        return [{self.x_name: float(x), "limit": _num(v), "status": int(s)}
                for x, v, s in zip(self.x, self.limit, self.status, strict=True)]


@dataclass(frozen=True)
class DipoleReach:
    """Asimov limits on dipole-moment elements (units of mu_B), one element at a time.

    Attributes
    ----------
    limits : tuple of (str, float)
        Element name and limit (inf: channel closed at every step).
    headline : str
        The element compared with effective-moment bounds: ``mu11`` (Dirac) or ``mu12``
        (Majorana: diagonal moments vanish).
    assumptions : Assumptions

    """

    limits: tuple
    headline: str
    assumptions: Assumptions

    def as_dict(self) -> dict:
        """Element -> limit."""
        return dict(self.limits)

    def rows(self) -> list[dict]:
        """One dict per element (limit None where not finite)."""
        return [{"element": k, "limit": _num(v)} for k, v in self.limits]


@dataclass(frozen=True)
class DecisionExposure:
    """Exposure needed for an ``n_sigma`` discrete decision (Asimov, 1 dof).

    Attributes
    ----------
    decision : {"ordering", "lightest-mass", "nature"}
    n_sigma : float
    normalisation : {"fixed", "profiled"}
    factor : float
        Factor on every dwell time of the campaign (inf: never decided).
    total_time_s : float
        Total coherent exposure at that factor.
    delta_chi2_now : float
        Asimov Delta chi^2 of the campaign as it is.
    method : str
        ``linear`` (Delta chi^2 proportional to exposure), ``bisection`` or ``none``.
    assumptions : Assumptions

    """

    decision: str
    n_sigma: float
    normalisation: str
    factor: float
    total_time_s: float
    delta_chi2_now: float
    method: str
    assumptions: Assumptions

    def row(self) -> dict:
        """Return the decision row (strict JSON; ``normalisation`` next to ``factor``)."""
        return {"decision": self.decision, "n_sigma": self.n_sigma,
                "normalisation": self.normalisation, "factor": _num(self.factor),
                "total_time_s": _num(self.total_time_s),
                "delta_chi2_now": _num(self.delta_chi2_now), "method": self.method}


@dataclass(frozen=True)
class LimitExposure:
    """Exposure needed for an Asimov coupling limit to reach a target value."""

    coupling: str
    mediator_mass_eV: float
    target_limit: float
    normalisation: str
    factor: float
    total_time_s: float
    limit_now: float
    assumptions: Assumptions

    def row(self) -> dict:
        """Return the row of a limit-exposure question."""
        return {"decision": "limit", "target_limit": self.target_limit,
                "normalisation": self.normalisation, "factor": _num(self.factor),
                "total_time_s": _num(self.total_time_s), "limit_now": _num(self.limit_now)}


@dataclass(frozen=True, eq=False)
class DwellAllocation:
    """Dwell allocation before and after optimisation (same total)."""

    objective: str
    omega_eV: tuple
    exposure_before_s: tuple
    exposure_after_s: tuple
    before: float
    after: float
    assumptions: Assumptions

    def row(self) -> dict:
        """Plain-data form."""
        return {"objective": self.objective, "normalisation": self.assumptions.normalisation,
                "omega_eV": list(self.omega_eV), "exposure_before_s": list(self.exposure_before_s),
                "exposure_after_s": list(self.exposure_after_s), "before": _num(self.before),
                "after": _num(self.after)}


@dataclass(frozen=True, eq=False)
class ToyBands:
    """Expected-limit bands from SM toys (median, central 68% and 95%)."""

    coupling: str
    n_toys: int
    frame: Any
    assumptions: Assumptions


@dataclass(frozen=True, eq=False)
class FitOutcome:
    """The fit of a run file.

    Attributes
    ----------
    report : dict
        The fit report (JSON of ``renpsim fit``): parameters, deviance, intervals, comparison.
    valid : bool
        Minimiser validity.
    assumptions : Assumptions
        Oscillation preset and its source (the run file unless requested otherwise).

    """

    report: dict
    valid: bool
    assumptions: Assumptions

    @property
    def deviance(self) -> float | None:
        """Poisson deviance at the best fit."""
        return self.report.get("deviance")
