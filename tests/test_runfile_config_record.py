"""The frozen campaign in /config/config_json (schema 1.3.0): generated scans by generator.

A run file records a generated scan by its generator, parameters and seed, not step by step;
rebuilding the campaign from the file's configuration gives the steps of /scan bit for bit, and
the readers that rebuild it (fit, strip-truth) keep working. Explicit scans keep their lists.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from renpsim._json import dumps_blocks
from renpsim.campaign import campaign_from_dict, load_campaign
from renpsim.daq import simulate
from renpsim.runfile import open_run, strip_truth


def _config(path):
    with h5py.File(path, "r") as f:
        return json.loads(f["config/config_json"][()].decode())


def _same_steps(a, b):
    for name in ("omega_eV", "n_shots", "dwell_s", "is_reference"):
        np.testing.assert_array_equal(getattr(a.steps, name), getattr(b.steps, name))


@pytest.mark.parametrize(("preset", "over"), [
    # endpoint generator, random order, a reference step every 10
    ("yb-threshold-scan", {"scan.n_steps": 40, "scan.shots_per_step": 100}),
    ("yb-threshold-scan", {"scan.generator": "uniform", "scan.n_steps": 25, "scan.order": "down",
                           "scan.reference_every": 4, "scan.shots_per_step": 20}),
    ("yb-threshold-scan", {"scan.generator": "thresholds", "scan.n_steps": 30,
                           "scan.shots_per_step": 50, "seed": 77}),
])
def test_generated_scan_recorded_by_generator(tmp_path, preset, over):
    camp = load_campaign(preset, overrides=over)
    out = simulate(camp, tmp_path / "run.h5", level="steps")
    doc = _config(out)["campaign"]
    scan = doc["scan"]
    assert scan["generator"] == camp.scan.generator != "explicit"
    assert "omega_eV" not in scan and "resolved_reference_steps" not in doc
    assert doc["seed"] == camp.seed
    rebuilt = campaign_from_dict(doc, "config")
    _same_steps(rebuilt, camp)
    # and the rebuilt steps are those of /scan
    run = open_run(out)
    np.testing.assert_array_equal(run.steps["omega_eV"].to_numpy(), camp.steps.omega_eV)
    np.testing.assert_array_equal(run.steps["n_shots"].to_numpy(), camp.steps.n_shots)


def test_random_order_survives_blinding(tmp_path):
    """A blinded copy has no seed and no truth: its campaign is made explicit, same steps."""
    camp = load_campaign("yb-threshold-scan", overrides={
        "scan.generator": "thresholds", "scan.n_steps": 30, "scan.shots_per_step": 50,
        "seed": 5, "scan.order": "random"})
    out = simulate(camp, tmp_path / "run.h5", level="steps")
    blind = strip_truth(out, tmp_path / "blind.h5")
    doc = _config(blind)["campaign"]
    assert doc["scan"]["generator"] == "explicit" and "seed" not in doc
    assert doc["truth"] == {"oscillation": camp.truth.oscillation}
    _same_steps(campaign_from_dict(doc, "blind"), camp)


def test_explicit_scan_keeps_its_lists(tmp_path):
    """An explicit scan is recorded step by step, with the text of the former format."""
    camp = load_campaign("gp21-benchmark", overrides={
        "scan.generator": "explicit", "scan.omega_eV": [1.0688, 1.0711, 1.0699],
        "scan.order": "down"})
    out = simulate(camp, tmp_path / "run.h5", level="steps")
    doc = _config(out)["campaign"]
    assert doc["scan"]["omega_eV"] == [1.0711, 1.0699, 1.0688]
    assert doc["scan"]["order"] == "as_listed"
    _same_steps(campaign_from_dict(doc, "config"), camp)


def test_blocks_encoding_is_json_text():
    """dumps_blocks writes what json.dumps writes, arrays longer than a block included."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal(150_001) * 1e-3 + 1.07
    doc = {"z": {"omega_eV": a, "n": 3, "s": "x"}, "a": [a[:5], {"k": a[::-1]}]}
    plain = {"z": {"omega_eV": a.tolist(), "n": 3, "s": "x"},
             "a": [a[:5].tolist(), {"k": a[::-1].tolist()}]}
    text = dumps_blocks(doc, sort_keys=True)
    assert text == json.dumps(plain, sort_keys=True)
    assert json.loads(text)["z"]["omega_eV"] == a.tolist()


@pytest.mark.parametrize("every", [0, 1, 3, 10])
def test_reference_positions(every):
    """insert_reference (whole-array) against the rule written step by step."""
    from renpsim.campaign.schedule import insert_reference

    for n in (0, 1, 2, 9, 10, 11, 31):
        want = []
        for i in range(n):
            if every and i % every == 0:
                want.append(-1)
            want.append(i)
        np.testing.assert_array_equal(insert_reference(n, every), np.array(want, np.int64))
