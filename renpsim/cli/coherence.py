"""``renpsim coherence``: eta(t), exposure per shot and PSR yield from the Maxwell-Bloch solver."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import click

from renpsim.errors import InputError

PLOT_SUFFIXES = (".png", ".pdf")


def _check_plot_path(plot: str, hardware_path: Path) -> Path:
    p = Path(plot)
    if p.suffix.lower() not in PLOT_SUFFIXES:
        raise InputError("option --plot", "plot", plot, "a .png or .pdf file name")
    if p.exists() and not p.is_file():
        raise InputError("option --plot", "plot", plot, "a regular file name (not a directory "
                         "or device)")
    if p.exists() and p.resolve() == hardware_path.resolve():
        raise InputError("option --plot", "plot", plot, "a file other than the hardware input")
    if not p.parent.resolve().is_dir():
        raise InputError("option --plot", "plot", plot, "a file in an existing directory")
    return p


def _report(hw, sol, seconds: float) -> dict:
    import numpy as np

    from renpsim.hardware.coherence.from_hardware import psr_first_zero_eV

    out = {"hardware": hw.name, "source": hw.source, "eta_model_in_file": hw.coherence.eta_model,
           **sol.summary(), "solve_s": seconds,
           "psr_phase_matching_first_zero_eV": None}
    zero = psr_first_zero_eV(hw)
    if math.isfinite(zero):  # inf (no zero) when the pumps follow the scan: JSON null
        out["psr_phase_matching_first_zero_eV"] = zero
    # eta(t) on at most 400 points, the McQ2 line within +-5 widths on at most 400 points
    k = max(1, len(sol.t_fine_s) // 400)
    out["eta_t"] = {"t_s": sol.t_fine_s[::k].tolist(), "eta": sol.eta_t[::k].tolist()}
    width = sol.psr_fwhm_Hz()
    if width:
        sel = np.abs(sol.psr_freq_Hz) <= 5.0 * width
        j = max(1, int(sel.sum()) // 400)
        out["psr_spectrum"] = {"offset_Hz": sol.psr_freq_Hz[sel][::j].tolist(),
                               "photons_per_Hz": sol.psr_spectrum_per_Hz[sel][::j].tolist()}
    else:
        out["psr_spectrum"] = None
    return out


def _plot(sol, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from renpsim._atomic import atomic_write

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    ax.plot(sol.t_fine_s * 1e9, sol.eta_t, color="C0")
    lo, hi = sol.gate_s
    ax.axvspan(max(lo, sol.t_fine_s[0]) * 1e9, min(hi, sol.t_fine_s[-1]) * 1e9, color="0.9",
               label="gate")
    ax.set_xlabel("t [ns]")
    ax.set_ylabel("eta(t)")
    ax.set_title(f"exposure {sol.exposure_s:.3g} s per shot", fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[1]
    im = ax.pcolormesh(sol.z_m * 100, sol.t_s * 1e9, sol.eta_zt, shading="auto")
    fig.colorbar(im, ax=ax, label="eta(z, t)")
    ax.set_xlabel("z [cm]")
    ax.set_ylabel("t [ns]")
    ax = axes[2]
    width = sol.psr_fwhm_Hz()
    if width:
        sel = np.abs(sol.psr_freq_Hz) <= 10.0 * width
        ax.semilogy(sol.psr_freq_Hz[sel] / 1e6, np.maximum(sol.psr_line[sel], 1e-300))
        ax.set_ylim(1e-6, 2.0)
    ax.set_xlabel("offset from the signal carrier (MHz)")
    ax.set_ylabel("McQ2 line (peak 1)")
    ax.set_title(f"PSR {sol.psr_photons:.3g} photons per shot", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:].lower(),
                                                   dpi=120))
    finally:
        plt.close(fig)


@click.command("coherence")
@click.argument("hardware")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--plot", "plot", default=None, metavar="FILE",
              help="Write eta(t), eta(z, t) and the McQ2 line to FILE (.png or .pdf).")
@click.option("--cells", type=click.IntRange(4, 100000), default=None,
              help="Cells of the z grid (default: maxwell_bloch.n_cells of the file).")
def coherence_cmd(hardware: str, as_json: bool, plot: str | None, cells: int | None) -> None:
    """Solve the 1-D Maxwell-Bloch model of HARDWARE (a preset name or a TOML path).

    Prints eta(t) as the RENP rate uses it, the coherent exposure per shot in the detector gate,
    the prepared |rho_ge|, and the paired-superradiance (McQ2) yield per shot and line width
    (docs/coherence.md). Files with another eta_model are solved with their [maxwell_bloch]
    table (defaults where absent).
    """
    from renpsim.hardware import load_hardware
    from renpsim.hardware.coherence.from_hardware import solve_hardware

    hw = load_hardware(hardware)
    plot_path = _check_plot_path(plot, Path(hw.source)) if plot else None
    t0 = time.perf_counter()
    sol = solve_hardware(hw, n_cells=cells)
    seconds = time.perf_counter() - t0
    rep = _report(hw, sol, seconds)
    if plot_path is not None:
        _plot(sol, plot_path, f"{hw.name}: 1-D Maxwell-Bloch, {len(sol.z_m)} cells")
    if as_json:
        click.echo(json.dumps(rep, allow_nan=False))
        return
    width = rep["psr_linewidth_Hz"]
    click.echo(f"{hw.name}: Maxwell-Bloch, {rep['n_cells']} cells, {rep['n_steps']} RK4 steps in "
               f"{seconds:.1f} s" + ("" if hw.coherence.eta_model == "maxwell-bloch" else
                                     f" (file's eta_model = {hw.coherence.eta_model!r})"))
    click.echo(f"eta peak {rep['eta_peak']:.4g}; exposure per shot {rep['exposure_per_shot_s']:.4g}"
               f" s in the gate [{sol.gate_s[0]:.3g}, {sol.gate_s[1]:.3g}] s; prepared |rho_ge| "
               f"{rep['rho_ge_prepared']:.4g}")
    click.echo(f"PSR (McQ2) yield {rep['psr_photons_per_shot']:.4g} photons per shot; line FWHM "
               + (f"{width / 1e6:.4g} MHz" if width else "-"))
    zero = rep["psr_phase_matching_first_zero_eV"]
    click.echo("PSR of a pair moved to (omega, E_eg - omega): " + (
        f"phase matching sinc^2, first zero {zero * 1e6:.4g} ueV from the solved trigger energy"
        if zero is not None else "phase matched at every step (pumps follow the scan)")
        + " (docs/coherence.md section 6a)")
    if plot_path is not None:
        click.echo(f"wrote {plot_path}")
