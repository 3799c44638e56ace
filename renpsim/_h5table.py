"""Writing a table as one HDF5 group (datasets with attributes), crash-safely.

The statistics engine writes its sensitivity tables through this helper, so HDF5 is opened
only by the run-file package and by small writers like this one (never by ``renpsim.stats``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from renpsim._atomic import atomic_write, h5_written


def write_h5_group(path: str | Path, group: str, attrs: Mapping[str, Any],
                   datasets: Mapping[str, tuple[np.ndarray, Mapping[str, Any]]]) -> None:
    """Write ``datasets`` (name -> (array, attributes)) and ``attrs`` into ``group`` of a file.

    The file is written under a temporary name and renamed (:func:`renpsim._atomic.atomic_write`):
    a failed write never leaves a corrupt file under ``path``.

    Parameters
    ----------
    path : path-like
        The HDF5 file (replaced).
    group : str
        Group name.
    attrs : mapping
        Group attributes (numbers as numbers, anything else as text).
    datasets : mapping
        Dataset name -> (data, attributes) in writing order.

    """
    import h5py

    def write(tmp: Path) -> None:
        with h5_written(h5py.File(tmp, "w")) as f:
            g = f.create_group(group)
            for key, value in attrs.items():
                g.attrs[key] = value if isinstance(value, int | float) else str(value)
            for name, (data, dattrs) in datasets.items():
                d = g.create_dataset(name, data=data)
                d.attrs.update(dict(dattrs))

    atomic_write(Path(path), write)
