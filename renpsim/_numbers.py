"""Exact parsing of integers from text tables and TOML, and sums that cannot wrap.

A count in a CSV cell or a TOML value is read as an exact integer and checked against the
range of the type it will be stored in, instead of passing through a float (which silently
rounds beyond 2**53) or a fixed-width integer (which wraps beyond 2**63 or 2**64: a count of
2**64 would be stored as 0). Everything here raises :class:`~renpsim.errors.InputError` naming
the file, the field (``row R, column C`` or a dotted key) and the bad value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from renpsim.errors import InputError

#: Range of the on-disk integer types (a count stored as int64 / uint64).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
#: Largest integer a float64 holds exactly; counts stored as floats must stay below it.
FLOAT_EXACT_MAX = 2**53

_INT_TEXT = re.compile(r"^[+-]?\d+$")
_FLOAT_INT_TEXT = re.compile(r"^[+-]?(\d+)(\.0*)?([eE][+]?\d+)?$")


def bound_text(x: float) -> str:
    """Format a range bound for a message with every digit it has.

    ``:g`` keeps six digits, so a refused 1.0000001 could be told "expected <= 1": the bound
    is printed exactly (integers in full, floats in their shortest exact form).
    """
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int | np.integer):
        text = str(int(x))
    else:
        x = float(x)
        if not (x.is_integer() and abs(x) < 1e16):
            return repr(x)
        text = str(int(x))
    digits = text.lstrip("-")
    if len(digits) > 6 and digits.strip("0") == "1":     # 10**k exactly: 1e13
        return f"{text[:-len(digits)]}1e{len(digits) - 1}"
    return text


def _describe(lo: int, hi: int) -> str:
    return f"a whole number in [{lo}, {hi}]"


def exact_int(value: Any, where: str, key: str, *, lo: int = INT64_MIN, hi: int = INT64_MAX,
              what: str | None = None) -> int:
    """Return ``value`` as an exact Python int within ``[lo, hi]``.

    Accepted: Python and numpy integers; text of digits (``"123"``, ``"+7"``); text or floats
    that are whole numbers written with a decimal point or exponent (``"1e3"``, ``2.0``) as long
    as they are below 2**53, where a float is still exact. Booleans, fractions, nan, inf and
    numbers outside ``[lo, hi]`` are refused.

    Parameters
    ----------
    value : Any
        The value as read (a CSV cell, a TOML value).
    where, key : str
        The file and the field, for the error message.
    lo, hi : int
        Inclusive range (default: int64).
    what : str, optional
        Words for the message instead of "a whole number in [lo, hi]".

    Raises
    ------
    InputError
        Not an exact whole number in range.

    """
    expected = what or _describe(lo, hi)
    if isinstance(value, bool | np.bool_):
        raise InputError(where, key, value, expected)
    if isinstance(value, int | np.integer):
        n = int(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if _INT_TEXT.match(text):
            n = int(text)
        elif _FLOAT_INT_TEXT.match(text):
            n = _from_float(float(text), value, where, key, expected)
        else:
            raise InputError(where, key, value, expected)
    elif isinstance(value, float | np.floating):
        n = _from_float(float(value), value, where, key, expected)
    else:
        raise InputError(where, key, value, expected)
    if not lo <= n <= hi:
        raise InputError(where, key, value, expected)
    return n


def _from_float(x: float, raw: Any, where: str, key: str, expected: str) -> int:
    if not math.isfinite(x) or x != math.floor(x):
        raise InputError(where, key, raw, expected)
    if abs(x) > FLOAT_EXACT_MAX:
        raise InputError(where, key, raw, f"{expected}, written with digits only (a number "
                         "with a decimal point or exponent above 2**53 is not exact)")
    return int(x)


def int_column(cells: Iterable[Any], where: str, key: Callable[[int], str], *,
               lo: int = INT64_MIN, hi: int = INT64_MAX,
               dtype: type = np.int64) -> np.ndarray:
    """Parse a column of cells into an exact integer array (first bad cell named).

    Parameters
    ----------
    cells : iterable
        The cells as read (keep them as text or Python objects: a table reader that already
        converted them to float or a fixed-width integer has lost digits).
    where : str
        The file.
    key : callable
        ``key(i)`` gives the field name of cell ``i`` (``"row 5, column counts"``).
    lo, hi : int
        Inclusive range.
    dtype : numpy dtype
        Storage type; ``[lo, hi]`` must lie within it.

    Returns
    -------
    numpy.ndarray
        The values, exactly.

    """
    out = [exact_int(v, where, key(i), lo=lo, hi=hi) for i, v in enumerate(cells)]
    return np.array(out, dtype=dtype)


def exact_sum(values: Any, where: str = "sum", key: str = "-", *,
              hi: int = INT64_MAX) -> int:
    """Return the exact sum of integer values (Python int), refusing one beyond ``hi``.

    numpy sums of int64 wrap around silently; this one does not.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        total = sum(int(x) for x in arr.reshape(-1).tolist()) if arr.size < 1 << 16 else \
            _chunked_sum(arr.reshape(-1))
    else:
        total = sum(exact_int(x, where, key, lo=INT64_MIN, hi=UINT64_MAX)
                    for x in arr.reshape(-1).tolist())
    if total > hi:
        raise InputError(where, key, total, f"a total of at most {hi}")
    return total


def _chunked_sum(arr: np.ndarray) -> int:
    # int64 partial sums of 4096 values cannot wrap unless a value exceeds 2**51.
    total = 0
    for k in range(0, arr.size, 4096):
        part = arr[k:k + 4096]
        if part.dtype == np.uint64 or int(part.max()) >= 2**51 or int(part.min()) <= -(2**51):
            total += sum(int(x) for x in part.tolist())
        else:
            total += int(part.astype(np.int64).sum())
    return total
