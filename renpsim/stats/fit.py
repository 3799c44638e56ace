"""Maximum-likelihood fits with iminuit.

Best fit, HESSE errors, correlations, goodness of fit, profile scans for boundary parameters
and discrete-hypothesis comparison.

* Minimiser: MIGRAD on the objective of :class:`~renpsim.stats.model.BinnedLikelihood`
  (errordef = 1, a chi^2-like deviance), followed by HESSE.
* Goodness of fit: the total objective at the minimum (Poisson deviance + constraint terms) is
  asymptotically chi^2 with ndof = n_bins (steps x channels) + n_active_constraints -
  n_floating (saturated-model test, [physics §6.1]); the p-value is reported with that caveat
  for small counts.
* Parameters on a physical boundary (m_lightest >= 0, squared couplings) are handled by
  :func:`profile_scan` (the profiled Delta chi^2 curve and the interval from it), never by MINOS
  at the boundary.
* Discrete hypotheses (NO vs IO, Dirac vs Majorana): :func:`compare_hypotheses` fits each with
  several starting values of the lightest mass (multi-start) and takes the lowest minimum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from iminuit import Minuit
from numpy.typing import ArrayLike, NDArray
from scipy import stats as _st

from renpsim.errors import InputError
from renpsim.stats.dataset import BinnedDataset
from renpsim.stats.deviance import delta_chi2_threshold
from renpsim.stats.model import BinnedLikelihood, ModelSpec

#: Default multi-start grid of the lightest mass (eV).
DEFAULT_STARTS = (0.0, 0.005, 0.02, 0.05, 0.1)


@dataclass
class FitResult:
    """Outcome of one fit.

    Attributes
    ----------
    values, errors : dict
        Best-fit values and HESSE errors (0 for fixed parameters) by name.
    roles : dict
        ``poi``, ``profiled`` or ``fixed`` for each parameter.
    correlation : numpy.ndarray
        Correlation matrix of the floating parameters (order :attr:`floating`).
    floating : list of str
        Names of the minimised parameters.
    objective : float
        Minimum of deviance + constraints.
    deviance : float
        Data part (Poisson deviance) at the minimum.
    ndof : int
        n_bins (steps x channels) + active constraints - floating parameters.
    p_value : float
        chi^2 survival function of ``objective`` with ``ndof`` (nan if ndof <= 0).
    at_limit : list of str
        Parameters whose best fit sits at (within 1e-3 sigma of) a limit.
    valid : bool
        MIGRAD's validity flag.
    nfcn : int
        Number of objective evaluations.
    hypothesis : str
        Label of the model.

    """

    values: dict
    errors: dict
    roles: dict
    correlation: NDArray[np.float64]
    floating: list
    objective: float
    deviance: float
    ndof: int
    p_value: float
    at_limit: list
    valid: bool
    nfcn: int
    hypothesis: str = ""
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (the ``renpsim fit --json`` contract)."""
        return {
            "hypothesis": self.hypothesis,
            "parameters": {n: {"value": float(self.values[n]), "error": float(self.errors[n]),
                               "role": self.roles[n]} for n in self.values},
            "deviance": float(self.deviance),
            "objective": float(self.objective),
            "ndof": int(self.ndof),
            "p_value": None if math.isnan(self.p_value) else float(self.p_value),
            "correlation": {"names": list(self.floating),
                            "matrix": np.round(self.correlation, 6).tolist()},
            "at_limit": list(self.at_limit),
            "valid": bool(self.valid),
            "nfcn": int(self.nfcn),
            "notes": list(self.notes),
        }


def _scales(lik: BinnedLikelihood) -> NDArray[np.float64]:
    """Return the internal unit of each parameter.

    Minuit works on x/scale so that every parameter is O(1) (couplings ~1e-25, Delta m^2 ~1e-5
    and frequency offsets ~1e-9 otherwise break the numerical derivatives of MIGRAD/HESSE).
    """
    out = np.ones(len(lik.names))
    for k, n in enumerate(lik.names):
        p = lik.parameters[n]
        ref = p.step or p.sigma
        if ref and ref < 1e-2:
            out[k] = ref
    return out


class _Scaled:
    """Objective in internal units u = x / scale."""

    def __init__(self, lik: BinnedLikelihood, scale: NDArray[np.float64]) -> None:
        self.lik = lik
        self.scale = scale

    def __call__(self, u):
        return self.lik(np.asarray(u, dtype=float) * self.scale)

    def internal_gradient(self, u):
        """Gradient in internal units."""
        return self.lik.gradient(np.asarray(u, dtype=float) * self.scale) * self.scale


class ScaledMinuit:
    """iminuit.Minuit on internally rescaled parameters, read back in physical units."""

    def __init__(self, lik: BinnedLikelihood, start: dict | None = None) -> None:
        self.lik = lik
        self.scale = _scales(lik)
        self._k = {n: k for k, n in enumerate(lik.names)}
        x0 = lik.vector(start)
        obj = _Scaled(lik, self.scale)
        if lik.has_gradient:
            m = Minuit(obj, x0 / self.scale, name=lik.names, grad=obj.internal_gradient)
        else:
            m = Minuit(obj, x0 / self.scale, name=lik.names)
        m.errordef = Minuit.LEAST_SQUARES
        m.print_level = 0
        m.strategy = 1
        for k, n in enumerate(lik.names):
            p = lik.parameters[n]
            sc = self.scale[k]
            m.limits[n] = (p.limits[0] / sc if p.limits[0] is not None else -np.inf,
                           p.limits[1] / sc if p.limits[1] is not None else np.inf)
            ref = p.step or p.sigma or max(abs(p.value) * 0.1, 1e-3)
            m.errors[n] = ref / sc
            m.fixed[n] = p.role == "fixed"
        self.m = m

    def value(self, name: str) -> float:
        """Return the current value of ``name`` in physical units."""
        return float(self.m.values[name]) * self.scale[self._k[name]]

    def error(self, name: str) -> float:
        """Return the current error of ``name`` in physical units."""
        return float(self.m.errors[name]) * self.scale[self._k[name]]

    def set(self, name: str, value: float, fixed: bool | None = None) -> None:
        """Set a value (physical units) and optionally fix/release it."""
        self.m.values[name] = value / self.scale[self._k[name]]
        if fixed is not None:
            self.m.fixed[name] = fixed

    def covariance(self, names: list[str]) -> NDArray[np.float64] | None:
        """Covariance of ``names`` in physical units (None without HESSE)."""
        if self.m.covariance is None:
            return None
        sc = np.array([self.scale[self._k[n]] for n in names])
        c = np.array([[self.m.covariance[a, b] for b in names] for a in names], dtype=float)
        return c * np.outer(sc, sc)

    def x(self) -> NDArray[np.float64]:
        """Full parameter vector in physical units."""
        return np.array(self.m.values, dtype=float) * self.scale


def _minuit(lik: BinnedLikelihood, start: dict | None = None) -> ScaledMinuit:
    return ScaledMinuit(lik, start)


def fit(lik: BinnedLikelihood, start: dict | None = None, *, hesse: bool = True,
        hypothesis: str = "") -> FitResult:
    """Minimise the likelihood with MIGRAD (+ HESSE) and summarise.

    Parameters
    ----------
    lik : BinnedLikelihood
        The likelihood (data, model, parameter roles).
    start : dict, optional
        Starting values by name (default: nominal).
    hesse : bool
        Run HESSE for the errors and correlations.
    hypothesis : str
        Label stored in the result.

    """
    sm = _minuit(lik, start)
    m = sm.m
    m.migrad()
    if not m.valid:
        m.migrad()
    if hesse and m.nfit > 0:   # nothing to do (and iminuit warns) when all are fixed
        m.hesse()
    x = sm.x()
    floating = lik.floating
    sub = sm.covariance(floating) if hesse else None
    if sub is not None:
        d = np.sqrt(np.clip(np.diag(sub), 1e-300, None))
        corr = sub / np.outer(d, d)
    else:
        corr = np.eye(len(floating))
    errors = {n: (sm.error(n) if lik.parameters[n].role != "fixed" else 0.0)
              for n in lik.names}
    at_limit = []
    for n in floating:
        lo, hi = lik.parameters[n].limits
        tol = 1e-3 * max(errors[n], 1e-12)
        v = sm.value(n)
        if (lo is not None and v - lo <= tol) or (hi is not None and hi - v <= tol):
            at_limit.append(n)
    dev = lik.data_deviance(x)
    obj = float(m.fval)
    ndof = lik.dataset.n_bins + lik.active_constraints() - len(floating)
    p = float(_st.chi2.sf(obj, ndof)) if ndof > 0 else float("nan")
    notes = []
    if at_limit:
        notes.append("parameters at a limit: HESSE errors are not meaningful there; use a "
                     "profile scan (renpsim.stats.fit.profile_scan)")
    return FitResult(
        values={n: sm.value(n) for n in lik.names}, errors=errors,
        roles={n: lik.parameters[n].role for n in lik.names}, correlation=corr,
        floating=floating, objective=obj, deviance=dev, ndof=int(ndof), p_value=p,
        at_limit=at_limit, valid=bool(m.valid), nfcn=int(m.nfcn), hypothesis=hypothesis,
        notes=notes,
    )


#: Starting points of the Majorana phases (alpha21, alpha31 - 2 delta) on the torus: the
#: 4 x 4 grid of multiples of pi/2 with (a, b) ~ (-a, -b) (the spectrum depends on the
#: cosines of alpha21, alpha31 - 2 delta and their difference only), 10 points.
PHASE_STARTS = tuple(
    (a * np.pi / 2, b * np.pi / 2) for a in range(4) for b in range(4)
    if (a, b) <= ((-a) % 4, (-b) % 4)
)


def _wrap_phases(lik: BinnedLikelihood, r: FitResult) -> FitResult:
    """Map fitted Majorana phases into [0, 2 pi) (the likelihood is 2 pi periodic in each)."""
    for n in lik.floating_phases:
        r.values[n] = float(np.mod(r.values[n], 2.0 * np.pi))
    return r


def fit_multistart(lik: BinnedLikelihood, starts: Iterable[float] = DEFAULT_STARTS,
                   hypothesis: str = "",
                   phase_starts: Iterable[tuple[float, float]] = PHASE_STARTS) -> FitResult:
    """Fit from several starting values and keep the lowest minimum.

    The lightest mass is seeded at ``starts`` (a fixed ``m_lightest_eV`` is not re-seeded).
    When the Majorana phases float (a Majorana model with profiled phases) the likelihood is
    periodic and multimodal in them: the best lightest-mass start is then re-fitted from each
    point of ``phase_starts`` (alpha21, alpha31 - 2 delta) on the torus. Fitted phases are
    reported in [0, 2 pi).
    """
    phases = lik.floating_phases
    m_free = lik.parameters["m_lightest_eV"].role != "fixed"
    if not m_free and not phases:
        return fit(lik, hypothesis=hypothesis)
    best = None
    seeds = [{"m_lightest_eV": m0} for m0 in starts] if m_free else [{}]
    for seed in seeds:
        r = fit(lik, seed, hesse=False, hypothesis=hypothesis)
        if best is None or r.objective < best[0].objective - 1e-9:
            best = (r, seed)
    notes = [f"multi-start over m_lightest_eV = {list(starts)}; best from {best[1]}"] \
        if m_free else []
    if phases:
        phase_starts = list(phase_starts)
        base = {n: v for n, v in best[0].values.items() if lik.parameters[n].role != "fixed"}
        for a, b in phase_starts:
            seed = dict(base, **dict(zip(("alpha21", "alpha31_minus_2delta"), (a, b),
                                         strict=True)))
            seed = {k: v for k, v in seed.items() if k in base}
            r = fit(lik, seed, hesse=False, hypothesis=hypothesis)
            if r.objective < best[0].objective - 1e-12:
                best = (r, {k: seed[k] for k in phases})
        notes.append(f"multi-start over the Majorana phases {phases} from "
                     f"{len(phase_starts)} points of the torus; best from {best[1]}")
    final = fit(lik, {n: v for n, v in best[0].values.items() if lik.parameters[n].role != "fixed"},
                hypothesis=hypothesis)
    final.notes.extend(notes)
    return _wrap_phases(lik, final if final.objective <= best[0].objective + 1e-6 else best[0])


@dataclass
class ProfileScan:
    """Profiled Delta chi^2 curve of one parameter.

    Attributes
    ----------
    name : str
        Scanned parameter.
    grid : numpy.ndarray
        Scanned values.
    objective : numpy.ndarray
        Profiled minimum at each grid value.
    delta_chi2 : numpy.ndarray
        objective - global minimum.
    best : float
        Global best-fit value.

    """

    name: str
    grid: NDArray[np.float64]
    objective: NDArray[np.float64]
    delta_chi2: NDArray[np.float64]
    best: float

    def interval(self, threshold: float) -> tuple[float, float]:
        """Interval {Delta chi^2 <= threshold} by linear interpolation on the grid.

        At a physical boundary the interval simply starts at the boundary (e.g. an upper limit
        on the lightest mass when the best fit is 0).
        """
        ok = self.delta_chi2 <= threshold
        if not np.any(ok):
            return (float("nan"), float("nan"))
        k0 = int(np.argmax(ok))
        k1 = len(ok) - 1 - int(np.argmax(ok[::-1]))
        g, d = self.grid, self.delta_chi2

        def cross(a, b):
            if d[a] == d[b]:
                return float(g[a])
            return float(g[a] + (threshold - d[a]) * (g[b] - g[a]) / (d[b] - d[a]))

        lo = float(g[0]) if k0 == 0 else cross(k0 - 1, k0)
        hi = float(g[-1]) if k1 == len(g) - 1 else cross(k1, k1 + 1)
        return lo, hi


def profile_scan(lik: BinnedLikelihood, name: str, grid: ArrayLike,
                 best: FitResult | None = None) -> ProfileScan:
    """Profile the objective over ``grid`` values of ``name`` (the others re-minimised).

    This is how boundary parameters are treated (m_lightest_eV >= 0, couplings): the curve and
    :meth:`ProfileScan.interval` replace MINOS.
    """
    if name not in lik.parameters:
        raise InputError("profile", "parameter", name, "one of " + ", ".join(lik.names))
    g = np.asarray(grid, dtype=float)
    if best is None:
        best = fit_multistart(lik)
    sm = _minuit(lik, {n: v for n, v in best.values.items()})
    out = np.empty(g.size)
    for k, v in enumerate(g):
        sm.set(name, v, fixed=True)
        sm.m.migrad()
        out[k] = sm.m.fval
    gmin = min(best.objective, float(out.min()))
    return ProfileScan(name=name, grid=g, objective=out, delta_chi2=out - gmin,
                       best=float(best.values[name]))


@dataclass
class HypothesisComparison:
    """Difference of profiled minima between discrete hypotheses.

    Attributes
    ----------
    fits : dict
        label -> FitResult (each the best of a multi-start).
    delta_chi2 : dict
        label -> objective - lowest objective.
    preferred : str
        Label with the lowest minimum.

    """

    fits: dict
    delta_chi2: dict
    preferred: str

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {"preferred": self.preferred,
                "delta_chi2": {k: float(v) for k, v in self.delta_chi2.items()},
                "fits": {k: f.to_dict() for k, f in self.fits.items()}}


def compare_hypotheses(dataset: BinnedDataset, models: dict[str, ModelSpec], *,
                       starts: Sequence[float] = DEFAULT_STARTS, **lik_kw) -> HypothesisComparison:
    """Fit each hypothesis with multi-start seeding and compare the profiled minima.

    Parameters
    ----------
    dataset : BinnedDataset
        The data.
    models : dict
        label -> ModelSpec, e.g. ``{"NO": ModelSpec("NO"), "IO": ModelSpec("IO")}``.
    starts : sequence of float
        Starting lightest masses (eV).
    **lik_kw
        Passed to :class:`BinnedLikelihood` (free, fixed, profile, oscillation_constraints).

    """
    if len(models) < 2:
        raise InputError("compare", "models", list(models), "at least two hypotheses")
    fits = {label: fit_multistart(BinnedLikelihood(dataset, spec, **lik_kw), starts, label)
            for label, spec in models.items()}
    low = min(f.objective for f in fits.values())
    delta = {k: f.objective - low for k, f in fits.items()}
    return HypothesisComparison(fits=fits, delta_chi2=delta, preferred=min(delta, key=delta.get))


def mass_ordering_models(nature: str = "dirac") -> dict[str, ModelSpec]:
    """``{"NO": ..., "IO": ...}`` for :func:`compare_hypotheses`."""
    return {o: ModelSpec(ordering=o, nature=nature) for o in ("NO", "IO")}


def nature_models(ordering: str = "NO") -> dict[str, ModelSpec]:
    """``{"dirac": ..., "majorana": ...}`` for :func:`compare_hypotheses`."""
    return {n: ModelSpec(ordering=ordering, nature=n) for n in ("dirac", "majorana")}


def with_model(lik: BinnedLikelihood, **changes) -> BinnedLikelihood:
    """Copy of a likelihood with some :class:`ModelSpec` fields changed."""
    return BinnedLikelihood(lik.dataset, replace(lik.model, **changes), free=lik.free,
                            fixed=dict(lik.fixed), profile=lik.profile,
                            oscillation_constraints=lik.oscillation_constraints)


__all__ = ["FitResult", "HypothesisComparison", "ProfileScan", "compare_hypotheses",
           "delta_chi2_threshold", "fit", "fit_multistart", "mass_ordering_models",
           "nature_models", "profile_scan", "with_model"]
