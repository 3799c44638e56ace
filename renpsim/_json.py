"""Strict JSON for every file and every JSON output renpsim writes.

JSON has no NaN or infinity (RFC 8259); Python's ``json`` module writes them as the invalid tokens
``NaN`` and ``Infinity`` unless told not to. Here a non-finite number means "absent" (a limit that
does not exist, an unconstrained parameter) and is written as ``null``; the output is then
serialised with ``allow_nan=False`` so a stray non-finite value can never reach a file.
"""

from __future__ import annotations

import json
import math
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
