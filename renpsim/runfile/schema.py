"""The machine-readable run-file schema ([hardware §9]) and its generated document.

The schema lives in ``renpsim/data/runfile/schema-v1.json``; :func:`render_markdown` turns it
into ``docs/runfile-format.md`` (regenerate with ``python -m renpsim.runfile --write``;
a test checks the committed document is current).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from renpsim._resources import DATA_DIR

SCHEMA_PATH = DATA_DIR / "runfile" / "schema-v1.json"
DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "runfile-format.md"

#: numpy dtype string for each schema dtype ("str" is variable-length UTF-8).
NUMPY_DTYPES = {
    "uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8",
    "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8",
    "float32": "f4", "float64": "f8", "bool": "?",
}


@cache
def load_schema() -> dict[str, Any]:
    """Return the run-file schema v1 as a dict (read once from the package data)."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def schema_version() -> str:
    """Return the version string (MAJOR.MINOR.PATCH) this package writes."""
    return load_schema()["schema_version"]


def group_spec(path: str) -> dict[str, Any]:
    """Return the schema entry of one group (pattern paths use ``{i}``, ``{c}``, ...)."""
    for g in load_schema()["groups"]:
        if g["path"] == path:
            return g
    raise KeyError(path)


def dataset_spec(group: str, name: str) -> dict[str, Any]:
    """Return the schema entry of dataset ``name`` in ``group``."""
    for d in group_spec(group)["datasets"]:
        if d["name"] == name:
            return d
    raise KeyError(f"{group}/{name}")


def _shape(shape: list[str]) -> str:
    return "scalar" if not shape else "[" + ", ".join(shape) + "]"


def _md_escape(text: str) -> str:
    """Escape table pipes, and angle brackets outside `code` spans (they would be HTML)."""
    parts = str(text).replace("|", "\\|").split("`")
    for k in range(0, len(parts), 2):
        parts[k] = parts[k].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def render_markdown(schema: dict[str, Any] | None = None) -> str:
    """Render the schema as the Markdown reference document ``docs/runfile-format.md``.

    Parameters
    ----------
    schema : dict, optional
        Schema to render; default the shipped one.

    Returns
    -------
    str
        The document text (deterministic: the same schema gives the same text).

    """
    s = load_schema() if schema is None else schema
    out: list[str] = []
    w = out.append
    w(f"# {s['title']}: format `{s['schema_name']}` version {s['schema_version']}")
    w("")
    w("<!-- GENERATED from renpsim/data/runfile/schema-v1.json by "
      "`python -m renpsim.runfile --write`. Do not edit by hand. -->")
    w("")
    w(f"Source: {s['source']}.")
    w("")
    w("Python API: `renpsim.runfile` (`RunWriter`, `open_run`, `validate_run`, `follow_run`, "
      "`strip_truth`, `import_counts`, `clean_partials`). Command line: `renpsim inspect`, "
      "`renpsim validate`, `renpsim strip-truth`, `renpsim import`.")
    w("")
    w("## Conventions")
    w("")
    for c in s["conventions"]:
        w(f"- {_md_escape(c)}")
    w("")
    w("## Dimensions")
    w("")
    w("| name | meaning |")
    w("|---|---|")
    for k, v in s["dimensions"].items():
        w(f"| `{k}` | {_md_escape(v)} |")
    w("")
    w("## Layout overview")
    w("")
    w("| group | required | datasets |")
    w("|---|---|---|")
    for g in s["groups"]:
        names = ", ".join(f"`{d['name']}`" for d in g["datasets"]) or "-"
        w(f"| `{g['path']}` | {'yes' if g['required'] else 'no'} | {names} |")
    w("")
    w("## Root attributes")
    w("")
    _attr_table(w, s["root_attributes"])
    for g in s["groups"]:
        w(f"## `{g['path']}`")
        w("")
        w(f"{_md_escape(g['description'])} Required: {'yes' if g['required'] else 'no'}.")
        w("")
        if g.get("kind") == "dataset_pattern":
            w(f"Each member is a dataset of dtype `{g['dtype']}`, shape {_shape(g['shape'])}, "
              f"units `{g['units']}`.")
            w("")
        if g["attributes"]:
            w("Attributes:")
            w("")
            _attr_table(w, g["attributes"])
        if g["datasets"]:
            w("Datasets:")
            w("")
            w("| name | dtype | shape | units | required | description |")
            w("|---|---|---|---|---|---|")
            for d in g["datasets"]:
                extra = []
                if d.get("aliases"):
                    extra.append("writer aliases: " + ", ".join(f"`{a}`" for a in d["aliases"]))
                if d.get("fill"):
                    extra.append(f"writer default: {d['fill']}")
                if d.get("checks"):
                    extra.append("checks: " + ", ".join(d["checks"]))
                for a in d.get("attributes", []):
                    extra.append(f"attribute `{a['name']}` ({a['type']}): {a['description']}")
                desc = d["description"] + ("" if not extra else " (" + "; ".join(extra) + ")")
                w(f"| `{d['name']}` | {d['dtype']} | {_shape(d['shape'])} | `{d['units']}` | "
                  f"{'yes' if d['required'] else 'no'} | {_md_escape(desc)} |")
            w("")
    return "\n".join(out).rstrip() + "\n"


def _attr_table(w, attrs: list[dict[str, Any]]) -> None:
    w("| name | type | units | required | description |")
    w("|---|---|---|---|---|")
    for a in attrs:
        desc = a["description"]
        if a.get("values"):
            desc += " One of: " + ", ".join(f"`{v}`" for v in a["values"]) + "."
        w(f"| `{a['name']}` | {a['type']} | {a.get('units', '')} | "
          f"{'yes' if a['required'] else 'no'} | {_md_escape(desc)} |")
    w("")


def main(argv: list[str] | None = None) -> int:
    """``python -m renpsim.runfile.schema [--write|--check]``: print, write or check the doc."""
    args = sys.argv[1:] if argv is None else argv
    text = render_markdown()
    if "--write" in args:
        DOC_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOC_PATH}")
        return 0
    if "--check" in args:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run python -m renpsim.runfile --write")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
