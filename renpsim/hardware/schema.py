"""Declarative schema for the TOML configuration files (hardware and campaigns).

Every configuration value is a dataclass field declared with :func:`knob`, which records its
unit, evidence tag ([V] verified, [U] unverified, [C] computed, [A] assumption, [Q] quoted; see
docs/reference/hardware.md "How to read the evidence tags"), source and allowed range. :func:`build`
turns one
TOML table into a validated dataclass and raises :class:`~renpsim.errors.InputError` naming the
file, the dotted key, the value and the expectation; :func:`doc_rows` feeds the generated
reference documentation (docs/hardware-and-campaigns.md).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any

from renpsim._numbers import INT64_MAX, INT64_MIN, bound_text, exact_int
from renpsim.errors import InputError

_MISSING = dataclasses.MISSING


@dataclass(frozen=True)
class Spec:
    """Metadata of one configuration key."""

    kind: str  # "float", "int", "str", "bool", "float?" (float or absent), "floats" (list)
    unit: str = ""
    tag: str = "[A]"
    source: str = ""
    doc: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] | None = None
    required: bool = False


def knob(
    default: Any = None,
    *,
    kind: str = "float",
    unit: str = "",
    tag: str = "[A]",
    source: str = "",
    doc: str = "",
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    choices: tuple[str, ...] | None = None,
    required: bool = False,
) -> Any:
    """Declare a configuration field (a dataclass field carrying a :class:`Spec`)."""
    spec = Spec(kind, unit, tag, source, doc, lo, hi, lo_open, choices, required)
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda d=tuple(default): list(d),
                                 metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


def spec_of(f: dataclasses.Field) -> Spec:
    """Return the :class:`Spec` of a dataclass field."""
    return f.metadata["spec"]


def _expectation(spec: Spec) -> str:
    parts = {"float": "a finite number", "float?": "a finite number", "int": "an integer",
             "str": "a string", "bool": "true or false", "floats": "a list of finite numbers"}
    text = parts[spec.kind]
    if spec.choices:
        text = "one of " + ", ".join(repr(c) for c in spec.choices)
    if spec.lo is not None and spec.hi is not None:
        text += f" in {'(' if spec.lo_open else '['}{bound_text(spec.lo)}, " \
                f"{bound_text(spec.hi)}]"
    elif spec.lo is not None:
        text += f" {'>' if spec.lo_open else '>='} {bound_text(spec.lo)}"
    elif spec.hi is not None:
        text += f" <= {bound_text(spec.hi)}"
    if spec.unit:
        text += f" ({spec.unit})"
    return text


def _check_number(x: Any, spec: Spec, where: str, key: str, original: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise InputError(where, key, original, _expectation(spec))
    v = float(x)
    if not math.isfinite(v):
        raise InputError(where, key, original, _expectation(spec))
    if spec.lo is not None and (v < spec.lo or (spec.lo_open and v == spec.lo)):
        raise InputError(where, key, original, _expectation(spec))
    if spec.hi is not None and v > spec.hi:
        raise InputError(where, key, original, _expectation(spec))
    return v


def check_value(value: Any, spec: Spec, where: str, key: str) -> Any:
    """Validate and normalise one value against its spec; raise InputError if unacceptable."""
    kind = spec.kind
    if kind == "float?" and value is None:
        return None
    if kind in ("float", "float?"):
        return _check_number(value, spec, where, key, value)
    if kind == "int":
        # exact: no float comparison (rounds beyond 2**53), nothing beyond int64
        lo = INT64_MIN if spec.lo is None else math.ceil(spec.lo) + (spec.lo_open and
                                                                      spec.lo == int(spec.lo))
        hi = INT64_MAX if spec.hi is None else math.floor(spec.hi)
        what = _expectation(spec) + ("" if spec.hi is not None else f", at most {hi}")
        return exact_int(value, where, key, lo=lo, hi=hi, what=what)
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(where, key, value, _expectation(spec))
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise InputError(where, key, value, _expectation(spec))
        if spec.choices and value not in spec.choices:
            raise InputError(where, key, value, _expectation(spec))
        return value
    if kind == "floats":
        if not isinstance(value, list | tuple):
            raise InputError(where, key, value, _expectation(spec))
        return [_check_number(v, spec, where, f"{key}[{i}]", v) for i, v in enumerate(value)]
    raise AssertionError(kind)  # pragma: no cover


def unknown_key_error(where: str, key: str, value: Any, known: list[str]) -> InputError:
    """Return an InputError for an unknown key, suggesting the closest known key."""
    leaf = key.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(leaf, known, n=1, cutoff=0.6)
    hint = f"a known key (did you mean {close[0]!r}?)" if close else (
        "one of the known keys: " + ", ".join(sorted(known)))
    return InputError(where, key, value, hint)


def build(cls: type, data: Any, where: str, prefix: str) -> Any:
    """Build dataclass ``cls`` from a TOML table, strictly.

    Parameters
    ----------
    cls : type
        A dataclass whose fields are declared with :func:`knob`.
    data : dict
        The TOML table (missing keys take their defaults).
    where : str
        File name used in error messages.
    prefix : str
        Dotted path of the table (e.g. ``"target"``), prepended to key names in errors.

    Raises
    ------
    InputError
        Unknown key (with the closest match), missing required key, wrong type or range.

    """
    if not isinstance(data, dict):
        raise InputError(where, prefix, data, "a table")
    fields = {f.name: f for f in dataclasses.fields(cls) if "spec" in f.metadata}
    for key, value in data.items():
        if key not in fields:
            raise unknown_key_error(where, f"{prefix}.{key}", value, list(fields))
    kwargs = {}
    for name, f in fields.items():
        spec = spec_of(f)
        dotted = f"{prefix}.{name}"
        if name in data:
            kwargs[name] = check_value(data[name], spec, where, dotted)
        elif spec.required:
            raise InputError(where, dotted, None, "a required key: " + _expectation(spec))
    return cls(**kwargs)


def as_dict(obj: Any) -> dict[str, Any]:
    """Return the configuration fields of a dataclass as a TOML-ready dict (None omitted)."""
    out = {}
    for f in dataclasses.fields(obj):
        if "spec" not in f.metadata:
            continue
        v = getattr(obj, f.name)
        if v is None:
            continue
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def _toml_repr(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_repr(x) for x in v) + "]"
    return str(v)


def doc_rows(cls: type, prefix: str) -> list[tuple[str, str, str, str, str, str]]:
    """Rows (key, unit, default, allowed, tag, description + source) for the reference docs."""
    rows = []
    for f in dataclasses.fields(cls):
        if "spec" not in f.metadata:
            continue
        spec = spec_of(f)
        if spec.required:
            default = "required"
        elif f.default is not _MISSING:
            default = "-" if f.default is None else _toml_repr(f.default)
        else:
            default = _toml_repr(f.default_factory())  # type: ignore[misc]
        text = spec.doc + (f" Source: {spec.source}." if spec.source else "")
        rows.append((f"{prefix}.{f.name}", spec.unit or "-", default, _expectation(spec),
                     spec.tag, text.strip()))
    return rows


def tagged_values(config: Any, tags: tuple[str, ...] = ("[A]", "[U]"),
                  prefix: str = "") -> list[dict]:
    """List the fields of a configuration dataclass (recursively) whose evidence tag is in ``tags``.

    Used by reports to state every assumption and unverified default with its value and source.

    Returns
    -------
    list of dict
        ``{"key", "value", "unit", "tag", "source"}`` per field, dotted keys.

    """
    out: list[dict] = []
    if not dataclasses.is_dataclass(config):
        return out
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out += tagged_values(value, tags, key + ".")
            continue
        spec = f.metadata.get("spec")
        if spec is not None and any(t in spec.tag for t in tags):
            out.append({"key": key, "value": value, "unit": spec.unit, "tag": spec.tag,
                        "source": spec.source or spec.doc})
    return out
