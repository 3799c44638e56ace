"""One executor seam for scans, toys and lookup tables: serial, processes or Dask distributed.

Every task is a pure function of plain data (a module-level function and a picklable payload),
and randomness is derived from one recorded :class:`numpy.random.SeedSequence` entropy and the
task's (toy's) **global index** (:func:`toy_seed`), never from the worker or the chunking. So the
numbers are identical for any executor and any number of workers.

Dask is optional: it is imported only when ``kind="dask"`` is used and a missing installation
gives an :class:`~renpsim.errors.InputError` naming the extra to install.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from renpsim.errors import InputError

EXECUTORS = ("serial", "processes", "dask")


def toy_seed(entropy: int, index: int) -> np.random.Generator:
    """Return the generator for toy/task ``index`` spawned from the recorded ``entropy``.

    Equivalent to ``SeedSequence(entropy).spawn(n)[index]`` for any n (spawn keys are
    ``(index,)``), so it does not depend on how toys are distributed.
    """
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(index),)))


def new_entropy() -> int:
    """Fresh entropy to record when the user gives no seed."""
    return int(np.random.SeedSequence().entropy)


def chunk(items: Sequence, n_chunks: int) -> list[list]:
    """Split ``items`` into at most ``n_chunks`` contiguous, non-empty chunks (order kept)."""
    n = len(items)
    n_chunks = max(1, min(n_chunks, n))
    bounds = np.linspace(0, n, n_chunks + 1).round().astype(int)
    return [list(items[a:b]) for a, b in itertools.pairwise(bounds) if b > a]


class Executor:
    """Map a pure task function over payloads with the chosen back end.

    Parameters
    ----------
    kind : {"serial", "processes", "dask"}
        Back end.
    workers : int, optional
        Worker count (processes: pool size, default the CPU count; dask: size of a LocalCluster
        started when no scheduler is given, default 2).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``); only with ``kind="dask"``.
    dask_processes : bool
        LocalCluster with worker processes (True) or threads in this process (False).

    Use as a context manager so that pools and local clusters are shut down.

    """

    def __init__(self, kind: str = "serial", workers: int | None = None,
                 scheduler: str | None = None, dask_processes: bool = True) -> None:
        if kind not in EXECUTORS:
            raise InputError("executor", "executor", kind,
                             "one of " + ", ".join(EXECUTORS))
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise InputError("executor", "workers", workers, "a whole number >= 1")
        if scheduler is not None and kind != "dask":
            raise InputError("executor", "scheduler", scheduler,
                             "only with executor 'dask'")
        self.kind = kind
        self.workers = workers
        self.scheduler = scheduler
        self.dask_processes = dask_processes
        self._pool = None
        self._client = None
        self._cluster = None

    @property
    def n_workers(self) -> int:
        """Number of parallel workers (1 for serial)."""
        if self.kind == "serial":
            return 1
        if self.kind == "processes":
            return self.workers or os.cpu_count() or 1
        if self._client is not None:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        return self.workers or 2

    def __enter__(self) -> Executor:
        if self.kind == "processes":
            self._pool = ProcessPoolExecutor(max_workers=self.n_workers)
        elif self.kind == "dask":
            try:
                from dask.distributed import Client, LocalCluster
            except ImportError:
                raise InputError("executor", "executor", "dask",
                                 "an installed Dask (pip install 'renpsim[dask]')") from None
            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout="10s")
                except (OSError, TimeoutError) as exc:
                    raise InputError("executor", "scheduler", self.scheduler,
                                     f"a reachable Dask scheduler ({exc})") from None
            else:
                import dask

                # The tasks are short pure-Python/numpy fits: the workers' statistical profiler
                # (a thread sampling every 10 ms) and the 20 ms event-loop tick are diagnostics
                # that compete with them for the cores (2-worker toy speed-up 1.6x with them,
                # 1.8-1.9x without, benchmarks/bench_stats.py (c)).
                with dask.config.set({"distributed.worker.profile.enabled": False,
                                      "distributed.admin.tick.interval": "200ms"}):
                    self._cluster = LocalCluster(
                        n_workers=self.workers or 2, threads_per_worker=1,
                        processes=self.dask_processes, dashboard_address=":0",
                        silence_logs=40)
                self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map(self, fn: Callable[[Any], Any], payloads: Sequence[Any]) -> list:
        """Apply ``fn`` to every payload; results in payload order."""
        payloads = list(payloads)
        if self.kind == "serial" or len(payloads) == 0:
            return [fn(p) for p in payloads]
        if self.kind == "processes":
            if self._pool is None:
                with self:
                    return self.map(fn, payloads)
            return list(self._pool.map(fn, payloads))
        if self._client is None:
            with self:
                return self.map(fn, payloads)
        futures = self._client.map(fn, payloads, pure=False)
        return self._client.gather(futures)
