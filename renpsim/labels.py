"""The one table of physics labels (with units) used by every figure and report table.

Figures never show internal ids (``vector_ge_gnu``, ``m_lightest_eV``, ``gL11``): they ask this
module. Bounded quantities take their symbol and unit from the limits registry
(:data:`renpsim.limits.quantities.QUANTITIES`); everything else (axes of spectra and count plots,
couplings of the sensitivity engine, the dipole matrix) is listed here. Labels are matplotlib
mathtext; :func:`plain` turns one into text for Markdown/HTML tables.
"""

from __future__ import annotations

import re

from renpsim.limits.quantities import QUANTITIES

#: Axis labels by column / variable name.
AXES: dict[str, str] = {
    "m_lightest_eV": r"lightest neutrino mass $m_{\rm lightest}$ [eV]",
    "omega_eV": r"trigger photon energy $\omega$ [eV]",
    "omega_offset_meV": r"$\omega - E_{eg}/2$ [meV]",
    "omega_offset_endpoint_meV": r"$\omega - \omega_{\rm end}$ (imprinted momentum) [meV]",
    "spectral_function": r"spectral function $I(\omega)$ [dimensionless]",
    "counts": "photon counts per scan step",
    "scan_step": r"scan step: $\omega$ [eV]",
    "dipole_mu": r"dipole moment $|\mu_{ij}|$, $|\epsilon_{ij}|$ [$\mu_B$]",
    "dipole_element": "mass-basis matrix element",
}

#: Short plain-language titles of the bounded quantities (figure titles).
TITLES: dict[str, str] = {
    "vector_ge_gnu": "Light vector mediator Z'",
    "scalar_ye_ynu": r"Light (pseudo)scalar mediator $\phi$",
    "scalar_ye": r"Electron Yukawa coupling of a light $\phi$",
    "scalar_ynu": r"Neutrino Yukawa coupling of a light $\phi$",
    "mu_nu_eff": "Effective neutrino magnetic moment",
    "transition_dipole_d": "Active-sterile transition dipole",
    "dipole_mu": "Neutrino dipole moments (mass basis)",
}

_FAMILY = {"gL": (r"g^\nu_{L,%s}", "vector"), "gR": (r"g^\nu_{R,%s}", "vector"),
           "yS": (r"y^\nu_{S,%s}", "scalar"), "yP": (r"y^\nu_{P,%s}", "scalar"),
           "mu": (r"\mu_{%s}", "dipole"), "eps": (r"\epsilon_{%s}", "dipole")}


def quantity_label(quantity: str) -> str:
    """Axis label of a bounded quantity with its unit (``dipole_mu`` included)."""
    if quantity in QUANTITIES:
        q = QUANTITIES[quantity]
        unit = "" if q.unit != "1" or "[" in q.label else " [dimensionless]"
        return q.label + unit
    if quantity in AXES:
        return AXES[quantity]
    raise KeyError(f"no label for quantity {quantity!r}")


def x_label(x_name: str, quantity: str | None = None) -> str:
    """Axis label of an abscissa: the quantity's mass axis (``m_eV``) or a listed axis."""
    if x_name == "m_eV" and quantity in QUANTITIES and QUANTITIES[quantity].x_label:
        return "mediator mass " + QUANTITIES[quantity].x_label
    if x_name == "m_eV":
        return "mediator mass $m$ [eV]"
    return AXES[x_name]


def title(quantity: str) -> str:
    """Plain-language title of a quantity (never its id)."""
    return TITLES.get(quantity) or QUANTITIES[quantity].description.split("(")[0].strip()


def coupling_label(name: str) -> str:
    """Mathtext symbol of a sensitivity-engine coupling (``gL11`` -> g^nu_{L,11} g^e)."""
    m = re.fullmatch(r"(gL|gR|yS|yP|mu|eps)(\d\d)", name)
    if m is None:
        return name
    sym, family = _FAMILY[m.group(1)]
    core = sym % m.group(2)
    if family == "vector":
        return rf"$|g^e {core}|$"
    if family == "scalar":
        return rf"$|y^e {core}|$"
    return rf"$|{core}|$ [$\mu_B$]"


def plain(label: str) -> str:
    """Return a mathtext label as plain text (Markdown/HTML tables): no dollars or braces."""
    text = label.replace("$", "").replace(r"\rm ", "").replace(r"\,", " ")
    greek = {r"\nu": "nu", r"\mu": "mu", r"\phi": "phi", r"\epsilon": "eps",
             r"\omega": "omega", r"\Sigma": "Sigma", r"\hat": "", r"\langle": "<",
             r"\rangle": ">"}
    for k, v in greek.items():
        text = text.replace(k, v)
    return text.replace("{", "").replace("}", "")
