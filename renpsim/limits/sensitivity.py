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

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from renpsim._atomic import atomic_write_text
from renpsim.errors import DataFileError, InputError
from renpsim.limits.quantities import QUANTITIES

MAGIC = "# renpsim-sensitivity v1"
REQUIRED_KEYS = ("quantity", "x", "cl", "dof", "delta_chi2")


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



#: Text columns of sensitivity tables (not numbers): ``limit_sign``, the coupling sign that gave
#: each limit ("+" or "-").
TEXT_COLUMNS = ("limit_sign",)

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


def write_sensitivity(path: str | Path, sens: Sensitivity) -> None:
    """Write a sensitivity file atomically (temporary file then rename)."""
    path = Path(path)
    buf = io.StringIO()
    buf.write(MAGIC + "\n")
    head = {"quantity": sens.quantity, "x": sens.x_name or "none", "cl": repr(sens.cl),
            "dof": str(sens.dof), "delta_chi2": repr(sens.delta_chi2)}
    for k, v in {**head, **{k: v for k, v in sens.meta.items() if k not in head}}.items():
        buf.write(f"# {k}: {' '.join(str(v).split())}\n")
    if sens.x is None:
        buf.write("limit\n")
        buf.write(f"{float(sens.limit[0])!r}\n")
    else:
        buf.write(f"{sens.x_name},limit\n")
        for xv, lv in zip(sens.x, sens.limit, strict=True):
            buf.write(f"{float(xv)!r},{float(lv)!r}\n")
    atomic_write_text(path, buf.getvalue())


def read_sensitivity(path: str | Path) -> Sensitivity:
    """Read and check a ``renpsim-sensitivity v1`` file.

    Raises
    ------
    DataFileError
        Naming the file and the header key, column or line at fault.

    """
    spath = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise DataFileError(spath, "-", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DataFileError(spath, "-", "not a text file") from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != MAGIC:
        raise DataFileError(spath, "line 1", f"expected the magic line {MAGIC!r}")
    meta: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].startswith("#"):
        body = lines[i][1:].strip()
        if body:
            if ":" not in body:
                raise DataFileError(spath, f"line {i + 1}",
                                    f"{lines[i]!r}: expected '# key: value'")
            k, v = body.split(":", 1)
            meta[k.strip()] = v.strip()
        i += 1
    parse_masses(meta.get("pole_masses_eV", ""), spath, "pole_masses_eV")
    for key in REQUIRED_KEYS:
        if key not in meta:
            raise DataFileError(spath, key, "required header key is missing")
    qid = meta["quantity"]
    if qid not in QUANTITIES:
        raise DataFileError(spath, "quantity",
                            f"{qid!r} is not a known quantity ({', '.join(sorted(QUANTITIES))})")
    q = QUANTITIES[qid]
    x_name = None if meta["x"] == "none" else meta["x"]
    if x_name != q.x_name:
        raise DataFileError(spath, "x", f"{meta['x']!r}: quantity {qid} uses "
                                        f"{q.x_name or 'none'}")
    try:
        cl = float(meta["cl"])
    except ValueError:
        raise DataFileError(spath, "cl", f"{meta['cl']!r} is not a number") from None
    if not 0 < cl < 1:
        raise DataFileError(spath, "cl", f"{cl!r}: expected a fraction in (0, 1)")
    try:
        dof = int(meta["dof"])
    except ValueError:
        raise DataFileError(spath, "dof", f"{meta['dof']!r} is not an integer") from None
    if dof < 1:
        raise DataFileError(spath, "dof", f"{dof}: expected >= 1")
    try:
        dchi2 = float(meta["delta_chi2"])
    except ValueError:
        raise DataFileError(spath, "delta_chi2",
                            f"{meta['delta_chi2']!r} is not a number") from None
    if not (math.isfinite(dchi2) and dchi2 > 0):
        raise DataFileError(spath, "delta_chi2", f"{dchi2!r}: expected > 0")

    rows = [r for r in csv.reader(io.StringIO("\n".join(lines[i:]))) if r]
    expected = ["limit"] if x_name is None else [x_name, "limit"]
    names = [c.strip() for c in rows[0]] if rows else []
    if not rows or names[:len(expected)] != expected or len(set(names)) != len(names):
        raise DataFileError(spath, "header", f"{rows[0] if rows else 'nothing'!r}: expected "
                                             f"{','.join(expected)}")
    n_core = len(expected)
    data, extra_rows, line_of = [], [], []
    for n, row in enumerate(rows[1:], start=i + 2):
        if len(row) != len(names):
            raise DataFileError(spath, f"line {n}",
                                f"{len(row)} fields, expected {len(names)}")
        if not row[n_core - 1].strip():
            continue  # empty limit cell: no sensitivity at this mass
        vals = []
        for name, cell in zip(names, row, strict=True):
            if name in TEXT_COLUMNS:  # the sign that gave the limit: text, not a number
                if cell.strip() not in ("+", "-", ""):
                    raise DataFileError(spath, f"{name} (line {n})",
                                        f"{cell!r}: expected '+' or '-'")
                continue
            if name not in expected and not cell.strip():
                vals.append(np.nan)  # absent extra value (e.g. a toy band that failed)
                continue
            try:
                v = float(cell)
            except ValueError:
                raise DataFileError(spath, f"{name} (line {n})",
                                    f"{cell!r} is not a number") from None
            if not math.isfinite(v) or v <= 0:
                raise DataFileError(spath, f"{name} (line {n})",
                                    f"{cell!r}: expected a finite positive number")
            vals.append(v)
        data.append(vals[:n_core])
        extra_rows.append(vals[n_core:])
        line_of.append(n)
    if not data:
        raise DataFileError(spath, "-", "no data rows")
    arr = np.asarray(data)
    extra = {name: np.asarray([r[k] for r in extra_rows], dtype=float)
             for k, name in enumerate(c for c in names[n_core:] if c not in TEXT_COLUMNS)}
    if x_name is None:
        if len(arr) != 1:
            raise DataFileError(spath, "limit", f"{len(arr)} rows: a single-number quantity "
                                                "has exactly one row")
        return Sensitivity(qid, None, None, arr[:, 0], cl, dof, dchi2, meta, extra)
    x = arr[:, 0]
    bad = np.nonzero(np.diff(x) <= 0)[0]
    if bad.size:
        raise DataFileError(spath, f"{x_name} (line {line_of[bad[0] + 1]})",
                            "mass axis is not strictly increasing")
    return Sensitivity(qid, x_name, x, arr[:, 1], cl, dof, dchi2, meta, extra)
