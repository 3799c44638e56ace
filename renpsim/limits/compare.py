"""Envelope of existing limits on a sensitivity's axes and the improvement RENP would bring.

Rules (docs/limits.md, "Comparison"):

- only records on the same quantity with ``bound_type = "upper"`` and a number or a curve enter;
- a single-number record applies inside its validity mass range (unbounded when not stated);
- a ``loglog`` curve is interpolated linearly in log-log inside its tabulated range and its
  validity range, never extrapolated; a ``points`` curve (values at benchmark masses only) is
  used only at those masses;
- ``include_model_dependent=False`` drops records that need a model relation (B-L, per-flavour
  assumptions, combinations made by renpsim ...);
- the improvement factor is existing / RENP (> 1: RENP would improve); where no existing limit
  applies the factor is NaN and ``covered`` is False.

Scan-step poles: a mediator whose mass puts its propagator pole on a scan step (s = m^2) gives a
limit that dips by orders of magnitude at that one mass; the depth depends on the assumed width
and on how exactly the mass sits on the pole, i.e. on the sampling. Points within ``pole_window``
(relative) of a pole mass (the sensitivity header's ``pole_masses_eV``) are therefore kept out of
the improvement factors, the improvement regions and the per-record maxima; they are listed
separately in :attr:`Comparison.pole_dips` with the width assumption and the mass resolution
needed to realise them.

CLs are not rescaled: the table reports both, use :mod:`renpsim.limits.conversions` to rescale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from renpsim.errors import InputError
from renpsim.limits.database import LimitDatabase, LimitRecord, load_database
from renpsim.limits.quantities import get_quantity
from renpsim.limits.sensitivity import Sensitivity

_POINT_RTOL = 1e-6

#: Default half-width of the pole windows, relative to the pole mass: |m/m_pole - 1| <= 0.2.
#: The limit near a pole scales as |1 - m^2/s| ~ 2|m/m_pole - 1|, so outside the window the
#: pole enhances the limit by less than a factor ~2.5 relative to the smooth curve.
DEFAULT_POLE_WINDOW = 0.2


def applicable_records(quantity: str, db: LimitDatabase | None = None,
                       include_model_dependent: bool = True,
                       kinds: Iterable[str] | None = None,
                       mu_definition: str | None = None,
                       ids: Iterable[str] | None = None,
                       mediator_mass_GeV: float | None = None) -> list[LimitRecord]:
    """Return the numeric upper-bound records usable for ``quantity`` under the given filters.

    ``mediator_mass_GeV`` (for EFT bounds, Bansal Table 1): drop records whose
    ``validity.eft_threshold_GeV`` exceeds it, since their EFT bound does not hold for a
    mediator lighter than the process's typical energy exchange.
    """
    get_quantity(quantity)
    db = db if db is not None else load_database()
    recs = db.query(quantity=quantity, kind=kinds,
                    include_model_dependent=include_model_dependent,
                    mu_definition=mu_definition)
    if ids is not None:
        wanted = set(ids)
        recs = [r for r in recs if r.id in wanted]
    if mediator_mass_GeV is not None:
        if not (isinstance(mediator_mass_GeV, int | float) and mediator_mass_GeV > 0):
            raise InputError("compare", "mediator_mass_GeV", mediator_mass_GeV, "a mass > 0")
        recs = [r for r in recs
                if r.validity.get("eft_threshold_GeV", 0.0) <= mediator_mass_GeV]
    return [r for r in recs if r.is_numeric_upper()]


def record_limit_at(record: LimitRecord, x: np.ndarray | None) -> np.ndarray:
    """Return the record's upper limit at masses ``x`` (NaN where it does not apply).

    For quantities without a mass axis pass ``x=None``; the result has one element.
    """
    if record.quantity_info.x_name is None or x is None:
        return np.array([np.nan if record.value is None else record.value])
    x = np.asarray(x, dtype=float)
    lo, hi = record.x_range
    inside = (x >= lo * (1 - 1e-12)) & (x <= hi * (1 + 1e-12))
    out = np.full(x.shape, np.nan)
    if record.value is not None:
        out[inside] = record.value
        return out
    curve = record.curve
    assert curve is not None
    cx = curve[record.quantity_info.x_name]
    cy = curve["limit"]
    if record.raw["curve"]["interpolation"] == "points":
        for xi, yi in zip(cx, cy, strict=True):
            hit = inside & np.isclose(x, xi, rtol=_POINT_RTOL, atol=0)
            out[hit] = yi
        return out
    within = inside & (x >= cx[0] * (1 - 1e-12)) & (x <= cx[-1] * (1 + 1e-12))
    out[within] = np.exp(np.interp(np.log(x[within]), np.log(cx), np.log(cy)))
    return out


@dataclass
class Envelope:
    """Strongest applicable existing limit at each x.

    Attributes
    ----------
    x : ndarray or None
    limit : ndarray
        NaN where no record applies.
    best_id : list of str or None
    records : list of LimitRecord
        The records that were considered.

    """

    x: np.ndarray | None
    limit: np.ndarray
    best_id: list[str | None]
    records: list[LimitRecord]


def envelope(records: list[LimitRecord], x: np.ndarray | None) -> Envelope:
    """Pointwise minimum of the records' upper limits (see :func:`record_limit_at`)."""
    n = 1 if x is None else len(x)
    if not records:
        return Envelope(x, np.full(n, np.nan), [None] * n, [])
    stack = np.vstack([record_limit_at(r, x) for r in records])
    best = np.full(n, np.nan)
    ids: list[str | None] = [None] * n
    for j in range(n):
        col = stack[:, j]
        ok = np.isfinite(col)
        if ok.any():
            k = int(np.nanargmin(np.where(ok, col, np.inf)))
            best[j] = col[k]
            ids[j] = records[k].id
    return Envelope(x, best, ids, records)


def _loglog_at(xs: np.ndarray, ys: np.ndarray, x: float) -> float:
    if x < xs[0] * (1 - 1e-12) or x > xs[-1] * (1 + 1e-12):
        return np.nan
    return float(np.exp(np.interp(np.log(x), np.log(xs), np.log(ys))))


@dataclass
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    sensitivity : Sensitivity
    envelope : Envelope
    factor : ndarray
        existing envelope / RENP limit at each x (> 1 means RENP improves); NaN if uncovered.
    improves : ndarray of bool
    regions : list of (float, float)
        Mass intervals [x_lo, x_hi] where RENP improves, with the ends at the log-log
        interpolated crossings when the neighbouring point does not improve (empty for
        single-number quantities).
    table : pandas.DataFrame
        One row per x: x, renp_limit, existing_limit, existing_id, existing_provenance
        (``derived`` marks renpsim combinations and extrapolations), factor, improves, covered,
        near_pole. ``improves`` is False at points near a pole (see ``pole_dips``).
    per_record : pandas.DataFrame
        One row per applicable record: id, bound_type, kind, value, cl, cl_text,
        model_dependent, provenance, source, n_overlap, max_factor, x_at_max,
        improves_somewhere (all away from poles), max_factor_at_pole, x_at_pole_max.
        Benchmark-point records are compared at their own masses (RENP interpolated log-log);
        excluded bands (not part of the envelope) by their lower edge.
    pole_dips : list of dict
        One entry per scan-step pole inside the scanned range: ``pole_mass_eV``, the deepest
        sampled point in its window (``m_eV``, ``renp_limit``), ``mass_resolution`` (the relative
        distance |m/m_pole - 1| of that point: the mediator mass must lie that close to the pole,
        and the scan frequency be set to match, for the dip to apply), ``smooth_limit`` (the
        curve interpolated log-log across the window from the points outside it),
        ``dip_depth`` (smooth / dip), ``existing_limit``, ``existing_id``, ``factor`` and
        ``width_fraction`` (the assumed Gamma/M from the sensitivity header, or None).
    pole_window : float
        Relative half-width of the pole windows.

    """

    sensitivity: Sensitivity
    envelope: Envelope
    factor: np.ndarray
    improves: np.ndarray
    regions: list[tuple[float, float]]
    table: pd.DataFrame
    per_record: pd.DataFrame
    pole_dips: list[dict] = field(default_factory=list)
    pole_window: float = DEFAULT_POLE_WINDOW

    @property
    def near_pole(self) -> np.ndarray:
        """True at the points inside a pole window."""
        return self.table["near_pole"].to_numpy(bool)

    @property
    def factor_away(self) -> np.ndarray:
        """Improvement factors with the pole-window points set to NaN."""
        return np.where(self.near_pole, np.nan, self.factor)

    @property
    def has_comparison(self) -> bool:
        """True if at least one existing limit applies at a point away from the poles."""
        return bool(np.isfinite(self.factor_away).any())

    @property
    def best_factor(self) -> float | None:
        """Largest improvement factor away from the poles (None: nothing to compare with)."""
        f = self.factor_away
        return float(np.nanmax(f)) if np.isfinite(f).any() else None

    @property
    def best(self) -> dict | None:
        """Row of :attr:`table` with the best factor away from the poles, as a dict."""
        f = self.factor_away
        if not np.isfinite(f).any():
            return None
        return _records(self.table.iloc[[int(np.nanargmax(f))]])[0]

    def verdict(self) -> str:
        """Say in one sentence: improves (best factor), does not improve, or nothing to compare."""
        if not self.has_comparison:
            return "nothing to compare with (no existing limit applies in the scanned range)"
        b = self.best
        assert b is not None
        where = (f" at {self.sensitivity.x_name} = {b[self.sensitivity.x_name or 'x']:.4g}"
                 if self.sensitivity.x is not None else "")
        ref = f"{b['existing_id']} ({b['existing_provenance']})"
        if b["factor"] > 1:
            return f"RENP improves: best factor {b['factor']:.4g}{where} against {ref}"
        return f"RENP does not improve: best factor {b['factor']:.4g}{where} against {ref}"

    def summary(self) -> dict:
        """Return a short JSON-ready account for reports (no NaN/inf).

        Verdict, best factor away from the poles, the bound it is against (with its provenance)
        and the pole dips.
        """
        b = self.best
        x = self.sensitivity.x_name or "x"
        return {
            "quantity": self.sensitivity.quantity,
            "has_comparison": self.has_comparison,
            "improves": bool(np.any(self.improves)),
            "verdict": self.verdict(),
            "best_factor": self.best_factor,
            "best_at": None if b is None else b.get(x),
            "best_id": None if b is None else b["existing_id"],
            "best_provenance": None if b is None else b["existing_provenance"],
            "regions": [list(r) for r in self.regions],
            "pole_window": self.pole_window,
            "pole_dips": [{k: _nan_to_none(v) for k, v in d.items()} for d in self.pole_dips],
        }

    def to_dict(self) -> dict:
        """JSON-ready summary (the JSON output of ``renpsim limits compare``); no NaN/inf."""
        s = self.sensitivity
        return {
            "quantity": s.quantity, "x": s.x_name, "cl": s.cl, "dof": s.dof,
            "delta_chi2": s.delta_chi2,
            "has_comparison": self.has_comparison,
            "verdict": self.verdict(),
            "regions": [list(r) for r in self.regions],
            "max_factor": self.best_factor,
            "best": self.best,
            "pole_window": self.pole_window,
            "pole_dips": [{k: _nan_to_none(v) for k, v in d.items()} for d in self.pole_dips],
            "rows": _records(self.table),
            "per_record": _records(self.per_record),
        }


def _nan_to_none(v):
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _nan_to_none(v) for k, v in row.items()} for row in df.to_dict("records")]


def _crossing(x0, f0, x1, f1) -> float:
    """Mass where log(factor) crosses 0 between two points (log-log linear)."""
    l0, l1 = np.log(f0), np.log(f1)
    t = l0 / (l0 - l1)
    return float(np.exp(np.log(x0) + t * (np.log(x1) - np.log(x0))))


def _regions(x: np.ndarray, factor: np.ndarray) -> list[tuple[float, float]]:
    imp = np.isfinite(factor) & (factor > 1)
    out = []
    n = len(x)
    j = 0
    while j < n:
        if not imp[j]:
            j += 1
            continue
        k = j
        while k + 1 < n and imp[k + 1]:
            k += 1
        lo = x[j]
        if j > 0 and np.isfinite(factor[j - 1]):
            lo = _crossing(x[j - 1], factor[j - 1], x[j], factor[j])
        hi = x[k]
        if k + 1 < n and np.isfinite(factor[k + 1]):
            hi = _crossing(x[k], factor[k], x[k + 1], factor[k + 1])
        out.append((float(lo), float(hi)))
        j = k + 1
    return out


def near_poles(x: np.ndarray, poles_eV: np.ndarray, window: float) -> np.ndarray:
    """Flag the masses within the relative ``window`` of any pole: |x/pole - 1| <= window."""
    x = np.asarray(x, dtype=float)
    if poles_eV.size == 0:
        return np.zeros(x.shape, bool)
    return np.any(np.abs(x[:, None] / poles_eV[None, :] - 1.0) <= window, axis=1)


def _pole_dips(sens: Sensitivity, env: Envelope, near: np.ndarray, poles: np.ndarray,
               window: float) -> list[dict]:
    x, lim = sens.x, sens.limit
    width = sens.meta.get("width_fraction")
    try:
        width_f = float(width) if width is not None else None
    except ValueError:
        width_f = None
    out = []
    away = ~near
    for p in poles:
        inside = np.abs(x / p - 1.0) <= window
        if not inside.any():
            continue
        k = int(np.flatnonzero(inside)[np.argmin(lim[inside])])
        smooth = (_loglog_at(x[away], lim[away], p) if away.sum() >= 2 else np.nan)
        ex = env.limit[k]
        out.append({
            "pole_mass_eV": float(p), "m_eV": float(x[k]), "renp_limit": float(lim[k]),
            "mass_resolution": float(abs(x[k] / p - 1.0)),
            "smooth_limit": float(smooth), "dip_depth": float(smooth / lim[k]),
            "existing_limit": float(ex), "existing_id": env.best_id[k],
            "factor": float(ex / lim[k]), "width_fraction": width_f,
        })
    return out


def compare(sens: Sensitivity, db: LimitDatabase | None = None,
            include_model_dependent: bool = True, kinds: Iterable[str] | None = None,
            mu_definition: str | None = None,
            mediator_mass_GeV: float | None = None,
            pole_window: float = DEFAULT_POLE_WINDOW) -> Comparison:
    """Compare a RENP sensitivity with the applicable existing limits.

    Parameters
    ----------
    sens : Sensitivity
        From :func:`~renpsim.limits.sensitivity.read_sensitivity` or
        :func:`~renpsim.limits.sensitivity.make_sensitivity`.
    db : LimitDatabase, optional
        Default: the shipped database.
    include_model_dependent : bool
        Include records flagged ``model_dependent`` (default True).
    kinds : iterable of str, optional
        Restrict to these kinds (astrophysical, cosmological, ...).
    mu_definition : str, optional
        For ``mu_nu_eff``: compare only with records of this experiment-type definition;
        default: the sensitivity header's ``mu_definition`` if present.
    mediator_mass_GeV : float, optional
        For EFT coefficients (Rayleigh operators): keep only bounds whose EFT threshold is
        below this mediator mass (Bansal Table 1, third column).
    pole_window : float
        Relative half-width of the windows around the scan-step pole masses (header
        ``pole_masses_eV``) whose points are reported separately (default 0.2).

    Returns
    -------
    Comparison

    """
    if mu_definition is None:
        mu_definition = sens.meta.get("mu_definition")
    if mu_definition is not None and sens.quantity != "mu_nu_eff":
        raise InputError("compare", "mu_definition", mu_definition,
                         "only for the quantity mu_nu_eff")
    if not (isinstance(pole_window, int | float) and 0 <= pole_window < 1):
        raise InputError("compare", "pole_window", pole_window, "a fraction in [0, 1)")
    recs = applicable_records(sens.quantity, db, include_model_dependent, kinds, mu_definition,
                              mediator_mass_GeV=mediator_mass_GeV)
    env = envelope(recs, sens.x)
    factor = env.limit / sens.limit
    poles = sens.pole_masses_eV if sens.x is not None else np.array([])
    near = (near_poles(sens.x, poles, pole_window) if sens.x is not None
            else np.zeros(1, bool))
    factor_away = np.where(near, np.nan, factor)
    improves = np.isfinite(factor_away) & (factor_away > 1)
    regions = [] if sens.x is None else _regions(sens.x, factor_away)
    xcol = sens.x_name or "x"
    prov = {r.id: r.provenance for r in recs}
    table = pd.DataFrame({
        xcol: sens.x if sens.x is not None else [np.nan],
        "renp_limit": sens.limit, "existing_limit": env.limit, "existing_id": env.best_id,
        "existing_provenance": [prov.get(i) if i else None for i in env.best_id],
        "factor": factor, "improves": improves, "covered": np.isfinite(env.limit),
        "near_pole": near,
    })
    dips = [] if sens.x is None else _pole_dips(sens, env, near, poles, pole_window)
    bands = []
    if sens.x is not None:
        the_db = db if db is not None else load_database()
        bands = [r for r in the_db.query(quantity=sens.quantity, kind=kinds,
                                         include_model_dependent=include_model_dependent)
                 if r.bound_type == "excluded_band" and r.curve is not None]
    rows = []
    for r in [*recs, *bands]:
        lim = record_limit_at(r, sens.x) if r.bound_type == "upper" else None
        if sens.x is not None and r.curve is not None and \
                r.raw["curve"]["interpolation"] == "points":
            # benchmark-mass bounds: evaluate RENP at those masses instead
            cx = r.curve[r.quantity_info.x_name]
            renp = np.array([_loglog_at(sens.x, sens.limit, xi) for xi in cx])
            lo, hi = r.x_range
            keep = (cx >= lo) & (cx <= hi)
            # for an excluded band, compare with its lower edge: how far below the band
            # RENP reaches ([physics §7.5] bands)
            edge = r.curve["limit"] if "limit" in r.curve else r.curve["lower"]
            lim, renp, xs = edge[keep], renp[keep], cx[keep]
        else:
            renp, xs = sens.limit, (sens.x if sens.x is not None else np.array([np.nan]))
        f = lim / renp
        at_pole = (near_poles(xs, poles, pole_window) if sens.x is not None
                   else np.zeros(f.shape, bool))
        ok = np.isfinite(f) & ~at_pole
        okp = np.isfinite(f) & at_pole
        k = int(np.nanargmax(np.where(ok, f, -np.inf))) if ok.any() else None
        kp = int(np.nanargmax(np.where(okp, f, -np.inf))) if okp.any() else None
        rows.append({
            "id": r.id, "bound_type": r.bound_type, "kind": r.kind, "value": r.value,
            "cl": r.cl, "cl_text": r.cl_text,
            "model_dependent": r.model_dependent, "provenance": r.provenance,
            "source": r.citation,
            "n_overlap": int(ok.sum()),
            "max_factor": float(f[k]) if k is not None else np.nan,
            "x_at_max": float(xs[k]) if k is not None else np.nan,
            "improves_somewhere": bool(ok.any() and np.nanmax(f[ok]) > 1),
            "max_factor_at_pole": float(f[kp]) if kp is not None else np.nan,
            "x_at_pole_max": float(xs[kp]) if kp is not None else np.nan,
        })
    per_record = pd.DataFrame(rows, columns=[
        "id", "bound_type", "kind", "value", "cl", "cl_text", "model_dependent", "provenance",
        "source", "n_overlap", "max_factor", "x_at_max", "improves_somewhere",
        "max_factor_at_pole", "x_at_pole_max"])
    return Comparison(sens, env, factor, improves, regions, table, per_record, dips,
                      float(pole_window))
