"""The sensitivity CSV format shared with the sensitivity engine (``renpsim-sensitivity v1``).

Format (docs/limits.md):

```
# renpsim-sensitivity v1
# quantity: vector_ge_gnu
# x: m_eV
# cl: 0.95
# dof: 1
# delta_chi2: 3.841
# label: Yb, NO, m1 = 0.01 eV, 2.3 d          (optional; any other "key: value" lines too)
m_eV,limit
0.001,1.2e-26
...
```

The first line is the magic line. Then ``# key: value`` lines; ``quantity``, ``x``, ``cl``,
``dof`` and ``delta_chi2`` are required. ``x`` is the x-axis column name of the quantity
(``m_eV``) or ``none`` for single-number quantities (then the header is ``limit`` and there is
one data row). The x column is strictly increasing and positive; ``limit`` is positive. An
empty ``limit`` cell means "no sensitivity at this mass" (the row is skipped; ``nan``/``inf`` are
errors). Further columns after ``limit`` (the toy bands ``toy_median``, ``toy_lo68`` ...) are kept
in :attr:`Sensitivity.extra`. The optional header key ``pole_masses_eV`` (space-separated masses)
names the mediator masses whose propagator pole falls on a scan step; :func:`compare
<renpsim.limits.compare.compare>` reports improvement factors away from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from renpsim.errors import DataFileError, InputError
from renpsim.limits.quantities import QUANTITIES


@dataclass
class Sensitivity:
    """A RENP sensitivity curve (or single number) on one registry quantity.

    Attributes
    ----------
    quantity : str
        Registry id.
    x_name : str or None
        X-axis name (``"m_eV"``) or None for a single number.
    x : ndarray or None
        Mass axis (eV), strictly increasing.
    limit : ndarray
        Projected upper limit at each x (one element when ``x`` is None).
    cl, dof, delta_chi2 : float, int, float
        Statistical convention of the projection ([physics §6.2]).
    meta : dict
        All header key/values (strings), including the required ones.

    """

    quantity: str
    x_name: str | None
    x: np.ndarray | None
    limit: np.ndarray
    cl: float
    dof: int
    delta_chi2: float
    meta: dict[str, str] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def pole_masses_eV(self) -> np.ndarray:
        """Mediator masses whose pole lies on a scan step (header ``pole_masses_eV``), eV."""
        return parse_masses(self.meta.get("pole_masses_eV", ""), "sensitivity",
                            "pole_masses_eV")

    @property
    def label(self) -> str:
        """Legend label (``label`` header, else ``renpsim``)."""
        return self.meta.get("label", "renpsim (RENP)")


def parse_masses(text: str, where: str, key: str) -> np.ndarray:
    """Parse space- (or comma-) separated positive finite masses in eV.

    Raises
    ------
    DataFileError
        Naming ``where`` and ``key`` if a value is not a positive finite number.

    """
    try:
        vals = np.array([float(t) for t in text.replace(",", " ").split()], dtype=float)
    except ValueError:
        raise DataFileError(where, key, f"{text!r}: expected masses in eV separated by "
                                        "spaces") from None
    if not np.all(np.isfinite(vals) & (vals > 0)):
        raise DataFileError(where, key, f"{text!r}: expected positive finite masses in eV")
    return vals


def make_sensitivity(quantity: str, x, limit, cl: float = 0.95, dof: int = 1,
                     delta_chi2: float | None = None, **meta: str) -> Sensitivity:
    """Build a checked :class:`Sensitivity` from arrays (x=None for single-number quantities).

    ``delta_chi2`` defaults to the Wilks threshold for ``cl`` and ``dof`` ([physics §6.2]).
    """
    from renpsim.limits.conversions import delta_chi2_threshold

    if quantity not in QUANTITIES:
        raise InputError("sensitivity", "quantity", quantity,
                         "one of " + ", ".join(sorted(QUANTITIES)))
    q = QUANTITIES[quantity]
    lim = np.atleast_1d(np.asarray(limit, dtype=float))
    if q.x_name is None:
        if x is not None:
            raise InputError("sensitivity", "x", x, f"None: {quantity} has no mass axis")
        if lim.size != 1:
            raise InputError("sensitivity", "limit", limit, "a single number")
        xs = None
    else:
        if x is None:
            raise InputError("sensitivity", "x", None, f"the {q.x_name} axis of {quantity}")
        xs = np.atleast_1d(np.asarray(x, dtype=float))
        if xs.shape != lim.shape or xs.ndim != 1:
            raise InputError("sensitivity", "x", xs.shape, f"the shape of limit {lim.shape}")
        if not np.all(np.isfinite(xs)) or np.any(xs <= 0) or np.any(np.diff(xs) <= 0):
            raise InputError("sensitivity", "x", "...",
                             "finite, positive, strictly increasing masses")
    if not np.all(np.isfinite(lim)) or np.any(lim <= 0):
        raise InputError("sensitivity", "limit", "...", "finite positive limits")
    if delta_chi2 is None:
        delta_chi2 = delta_chi2_threshold(cl, dof)
    return Sensitivity(quantity, q.x_name, xs, lim, float(cl), int(dof), float(delta_chi2),
                       {k: str(v) for k, v in meta.items()})


def _table(sens: Sensitivity):
    """Return the :class:`~renpsim.stats.output.SensitivityTable` of a :class:`Sensitivity`."""
    import pandas as pd

    from renpsim.stats.output import REQUIRED_KEYS, SensitivityTable

    x = sens.x_name or "none"
    cols = {} if sens.x is None else {x: np.asarray(sens.x, float)}
    cols["limit"] = np.asarray(sens.limit, float)
    cols.update({k: np.asarray(v, float) for k, v in sens.extra.items()})
    meta = {k: v for k, v in sens.meta.items()
            if k not in (*REQUIRED_KEYS, "lineage", "renpsim_version")}
    return SensitivityTable(sens.quantity, x, pd.DataFrame(cols), sens.cl, sens.dof,
                            sens.delta_chi2, sens.meta.get("lineage", ""), meta)


def write_sensitivity(path: str | Path, sens: Sensitivity) -> None:
    """Write a sensitivity file atomically, through the one writer of the format.

    :func:`renpsim.stats.output.write_csv`; numbers are written exactly.
    """
    from renpsim.stats.output import write_csv

    write_csv(_table(sens), path)


def read_sensitivity(path: str | Path) -> Sensitivity:
    """Read and check a ``renpsim-sensitivity v1`` file for the limits comparison.

    The file is read by the one reader of the format (:func:`renpsim.stats.output.read_csv`,
    which checks the header and the cells); this adds what the comparison needs: a quantity of
    the registry with its mass axis, finite positive values, strictly increasing masses; rows
    with an empty ``limit`` cell (no sensitivity at that mass) are left out.

    Raises
    ------
    DataFileError
        Naming the file and the header key, column or line at fault.

    """
    from renpsim.stats.output import TEXT_COLUMNS, read_csv

    spath = str(path)
    table = read_csv(path)
    qid = table.quantity
    if qid not in QUANTITIES:
        raise DataFileError(spath, "quantity",
                            f"{qid!r} is not a known quantity ({', '.join(sorted(QUANTITIES))})")
    q = QUANTITIES[qid]
    x_name = None if table.x == "none" else table.x
    if x_name != q.x_name:
        raise DataFileError(spath, "x", f"{table.x!r}: quantity {qid} uses {q.x_name or 'none'}")
    parse_masses(table.meta.get("pole_masses_eV", ""), spath, "pole_masses_eV")
    frame = table.frame
    lines = np.asarray(frame.attrs.get("line", []), dtype=int)
    keep = np.isfinite(frame["limit"].to_numpy(float))
    frame, lines = frame[keep], lines[keep]
    if frame.empty:
        raise DataFileError(spath, "-", "no data rows")
    numeric = [c for c in frame.columns if c not in TEXT_COLUMNS]
    for col in numeric:
        v = frame[col].to_numpy(float)
        core = col in ("limit", x_name)
        bad = np.flatnonzero(~(v > 0) & (core | np.isfinite(v)))
        if bad.size:
            raise DataFileError(spath, f"{col} (line {lines[bad[0]]})",
                                f"{v[bad[0]]!r}: expected a finite positive number")
    meta = {"quantity": qid, "x": table.x, "cl": repr(table.cl), "dof": str(table.dof),
            "delta_chi2": repr(table.delta_chi2), **table.meta}
    if table.lineage:
        meta["lineage"] = table.lineage
    extra = {c: frame[c].to_numpy(float) for c in numeric if c not in ("limit", x_name)}
    limit = frame["limit"].to_numpy(float)
    if x_name is None:
        if len(frame) != 1:
            raise DataFileError(spath, "limit", f"{len(frame)} rows: a single-number quantity "
                                                "has exactly one row")
        return Sensitivity(qid, None, None, limit, table.cl, table.dof, table.delta_chi2, meta,
                           extra)
    x = frame[x_name].to_numpy(float)
    bad = np.flatnonzero(np.diff(x) <= 0)
    if bad.size:
        raise DataFileError(spath, f"{x_name} (line {lines[bad[0] + 1]})",
                            "mass axis is not strictly increasing")
    return Sensitivity(qid, x_name, x, limit, table.cl, table.dof, table.delta_chi2, meta, extra)
