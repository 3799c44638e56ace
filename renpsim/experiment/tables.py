"""The one sensitivity-table format (CSV with a ``# renpsim-sensitivity v1`` header, HDF5).

Readers and writers live in :mod:`renpsim.stats.output`; front ends reach them through here.
"""

from __future__ import annotations

from renpsim.stats.output import (
    SensitivityTable,
    plot_table,
    pole_header,
    read_csv,
    with_bands,
    write_csv,
    write_hdf5,
)

__all__ = ["SensitivityTable", "plot_table", "pole_header", "read_csv", "with_bands",
           "write_csv", "write_hdf5"]
