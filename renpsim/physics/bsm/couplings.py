"""Coupling-matrix inputs of the BSM terms: coercion, element helpers and hermiticity checks.

Every neutrino-side coupling of a BSM term is a complex 3x3 matrix in the neutrino **mass** basis
(index order ``[..., i, j]`` for the bilinear nu-bar_i ... nu_j), optionally with leading batch
axes so that a grid of couplings is evaluated in one call. Accepted inputs:

* a number: the (11) element, all others zero (GP21's benchmark case, [physics §4.1] to [physics
§4.2]);
* a mapping ``{"11": value, "12": value, ...}`` (values may be arrays: batch axes);
* an array whose last two axes are (3, 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Number

import numpy as np
from numpy.typing import ArrayLike, NDArray

from renpsim.errors import InputError

#: Valid element labels "11" ... "33" (1-based mass indices).
ELEMENT_LABELS = tuple(f"{i}{j}" for i in range(1, 4) for j in range(1, 4))


def element_matrix(label: str, value: ArrayLike = 1.0) -> NDArray[np.complex128]:
    """Matrix with ``value`` at element ``label`` (e.g. "12") and zero elsewhere.

    ``value`` may be an array: the result has shape ``value.shape + (3, 3)``, which is how a grid
    of couplings is built for one vectorised call.
    """
    if label not in ELEMENT_LABELS:
        raise InputError("coupling", "element", label, "a mass-basis label 11 ... 33")
    v = np.asarray(value, dtype=complex)
    out = np.zeros((*v.shape, 3, 3), dtype=complex)
    out[..., int(label[0]) - 1, int(label[1]) - 1] = v
    return out


def as_coupling_matrix(value, name: str, where: str) -> NDArray[np.complex128]:
    """Coerce a coupling input (number, mapping or (...,3,3) array) to a complex array.

    Raises
    ------
    InputError
        Unknown element label, wrong shape, non-numeric or non-finite entries.

    """
    if value is None:
        return np.zeros((3, 3), dtype=complex)
    if isinstance(value, Mapping):
        arrays = {}
        for key, v in value.items():
            label = str(key)
            if label not in ELEMENT_LABELS:
                raise InputError(where, f"{name}{label}", v, "a mass-basis element 11 ... 33")
            arrays[label] = _as_complex(v, f"{name}{label}", where)
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
        out = np.zeros((*shape, 3, 3), dtype=complex)
        for label, arr in arrays.items():
            out[..., int(label[0]) - 1, int(label[1]) - 1] = arr
        return out
    if isinstance(value, Number):
        return element_matrix("11", _as_complex(value, f"{name}11", where))
    arr = _as_complex(value, name, where)
    if arr.ndim == 0:
        return element_matrix("11", arr)
    if arr.shape[-2:] != (3, 3):
        raise InputError(where, name, f"array of shape {arr.shape}",
                         "a number (the 11 element), a mapping or an array of shape (..., 3, 3)")
    return arr


def _as_complex(value, key: str, where: str) -> NDArray[np.complex128]:
    try:
        arr = np.asarray(value, dtype=complex)
    except (TypeError, ValueError):
        raise InputError(where, key, value, "a number") from None
    if not np.all(np.isfinite(arr)):
        raise InputError(where, key, value, "finite values")
    return arr


def as_mass(value: ArrayLike, name: str, where: str) -> NDArray[np.float64]:
    """Mediator mass or width in eV: finite and >= 0 (arrays allowed)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(where, name, value, "a number in eV") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0.0):
        raise InputError(where, name, value, "a finite value >= 0 eV")
    return arr


def _scale(matrix: NDArray[np.complex128]) -> NDArray[np.float64]:
    return np.max(np.abs(matrix), axis=(-2, -1), keepdims=True)


def _first_bad(matrix: NDArray[np.complex128], bad: NDArray[np.bool_]) -> str:
    idx = np.argwhere(bad)[0]
    i, j = int(idx[-2]), int(idx[-1])
    return f"{i + 1}{j + 1}"


def check_hermitian(matrix: NDArray[np.complex128], name: str, where: str,
                    rtol: float = 1e-12) -> None:
    """Raise :class:`InputError` unless ``matrix[..., j, i] == conj(matrix[..., i, j])``.

    A hermitian Lagrangian nu-bar_i G_ij nu_j (+ nothing: "+h.c." is already inside, see
    docs/bsm.md) needs hermitian G for the vector, scalar and pseudoscalar couplings of
    [physics §4.1] to [physics §4.2] and for Dirac dipole moments (Giunti-Studenikin convention).
    """
    diff = np.abs(matrix - np.conj(np.swapaxes(matrix, -1, -2)))
    bad = diff > rtol * _scale(matrix)
    if np.any(bad):
        label = _first_bad(matrix, bad)
        ij = f"{label[1]}{label[0]}"
        value = np.asarray(matrix)[..., int(label[0]) - 1, int(label[1]) - 1].flat[0]
        raise InputError(
            where, f"{name}{label}", complex(value),
            f"a hermitian matrix ({name}{ij} = conj({name}{label})) for a hermitian Lagrangian",
        )


def check_antisymmetric(matrix: NDArray[np.complex128], name: str, where: str,
                        rtol: float = 1e-12) -> None:
    """Raise :class:`InputError` unless ``matrix[..., j, i] == -matrix[..., i, j]``.

    Majorana neutrinos have only transition dipole moments: mu and eps are antisymmetric in the
    mass basis ([physics §4.3]; Giunti & Studenikin, Rev. Mod. Phys. 87 (2015) 531).
    """
    diff = np.abs(matrix + np.swapaxes(matrix, -1, -2))
    bad = diff > rtol * _scale(matrix)
    if np.any(bad):
        label = _first_bad(matrix, bad)
        ij = f"{label[1]}{label[0]}"
        value = np.asarray(matrix)[..., int(label[0]) - 1, int(label[1]) - 1].flat[0]
        raise InputError(
            where, f"{name}{label}", complex(value),
            f"an antisymmetric matrix for Majorana neutrinos ({name}{ij} = -{name}{label}, "
            "zero diagonal)",
        )
