"""The executor seam of the statistics layer (implemented in :mod:`renpsim._executor`).

The generic executor lives below the hardware layer so that coherence lookup tables
(:mod:`renpsim.hardware.coherence.table`) are built through the same seam as scans and toys.
"""

from renpsim._executor import EXECUTORS, Executor, chunk, new_entropy, toy_seed

__all__ = ["EXECUTORS", "Executor", "chunk", "new_entropy", "toy_seed"]
