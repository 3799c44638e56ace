"""Sensitivity tables: pandas, CSV (``# renpsim-sensitivity v1`` header), HDF5 and plots.

CSV format::

    # renpsim-sensitivity v1
    # quantity: vector_ge_gnu
    # x: m_eV
    # cl: 0.95
    # dof: 2
    # delta_chi2: 5.99
    # lineage: <sha256 of the inputs and the renpsim version>
    # <further key: value lines, e.g. sign_tested: both, sided: two>
    m_eV,limit,limit_sign
    0.001,4.58e-26,-
    ...

``limit_sign`` ("+" or "-") is the coupling sign that gave the limit (for ``sign_tested: both``
the weaker of the two); tables without it (older files) have the first two columns only.
A single-number quantity has ``# x: none`` and the one column ``limit`` (one row). Numbers are
written in their shortest exact form; ``lineage`` is present in tables renpsim computed.
This module holds the one reader (:func:`read_csv`) and the one writer (:func:`write_csv`) of
the format; the limits database's ``read_sensitivity``/``write_sensitivity`` go through them.

HDF5: one group per table with datasets ``x``, ``limit`` (``units`` attributes) and
``limit_sign`` (when known) and the header keys as attributes. Both writers go through a
temporary file and an atomic rename, so a failed write never leaves a corrupt file under the
final name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from renpsim import __version__
from renpsim._atomic import atomic_write
from renpsim.errors import DataFileError, InputError

FORMAT_LINE = "# renpsim-sensitivity v1"

#: Quantity ids by coupling family.
QUANTITY_OF = {"gL": "vector_ge_gnu", "gR": "vector_ge_gnu", "yS": "scalar_ye_ynu",
               "yP": "scalar_ye_ynu", "mu": "dipole_mu", "eps": "dipole_mu"}


def lineage_hash(inputs: dict) -> str:
    """SHA-256 of the JSON-serialised inputs plus the renpsim version (first 16 hex digits)."""
    blob = json.dumps({"inputs": inputs, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class SensitivityTable:
    """A sensitivity curve with its metadata.

    Attributes
    ----------
    quantity : str
        ``vector_ge_gnu``, ``scalar_ye_ynu`` or ``dipole_mu``.
    x : str
        Name of the abscissa column (``m_eV`` or ``m_lightest_eV``).
    frame : pandas.DataFrame
        Columns ``x`` and ``limit`` (plus optional extras).
    cl, dof, delta_chi2 : float, int, float
        Statistical convention (stated in every output).
    lineage : str
        Hash of the inputs and version.
    meta : dict
        Further header items (coupling, campaign, ...).

    """

    quantity: str
    x: str
    frame: pd.DataFrame
    cl: float
    dof: int
    delta_chi2: float
    lineage: str
    meta: dict = field(default_factory=dict)

    def header(self) -> dict:
        """Header items in output order."""
        h = {"quantity": self.quantity, "x": self.x, "cl": repr(float(self.cl)),
             "dof": int(self.dof), "delta_chi2": repr(float(self.delta_chi2))}
        if self.lineage:
            h["lineage"] = self.lineage
        h["renpsim_version"] = __version__
        h.update({k: v for k, v in self.meta.items() if k not in h})
        return h


#: Toy expected-limit band columns (median, 68% and 95% central bands), written after ``limit``
#: when toys were run.
BAND_COLUMNS = ("toy_median", "toy_lo68", "toy_hi68", "toy_lo95", "toy_hi95")


def table_columns(table: SensitivityTable) -> list[str]:
    """Columns written to files: the abscissa, ``limit``, ``limit_sign`` and the toy bands.

    ``limit_sign`` and the bands only when the frame has them.
    """
    sign = ["limit_sign"] if "limit_sign" in table.frame.columns else []
    x = [] if table.x == "none" else [table.x]
    return [*x, "limit", *sign, *(c for c in BAND_COLUMNS if c in table.frame.columns)]


def pole_header(omega_eV, E_eg_eV: float) -> dict:
    """Header item ``pole_masses_eV``: mediator masses whose pole lies on a scan step.

    The propagator pole is at s = m^2 with s = E_eg (E_eg - 2 omega) [physics §4.1]; the
    comparison with existing limits reports the dips at these masses separately.
    """
    from renpsim.physics.kinematics import pole_mass

    poles = np.unique(pole_mass(np.unique(np.asarray(omega_eV, float)), E_eg_eV))
    poles = poles[np.isfinite(poles) & (poles > 0)]
    return {"pole_masses_eV": format_masses(poles)}


def format_masses(values) -> str:
    """Header text of a list of masses in eV (space-separated, 10 significant digits)."""
    return " ".join(f"{float(v):.10g}" for v in np.atleast_1d(np.asarray(values, float)))


def with_bands(table: SensitivityTable, bands: pd.DataFrame, **meta) -> SensitivityTable:
    """Return ``table`` with the toy band columns of ``bands`` (same grid, column ``x``) added.

    ``meta`` items (number of toys, seed entropy) are added to the header.

    Raises
    ------
    InputError
        If the band grid differs from the table's abscissa.

    """
    x = table.frame[table.x].to_numpy(float)
    bx = bands["x"].to_numpy(float)
    if bx.shape != x.shape or not np.allclose(bx, x, rtol=1e-12, atol=0):
        raise InputError("sensitivity table", "bands.x", bx.tolist(), f"the grid {table.x}")
    frame = table.frame.copy()
    for col in BAND_COLUMNS:
        frame[col] = bands[col].to_numpy(float)
    meta = {**table.meta, **meta}
    return SensitivityTable(table.quantity, table.x, frame, table.cl, table.dof,
                            table.delta_chi2, table.lineage, meta)


def write_csv(table: SensitivityTable, path: str | Path) -> None:
    """Write the CSV format of the module docstring (atomically): the one writer.

    Numbers are written in their shortest exact form, so :func:`read_csv` gives back the
    same values. A mass without sensitivity (non-finite limit) has an empty ``limit`` cell;
    toy bands, when the frame has them, follow as ``toy_median, toy_lo68, toy_hi68, toy_lo95,
    toy_hi95``. A single-number table (``x`` = ``none``) has the one column ``limit``. Header
    values are written on one line each (inner whitespace collapsed).
    """
    from renpsim._csv import write_frame_csv

    lines = [FORMAT_LINE] + [f"# {k}: {' '.join(str(v).split())}"
                             for k, v in table.header().items()]
    write_frame_csv(table.frame[table_columns(table)], path, header_lines=lines,
                    float_format=None)


#: Header keys every sensitivity file has (``lineage`` is written by renpsim's scans).
REQUIRED_KEYS = ("quantity", "x", "cl", "dof", "delta_chi2")
#: Text columns of sensitivity tables (not numbers): ``limit_sign``, the coupling sign that gave
#: each limit ("+" or "-").
TEXT_COLUMNS = ("limit_sign",)


def _read_header(path: str, lines: list[str]) -> tuple[dict[str, str], int]:
    """Header ``# key: value`` lines after the format line; return them and the next index."""
    if not lines or lines[0].strip() != FORMAT_LINE:
        raise DataFileError(path, "line 1", f"expected the format line {FORMAT_LINE!r}")
    head: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].startswith("#"):
        body = lines[i][1:].strip()
        if body:
            if ":" not in body:
                raise DataFileError(path, f"line {i + 1}",
                                    f"{lines[i]!r}: expected '# key: value'")
            k, v = body.split(":", 1)
            head[k.strip()] = v.strip()
        i += 1
    for key in REQUIRED_KEYS:
        if key not in head:
            raise DataFileError(path, key, "required header key is missing")
    return head, i


def _header_numbers(path: str, head: dict[str, str]) -> tuple[float, int, float]:
    try:
        cl = float(head["cl"])
    except ValueError:
        raise DataFileError(path, "cl", f"{head['cl']!r} is not a number") from None
    if not 0 < cl < 1:
        raise DataFileError(path, "cl", f"{cl!r}: expected a fraction in (0, 1)")
    try:
        dof = int(head["dof"])
    except ValueError:
        raise DataFileError(path, "dof", f"{head['dof']!r} is not an integer") from None
    if dof < 1:
        raise DataFileError(path, "dof", f"{dof}: expected >= 1")
    try:
        dchi2 = float(head["delta_chi2"])
    except ValueError:
        raise DataFileError(path, "delta_chi2",
                            f"{head['delta_chi2']!r} is not a number") from None
    if not (np.isfinite(dchi2) and dchi2 > 0):
        raise DataFileError(path, "delta_chi2", f"{dchi2!r}: expected > 0")
    return cl, dof, dchi2


def read_csv(path: str | Path) -> SensitivityTable:
    """Read a sensitivity table (the one reader of the format; see the module docstring).

    Checks the format: format line, ``# key: value`` header with ``quantity``, ``x``, ``cl``
    (in (0, 1)), ``dof`` (>= 1) and ``delta_chi2`` (> 0); the column header (the ``x`` column,
    unless ``x`` is ``none``, then ``limit``, names unique); the number of fields per row;
    numbers (an empty cell is an absent value, NaN in the frame; ``nan``/``inf`` text is an
    error); ``limit_sign`` cells "+", "-" or empty. What a quantity's values must be (its
    registry entry, positive limits, increasing masses) is checked by the limits database's
    :func:`renpsim.limits.read_sensitivity`. ``frame.attrs["line"]`` holds each row's line
    number in the file.

    Raises
    ------
    DataFileError
        Naming the file and the header key, column or line at fault.

    """
    import csv
    import io

    spath = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise DataFileError(spath, "-", f"cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise DataFileError(spath, "-", "not a text file") from None
    lines = text.splitlines()
    head, i = _read_header(spath, lines)
    cl, dof, dchi2 = _header_numbers(spath, head)
    x_name = head["x"]
    rows = [r for r in csv.reader(io.StringIO("\n".join(lines[i:]))) if r]
    expected = ["limit"] if x_name == "none" else [x_name, "limit"]
    names = [c.strip() for c in rows[0]] if rows else []
    if not rows or names[:len(expected)] != expected or len(set(names)) != len(names):
        raise DataFileError(spath, "header", f"{rows[0] if rows else 'nothing'!r}: expected "
                                             f"{','.join(expected)}")
    cols: dict[str, list] = {n: [] for n in names}
    line_of = []
    for n, row in enumerate(rows[1:], start=i + 2):
        if len(row) != len(names):
            raise DataFileError(spath, f"line {n}", f"{len(row)} fields, expected {len(names)}")
        for name, cell in zip(names, row, strict=True):
            cell = cell.strip()
            if name in TEXT_COLUMNS:  # the sign that gave the limit: text, not a number
                if cell not in ("+", "-", ""):
                    raise DataFileError(spath, f"{name} (line {n})",
                                        f"{cell!r}: expected '+' or '-'")
                cols[name].append(cell)
                continue
            if not cell:
                cols[name].append(np.nan)   # absent value (no sensitivity, a failed band)
                continue
            try:
                v = float(cell)
            except ValueError:
                raise DataFileError(spath, f"{name} (line {n})",
                                    f"{cell!r} is not a number") from None
            if not np.isfinite(v):
                raise DataFileError(spath, f"{name} (line {n})",
                                    f"{cell!r}: expected a finite number (an absent value is "
                                    "an empty cell)")
            cols[name].append(v)
        line_of.append(n)
    frame = pd.DataFrame({n: (pd.Series(v, dtype=object) if n in TEXT_COLUMNS
                              else np.asarray(v, dtype=float)) for n, v in cols.items()})
    frame.attrs["line"] = line_of
    meta = {a: b for a, b in head.items() if a not in
            ("quantity", "x", "cl", "dof", "delta_chi2", "lineage", "renpsim_version")}
    return SensitivityTable(quantity=head["quantity"], x=x_name, frame=frame, cl=cl, dof=dof,
                            delta_chi2=dchi2, lineage=head.get("lineage", ""), meta=meta)


def write_hdf5(table: SensitivityTable, path: str | Path, group: str = "sensitivity") -> None:
    """Write the table to HDF5 (group with ``x`` and ``limit`` datasets; header as attributes)."""
    from renpsim._h5table import write_h5_group

    units = {"m_eV": "eV", "m_lightest_eV": "eV"}
    datasets = {"x": (table.frame[table.x].to_numpy(float),
                      {"name": table.x, "units": units.get(table.x, "")})}
    unit = "1" if table.quantity != "dipole_mu" else "mu_B"
    for col in table_columns(table)[1:]:  # limit, then the toy bands if present
        if col == "limit_sign":
            datasets[col] = (table.frame[col].astype(str).to_numpy().astype("S1"), {})
            continue
        datasets[col] = (table.frame[col].to_numpy(float), {"units": unit})
    write_h5_group(path, group, table.header(), datasets)


def plot_table(table: SensitivityTable, path: str | Path, *, label: str | None = None) -> None:
    """Log-log plot of the limit curve with its toy bands (if any), written atomically.

    Axis labels come from :mod:`renpsim.labels`; masses without sensitivity are not drawn and
    are listed under the axes ("no sensitivity at ..."), never dropped silently. The mediator
    mass of a lightest-mass curve (header ``mediator_mass_eV``) is stated in the title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from renpsim import labels

    suffix = Path(path).suffix.lstrip(".") or "png"
    if suffix not in ("png", "pdf", "svg"):
        raise InputError(str(path), "suffix", Path(path).suffix, "'.png', '.pdf' or '.svg'")
    x = table.frame[table.x].to_numpy(float)
    y = table.frame["limit"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    ok = np.isfinite(y) & (y > 0)
    coupling = table.meta.get("coupling", "")
    logx = bool(np.all(x[ok] > 0))
    # a zero lightest mass cannot sit on a log axis: draw the curve on a linear mass axis then
    cols = table.frame.columns
    if {"toy_lo95", "toy_hi95"} <= set(cols):
        lo, hi = table.frame["toy_lo95"].to_numpy(float), table.frame["toy_hi95"].to_numpy(float)
        b = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
        ax.fill_between(x[b], lo[b], hi[b], color="#ffe066", label="toys: 95% band")
    if {"toy_lo68", "toy_hi68"} <= set(cols):
        lo, hi = table.frame["toy_lo68"].to_numpy(float), table.frame["toy_hi68"].to_numpy(float)
        b = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
        ax.fill_between(x[b], lo[b], hi[b], color="#66c266", label="toys: 68% band")
    if "toy_median" in cols:
        med = table.frame["toy_median"].to_numpy(float)
        b = np.isfinite(med) & (med > 0)
        ax.plot(x[b], med[b], color="k", ls="--", lw=1, label="toys: median")
    curve_label = label or ("Asimov limit" + (f", {labels.coupling_label(coupling)}"
                                              if coupling else ""))
    ax.plot(x[ok], y[ok], color="C0", marker="o", ms=3, lw=1.5, label=curve_label)
    if logx:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(labels.x_label(table.x, table.quantity))
    ax.set_ylabel(labels.coupling_label(coupling) + " limit" if coupling
                  else labels.quantity_label(table.quantity))
    extra = ""
    if table.x == "m_lightest_eV" and "mediator_mass_eV" in table.meta:
        extra = f"; mediator mass {float(table.meta['mediator_mass_eV']):.3g} eV"
    ax.set_title(rf"$\Delta\chi^2$ = {table.delta_chi2:.3g} ({table.cl:.3g} CL, {table.dof} dof)"
                 + extra, fontsize=9)
    if (~ok).any():
        missing = ", ".join(f"{v:.3g}" for v in x[~ok])
        fig.text(0.01, 0.01, f"no sensitivity at {table.x.replace('_eV', '')} = {missing} eV "
                 "(not drawn)", fontsize=7, va="bottom")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout(rect=(0, 0.04, 1, 1))

    def write(tmp: Path) -> None:
        fig.savefig(tmp, format=suffix, bbox_inches="tight")

    try:
        atomic_write(Path(path), write)
    finally:
        plt.close(fig)
