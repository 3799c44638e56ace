"""Phase matching of a non-degenerate PSR pair: sinc^2(dk L / 2) against a propagated field."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from renpsim.constants import HBARC_EV_M
from renpsim.hardware import load_hardware
from renpsim.hardware.coherence.from_hardware import mb_parameters, solve_hardware
from renpsim.hardware.coherence.phase_matching import (
    first_zero_eV,
    ground_state_index,
    pair_mismatch_per_m,
    phase_matching_factor,
)

MB = {"coherence.eta_model": "maxwell-bloch", "maxwell_bloch.n_cells": 24}


def _exit_field(dk_per_m: float, length_m: float) -> complex:
    """Signal envelope leaving at z = 0 from a uniform source exp(i dk z), E(L) = 0.

    Integrates -dE/dz = exp(i dk z) (the stationary form of (d/dt - c d/dz) E = i g P with the
    constants set to 1) from z = L to 0 as a real 2-vector ODE.
    """
    def rhs(z, y):
        return [-math.cos(dk_per_m * z), -math.sin(dk_per_m * z)]

    sol = solve_ivp(rhs, (length_m, 0.0), [0.0, 0.0], method="DOP853", rtol=1e-12,
                    atol=1e-14 * length_m, max_step=length_m / 200.0)
    return complex(sol.y[0, -1], sol.y[1, -1])


@pytest.mark.parametrize("index", [1.0, 1.0003])
def test_sinc2_matches_the_field_propagated_through_the_cell(index):
    L, E, w0 = 0.15, 2.2, 1.1
    # wavenumbers of the four waves, each k = n x / (hbar c): the coherence wave K is the one
    # that phase-matches the solved pair (w0, E - w0); the moved pair (w, E - w) then has
    # dk = K - k_t(w) + k_s(E - w) (docs/coherence.md section 6a)
    def k(x):
        return index * x / HBARC_EV_M

    K = k(w0) - k(E - w0)
    zero = first_zero_eV(L, index)
    offsets = zero * np.array([0.0, 0.1, 0.5, 0.77, 1.3, 2.5, 7.2, 30.4])
    matched = abs(_exit_field(0.0, L)) ** 2
    assert matched == pytest.approx(L * L, rel=1e-10)
    for d in offsets:
        w = w0 + d
        dk = K - k(w) + k(E - w)
        direct = abs(_exit_field(dk, L)) ** 2 / matched
        analytic = float(phase_matching_factor(w, w0, L, index))
        assert analytic == pytest.approx(direct, rel=1e-6, abs=1e-9)
        assert float(pair_mismatch_per_m(w, w0, index)) == pytest.approx(dk, rel=1e-9, abs=1e-9)


def test_factor_is_one_at_the_solved_pair_has_zeros_and_a_power_law_tail():
    L, w0 = 0.1, 1.0
    assert phase_matching_factor(w0, w0, L)[()] == 1.0      # exactly: the degenerate yield
    z = first_zero_eV(L)
    assert z == pytest.approx(math.pi * HBARC_EV_M / L, rel=1e-15)
    assert float(phase_matching_factor(w0 + z, w0, L)) < 1e-18   # rounding of w0 + z
    assert float(phase_matching_factor(w0 - 2 * z, w0, L)) < 1e-18

    # mean over a lobe falls as 1 / (2 x^2) with x = dk L / 2: a power law, not a cut-off
    def lobe_mean(m):
        u = w0 + z * (m + np.linspace(0.0, 1.0, 20001))
        return float(np.mean(phase_matching_factor(u, w0, L)))

    for m in (10, 100, 1000):
        x = math.pi * (m + 0.5)
        assert lobe_mean(m) == pytest.approx(1.0 / (2.0 * x * x), rel=2e-3)
    assert lobe_mean(10) / lobe_mean(1000) == pytest.approx(((1000.5) / 10.5) ** 2, rel=1e-3)


def test_index_of_the_unexcited_medium():
    assert ground_state_index(0.0, 1e-40) == 1.0
    eps0 = 8.8541878128e-12
    assert ground_state_index(5.6e25, 8.9e-41) == pytest.approx(1 + 5.6e25 * 8.9e-41 / (2 * eps0),
                                                                rel=1e-15)


def test_hardware_psr_line_is_the_phase_matching_of_the_solved_pair():
    hw = load_hardware("yb-vapour", overrides=MB)
    half = hw.E_eg_eV / 2.0
    assert hw.psr_profile(half)[()] == 1.0                   # degenerate point: factor exactly 1
    # the DAQ's PSR yield at that point is the time-domain solution's yield, unchanged
    assert hw.psr_photons_per_shot() == max(0.0, solve_hardware(hw).psr_photons)
    L = hw.target.length_m
    d = np.array([1e-5, 1e-4, 1e-3, 1e-2])
    np.testing.assert_array_equal(hw.psr_profile(half + d),
                                  phase_matching_factor(half + d, half, L, 1.0))
    # tails: about 1 meV away the old Gaussian placeholder was < 1e-300; the phase-matching
    # envelope (hbar c / (L (omega - E_eg/2)))^2 / 2 is ~ 2e-6
    env = (HBARC_EV_M / (L * 1e-3)) ** 2 / 2.0
    w = half - 1e-3 + np.linspace(0.0, first_zero_eV(L), 4001)
    assert float(np.mean(hw.psr_profile(w))) == pytest.approx(env, rel=2e-2)
    # the solved trigger energy of the [maxwell_bloch] table is the matched one
    hw2 = load_hardware("yb-vapour", overrides={**MB, "maxwell_bloch.trigger_eV": half - 1e-4,
                                                "maxwell_bloch.alpha_g_au": 300.0})
    n = ground_state_index(hw2.target.density_cm3 * 1e6, mb_parameters(hw2).alpha_g_SI)
    assert n > 1.0
    assert hw2.psr_profile(half - 1e-4)[()] == 1.0
    assert float(hw2.psr_profile(half)) == pytest.approx(
        float(phase_matching_factor(half, half - 1e-4, L, n)), rel=1e-14)
    # run-file flag: within three first zeros of the solved trigger energy
    z = first_zero_eV(L, n)
    np.testing.assert_array_equal(hw2.psr_near_line(half - 1e-4 + np.array([0, 2.9, 3.1]) * z),
                                  [True, True, False])


def test_pumps_following_the_scan_keep_every_pair_matched():
    hw = load_hardware("yb-vapour", overrides={**MB, "maxwell_bloch.pumps_follow_scan": True})
    half = hw.E_eg_eV / 2.0
    w = half + np.array([0.0, 1e-5, 1e-3, -0.1])
    np.testing.assert_array_equal(hw.psr_profile(w), np.ones(4))
    assert hw.psr_near_line(w).all()


def test_cli_json_of_pumps_following_the_scan_is_strict(tmp_path, capsys):
    import json

    from renpsim.cli.main import main

    hw_file = tmp_path / "hw.toml"
    hw_file.write_text('name = "t"\n[coherence]\neta_model = "maxwell-bloch"\nrho_ge0 = 0.1\n'
                       "[maxwell_bloch]\nn_cells = 12\npumps_follow_scan = true\n")
    with pytest.raises(SystemExit) as ex:
        main(["coherence", str(hw_file), "--json"])
    assert ex.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["psr_phase_matching_first_zero_eV"] is None
    with pytest.raises(SystemExit) as ex:
        main(["coherence", str(hw_file)])
    assert "phase matched at every step" in capsys.readouterr().out
