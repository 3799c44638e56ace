"""Strict JSON for every file and every JSON output renpsim writes.

JSON has no NaN or infinity (RFC 8259); Python's ``json`` module writes them as the invalid tokens
``NaN`` and ``Infinity`` unless told not to. Here a non-finite number means "absent" (a limit that
does not exist, an unconstrained parameter) and is written as ``null``; the output is then
serialised with ``allow_nan=False`` so a stray non-finite value can never reach a file.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def json_default(obj: Any) -> Any:
    """Convert numpy scalars/arrays and paths to plain JSON types; refuse anything else."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def finite_or_none(value: Any) -> Any:
    """Return ``value`` with every non-finite float (also inside containers) replaced by None.

    numpy scalars and arrays are converted to plain Python types on the way; mappings, lists and
    tuples are rebuilt (tuples become lists, as in JSON).
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return finite_or_none(value.tolist())
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: finite_or_none(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return finite_or_none(value.item())
    return value


def dumps(obj: Any, indent: int | None = 1, **kwargs: Any) -> str:
    """Serialise ``obj`` as strict JSON: non-finite numbers become ``null``.

    Parameters
    ----------
    obj : any
        Plain Python, numpy scalars/arrays, paths.
    indent : int or None
        As for :func:`json.dumps`.
    **kwargs
        Passed to :func:`json.dumps` (``sort_keys`` ...); ``allow_nan`` is always False.

    """
    kwargs.pop("allow_nan", None)
    return json.dumps(finite_or_none(obj), indent=indent, default=json_default,
                      allow_nan=False, **kwargs)


#: Elements per block when :func:`dumps_blocks` encodes a numpy array.
ARRAY_BLOCK = 1 << 16


def dumps_blocks(obj: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` of ``obj``, with its numpy arrays encoded block by block.

    The text is exactly what ``json.dumps(obj, default=json_default, **kwargs)`` returns (for
    the default separators), but a one-dimensional array is never turned into a Python list as
    a whole: it is written in blocks of :data:`ARRAY_BLOCK` elements, so the only whole-size
    object is the text itself (a 1e7-element list of Python floats costs ~320 MB; its text
    ~190 MB).

    Parameters
    ----------
    obj : any
        Plain Python, with numpy arrays anywhere in mappings or lists.
    **kwargs
        Passed to :func:`json.dumps` (``sort_keys``, ``allow_nan``); ``indent`` and
        ``separators`` are not supported.

    Returns
    -------
    str

    """
    if "indent" in kwargs or "separators" in kwargs:
        raise ValueError("dumps_blocks: indent and separators are not supported")
    arrays: list[np.ndarray] = []
    mark = f"renpsim-array-{uuid.uuid4().hex}-"   # cannot occur in the rest of the text

    def swap(value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.size > ARRAY_BLOCK:
            arrays.append(value)
            return f"{mark}{len(arrays) - 1}"
        if isinstance(value, Mapping):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(obj), default=json_default, **kwargs)
    if not arrays:
        return text
    parts: list[str] = []
    pieces = text.split(f'"{mark}')
    parts.append(pieces[0])
    for piece in pieces[1:]:
        index, rest = piece.split('"', 1)
        arr = arrays[int(index)]
        parts.append("[")
        for i in range(0, arr.size, ARRAY_BLOCK):
            block = json.dumps(arr[i:i + ARRAY_BLOCK].tolist(), **{
                k: v for k, v in kwargs.items() if k == "allow_nan"})
            parts.append(("" if i == 0 else ", ") + block[1:-1])
        parts.append("]")
        parts.append(rest)
    return "".join(parts)
