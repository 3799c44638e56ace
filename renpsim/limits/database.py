"""The existing-limits database: loading, validating and querying the records.

Layout (inside the package, ``renpsim/data/limits``):

- ``schema.toml``: machine-readable schema of one record;
- ``records/<ID>.toml``: one metadata record per bound ([physics §3.3] and [physics §7]);
- ``curves/<ID>.csv``: the curve of a record that has one (``<x>,limit`` or ``<x>,lower,upper``).

Every record is validated on load (:mod:`renpsim.limits.schema`); a bad file raises
:class:`~renpsim.errors.DataFileError` naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from renpsim._resources import data_path
from renpsim._toml import read_toml
from renpsim.errors import DataFileError, InputError
from renpsim.limits.quantities import QUANTITIES, Quantity
from renpsim.limits.schema import load_schema, validate_record

DEFAULT_ROOT = data_path("limits")


@dataclass(frozen=True)
class LimitRecord:
    """One existing bound (or cited bound without numbers) on one quantity.

    Attributes
    ----------
    id, quantity, unit, description, bound_type, kind, provenance, tag : str
        See docs/limits.md and the schema.
    value : float or None
        Upper bound (or the number of a best fit / estimate / prediction / caveat); None when the
        record holds only a curve or a citation.
    raw : dict
        The full validated TOML record.
    curve : dict of numpy arrays or None
        ``{x_name: x, "limit": y}`` or ``{x_name: x, "lower": lo, "upper": hi}``.
    path : str
        The record file.

    """

    id: str
    quantity: str
    unit: str
    description: str
    bound_type: str
    kind: str
    provenance: str
    tag: str
    value: float | None
    raw: dict[str, Any] = field(repr=False)
    curve: dict[str, np.ndarray] | None = field(default=None, repr=False)
    path: str = ""

    # ---- convenience accessors -------------------------------------------------------------
    @property
    def cl(self) -> float | None:
        """Confidence level as a fraction, None if the source does not state it."""
        return self.raw.get("cl")

    @property
    def cl_text(self) -> str:
        """CL as printed in the source."""
        return self.raw["cl_text"]

    @property
    def cl_convention(self) -> str:
        """One of the schema's ``cl_convention`` values."""
        return self.raw["cl_convention"]

    @property
    def source(self) -> dict[str, Any]:
        """The ``[source]`` table."""
        return self.raw["source"]

    @property
    def validity(self) -> dict[str, Any]:
        """The ``[validity]`` table."""
        return self.raw["validity"]

    @property
    def assumptions(self) -> dict[str, Any]:
        """The ``[assumptions]`` table."""
        return self.raw["assumptions"]

    @property
    def model_dependent(self) -> bool:
        """True if applying the bound to RENP needs a model relation or extra assumptions."""
        return bool(self.assumptions["model_dependent"])

    @property
    def quantity_info(self) -> Quantity:
        """The registry entry of the quantity."""
        return QUANTITIES[self.quantity]

    @property
    def x_range(self) -> tuple[float, float]:
        """Validity range on the mass axis in eV (0 / inf when not stated)."""
        return (self.validity.get("x_min_eV", 0.0), self.validity.get("x_max_eV", np.inf))

    @property
    def citation(self) -> str:
        """Short citation: reference plus arXiv number."""
        src = self.source
        arx = f", arXiv:{src['arxiv']}" if "arxiv" in src else ""
        return f"{src['ref']}{arx}"

    def is_numeric_upper(self) -> bool:
        """Tell whether the record is an upper bound with a number or curve (envelope-usable)."""
        return self.bound_type == "upper" and (self.value is not None or self.curve is not None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the CLI contract fields first, then the full record.

        The contract of ``renpsim limits list --json`` is at least ``id``, ``quantity``,
        ``value`` (null when only a curve or a citation exists), ``unit``, ``cl``, ``kind``,
        ``source``.
        """
        out: dict[str, Any] = {
            "id": self.id, "quantity": self.quantity, "value": self.value, "unit": self.unit,
            "cl": self.cl, "kind": self.kind, "source": self.citation,
        }
        for key, val in self.raw.items():
            if key in out:
                continue
            out[key] = val
        out["source_detail"] = dict(self.source)
        if self.curve is not None:
            out["curve_data"] = {k: v.tolist() for k, v in self.curve.items()}
        return out


class LimitDatabase:
    """All records of one database folder, validated, with queries.

    Use :func:`load_database` rather than the constructor.
    """

    def __init__(self, records: Iterable[LimitRecord], root: Path) -> None:
        self.root = root
        self._records = {r.id: r for r in records}

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self):
        return iter(self._records.values())

    @property
    def ids(self) -> list[str]:
        """Record ids in file order."""
        return list(self._records)

    def get(self, record_id: str) -> LimitRecord:
        """Return one record.

        Raises
        ------
        InputError
            If there is no record with this id.

        """
        try:
            return self._records[record_id]
        except KeyError:
            raise InputError("limits database", "id", record_id,
                             "an existing record id (see `renpsim limits list`)") from None

    def query(self, quantity: str | Iterable[str] | None = None,
              kind: str | Iterable[str] | None = None,
              provenance: str | Iterable[str] | None = None,
              include_model_dependent: bool = True,
              mu_definition: str | None = None) -> list[LimitRecord]:
        """Return the records matching all the given filters (None means no filter).

        Parameters
        ----------
        quantity, kind, provenance : str or iterable of str, optional
            Allowed values.
        include_model_dependent : bool
            If False, drop records whose ``assumptions.model_dependent`` is true.
        mu_definition : str, optional
            For ``mu_nu_eff``: keep only this experiment-type definition.

        """
        def as_set(v, name, allowed):
            if v is None:
                return None
            s = {v} if isinstance(v, str) else set(v)
            bad = s - set(allowed)
            if bad:
                raise InputError("limits query", name, sorted(bad)[0],
                                 "one of " + ", ".join(sorted(allowed)))
            return s

        enums = load_schema()["enums"]
        qs = as_set(quantity, "quantity", QUANTITIES)
        ks = as_set(kind, "kind", enums["kind"])
        ps = as_set(provenance, "provenance", enums["provenance"])
        out = []
        for r in self:
            if qs is not None and r.quantity not in qs:
                continue
            if ks is not None and r.kind not in ks:
                continue
            if ps is not None and r.provenance not in ps:
                continue
            if not include_model_dependent and r.model_dependent:
                continue
            if mu_definition is not None and r.assumptions.get("mu_definition") != mu_definition:
                continue
            out.append(r)
        return out

    def counts(self) -> dict[str, int]:
        """Count the records per provenance (quoted/derived/digitised/citation_only)."""
        out = {p: 0 for p in load_schema()["enums"]["provenance"]}
        for r in self:
            out[r.provenance] += 1
        return out


def _load_record(path: Path, curve_dir: Path) -> LimitRecord:
    spath = str(path)
    raw = read_toml(spath, data_file=True, what="a limit record")
    curve = validate_record(raw, spath, curve_dir)
    return LimitRecord(id=raw["id"], quantity=raw["quantity"], unit=raw["unit"],
                       description=raw["description"], bound_type=raw["bound_type"],
                       kind=raw["kind"], provenance=raw["provenance"], tag=raw["tag"],
                       value=raw.get("value"), raw=raw, curve=curve, path=spath)


def load_database(root: str | Path | None = None) -> LimitDatabase:
    """Load and validate every record of a limits database folder.

    Parameters
    ----------
    root : path, optional
        Folder with ``records/`` and ``curves/``; default: the database shipped with renpsim
        (cached).

    Raises
    ------
    DataFileError
        If any record or curve file is malformed (message names file and field), or if a
        derived record names an input that does not exist.

    """
    if root is None:
        return _load_default()
    return _load(Path(root))


@cache
def _load_default() -> LimitDatabase:
    return _load(DEFAULT_ROOT)


def _load(root: Path) -> LimitDatabase:
    rec_dir = root / "records"
    if not rec_dir.is_dir():
        raise DataFileError(str(rec_dir), "-", "limits database folder has no records/")
    records = [_load_record(p, root / "curves") for p in sorted(rec_dir.glob("*.toml"),
                                                                key=_natural_key)]
    if not records:
        raise DataFileError(str(rec_dir), "-", "no records")
    db = LimitDatabase(records, root)
    for r in db:
        for inp in r.raw.get("derivation", {}).get("inputs", []):
            if inp not in db.ids:
                raise DataFileError(r.path, "derivation.inputs", f"{inp!r} is not a record id")
    return db


def _natural_key(path: Path) -> tuple:
    """Order records as [physics §7] lists them: A (3.3), V, S, M, D, R, P, E; then by number."""
    stem = path.stem
    digits = ""
    for ch in stem[1:]:
        if not ch.isdigit():
            break
        digits += ch
    order = "AVSMDRPE"
    head = stem[:1]
    return (order.index(head) if head in order else 99, int(digits or 0), stem)
