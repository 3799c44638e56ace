"""Validation of limit records and curve files against the shipped schema.

The schema (``renpsim/data/limits/schema.toml``) lists the fields, their types, which are
required and the allowed values of enumerated fields. The rules that cross fields (unit equals the
quantity registry's unit, a curve file exists with a monotone mass axis and positive values,
validity ranges are ordered, ``mu_definition`` is present for ``mu_nu_eff``) are checked here.
Every failure raises :class:`~renpsim.errors.DataFileError` naming the file and the field.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from renpsim._resources import data_path, load_toml
from renpsim.errors import DataFileError
from renpsim.limits.quantities import QUANTITIES

SCHEMA_PATH = data_path("limits", "schema.toml")
_SECTIONS = ("validity", "assumptions", "source", "curve", "derivation")


@cache
def load_schema(path: str = str(SCHEMA_PATH)) -> dict[str, Any]:
    """Return the parsed metadata schema (``fields``, per-section fields and ``enums``)."""
    schema = load_toml(Path(path))
    for key in ("enums", "fields", *_SECTIONS):
        if key not in schema:
            raise DataFileError(path, key, "missing section of the limits schema")
    return schema


def _type_ok(value: Any, typ: str) -> bool:
    if typ == "string":
        return isinstance(value, str)
    if typ == "float":
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    if typ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "bool":
        return isinstance(value, bool)
    if typ == "table":
        return isinstance(value, dict)
    if typ == "list[string]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if typ == "list[float]":
        return isinstance(value, list) and all(_type_ok(v, "float") for v in value)
    raise AssertionError(f"unknown schema type {typ}")


def _check_fields(path: str, prefix: str, table: dict[str, Any], spec: dict[str, Any],
                  enums: dict[str, list[str]]) -> None:
    for name in table:
        if name not in spec:
            raise DataFileError(path, prefix + name, "unknown field (not in the limits schema)")
    for name, rule in spec.items():
        if name not in table:
            if rule.get("required", False):
                raise DataFileError(path, prefix + name, "required field is missing")
            continue
        value = table[name]
        if not _type_ok(value, rule["type"]):
            raise DataFileError(path, prefix + name,
                                f"{value!r} is not of type {rule['type']} (finite numbers only)")
        if "enum" in rule and value not in enums[rule["enum"]]:
            raise DataFileError(path, prefix + name,
                                f"{value!r} is not one of {', '.join(enums[rule['enum']])}")


def validate_record(raw: dict[str, Any], path: str, curve_dir: Path) -> dict[str, Any] | None:
    """Check one record; return its curve as a dict of arrays (or None).

    Parameters
    ----------
    raw : dict
        The parsed TOML record.
    path : str
        The record's file path (for messages).
    curve_dir : pathlib.Path
        Folder holding the curve CSV files.

    Raises
    ------
    DataFileError
        Naming the file and the field at fault.

    """
    schema = load_schema()
    enums = schema["enums"]
    _check_fields(path, "", raw, schema["fields"], enums)
    for section in _SECTIONS:
        if section in raw:
            _check_fields(path, section + ".", raw[section], schema[section], enums)

    stem = Path(path).stem
    if raw["id"] != stem:
        raise DataFileError(path, "id", f"{raw['id']!r} differs from the file name {stem!r}")
    qid = raw["quantity"]
    if qid not in QUANTITIES:
        raise DataFileError(path, "quantity",
                            f"{qid!r} is not a known quantity ({', '.join(sorted(QUANTITIES))})")
    quantity = QUANTITIES[qid]
    if raw["unit"] != quantity.unit:
        raise DataFileError(path, "unit", f"{raw['unit']!r}: quantity {qid} is in "
                                          f"{quantity.unit!r}")
    for key in ("value", "coefficient"):
        if key in raw and not quantity.signed and raw[key] <= 0:
            raise DataFileError(path, key, f"{raw[key]!r}: expected a positive number")
    if "value_range" in raw:
        vr = raw["value_range"]
        if len(vr) != 2 or not 0 < vr[0] < vr[1]:
            raise DataFileError(path, "value_range",
                                f"{vr!r}: expected [low, high], 0 < low < high")
    if "lower" in raw:
        if "value" not in raw or not raw["lower"] < raw["value"]:
            raise DataFileError(path, "lower", "an interval needs lower < value")
    if "cl" in raw and not 0 < raw["cl"] < 1:
        raise DataFileError(path, "cl", f"{raw['cl']!r}: expected a fraction in (0, 1)")
    if raw["cl_convention"] == "delta_chi2" and "dof" not in raw:
        raise DataFileError(path, "dof", "cl_convention delta_chi2 needs the number of dof")
    if "dof" in raw and raw["dof"] < 1:
        raise DataFileError(path, "dof", f"{raw['dof']!r}: expected an integer >= 1")

    validity = raw["validity"]
    for key in ("x_min_eV", "x_max_eV"):
        if key in validity:
            if quantity.x_name is None:
                raise DataFileError(path, f"validity.{key}",
                                    f"quantity {qid} has no mass axis")
            if validity[key] <= 0:
                raise DataFileError(path, f"validity.{key}", "expected a positive mass in eV")
    if ("x_min_eV" in validity and "x_max_eV" in validity
            and validity["x_min_eV"] > validity["x_max_eV"]):
        raise DataFileError(path, "validity.x_max_eV", "is below validity.x_min_eV")

    assumptions = raw["assumptions"]
    if qid == "mu_nu_eff" and "mu_definition" not in assumptions:
        raise DataFileError(path, "assumptions.mu_definition",
                            "required for mu_nu_eff (which combination the experiment bounds)")

    prov = raw["provenance"]
    has_number = any(k in raw for k in ("value", "value_range", "coefficient"))
    if prov == "citation_only" and (has_number or "curve" in raw):
        raise DataFileError(path, "provenance",
                            "citation_only records carry no value and no curve")
    if prov != "citation_only" and not has_number and "curve" not in raw \
            and raw["bound_type"] != "none":
        raise DataFileError(path, "value",
                            f"a {prov} record needs a value, value_range or curve")
    if prov == "derived" and "derivation" not in raw:
        raise DataFileError(path, "derivation", "a derived record must say how it was derived")

    if "curve" not in raw:
        return None
    if quantity.x_name is None:
        raise DataFileError(path, "curve", f"quantity {qid} has no mass axis for a curve")
    if "value" in raw:
        raise DataFileError(path, "value", "give either a value or a curve, not both")
    spec = raw["curve"]
    if spec["x_unit"] != "eV":
        raise DataFileError(path, "curve.x_unit", f"{spec['x_unit']!r}: expected 'eV'")
    if spec["columns"] not in (["limit"], ["lower", "upper"]):
        raise DataFileError(path, "curve.columns",
                            f"{spec['columns']!r}: expected ['limit'] or ['lower', 'upper']")
    band = raw["bound_type"] == "excluded_band"
    if band != (spec["columns"] == ["lower", "upper"]):
        raise DataFileError(path, "curve.columns",
                            "excluded_band records need ['lower', 'upper'], others ['limit']")
    return read_curve(curve_dir / spec["file"], quantity.x_name, spec["columns"],
                      signed=quantity.signed)


def read_curve(path: Path, x_name: str, columns: list[str], signed: bool = False
               ) -> dict[str, np.ndarray]:
    """Read and check a curve CSV.

    Checks: header ``<x_name>,<columns...>``, numeric and finite cells, a strictly increasing
    positive mass axis, positive values (unless ``signed``), lower < upper for bands.

    Raises
    ------
    DataFileError
        Naming the file and the column (or ``line N``) at fault.

    """
    spath = str(path)
    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise DataFileError(spath, "-", f"cannot read curve file: {exc.strerror}") from None
    rows = [r for r in rows if r and not r[0].lstrip().startswith("#")]
    expected = [x_name, *columns]
    if not rows or [c.strip() for c in rows[0]] != expected:
        got = rows[0] if rows else "nothing"
        raise DataFileError(spath, "header", f"{got!r}: expected {','.join(expected)}")
    if len(rows) < 2:
        raise DataFileError(spath, "-", "no data rows")
    data = np.empty((len(rows) - 1, len(expected)))
    for i, row in enumerate(rows[1:]):
        lineno = i + 2
        if len(row) != len(expected):
            raise DataFileError(spath, f"line {lineno}",
                                f"{len(row)} fields, expected {len(expected)}")
        for j, cell in enumerate(row):
            try:
                val = float(cell)
            except ValueError:
                raise DataFileError(spath, f"{expected[j]} (line {lineno})",
                                    f"{cell!r} is not a number") from None
            if not math.isfinite(val):
                raise DataFileError(spath, f"{expected[j]} (line {lineno})",
                                    f"{cell!r} is not finite")
            if (j == 0 or not signed) and val <= 0:
                raise DataFileError(spath, f"{expected[j]} (line {lineno})",
                                    f"{cell!r}: expected a positive number")
            data[i, j] = val
    x = data[:, 0]
    bad = np.nonzero(np.diff(x) <= 0)[0]
    if bad.size:
        raise DataFileError(spath, f"{x_name} (line {bad[0] + 3})",
                            "mass axis is not strictly increasing")
    out = {x_name: x}
    for j, name in enumerate(columns, start=1):
        out[name] = data[:, j]
    if columns == ["lower", "upper"]:
        bad = np.nonzero(out["lower"] >= out["upper"])[0]
        if bad.size:
            raise DataFileError(spath, f"lower (line {bad[0] + 2})", "lower >= upper")
    return out
