"""Editable campaign fields: TOML key, unit, allowed range and the parser that validates them.

Every value the interface lets a user type goes through :func:`parse_field`, which either returns
the parsed value or raises :class:`~renpsim.errors.InputError` naming the field, the bad text and
what would be accepted. Widgets call it on every keystroke (validation as you type) and the
campaign refuses to store anything that does not pass it.

The hardware fields are generated from the knob declarations of ``renpsim.hardware`` (unit,
evidence tag, range, default, help); knobs tagged ``[A]`` are assumptions and labelled as such.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from renpsim.errors import InputError


@dataclass(frozen=True)
class FieldSpec:
    """One editable scalar of a campaign.

    Attributes
    ----------
    key : str
        Dotted TOML key, e.g. ``"hardware.volume_cm3"``.
    label : str
        Short human label.
    unit : str
        Unit shown next to the field (``""`` for dimensionless or text).
    kind : {"float", "float?", "int", "choice", "text", "text?", "bsm"}
        Value type (``"float?"``, ``"text?"``: blank text means unset).
    default : object
        Value used when the campaign file does not set the key.
    minimum, maximum : float or None
        Allowed closed range (``min_open``/``max_open`` make an end open).
    choices : tuple of str
        Allowed values for ``kind == "choice"``.
    tag : str
        Evidence tag from docs/reference/hardware.md: ``"[A]"`` assumption, ``"[U]"`` unverified, or
        ``""``.
    help : str
        One line shown below the form when the field has focus.

    """

    key: str
    label: str
    unit: str
    kind: str
    default: object
    minimum: float | None = None
    maximum: float | None = None
    min_open: bool = False
    max_open: bool = False
    choices: tuple[str, ...] = ()
    tag: str = ""
    help: str = ""

    @property
    def widget_id(self) -> str:
        """Identifier usable as a Textual widget id."""
        return "f-" + self.key.replace(".", "-").replace("_", "-")

    def expected(self) -> str:
        """Describe the accepted values in words (used in error messages)."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "text":
            return "non-empty text"
        if self.kind == "bsm":
            return ("'none' or a BSM term: 'vector m=..,gL11=..', 'scalar m=..,yS11=..' or "
                    "'dipole mu11=..' (renpsim spectrum syntax)")
        lo = "-inf" if self.minimum is None else f"{self.minimum:g}"
        hi = "inf" if self.maximum is None else f"{self.maximum:g}"
        left = "(" if self.min_open or self.minimum is None else "["
        right = ")" if self.max_open or self.maximum is None else "]"
        what = "a whole number" if self.kind == "int" else "a number"
        unit = f" {self.unit}" if self.unit else ""
        return f"{what} in {left}{lo}, {hi}{right}{unit}"


_UNIT_SUFFIXES = {
    # Accept an explicit unit typed after the number when it is the field's own unit.
    "eV": 1.0, "meV": 1e-3, "ueV": 1e-6, "µeV": 1e-6,
    "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "min": 60.0, "h": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "J": 1.0, "mJ": 1e-3, "uJ": 1e-6,
    "m": 1.0, "mm": 1e-3, "um": 1e-6, "cm": 1e-2,
    "Hz": 1.0, "kHz": 1e3, "MHz": 1e6,
}
_UNIT_FAMILY = {
    "eV": {"eV", "meV", "ueV", "µeV"},
    "s": {"s", "ms", "us", "µs", "ns", "min", "h", "d", "day", "days"},
    "J": {"J", "mJ", "uJ"},
    "m": {"m", "mm", "um", "cm"},
    "Hz": {"Hz", "kHz", "MHz"},
}


_NUMBER_RE = re.compile(
    r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|nan)\s*(?P<unit>[A-Za-zµ]*)$"
)


def parse_number(text: str, unit: str) -> float:
    """Parse ``"1.5e3"`` or ``"2.3 d"`` into a float in the field's unit.

    Raises
    ------
    ValueError
        The text is not a number (optionally followed by a compatible unit).

    """
    m = _NUMBER_RE.match(text.strip().replace("_", ""))
    if m is None:
        raise ValueError("not a number")
    raw, suffix = m["number"], m["unit"]
    value = float(raw)
    if suffix:
        family = _UNIT_FAMILY.get(unit, {unit} if unit else set())
        if suffix not in family:
            raise ValueError(f"unit {suffix!r} is not compatible with {unit or 'a pure number'}")
        value *= _UNIT_SUFFIXES.get(suffix, 1.0) / _UNIT_SUFFIXES.get(unit, 1.0)
    return value


def parse_field(spec: FieldSpec, text: str, where: str = "campaign") -> object:
    """Validate the text typed into a field and return the value to store.

    Parameters
    ----------
    spec : FieldSpec
        The field.
    text : str
        What the user typed (a number may carry a compatible unit: ``"2.3 d"``, ``"10 mJ"``).
    where : str
        Context for the error message (file name or ``"campaign"``).

    Raises
    ------
    InputError
        The text is not acceptable; the message names the field, the text and the range.

    """
    if spec.kind == "bsm":
        from renpsim_tui import backend

        value = text.strip() or "none"
        backend.check_bsm_spec(value, where, spec.key)
        return value
    if spec.kind == "text":
        value = text.strip()
        if not value:
            raise InputError(where, spec.key, text, spec.expected())
        return value
    if spec.kind == "text?":
        return text.strip() or None
    if spec.kind == "float?" and not text.strip():
        return None
    if spec.kind == "choice":
        value = text.strip()
        for choice in spec.choices:
            if value.lower() == choice.lower():
                return choice
        raise InputError(where, spec.key, text, spec.expected())
    try:
        value = parse_number(text, spec.unit)
    except ValueError:
        raise InputError(where, spec.key, text, spec.expected()) from None
    if not math.isfinite(value):
        raise InputError(where, spec.key, text, spec.expected())
    if spec.kind == "int":
        if value != int(value):
            raise InputError(where, spec.key, text, spec.expected())
        value = int(value)
    lo, hi = spec.minimum, spec.maximum
    if lo is not None and (value < lo or (spec.min_open and value == lo)):
        raise InputError(where, spec.key, text, spec.expected())
    if hi is not None and (value > hi or (spec.max_open and value == hi)):
        raise InputError(where, spec.key, text, spec.expected())
    return value


def format_value(spec: FieldSpec, value: object) -> str:
    """Text shown in the input box for a stored value."""
    if value is None:
        return ""
    if spec.kind in ("float", "float?"):
        return f"{float(value):.10g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _f(key, label, unit, default, lo=None, hi=None, *, min_open=False, max_open=False, tag="",
       help="", kind="float"):
    return FieldSpec(key, label, unit, kind, default, lo, hi, min_open, max_open, (), tag, help)


def _c(key, label, choices, default, *, tag="", help=""):
    return FieldSpec(key, label, "", "choice", default, choices=choices, tag=tag, help=help)


#: Knobs shown by the target picker instead of a field, and free-text labels (recorded only).
_NOT_FIELDS = {"target.species", "target.isotope"}


def _hardware_fields() -> tuple[FieldSpec, ...]:
    """One field per scalar knob of the hardware schema (``renpsim.hardware``), in its order.

    Unit, evidence tag, range, default and help text come from the knob's declaration, so the
    form can never disagree with the files it writes. Lists and free-text labels are left out.
    """
    import dataclasses

    from renpsim.hardware.config import SECTIONS
    from renpsim.hardware.schema import spec_of
    from renpsim_tui.backend import HARDWARE_SECTIONS

    out = []
    for section, cls in SECTIONS.items():
        if section not in HARDWARE_SECTIONS:
            continue
        for f in dataclasses.fields(cls):
            spec = spec_of(f)
            key = f"{section}.{f.name}"
            if key in _NOT_FIELDS:
                continue
            default = f.default if f.default is not dataclasses.MISSING else None
            if spec.kind == "bool":
                out.append(FieldSpec(key, f.name, "", "choice",
                                     "true" if default else "false", choices=("true", "false"),
                                     tag=spec.tag, help=spec.doc))
            elif spec.kind == "str" and spec.choices:
                out.append(FieldSpec(key, f.name, "", "choice", default, choices=spec.choices,
                                     tag=spec.tag, help=spec.doc))
            elif spec.kind in ("float", "float?", "int"):
                out.append(FieldSpec(key, f.name, spec.unit, spec.kind, default, spec.lo,
                                     spec.hi, spec.lo_open, False, (), spec.tag, spec.doc))
    return tuple(out)


#: Hardware knobs of the Hardware tab, keyed ``SECTION.KEY`` as in the hardware schema (written
#: to ``[hardware_overrides.SECTION]`` of the campaign); generated from ``renpsim.hardware``.
HARDWARE_FIELDS: tuple[FieldSpec, ...] = _hardware_fields()

def _oscillation_presets() -> list[str]:
    from renpsim_tui.backend import oscillation_presets

    return oscillation_presets()


#: The campaign's identity and random seed (top-level keys of the campaign schema).
CAMPAIGN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "name", "", "text", "untitled", help="Campaign name"),
    FieldSpec("description", "description", "", "text?", None,
              help="One line describing the campaign (blank: none)"),
    FieldSpec("seed", "seed", "", "int", 0, 0, 2**63 - 1,
              help="Root of every random stream (simulation, random order)"),
)

def _truth_fields() -> tuple[FieldSpec, ...]:
    """Return the forecast's hypothesis fields, from the ``[truth]`` knobs of the schema.

    Choices, unit, range, default and help come from :class:`renpsim.campaign.TruthConfig`
    (the oscillation choices are the shipped presets); the labels are the form's, and no
    evidence tag is shown (these are hypotheses, not hardware evidence).
    """
    import dataclasses

    from renpsim.campaign import TruthConfig
    from renpsim.hardware.schema import spec_of

    labels = {"ordering": "Ordering", "m_lightest_eV": "Lightest mass", "nature": "Nature",
              "oscillation": "Oscillation preset"}
    out = []
    for f in dataclasses.fields(TruthConfig):
        if f.name not in labels:
            continue
        spec = spec_of(f)
        key = f"truth.{f.name}"
        if spec.kind == "str":
            choices = spec.choices or tuple(_oscillation_presets())
            out.append(FieldSpec(key, labels[f.name], "", "choice", f.default, choices=choices,
                                 help=spec.doc))
        else:
            out.append(FieldSpec(key, labels[f.name], spec.unit, spec.kind, f.default, spec.lo,
                                 spec.hi, spec.lo_open, False, (), "", spec.doc))
    return tuple(out)


#: The neutrino hypothesis used for the forecast (``[truth]`` of the campaign), generated from
#: the campaign schema.
TRUTH_FIELDS: tuple[FieldSpec, ...] = _truth_fields()

#: Interface-only settings (not part of the campaign schema; kept for the session).
SESSION_FIELDS: tuple[FieldSpec, ...] = (
    _c("alternative.ordering", "Alt. ordering", ("NO", "IO"), "IO"),
    _f("alternative.m_lightest_eV", "Alt. lightest mass", "eV", 0.01, 0.0, 1.0),
    _c("alternative.nature", "Alt. nature", ("dirac", "majorana"), "dirac"),
    FieldSpec("alternative.bsm", "Alt. BSM term", "", "bsm", "none",
              help="e.g. vector m=0.05,gL11=1e-26 | scalar m=0.05,yS11=1e-18 | dipole mu11=1e-9"),
    _f("statistics.delta_chi2", "Delta chi^2 threshold", "", 3.84, 0.0, 1e3, min_open=True,
       help="3.84 = 95% CL for 1 dof; GP21 uses 5.99 (2 dof) ([physics §6.2])"),
    FieldSpec("statistics.dof", "Degrees of freedom", "", "int", 1, 1, 10),
)

#: Fields shown on the Forecast tab.
NEUTRINO_FIELDS = TRUTH_FIELDS + SESSION_FIELDS[:4]


def all_fields() -> dict[str, FieldSpec]:
    """Every scalar field keyed by its dotted key."""
    return {f.key: f for f in (*CAMPAIGN_FIELDS, *HARDWARE_FIELDS, *TRUTH_FIELDS,
                                *SESSION_FIELDS)}
