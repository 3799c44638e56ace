"""Parse BSM term specifications such as ``m=20000,gL11=8e-16,gR11=0`` (CLI, fitter, TUI).

Syntax: comma-separated ``key=value`` pairs; values are real numbers or Python complex literals
(``1e-16+2e-17j``). Keys:

* vector (``--vector``): ``m`` (eV, required), ``gL<ij>``, ``gR<ij>`` (products g^e g^nu, i, j in
  1..3), ``width`` (eV, default 0);
* scalar (``--scalar``): ``m`` (eV, required), ``yS<ij>``, ``yP<ij>`` (products y^e y^nu),
  ``convention`` (``physical`` or ``paper``), ``width`` (eV);
* dipole (``--dipole``): ``mu<ij>``, ``eps<ij>`` in units of mu_B.

Missing transposed elements are filled so the matrix is allowed: for hermitian couplings
(vector, scalar, Dirac dipole) element ji = conj(ij); for Majorana dipoles ji = -ij. If both are
given they must be consistent (checked by the term).
"""

from __future__ import annotations

import re

import numpy as np

from renpsim.errors import InputError
from renpsim.physics.bsm.dipole import DipoleMoments
from renpsim.physics.bsm.scalar import CONVENTIONS, ScalarMediator
from renpsim.physics.bsm.vector import VectorMediator

KINDS = {
    "vector": ("gL", "gR"),
    "scalar": ("yS", "yP"),
    "dipole": ("mu", "eps"),
}
_ELEMENT = re.compile(r"^(gL|gR|yS|yP|mu|eps)([1-3])([1-3])$")


def _number(text: str, key: str, where: str) -> complex:
    try:
        value = complex(text.strip().replace(" ", ""))
    except ValueError:
        raise InputError(where, key, text, "a number (e.g. 8e-16, or 1e-16+2e-17j)") from None
    if not (np.isfinite(value.real) and np.isfinite(value.imag)):
        raise InputError(where, key, text, "a finite number")
    return value


def parse_term_spec(kind: str, spec: str, nature: str = "dirac", where: str | None = None):
    """Build a BSM term from a ``key=value,...`` string.

    Parameters
    ----------
    kind : {"vector", "scalar", "dipole"}
        Term type.
    spec : str
        The specification, e.g. ``"m=20000,gL11=8e-16,gR11=0"``.
    nature : {"dirac", "majorana"}
        Neutrino nature (decides how a missing dipole element ji is filled).
    where : str, optional
        Label used in error messages (default: the term kind, e.g. ``"vector"``).

    Returns
    -------
    VectorMediator, ScalarMediator or DipoleMoments

    Raises
    ------
    InputError
        Unknown key, missing ``m``, negative mass or width, non-number, bad convention.

    """
    where = where or kind
    if kind not in KINDS:
        raise InputError(where, "kind", kind, "vector, scalar or dipole")
    names = KINDS[kind]
    allowed = [f"{n}<ij>" for n in names]
    if kind in ("vector", "scalar"):
        allowed = ["m", *allowed, "width"]
    if kind == "scalar":
        allowed.append("convention")
    elements: dict[str, dict[tuple[int, int], complex]] = {n: {} for n in names}
    scalars: dict[str, object] = {}
    if not spec or not spec.strip():
        raise InputError(where, kind, spec,
                         f"comma-separated key=value pairs ({', '.join(allowed)})")
    for item in spec.split(","):
        if "=" not in item:
            raise InputError(where, item.strip(), item,
                             f"key=value with key in {', '.join(allowed)}")
        key, _, text = item.partition("=")
        key = key.strip()
        match = _ELEMENT.match(key)
        if match and match.group(1) in names:
            ij = (int(match.group(2)) - 1, int(match.group(3)) - 1)
            if ij in elements[match.group(1)]:
                raise InputError(where, key, text, "each key at most once")
            elements[match.group(1)][ij] = _number(text, key, where)
        elif key in ("m", "width") and kind in ("vector", "scalar"):
            if key in scalars:
                raise InputError(where, key, text, "each key at most once")
            value = _number(text, key, where)
            if value.imag != 0 or value.real < 0:
                raise InputError(where, key, text.strip(), "a real value >= 0 in eV")
            scalars[key] = value.real
        elif key == "convention" and kind == "scalar":
            if text.strip() not in CONVENTIONS:
                raise InputError(where, key, text.strip(), "'physical' or 'paper'")
            scalars[key] = text.strip()
        else:
            raise InputError(where, key, text.strip(), f"one of {', '.join(allowed)}")
    if kind in ("vector", "scalar") and "m" not in scalars:
        raise InputError(where, "m", None, "the mediator mass m=<eV> (required)")
    mats = {n: _fill(elements[n], kind, nature) for n in names}
    if kind == "vector":
        return VectorMediator(scalars["m"], mats["gL"], mats["gR"],
                              width_eV=scalars.get("width", 0.0), where=where)
    if kind == "scalar":
        return ScalarMediator(scalars["m"], mats["yS"], mats["yP"],
                              convention=scalars.get("convention", "physical"),
                              width_eV=scalars.get("width", 0.0), where=where)
    return DipoleMoments(mats["mu"], mats["eps"], where=where)


def _fill(given: dict[tuple[int, int], complex], kind: str, nature: str) -> np.ndarray:
    mat = np.zeros((3, 3), dtype=complex)
    for (i, j), v in given.items():
        mat[i, j] = v
    for (i, j), v in given.items():
        if (j, i) in given or i == j:
            continue
        mat[j, i] = -v if (kind == "dipole" and nature == "majorana") else np.conj(v)
    return mat
