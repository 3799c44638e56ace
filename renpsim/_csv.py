"""The one CSV writer for tables: absent values as empty cells, never ``nan`` or ``inf``.

Every table renpsim writes (sensitivity tables with their ``#`` header, comparisons, decisions,
expected counts) goes through :func:`write_frame_csv`: non-finite numbers are written as empty
cells (a limit that does not exist is absent, not infinite), the file is written atomically
(temporary file, then rename) so a failed write never leaves a corrupt file under the final name.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from renpsim._atomic import atomic_write


def finite_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with +-inf replaced by NaN in every numeric column (NaN = absent)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].where(np.isfinite(out[col]))
        elif out[col].dtype == object:
            out[col] = [np.nan if isinstance(v, float) and not np.isfinite(v) else v
                        for v in out[col]]
    return out


def write_frame_csv(frame: pd.DataFrame, path: str | Path, *,
                    header_lines: Iterable[str] = (), float_format: str = "%.10g") -> Path:
    """Write ``frame`` as CSV (no index) after optional ``header_lines``; atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; NaN and +-inf are written as empty cells.
    path : path
        Destination.
    header_lines : iterable of str
        Lines written verbatim before the column header (e.g. ``# key: value``).
    float_format : str
        printf format of floats.

    """
    clean = finite_frame(frame)
    lines = list(header_lines)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as fh:
            if lines:
                fh.write("\n".join(lines) + "\n")
            clean.to_csv(fh, index=False, float_format=float_format, na_rep="",
                         lineterminator="\n")

    return atomic_write(Path(path), write)
