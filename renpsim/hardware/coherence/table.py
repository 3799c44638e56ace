"""Lookup tables of Maxwell-Bloch outputs over the hardware knobs, cached by their inputs' hash.

A table is the solver run on the product grid of some axes (pulse energies, two-photon detuning,
density, length, T2) around a base configuration. Points are independent tasks mapped through
the executor seam (:class:`renpsim._executor.Executor`: serial, processes or Dask), so a table
does not depend on the back end or the worker count. Tables are kept in memory and, when a cache
directory is given (or ``RENPSIM_CACHE_DIR`` is set), in ``coherence-<hash>.npz`` files written
atomically; the hash covers every input and the solver version (docs/coherence.md section 8).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from renpsim.errors import InputError
from renpsim.hardware.coherence.model import Grid, MBParameters
from renpsim.hardware.coherence.solver import solve

#: Bumped whenever a change of the solver changes its numbers (invalidates cached tables).
SOLVER_VERSION = "1"
#: Axes a table can span; all but the detuning are interpolated in log space.
AXES = ("pump1_energy_J", "pump2_energy_J", "detuning_Hz", "density_m3", "length_m", "T2_s")
#: Quantities stored per point.
QUANTITIES = ("exposure_s", "psr_photons", "eta_peak", "rho_ge_prepared")

_MEMORY: dict[str, CoherenceTable] = {}


def vary(base: MBParameters, name: str, value: float) -> MBParameters:
    """Return ``base`` with one axis set to ``value``."""
    if name == "pump1_energy_J":
        p = base.pulses
        return dataclasses.replace(base, pulses=(dataclasses.replace(p[0], energy_J=value),
                                                 *p[1:]))
    if name == "pump2_energy_J":
        p = base.pulses
        return dataclasses.replace(base, pulses=(p[0], dataclasses.replace(p[1], energy_J=value),
                                                 *p[2:]))
    if name in AXES:
        return dataclasses.replace(base, **{name: value})
    raise InputError("coherence table", "axes", name, "one of " + ", ".join(AXES))


@dataclass(frozen=True)
class TableRequest:
    """What to tabulate: base parameters, grid, gate and the axes ((name, values), ...)."""

    base: MBParameters
    grid: Grid
    gate_s: tuple[float, float]
    axes: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def __post_init__(self) -> None:
        for name, values in self.axes:
            if name not in AXES:
                raise InputError("coherence table", "axes", name, "one of " + ", ".join(AXES))
            v = np.asarray(values, float)
            if v.ndim != 1 or len(v) < 2 or not np.all(np.diff(v) > 0):
                raise InputError("coherence table", f"axes.{name}", values,
                                 "at least two increasing values")
            if name != "detuning_Hz" and not np.all(v > 0):
                raise InputError("coherence table", f"axes.{name}", values, "positive values")

    def points(self) -> list[MBParameters]:
        """Parameters of every table point (C order over the axes)."""
        grids = np.meshgrid(*[np.asarray(v, float) for _, v in self.axes], indexing="ij")
        flat = [g.ravel() for g in grids]
        n = flat[0].size if flat else 1
        out = []
        for k in range(n):
            p = self.base
            for (name, _), g in zip(self.axes, flat, strict=True):
                p = vary(p, name, float(g[k]))
            out.append(p)
        return out

    def key(self) -> str:
        """SHA-256 of every input (canonical JSON) and the solver version."""
        def enc(o: Any) -> Any:
            if isinstance(o, complex):
                return [o.real, o.imag]
            raise TypeError(type(o))
        doc = {"version": SOLVER_VERSION, "base": dataclasses.asdict(self.base),
               "grid": dataclasses.asdict(self.grid),
               "gate_s": list(self.gate_s), "axes": [[n, list(v)] for n, v in self.axes]}
        text = json.dumps(doc, sort_keys=True, default=enc)
        return hashlib.sha256(text.encode()).hexdigest()


def solve_point(payload: tuple[MBParameters, Grid, tuple[float, float]]) -> tuple[float, ...]:
    """Task of one table point (module level, picklable): the QUANTITIES of one solution."""
    params, grid, gate = payload
    s = solve(params, grid, gate_s=gate)
    return (s.exposure_s, s.psr_photons, s.eta_peak, s.rho_ge_prepared)


def solve_points(payloads: list) -> list[tuple[float, ...]]:
    """Task of a chunk of table points (module level, picklable)."""
    return [solve_point(p) for p in payloads]


@dataclass(frozen=True)
class CoherenceTable:
    """Tabulated outputs with multilinear interpolation (log axes except the detuning).

    A quantity positive at every node is interpolated in its logarithm (exact for the power
    laws of the PSR yield in density and length; docs/coherence.md section 8), otherwise
    linearly.
    """

    key: str
    axes: tuple[tuple[str, NDArray[np.float64]], ...]
    values: dict[str, NDArray[np.float64]]

    @property
    def shape(self) -> tuple[int, ...]:
        """Points per axis."""
        return tuple(len(v) for _, v in self.axes)

    def __call__(self, quantity: str, **coords: Any) -> NDArray[np.float64]:
        """Interpolate ``quantity`` at ``coords`` (arrays broadcast; missing axes: the centre).

        Outside the tabulated range the value is held at the nearest edge.
        """
        if quantity not in self.values:
            raise InputError("coherence table", "quantity", quantity,
                             "one of " + ", ".join(QUANTITIES))
        vals = self.values[quantity]
        if not self.axes:
            shape = np.broadcast(*[np.asarray(c) for c in coords.values()]).shape if coords \
                else ()
            return np.full(shape, float(vals))
        from scipy.interpolate import RegularGridInterpolator

        xs, pts = [], []
        for name, v in self.axes:
            c = coords.get(name, v[len(v) // 2])
            c = np.clip(np.asarray(c, float), v[0], v[-1])
            if name != "detuning_Hz":
                xs.append(np.log(v))
                pts.append(np.log(c))
            else:
                xs.append(v)
                pts.append(c)
        b = np.broadcast_arrays(*pts)
        positive = bool(np.all(vals > 0))
        interp = RegularGridInterpolator(xs, np.log(vals) if positive else vals,
                                         method="linear")
        out = interp(np.stack([x.ravel() for x in b], axis=-1)).reshape(b[0].shape)
        return np.exp(out) if positive else out


def _cache_dir(cache_dir: str | Path | None) -> Path | None:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("RENPSIM_CACHE_DIR")
    return Path(env) if env else None


def _load(path: Path, key: str, req: TableRequest) -> CoherenceTable | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key:
                return None
            values = {q: np.array(z[q]) for q in QUANTITIES}
    except (OSError, KeyError, ValueError):
        return None
    axes = tuple((n, np.asarray(v, float)) for n, v in req.axes)
    return CoherenceTable(key, axes, values)


def _store(path: Path, table: CoherenceTable) -> None:
    from renpsim._atomic import atomic_write

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, key=np.array(table.key), **table.values,
                     **{f"axis_{n}": v for n, v in table.axes})

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
    except OSError:  # a cache that cannot be written is only a missed speed-up
        pass


def cached(req: TableRequest) -> CoherenceTable | None:
    """Return the table of ``req`` if it is in memory (no computation), else None."""
    return _MEMORY.get(req.key())


def remember(req: TableRequest, solution: Any) -> CoherenceTable:
    """Store the one-point table of an axis-free request from its solution."""
    if req.axes:
        raise InputError("coherence table", "axes", req.axes, "no axes (a one-point table)")
    values = {q: np.array(float(getattr(solution, q)))
              for q in QUANTITIES}
    table = CoherenceTable(req.key(), (), values)
    _MEMORY[table.key] = table
    return table


def build_table(req: TableRequest, executor: Any = None,
                cache_dir: str | Path | None = None) -> CoherenceTable:
    """Return the table of ``req``: from memory, from the cache directory, or computed.

    Parameters
    ----------
    req : TableRequest
        Base parameters, grid, gate and axes.
    executor : renpsim._executor.Executor, optional
        Back end for the points (default serial).
    cache_dir : path, optional
        Where ``coherence-<hash>.npz`` files are kept (default ``RENPSIM_CACHE_DIR``, else no
        disk cache).

    """
    key = req.key()
    if key in _MEMORY:
        return _MEMORY[key]
    folder = _cache_dir(cache_dir)
    path = folder / f"coherence-{key[:32]}.npz" if folder is not None else None
    table = _load(path, key, req) if path is not None and path.is_file() else None
    if table is None:
        payloads = [(p, req.grid, req.gate_s) for p in req.points()]
        if executor is None:
            rows = [solve_point(p) for p in payloads]
        else:
            from renpsim._executor import chunk

            # a few contiguous chunks per worker: one task per point would spend more time in
            # inter-process traffic than in the solver for small grids
            parts = executor.map(solve_points, chunk(payloads, 4 * executor.n_workers))
            rows = [r for part in parts for r in part]
        arr = np.asarray(rows, float)
        shape = tuple(len(v) for _, v in req.axes)
        values = {q: arr[:, i].reshape(shape) for i, q in enumerate(QUANTITIES)}
        axes = tuple((n, np.asarray(v, float)) for n, v in req.axes)
        table = CoherenceTable(key, axes, values)
        if path is not None:
            _store(path, table)
    _MEMORY[key] = table
    return table
