"""Typed, immutable results of the experiment workflows.

Every result carries an :class:`Assumptions` record (threshold convention, normalisation
treatment, coupling sign, mediator width, oscillation preset and where it came from, seed) so
that a front end can state them next to the number it renders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from renpsim.experiment.defaults import MAJORANA_PHASES, NORMALISATIONS, SIDED


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


def check_majorana_phases(majorana_phases: str) -> str:
    """Validate a Majorana-phase treatment (``"profiled"`` or ``"fixed"``) and return it."""
    from renpsim.errors import InputError

    if majorana_phases not in MAJORANA_PHASES:
        raise InputError("experiment", "majorana_phases", majorana_phases,
                         "one of " + ", ".join(MAJORANA_PHASES))
    return majorana_phases


def check_sided(sided: str) -> str:
    """Validate a limit convention (``"two"`` or ``"one"``-sided) and return it."""
    from renpsim.errors import InputError

    if sided not in SIDED:
        raise InputError("experiment", "sided", sided, "one of " + ", ".join(SIDED))
    return sided


def sign_summary(signs) -> str | None:
    """Return the one sign that gave every limit of a curve, ``"mixed"``, or None (no signs)."""
    u = sorted({str(s) for s in signs if str(s)})
    if not u:
        return None
    return u[0] if len(u) == 1 else "mixed"


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
    sided : {"two", "one"}, optional
        Limit convention of the threshold derived from CL and dof (one-sided: 2.71 at 95%,
        1 dof, for a coupling of known sign).
    limit_sign : str, optional
        The sign that gave the limit: ``"+"`` or ``"-"`` (for ``coupling_sign="both"`` the
        weaker of the two), ``"mixed"`` when it differs between the points of a curve (see
        the rows).
    majorana_phases : {"profiled", "fixed"}, optional
        Majorana hypotheses: phases alpha21, alpha31 - 2 delta fitted (multi-start on the
        torus) or kept at zero. Absent for Dirac truths of limits.
    imprinted_momentum_eV, imprinted_cos : float, optional
        Imprinted pair momentum and its cosine to the photon (absent when zero).
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
    sided: str | None = None
    limit_sign: str | None = None
    majorana_phases: str | None = None
    imprinted_momentum_eV: float | None = None
    imprinted_cos: float | None = None
    width_fraction: float | None = None
    scalar_phase: str | None = None
    seed: int | None = None
    truth: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain-data form (strict JSON)."""
        return {"oscillation": self.oscillation, "oscillation_source": self.oscillation_source,
                "normalisation": self.normalisation, "delta_chi2": _num(self.delta_chi2),
                "cl": _num(self.cl), "dof": self.dof, "coupling_sign": self.coupling_sign,
                "sided": self.sided, "limit_sign": self.limit_sign,
                "majorana_phases": self.majorana_phases,
                "imprinted_momentum_eV": _num(self.imprinted_momentum_eV),
                "imprinted_cos": _num(self.imprinted_cos),
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
        ``m_eV`` (mediator mass), ``m_lightest_eV`` or ``m4_eV`` (sterile mass).
    x, limit : tuple of float
        Grid and limit (inf where none is reached).
    status : tuple of int
        Search status per point.
    limit_sign : tuple of str
        The coupling sign that gave each limit (``"+"`` or ``"-"``; for a sign test of
        ``"both"`` the weaker one).
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
    limit_sign: tuple = ()

    def rows(self) -> list[dict]:
        """One dict per grid point (limit None where not finite).

        ``sign`` is the sign that gave the limit.
        """
        signs = self.limit_sign or ("",) * len(self.x)
        return [{self.x_name: float(x), "limit": _num(v), "sign": str(sg), "status": int(s)}
                for x, v, sg, s in zip(self.x, self.limit, signs, self.status, strict=True)]


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
        ``linear`` (Delta chi^2 proportional to exposure), ``bisection``, ``not reached``
        (the bisection's bracket, up to 1e12 times the campaign's exposure, never reaches the
        target: factor inf) or ``none``.
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
                "delta_chi2_now": _num(self.delta_chi2_now), "method": self.method,
                "majorana_phases": self.assumptions.majorana_phases}


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
