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

CLs are not rescaled: the table reports both, use :mod:`renpsim.limits.conversions` to rescale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from renpsim.errors import InputError
from renpsim.limits.database import LimitDatabase, LimitRecord, load_database
from renpsim.limits.quantities import get_quantity
from renpsim.limits.sensitivity import Sensitivity

_POINT_RTOL = 1e-6


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
        One row per x: x, renp_limit, existing_limit, existing_id, factor, improves, covered.
    per_record : pandas.DataFrame
        One row per applicable record: id, bound_type, kind, value, cl, cl_text,
        model_dependent, source, n_overlap, max_factor, x_at_max, improves_somewhere.
        Benchmark-point records are compared at their own masses (RENP interpolated log-log);
        excluded bands (not part of the envelope) by their lower edge.

    """

    sensitivity: Sensitivity
    envelope: Envelope
    factor: np.ndarray
    improves: np.ndarray
    regions: list[tuple[float, float]]
    table: pd.DataFrame
    per_record: pd.DataFrame

    def to_dict(self) -> dict:
        """JSON-ready summary (used by ``renpsim limits compare --json``)."""
        s = self.sensitivity
        return {
            "quantity": s.quantity, "x": s.x_name, "cl": s.cl, "dof": s.dof,
            "delta_chi2": s.delta_chi2,
            "regions": [list(r) for r in self.regions],
            "max_factor": _nan_to_none(np.nanmax(self.factor)) if np.isfinite(self.factor).any()
            else None,
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


def compare(sens: Sensitivity, db: LimitDatabase | None = None,
            include_model_dependent: bool = True, kinds: Iterable[str] | None = None,
            mu_definition: str | None = None,
            mediator_mass_GeV: float | None = None) -> Comparison:
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

    Returns
    -------
    Comparison

    """
    if mu_definition is None:
        mu_definition = sens.meta.get("mu_definition")
    if mu_definition is not None and sens.quantity != "mu_nu_eff":
        raise InputError("compare", "mu_definition", mu_definition,
                         "only for the quantity mu_nu_eff")
    recs = applicable_records(sens.quantity, db, include_model_dependent, kinds, mu_definition,
                              mediator_mass_GeV=mediator_mass_GeV)
    env = envelope(recs, sens.x)
    factor = env.limit / sens.limit
    improves = np.isfinite(factor) & (factor > 1)
    regions = [] if sens.x is None else _regions(sens.x, factor)
    xcol = sens.x_name or "x"
    table = pd.DataFrame({
        xcol: sens.x if sens.x is not None else [np.nan],
        "renp_limit": sens.limit, "existing_limit": env.limit, "existing_id": env.best_id,
        "factor": factor, "improves": improves, "covered": np.isfinite(env.limit),
    })
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
        ok = np.isfinite(f)
        k = int(np.nanargmax(np.where(ok, f, -np.inf))) if ok.any() else None
        rows.append({
            "id": r.id, "bound_type": r.bound_type, "kind": r.kind, "value": r.value,
            "cl": r.cl, "cl_text": r.cl_text,
            "model_dependent": r.model_dependent, "source": r.citation,
            "n_overlap": int(ok.sum()),
            "max_factor": float(f[k]) if k is not None else np.nan,
            "x_at_max": float(xs[k]) if k is not None else np.nan,
            "improves_somewhere": bool(ok.any() and np.nanmax(f[ok]) > 1),
        })
    per_record = pd.DataFrame(rows, columns=[
        "id", "bound_type", "kind", "value", "cl", "cl_text", "model_dependent", "source",
        "n_overlap",
        "max_factor", "x_at_max", "improves_somewhere"])
    return Comparison(sens, env, factor, improves, regions, table, per_record)
