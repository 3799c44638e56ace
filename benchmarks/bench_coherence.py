"""Maxwell-Bloch coherence benchmark (``python -m benchmarks coherence``).

Figures (medians of repeated runs; the machine is shared, so wall and CPU time are both shown):

* (a) one solution of the yb-vapour preset with ``eta_model = "maxwell-bloch"`` on a 400-cell
  grid (compiled RK4), against the straightforward reference: ``scipy.integrate.solve_ivp``
  (RK45, rtol 1e-6) on the same method-of-lines system, timed on the nanosecond around the
  pulse peak and scaled to the whole window (its cost per nanosecond is uniform; a full run takes
  tens of minutes);
* (b) a 1000-point lookup table (10 pump energies x 10 T2 x 10 densities, 8-cell grid) built
  serially and on 2 worker processes through the executor seam (pool started and warmed before
  timing): points per second and the measured speed-up, with the load average; and, because a
  shared machine may not give two free cores, the CPU seconds of the same work in the workers
  and in the parent, from which ``2 x serial CPU / (worker CPU + 2 x parent CPU)`` is the
  speed-up two free cores would give;
* the eta and PSR figures of the yb-vapour and para-h2-span presets (400 cells), with the
  first zero of the PSR phase-matching factor (docs/coherence.md section 6a).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from renpsim._executor import Executor, chunk
from renpsim.hardware import load_hardware
from renpsim.hardware.coherence import Grid, solve
from renpsim.hardware.coherence import table as table_mod
from renpsim.hardware.coherence.from_hardware import mb_parameters, psr_first_zero_eV
from renpsim.hardware.coherence.model import time_window
from renpsim.hardware.coherence.table import TableRequest, build_table

MB = {"coherence.eta_model": "maxwell-bloch"}
REF_NS = 1.0  # length of the window the solve_ivp reference is timed on


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def _cpu_chunk(payloads: list) -> tuple[list, float]:
    """Worker task: the table points of a chunk and the CPU seconds they took in the worker."""
    c = time.process_time()
    rows = table_mod.solve_points(payloads)
    return rows, time.process_time() - c


def run(quick: bool = False) -> dict:
    """Run the benchmark, print the figures and return them."""
    res: dict = {}
    hw = load_hardware("yb-vapour", overrides=MB)
    p = mb_parameters(hw)
    cells = 100 if quick else 400
    grid = Grid(n_cells=cells)
    solve(p, Grid(n_cells=8))  # compile / load the kernels
    wall, cpu, sol = _timed(lambda: solve(p, grid, gate_s=hw.gate), 1 if quick else 3)
    # reference on REF_NS around the pulse peak (its cost per ns is uniform: the step is set
    # by the stability of the advection), scaled to the window
    t0, t1 = time_window(p, grid)
    span = min(REF_NS * 1e-9, t1 - t0)
    sub = Grid(n_cells=cells, t_start_s=-0.5 * span, t_stop_s=0.5 * span)  # around the peak
    w0, c0 = time.perf_counter(), time.process_time()
    solve(p, sub, method="solve_ivp", rtol=1e-6, atol=1e-9)
    scale = (t1 - t0) / span
    ref_wall = (time.perf_counter() - w0) * scale
    ref_cpu = (time.process_time() - c0) * scale
    res["solve"] = {"cells": cells, "steps": sol.n_steps, "wall_s": wall, "cpu_s": cpu,
                    "ref_solve_ivp_wall_s": ref_wall, "ref_solve_ivp_cpu_s": ref_cpu,
                    "ref_measured_ns": span * 1e9, "speedup_cpu": ref_cpu / cpu}
    print(f"(a) yb-vapour, {cells} cells, {sol.n_steps} RK4 steps: {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU (median); solve_ivp RK45 reference (timed on "
          f"{span * 1e9:.1f} ns, scaled to the {(t1 - t0) * 1e9:.1f} ns window) {ref_wall:.0f} s "
          f"wall, {ref_cpu:.0f} s CPU; ratio reference/fast (CPU) {ref_cpu / cpu:.0f}")
    # (b) lookup table
    n = 4 if quick else 10
    axes = (("pump1_energy_J", tuple(np.geomspace(2e-3, 2e-2, n))),
            ("T2_s", tuple(np.geomspace(2e-9, 2e-8, n))),
            ("density_m3", tuple(np.geomspace(1e20, 1e22, n))))
    req = TableRequest(base=p, grid=Grid(n_cells=8), gate_s=hw.gate, axes=axes)
    pts = n**3
    table_mod._MEMORY.clear()
    w0 = time.perf_counter()
    serial = build_table(req)
    t_serial = time.perf_counter() - w0
    with Executor("processes", workers=2) as ex:
        ex.map(table_mod.solve_point, [(p, Grid(n_cells=8), hw.gate)] * 4)  # warm the pool
        table_mod._MEMORY.clear()
        w0 = time.perf_counter()
        par = build_table(req, executor=ex)
        t_par = time.perf_counter() - w0
        # CPU accounting of the same work in the workers (how much the parallel path costs
        # beyond the serial one, whatever share of the cores the shared machine gives us)
        payloads = [(q, req.grid, req.gate_s) for q in req.points()]
        c0 = time.process_time()
        parts = ex.map(_cpu_chunk, chunk(payloads, 4 * ex.n_workers))
        cpu_parent = time.process_time() - c0
    cpu_workers = sum(c for _, c in parts)
    c0 = time.process_time()
    table_mod.solve_points(payloads[: max(1, pts // 10)])
    cpu_serial = (time.process_time() - c0) * pts / max(1, pts // 10)
    same = all(np.array_equal(serial.values[q], par.values[q]) for q in table_mod.QUANTITIES)
    bound = 2.0 * cpu_serial / (cpu_workers + 2.0 * cpu_parent)
    load = os.getloadavg()[0]
    res["table"] = {"points": pts, "serial_s": t_serial, "two_workers_s": t_par,
                    "serial_points_per_s": pts / t_serial, "parallel_points_per_s": pts / t_par,
                    "speedup": t_serial / t_par, "identical": same,
                    "cpu_serial_s": cpu_serial, "cpu_workers_s": cpu_workers,
                    "cpu_parent_s": cpu_parent, "speedup_on_two_free_cores": bound,
                    "load_average": load}
    print(f"(b) {pts}-point table: serial {pts / t_serial:.0f} points/s, 2 workers "
          f"{pts / t_par:.0f} points/s, measured speed-up {t_serial / t_par:.2f}x (identical: "
          f"{same}; load average {load:.1f} on {os.cpu_count()} cores); CPU: serial "
          f"{cpu_serial:.1f} s, workers {cpu_workers:.1f} s + parent {cpu_parent:.2f} s -> "
          f"{bound:.2f}x on two free cores")
    # preset figures
    for name, h in (("yb-vapour", hw), ("para-h2-span", load_hardware("para-h2-span"))):
        q = mb_parameters(h)
        s = solve(q, Grid(n_cells=cells, cfl=h.maxwell_bloch.cfl), gate_s=h.gate)
        res[name] = s.summary()
        zero = psr_first_zero_eV(h)
        res[name]["psr_phase_matching_first_zero_eV"] = zero
        print(f"{name}: eta peak {s.eta_peak:.3g}, exposure {s.exposure_s:.3g} s per shot, "
              f"prepared |rho_ge| {s.rho_ge_prepared:.3g}, PSR {s.psr_photons:.3g} photons per "
              f"shot, McQ2 FWHM {(s.psr_fwhm_Hz() or 0) / 1e6:.3g} MHz, phase-matching first "
              f"zero {zero * 1e6:.3g} ueV")
    return res
