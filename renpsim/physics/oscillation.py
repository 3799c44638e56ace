"""Oscillation-parameter presets (NuFIT 6.0 with/without SK-atm, NuFIT 5.2, NuFIT 5.0).

The numbers live in ``renpsim/data/oscillation/*.toml`` with their citations and verification
status (``meta.verified``, ``meta.caveat``); see [physics §3.1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from renpsim._resources import data_path, load_toml
from renpsim.errors import DataFileError, InputError

Ordering = Literal["NO", "IO"]

PARAMETER_NAMES = (
    "sin2_theta12",
    "sin2_theta13",
    "sin2_theta23",
    "delta_cp_deg",
    "dm2_21_eV2",
    "dm2_3l_eV2",
)


@dataclass(frozen=True)
class Measured:
    """A central value with asymmetric 1 sigma errors.

    Attributes
    ----------
    value : float
        Central value.
    plus, minus : float
        Upper and lower 1 sigma errors (both positive).

    """

    value: float
    plus: float
    minus: float

    @property
    def sigma(self) -> float:
        """Symmetrised 1 sigma error, (plus + minus)/2."""
        return 0.5 * (self.plus + self.minus)


@dataclass(frozen=True)
class OscillationParameters:
    """One ordering of one oscillation preset.

    Attributes
    ----------
    preset : str
        Preset name, e.g. ``"nufit-6.0"``.
    ordering : {"NO", "IO"}
        Mass ordering the numbers refer to.
    sin2_theta12, sin2_theta13, sin2_theta23 : Measured
        Mixing angles.
    delta_cp_deg : Measured
        Dirac CP phase in degrees (PDG convention).
    dm2_21_eV2 : Measured
        Solar splitting m2^2 - m1^2 in eV^2.
    dm2_3l_eV2 : Measured
        Atmospheric splitting: m3^2 - m1^2 > 0 for NO, m3^2 - m2^2 < 0 for IO (NuFIT convention).
    meta : dict
        Citation and verification metadata from the data file.

    """

    preset: str
    ordering: Ordering
    sin2_theta12: Measured
    sin2_theta13: Measured
    sin2_theta23: Measured
    delta_cp_deg: Measured
    dm2_21_eV2: Measured
    dm2_3l_eV2: Measured
    meta: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def delta_cp_rad(self) -> float:
        """Dirac CP phase in radians."""
        return math.radians(self.delta_cp_deg.value)

    def as_dict(self) -> dict[str, float]:
        """Central values keyed by parameter name."""
        return {name: getattr(self, name).value for name in PARAMETER_NAMES}


def _preset_file(name: str):
    return data_path("oscillation", f"{name}.toml")


def list_presets() -> list[str]:
    """Names of the shipped oscillation presets, default first."""
    names = sorted(p.stem for p in data_path("oscillation").glob("*.toml"))
    return sorted(names, key=lambda n: (n != DEFAULT_PRESET, n))


DEFAULT_PRESET = "nufit-6.0"


def load_preset(name: str = DEFAULT_PRESET, ordering: str = "NO") -> OscillationParameters:
    """Load one ordering of an oscillation preset.

    Parameters
    ----------
    name : str
        One of :func:`list_presets` (``nufit-6.0``, ``nufit-6.0-nosk``, ``nufit-5.2``,
        ``nufit-5.0``).
    ordering : {"NO", "IO"}
        Mass ordering.

    Returns
    -------
    OscillationParameters

    Raises
    ------
    InputError
        Unknown preset or ordering.
    DataFileError
        The preset file is malformed.

    """
    if ordering not in ("NO", "IO"):
        raise InputError("oscillation", "ordering", ordering, "'NO' or 'IO'")
    path = _preset_file(name)
    if not path.is_file():
        raise InputError("oscillation", "preset", name, "one of " + ", ".join(list_presets()))
    doc = load_toml(path)
    block = doc.get(ordering)
    if not isinstance(block, dict):
        raise DataFileError(str(path), ordering, "missing table")
    values = {}
    for key in PARAMETER_NAMES:
        entry = block.get(key)
        if not isinstance(entry, dict) or not {"value", "plus", "minus"} <= entry.keys():
            raise DataFileError(str(path), f"{ordering}.{key}", "needs {value, plus, minus}")
        try:
            values[key] = Measured(*(float(entry[k]) for k in ("value", "plus", "minus")))
        except (TypeError, ValueError):
            raise DataFileError(str(path), f"{ordering}.{key}", "non-numeric entry") from None
    sign = values["dm2_3l_eV2"].value
    if (ordering == "NO") != (sign > 0):
        raise DataFileError(str(path), f"{ordering}.dm2_3l_eV2", "sign inconsistent with ordering")
    return OscillationParameters(preset=name, ordering=ordering, meta=doc.get("meta", {}), **values)
