"""Helpers for the limits tests: copies of the shipped database and synthetic records."""

from __future__ import annotations

import shutil
from pathlib import Path

import tomlkit

from renpsim._resources import data_path


def copy_database(tmp_path: Path) -> Path:
    """Copy the shipped limits database (records and curves) into tmp_path/db."""
    dst = tmp_path / "db"
    shutil.copytree(data_path("limits"), dst, ignore=shutil.ignore_patterns("schema.toml"))
    return dst


def edit_record(root: Path, rid: str, edit) -> Path:
    """Apply ``edit(dict)`` to a record of a copied database and write it back."""
    path = root / "records" / f"{rid}.toml"
    doc = tomlkit.parse(path.read_text())
    edit(doc)
    path.write_text(tomlkit.dumps(doc))
    return path


def minimal_record(rid: str, quantity: str = "scalar_ye_ynu", unit: str = "1", **over) -> dict:
    """A valid upper-bound record with the given overrides (top-level keys)."""
    rec = {
        "id": rid, "quantity": quantity, "unit": unit, "description": f"synthetic {rid}",
        "bound_type": "upper", "value_text": "synthetic", "cl": 0.95, "cl_text": "95%",
        "cl_convention": "one_sided", "kind": "terrestrial", "provenance": "quoted", "tag": "Q",
        "tag_text": "Q", "physics_md": "-",
        "validity": {"text": "synthetic"},
        "assumptions": {"nu_nature": "any", "flavour": "-", "model": "-",
                        "model_dependent": False},
        "source": {"ref": "Synthetic, test", "location": "-"},
    }
    rec.update(over)
    return rec


def write_db(tmp_path: Path, records: list[dict], curves: dict[str, str] | None = None) -> Path:
    """Write a synthetic database folder and return it."""
    root = tmp_path / "syn"
    (root / "records").mkdir(parents=True)
    (root / "curves").mkdir()
    for rec in records:
        (root / "records" / f"{rec['id']}.toml").write_text(tomlkit.dumps(rec))
    for name, text in (curves or {}).items():
        (root / "curves" / name).write_text(text)
    return root
