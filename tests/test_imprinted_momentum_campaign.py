"""Imprinted pair momentum as a hardware parameter: campaign, DAQ expectation and fits agree."""

import numpy as np
import pytest

from renpsim.campaign import load_campaign
from renpsim.daq import expected_counts
from renpsim.errors import InputError
from renpsim.physics import spectral_function
from renpsim.physics.kinematics import threshold_matrix
from renpsim.stats.benchmark import from_hardware_campaign
from renpsim.stats.model import BinnedLikelihood, ModelSpec
from renpsim.stats.sensitivity import AsimovSetup

P0, COS = 0.2, 0.5
SHARP = {"hardware.lasers.linewidth_Hz": 0.0, "hardware.lasers.jitter_Hz": 0.0,
         "hardware.lasers.drift_Hz_per_h": 0.0}


def _camp(**extra):
    return load_campaign("gp21-benchmark", overrides={**SHARP, **extra})


def test_default_is_zero_and_unchanged():
    c = _camp()
    assert c.hardware.lasers.imprinted_momentum_eV == 0.0
    assert c.hardware.lasers.imprinted_cos == 1.0
    assert "imprinted_momentum_eV" not in AsimovSetup.from_campaign(
        from_hardware_campaign(c, expected_counts(c))).to_dict()  # lineage as before


def test_daq_expectation_uses_the_moved_spectrum():
    c = _camp(**{"hardware.lasers.imprinted_momentum_eV": P0,
                 "hardware.lasers.imprinted_cos": COS})
    table = expected_counts(c)
    direct = spectral_function(table["omega_eV"].to_numpy(), c.neutrinos, c.hardware.atomic,
                               imprinted_momentum_eV=P0, imprinted_cos=COS)
    np.testing.assert_allclose(table["I_eff"].to_numpy(), direct, rtol=1e-12)
    plain = expected_counts(_camp())
    assert np.all(np.abs(table["I_eff"].to_numpy() / plain["I_eff"].to_numpy() - 1) > 1e-3)


def test_fit_model_and_asimov_setup_use_the_campaign_momentum():
    c = _camp(**{"hardware.lasers.imprinted_momentum_eV": P0,
                 "hardware.lasers.imprinted_cos": COS})
    table = expected_counts(c)
    sc = from_hardware_campaign(c, table)
    ds = sc.dataset()
    assert ds.imprinted_momentum_eV == P0 and ds.imprinted_cos == COS
    lik = BinnedLikelihood(ds, ModelSpec(m_lightest_eV=c.truth.m_lightest_eV),
                           oscillation_constraints=False)
    # the fit's expected signal at the truth equals the DAQ's expected signal
    signal = ds.calibration.rate_scale_per_s * lik.spectral(lik.nominal) * ds.exposure_s
    np.testing.assert_allclose(signal, table["signal"].to_numpy(), rtol=1e-9)
    setup = AsimovSetup.from_campaign(sc)
    assert setup.imprinted_momentum_eV == P0 and setup.to_dict()["imprinted_cos"] == COS
    with pytest.raises(InputError, match="imprinted_momentum_eV"):
        BinnedLikelihood(ds, ModelSpec(coupling="gL11"))


def test_threshold_generator_follows_the_moved_thresholds():
    over = {"hardware.lasers.imprinted_momentum_eV": P0, "hardware.lasers.imprinted_cos": COS,
            "scan.generator": "thresholds", "scan.n_steps": 6,
            "scan.dense_fraction": 1.0, "scan.dense_width_eV": 0.0}
    c = _camp(**over)
    thr = threshold_matrix(c.hardware.E_eg_eV, c.neutrinos.masses_eV, P0, COS)
    expected = sorted(thr[i, j] for i in range(3) for j in range(i, 3))
    np.testing.assert_allclose(np.sort(c.steps.omega_eV), expected, rtol=1e-14)


def test_bad_momentum_names_the_field():
    with pytest.raises(InputError, match="imprinted_momentum_eV"):
        _camp(**{"hardware.lasers.imprinted_momentum_eV": 5.0})
    with pytest.raises(InputError, match="imprinted_cos"):
        _camp(**{"hardware.lasers.imprinted_cos": 1.5})


def test_psr_line_sits_at_the_moved_photon_endpoint():
    """The PSR pair is two photons: k + k2 = P0, omega + |k2| = E_eg, hence s = 0 (the endpoint)."""
    from renpsim.daq.rates import psr_line

    width = 1e-5
    psr = {"hardware.backgrounds.psr_over_sig": 1.0, "hardware.backgrounds.psr_width_eV": width}
    plain = _camp(**psr)
    E = plain.hardware.E_eg_eV
    # P0 = 0: the line as before, bit for bit, peak at E_eg/2
    w = np.array([E / 2 - 3e-6, E / 2, E / 2 - 1e-3])
    np.testing.assert_array_equal(psr_line(plain.hardware, w), plain.hardware.psr_profile(w))
    # P0 != 0: the endpoint by hand, (E^2 - P0^2) / [2 (E - P0 c)]
    end = (E * E - P0 * P0) / (2.0 * (E - P0 * COS))
    c = _camp(**psr, **{"hardware.lasers.imprinted_momentum_eV": P0,
                        "hardware.lasers.imprinted_cos": COS,
                        "scan.generator": "explicit",
                        "scan.omega_eV": [E / 2, end - width / 4, end]})
    table = expected_counts(c)
    per_unit = table["psr"].to_numpy() / table["psr"].iloc[-1]
    # Gaussian in 2 omega - 2 omega_end: half maximum at omega_end - width/4 (rounding of
    # omega - shift near 1 eV: 1e-16 eV in a width of 1e-5 eV)
    np.testing.assert_allclose(per_unit, [0.0, 0.5, 1.0], rtol=1e-9, atol=1e-300)
    assert table["psr"].iloc[-1] > 0
