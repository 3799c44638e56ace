"""Report figures (matplotlib, Agg): spectrum with data, fitted vs observed counts, dipole reach.

The sensitivity-versus-mediator-mass figures with existing limits come from
:func:`renpsim.limits.plot.plot_limits`; the lightest-mass figure from
:func:`renpsim.stats.output.plot_table`. Every figure is saved as PNG and PDF through the
crash-safe writer, and every function returns the arrays it drew (tests assert on them).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import chi2

from renpsim._atomic import atomic_write
from renpsim.physics.kinematics import THRESHOLD_LABELS, photon_endpoint, threshold_matrix
from renpsim.physics.spectrum import spectral_function


def save_png_pdf(fig, stem: Path) -> tuple[Path, Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf`` atomically and close it."""
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    atomic_write(png, lambda tmp: fig.savefig(tmp, format="png", dpi=130))
    atomic_write(pdf, lambda tmp: fig.savefig(tmp, format="pdf"))
    plt.close(fig)
    return png, pdf


def garwood_interval(n: np.ndarray, cl: float = 0.6826894921370859
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Central Poisson confidence interval for observed counts n (Garwood 1936)."""
    n = np.asarray(n, dtype=float)
    a = 1.0 - cl
    lo = np.where(n > 0, 0.5 * chi2.ppf(a / 2, 2 * np.maximum(n, 1e-300)), 0.0)
    hi = 0.5 * chi2.ppf(1 - a / 2, 2 * (n + 1))
    return lo, hi


def plot_spectrum(campaign, expected, observed, stem: Path) -> dict:
    """I(omega) of the campaign's truth hypothesis, thresholds, scan steps and the data.

    Data points are the background-subtracted counts divided by the expected counts per unit
    I(omega) of each step (signal / I_eff from the rate model), with Garwood 68% intervals.
    """
    state = campaign.neutrinos
    target = campaign.hardware.atomic
    imprinted = campaign.hardware.lasers.imprinted  # moves the endpoint and the thresholds
    half = float(photon_endpoint(target.E_eg_eV, **imprinted))
    w_steps = np.asarray(expected["omega_eV"], float)
    lo = min(w_steps.min(), half - 3e-3) - 2e-4
    grid = np.linspace(lo, half, 1500)
    curve = spectral_function(grid, state, target, **imprinted)
    thr = threshold_matrix(target.E_eg_eV, state.masses_eV, **imprinted)
    per_I = np.asarray(expected["signal"], float) / np.maximum(np.asarray(expected["I_eff"]),
                                                              1e-300)
    n = np.asarray(observed, float)
    bkg = np.asarray(expected["background"], float)
    ok = per_I > 0
    lo_n, hi_n = garwood_interval(n)
    y = np.where(ok, (n - bkg) / np.where(ok, per_I, 1.0), np.nan)
    ylo = np.where(ok, (lo_n - bkg) / np.where(ok, per_I, 1.0), np.nan)
    yhi = np.where(ok, (hi_n - bkg) / np.where(ok, per_I, 1.0), np.nan)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    ax.plot(1e3 * (grid - half), curve, color="k", lw=1.2,
            label=f"I(omega): {state.ordering}, {state.nature}, m_l = "
                  f"{float(state.m_lightest_eV):g} eV")
    for k, lab in enumerate(THRESHOLD_LABELS):
        i, j = int(lab[0]) - 1, int(lab[1]) - 1
        x = 1e3 * (thr[i, j] - half)
        if x >= 1e3 * (lo - half):
            ax.axvline(x, color=f"C{k}", ls=":", lw=1)
            ax.text(x, 1.0, f" {lab}", color=f"C{k}", transform=ax.get_xaxis_transform(),
                    va="top", fontsize=8)
    for w in w_steps:
        ax.axvline(1e3 * (w - half), color="0.85", lw=0.8, zorder=0)
    ax.errorbar(1e3 * (w_steps - half), y, yerr=[y - ylo, yhi - y], fmt="o", color="C3",
                ms=4, capsize=2, label="data (background subtracted, 68% Garwood)")
    ax.set_xlabel("omega - E_eg/2 [meV]" if imprinted["imprinted_momentum_eV"] == 0.0
                  else "omega - photon endpoint (imprinted momentum) [meV]")
    ax.set_ylabel("I(omega)")
    ax.set_title(f"{campaign.name}: spectral function, thresholds and scan steps")
    ax.legend(fontsize=8, loc="lower left")
    png, pdf = save_png_pdf(fig, stem)
    return {"png": png, "pdf": pdf, "omega_eV": grid, "I": curve, "data_omega_eV": w_steps,
            "data_I": y}


def plot_counts(steps: dict, stem: Path) -> dict:
    """Observed counts per step (Garwood 68%) against the fitted expectation."""
    w = np.asarray(steps["omega_eV"], float)
    obs = np.asarray(steps["observed"], float)
    fit = np.asarray(steps["fitted"], float)
    order = np.argsort(w)
    lo, hi = garwood_interval(obs[order])
    fig, ax = plt.subplots(figsize=(8, 4.2))
    idx = np.arange(len(w))
    ax.errorbar(idx, obs[order], yerr=[obs[order] - lo, hi - obs[order]], fmt="o", color="k",
                ms=4, capsize=2, label="observed (68% Garwood)")
    ax.step(idx, fit[order], where="mid", color="C0", label="fitted expectation")
    step_labels = [f"{x:.5f}" for x in w[order]]
    if len(idx) <= 12:
        ax.set_xticks(idx, step_labels, rotation=30, fontsize=8)
    ax.set_xlabel("scan step (omega in eV, increasing)")
    ax.set_ylabel("counts")
    ax.legend(fontsize=8)
    ax.set_title("Fitted vs observed counts per scan step")
    png, pdf = save_png_pdf(fig, stem)
    return {"png": png, "pdf": pdf, "observed": obs[order], "fitted": fit[order]}


def plot_dipole(limits: dict, existing: list[tuple[str, float]], stem: Path) -> dict:
    """Per-element dipole-moment reach (mu_B) with existing effective-moment bounds as lines."""
    labels = [k for k, v in limits.items() if v is not None and np.isfinite(v)]
    values = np.array([limits[k] for k in labels], float)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.bar(np.arange(len(labels)), values, color="C0", label="RENP reach (this campaign)")
    ax.set_xticks(np.arange(len(labels)), labels, rotation=30, fontsize=8)
    for k, (name, value) in enumerate(existing):
        ax.axhline(value, color=f"C{k + 1}", ls="--", lw=1, label=name)
    ax.set_yscale("log")
    ax.set_ylabel("|moment| [mu_B]")
    ax.set_title("Dipole-moment reach per mass-basis element")
    ax.legend(fontsize=7)
    png, pdf = save_png_pdf(fig, stem)
    return {"png": png, "pdf": pdf, "labels": labels, "values": values}
