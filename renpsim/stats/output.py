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
        h = {"quantity": self.quantity, "x": self.x, "cl": f"{self.cl:.6g}", "dof": self.dof,
             "delta_chi2": f"{self.delta_chi2:.6g}", "lineage": self.lineage,
             "renpsim_version": __version__}
        h.update({k: v for k, v in self.meta.items() if k not in h})
        return h


def write_csv(table: SensitivityTable, path: str | Path) -> None:
    """Write the CSV format of the module docstring (atomically)."""
    lines = [FORMAT_LINE] + [f"# {k}: {v}" for k, v in table.header().items()]

    def write(tmp: Path) -> None:
        with open(tmp, "w") as fh:
            fh.write("\n".join(lines) + "\n")
            cols = [table.x, "limit"] + (["limit_sign"] if "limit_sign" in table.frame else [])
            frame = table.frame[cols].copy()
            # no limit (not excluded within the search range): an empty cell, never 'inf'
            frame["limit"] = frame["limit"].where(np.isfinite(frame["limit"]))
            frame.to_csv(fh, index=False, float_format="%.8g")

    atomic_write(Path(path), write)


def read_csv(path: str | Path) -> SensitivityTable:
    """Read a table written by :func:`write_csv`.

    Raises
    ------
    DataFileError
        Missing format line or header keys.

    """
    path = Path(path)
    try:
        text = path.read_text().splitlines()
    except OSError as exc:
        raise DataFileError(str(path), "-", f"cannot read ({exc.strerror})") from None
    if not text or text[0].strip() != FORMAT_LINE:
        raise DataFileError(str(path), "line 1", f"expected '{FORMAT_LINE}'")
    head = {}
    k = 1
    while k < len(text) and text[k].startswith("#"):
        key, _, value = text[k][1:].partition(":")
        head[key.strip()] = value.strip()
        k += 1
    for key in ("quantity", "x", "cl", "dof", "delta_chi2", "lineage"):
        if key not in head:
            raise DataFileError(str(path), key, "missing header line")
    from io import StringIO

    frame = pd.read_csv(StringIO("\n".join(text[k:])))
    meta = {a: b for a, b in head.items() if a not in
            ("quantity", "x", "cl", "dof", "delta_chi2", "lineage", "renpsim_version")}
    return SensitivityTable(quantity=head["quantity"], x=head["x"], frame=frame,
                            cl=float(head["cl"]), dof=int(head["dof"]),
                            delta_chi2=float(head["delta_chi2"]), lineage=head["lineage"],
                            meta=meta)


def write_hdf5(table: SensitivityTable, path: str | Path, group: str = "sensitivity") -> None:
    """Write the table to HDF5 (group with ``x`` and ``limit`` datasets; header as attributes)."""
    import h5py

    units = {"m_eV": "eV", "m_lightest_eV": "eV"}

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            g = f.create_group(group)
            for key, value in table.header().items():
                g.attrs[key] = value if isinstance(value, int | float) else str(value)
            dx = g.create_dataset("x", data=table.frame[table.x].to_numpy(float))
            dx.attrs["name"] = table.x
            dx.attrs["units"] = units.get(table.x, "")
            dl = g.create_dataset("limit", data=table.frame["limit"].to_numpy(float))
            dl.attrs["units"] = "1" if table.quantity != "dipole_mu" else "mu_B"
            if "limit_sign" in table.frame:
                g.create_dataset("limit_sign", data=table.frame["limit_sign"].astype(str)
                                 .to_numpy().astype("S1"))

    atomic_write(Path(path), write)


def plot_table(table: SensitivityTable, path: str | Path, *, label: str | None = None) -> None:
    """Log-log plot of the limit curve (matplotlib, Agg back end), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = table.frame[table.x].to_numpy(float)
    y = table.frame["limit"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ok = np.isfinite(y) & (y > 0)
    ax.plot(x[ok], y[ok], label=label or table.meta.get("coupling", table.quantity))
    if np.all(x[ok] > 0):
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel({"m_eV": "mediator mass [eV]",
                   "m_lightest_eV": "lightest neutrino mass [eV]"}.get(table.x, table.x))
    ax.set_ylabel(f"{table.quantity} limit")
    ax.set_title(f"Delta chi^2 = {table.delta_chi2:.3g} ({table.dof} dof, CL {table.cl:.3g})",
                 fontsize=9)
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    suffix = Path(path).suffix.lstrip(".") or "png"
    if suffix not in ("png", "pdf", "svg"):
        raise InputError("option --plot", "plot", str(path), "a .png, .pdf or .svg file name")

    def write(tmp: Path) -> None:
        fig.savefig(tmp, format=suffix)

    try:
        atomic_write(Path(path), write)
    finally:
        plt.close(fig)
