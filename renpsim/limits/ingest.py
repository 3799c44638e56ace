"""Turn a published B-L limit table into a curve file of the limits database.

The published light-vector curves (stellar cooling, fifth-force and equivalence-principle tests,
neutrino-electron scattering) bound the U(1)_{B-L} gauge coupling g_{B-L} against the boson
mass. RENP's axis is the product |g^e g^nu|; in the B-L model both couplings equal g_{B-L}
(:func:`renpsim.limits.conversions.bl_to_product`, [GP21] Sec. IV), so the database stores
g_{B-L}^2. This module reads the two table layouts the sources come in (whitespace-separated
``mass value`` rows with ``#`` comments, in eV as in C. O'Hare's AxionLimits compilation or in
GeV as in the DarkCast ``.lmt`` tables), applies the conversion and writes the database's curve
CSV (``m_eV,limit``, strictly increasing mass). It is the one place where that conversion is
applied to a table; the record states it in its ``[derivation]`` table.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from renpsim._atomic import atomic_write_text
from renpsim.errors import DataFileError
from renpsim.limits.conversions import bl_to_product

#: Mass units of the source tables and their value in eV.
MASS_UNITS_EV = {"eV": 1.0, "GeV": 1e9}


def read_source_table(text: str, where: str = "source table") -> tuple[np.ndarray, np.ndarray]:
    """Parse ``mass value`` rows (whitespace separated; ``#`` comments, blank lines, CRLF).

    Returns the two columns in file order.

    Raises
    ------
    DataFileError
        If a row does not hold two finite positive numbers.

    """
    xs, ys = [], []
    for n, line in enumerate(io.StringIO(text, newline=None).read().splitlines(), start=1):
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        cells = body.split()
        if len(cells) != 2:
            raise DataFileError(where, f"line {n}", f"{len(cells)} fields, expected 2")
        try:
            x, y = float(cells[0]), float(cells[1])
        except ValueError:
            raise DataFileError(where, f"line {n}", f"{body!r} is not two numbers") from None
        if not (math.isfinite(x) and math.isfinite(y) and x > 0 and y > 0):
            raise DataFileError(where, f"line {n}", f"{body!r}: expected positive numbers")
        xs.append(x)
        ys.append(y)
    if not xs:
        raise DataFileError(where, "-", "no data rows")
    return np.array(xs), np.array(ys)


def bl_product_curve(mass: np.ndarray, g_bl: np.ndarray, mass_unit: str = "eV",
                     x_min_eV: float = 0.0, x_max_eV: float = math.inf,
                     y_max: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
    """Convert a g_{B-L} table to (m_eV, g^e g^nu = g_{B-L}^2), mass increasing.

    Parameters
    ----------
    mass, g_bl : array
        The source columns (any order of mass).
    mass_unit : {"eV", "GeV"}
        Unit of the source's mass column.
    x_min_eV, x_max_eV : float
        Keep only rows with x_min_eV < m < x_max_eV (drops plotting anchors such as the
        1e-30 eV rows of the compilation).
    y_max : float
        Keep only rows with g_{B-L} < y_max (drops closing points of a filled region).

    Returns
    -------
    (ndarray, ndarray)
        Strictly increasing masses in eV and the product bound. Where the source repeats a mass
        (a vertical step of a digitised curve) the first row is kept.

    """
    m = np.asarray(mass, float) * MASS_UNITS_EV[mass_unit]
    g = np.asarray(g_bl, float)
    keep = (m > x_min_eV) & (m < x_max_eV) & (g < y_max)
    m, g = m[keep], g[keep]
    order = np.argsort(m, kind="stable")
    m, g = m[order], g[order]
    first = np.concatenate([[True], np.diff(m) > 0])
    return m[first], bl_to_product(g[first])


def curve_csv(x_eV: np.ndarray, limit: np.ndarray) -> str:
    """Text of a database curve file (``m_eV,limit``; shortest round-trip floats)."""
    lines = ["m_eV,limit"]
    lines += [f"{float(a)!r},{float(b)!r}" for a, b in zip(x_eV, limit, strict=True)]
    return "\n".join(lines) + "\n"


def write_curve(path: str | Path, x_eV: np.ndarray, limit: np.ndarray) -> None:
    """Write a database curve file atomically."""
    atomic_write_text(Path(path), curve_csv(x_eV, limit))
