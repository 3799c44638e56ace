"""Atomic targets (Yb, Xe): level energies, the Gamma_0 normalisation and its reference point.

Data and citations live in ``renpsim/data/targets/*.toml`` ([physics §2.1], [physics §2.2] and
[physics §1.5]).
Inputs that no source provides (Gamma_0 and (2J_v+1)C_ev for Xe) are ``None`` here and must be
supplied by the user before a rate can be computed; a clearly labelled placeholder exists but is
never used silently.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from renpsim._resources import data_path, load_toml
from renpsim.errors import DataFileError, InputError


@dataclass(frozen=True)
class AtomicTarget:
    """Level scheme and rate normalisation of one RENP target.

    Attributes
    ----------
    species : str
        Element symbol (``"Yb"`` or ``"Xe"``).
    isotope : str
        Isotope label (``"174"``, ``"171"``, ``"natural"``, ...).
    E_eg_eV : float
        Energy of |e> above |g> in eV (isotope specific).
    E_eg_sigma_eV : float
        1 sigma uncertainty of ``E_eg_eV`` in eV.
    E_vg_eV : float
        Energy of the intermediate level |v> above |g> in eV (E_vg > E_eg).
    two_Jv_plus_1_C_ev : float or None
        Atomic factor (2J_v+1)C_ev; ``None`` where unknown (Xe).
    gamma0_ref_per_s : float or None
        Gamma_0 in s^-1 at the reference point (V_ref, n_ref, eta_ref); ``None`` where unknown.
    gamma0_placeholder_per_s : float or None
        A labelled placeholder for Gamma_0, usable only on explicit request.
    V_ref_cm3, n_ref_cm3, eta_ref : float
        Reference volume, density and coherence of ``gamma0_ref_per_s``.
    gamma_vg_per_s : float
        Decay rate of |v> -> |g> (used for diagnostics and the first-principles Gamma_0 check).
    sources : dict
        Citation strings for each item.

    """

    species: str
    isotope: str
    E_eg_eV: float
    E_eg_sigma_eV: float
    E_vg_eV: float
    two_Jv_plus_1_C_ev: float | None
    gamma0_ref_per_s: float | None
    gamma0_placeholder_per_s: float | None
    V_ref_cm3: float
    n_ref_cm3: float
    eta_ref: float
    gamma_vg_per_s: float
    sources: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """Label such as ``"Yb-174"``."""
        return f"{self.species}-{self.isotope}"

    @property
    def omega_max_eV(self) -> float:
        """Kinematic endpoint E_eg/2 of the photon energy for massless neutrinos."""
        return 0.5 * self.E_eg_eV

    def with_E_eg(self, E_eg_eV: float, sigma_eV: float | None = None) -> AtomicTarget:
        """Return a copy with a different E_eg (e.g. a fitted isotope shift)."""
        if not (math.isfinite(E_eg_eV) and 0.0 < E_eg_eV < self.E_vg_eV):
            raise InputError(self.name, "E_eg_eV", E_eg_eV, f"0 < E_eg < E_vg = {self.E_vg_eV}")
        return replace(
            self, E_eg_eV=float(E_eg_eV), E_eg_sigma_eV=self.E_eg_sigma_eV if sigma_eV is None
            else float(sigma_eV)
        )


_NAME_RE = re.compile(r"^(?P<species>[A-Z][a-z]?)(?:[-_ ]?(?P<iso>\d{3}|natural|gp21))?$")


def list_targets() -> list[str]:
    """Species with a data file."""
    return sorted(p.stem for p in data_path("targets").glob("*.toml"))


def list_isotopes(species: str) -> list[str]:
    """Isotope labels available for one species."""
    doc = load_toml(data_path("targets", f"{species}.toml"))
    return sorted(doc.get("isotopes", {}))


def _optional_number(doc: dict, section: str, key: str, path: str) -> float | None:
    value = doc.get(section, {}).get(key)
    if value == "required" or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataFileError(path, f"{section}.{key}", "expected a number or 'required'")
    return float(value)


def load_target(name: str = "Yb", isotope: str | None = None) -> AtomicTarget:
    """Load a target by name.

    Parameters
    ----------
    name : str
        ``"Yb"``, ``"Xe"`` or with an isotope, e.g. ``"Yb-174"``, ``"Yb171"``.
    isotope : str, optional
        Isotope label; overrides one given in ``name``. Default: the file's ``default_isotope``
        (174 for Yb, an even isotope with no hyperfine-induced decay of 3P0).

    Returns
    -------
    AtomicTarget

    Raises
    ------
    InputError
        Unknown species or isotope.

    """
    m = _NAME_RE.match(name.strip()) if isinstance(name, str) else None
    if m is None or m["species"] not in list_targets():
        raise InputError("target", "name", name, "one of " + ", ".join(list_targets()))
    species = m["species"]
    path = data_path("targets", f"{species}.toml")
    doc = load_toml(path)
    iso = isotope or m["iso"] or doc["meta"]["default_isotope"]
    isotopes = doc.get("isotopes", {})
    if iso not in isotopes:
        raise InputError("target", "isotope", iso, f"one of {', '.join(sorted(isotopes))}")
    entry = isotopes[iso]
    levels = doc["levels"]
    norm = doc["normalisation"]
    p = str(path)
    try:
        target = AtomicTarget(
            species=species,
            isotope=iso,
            E_eg_eV=float(entry["E_eg_eV"]),
            E_eg_sigma_eV=float(entry["E_eg_sigma_eV"]),
            E_vg_eV=float(levels["E_vg_eV"]),
            two_Jv_plus_1_C_ev=_optional_number(doc, "levels", "two_Jv_plus_1_C_ev", p),
            gamma0_ref_per_s=_optional_number(doc, "normalisation", "gamma0_ref_per_s", p),
            gamma0_placeholder_per_s=_optional_number(
                doc, "normalisation", "gamma0_placeholder_per_s", p
            ),
            V_ref_cm3=float(norm["V_ref_cm3"]),
            n_ref_cm3=float(norm["n_ref_cm3"]),
            eta_ref=float(norm["eta_ref"]),
            gamma_vg_per_s=float(levels["gamma_vg_per_s"]),
            sources={
                "E_eg": entry.get("source", ""),
                "E_vg": levels.get("E_vg_source", ""),
                "gamma0": norm.get("gamma0_source", norm.get("gamma0_placeholder_note", "")),
                "C_ev": levels.get("two_Jv_plus_1_C_ev_source", "required input"),
                "target": doc["meta"].get("source", ""),
            },
        )
    except KeyError as exc:
        raise DataFileError(p, str(exc.args[0]), "missing key") from None
    if not 0.0 < target.E_eg_eV < target.E_vg_eV:
        raise DataFileError(p, "E_eg_eV", "must satisfy 0 < E_eg < E_vg")
    return target
