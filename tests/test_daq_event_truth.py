"""DAQ events level: per-event source labels (/truth/event_source) and the inter-arrival-time
calibration histogram (/calibration/afterpulse/det_0/hist_interarrival)."""

import math

import h5py
import numpy as np
import pandas as pd
import pytest

from renpsim.campaign import load_campaign
from renpsim.daq import BLOCK_SHOTS, expected_counts, simulate
from renpsim.runfile import open_run, strip_truth, validate_run

# Several background components of comparable size, no dead time, afterpulses inside the gate.
_MIX = {"scan.n_steps": 2, "scan.shots_per_step": BLOCK_SHOTS + 3000, "scan.reference_every": 0,
        "hardware.backgrounds.trigger_leak_eps": 2e-18, "hardware.detector.dark_rate_Hz": 2e6,
        "hardware.backgrounds.stray_rate_Hz": 1e6, "hardware.detector.dead_time_model": "none",
        "hardware.detector.afterpulse_prob": 0.2, "hardware.detector.afterpulse_tau_s": 5e-9}


def _sources(path) -> pd.Series:
    rf = open_run(path)
    return pd.concat(list(rf.iter_events(block_rows=5000, truth_source=True)))["source"]


def _within(n: int, mu: float, k: float = 5.0) -> bool:
    return abs(n - mu) < k * math.sqrt(mu) + 1


def test_labels_follow_component_expectations(tmp_path):
    c = load_campaign("yb-threshold-scan", overrides=_MIX)
    e = expected_counts(c)
    path = simulate(c, tmp_path / "mix.h5", level="events", seed=11)
    assert validate_run(path).ok
    counts = _sources(path).value_counts()
    for comp in ("leak", "dark", "stray"):
        assert _within(int(counts.get(comp, 0)), float(e[comp].sum())), comp
    # every recorded count spawns an afterpulse with p = 0.2 (cascades included: p/(1-p) per
    # primary at most); tau_ap = 5 ns puts most of them inside the 45 ns gate
    primaries = int(counts.drop("afterpulse").sum())
    assert 0.1 * primaries < counts["afterpulse"] < 0.25 * primaries
    assert set(counts[counts > 0].index) <= {"leak", "dark", "stray", "afterpulse", "mcq3"}
    with h5py.File(path) as f:
        names = [x.decode() if isinstance(x, bytes) else x
                 for x in f["truth/event_source"].attrs["source_names"]]
        assert names == ["signal", "mcq3", "psr", "leak", "dark", "stray", "afterpulse"]
        assert f["truth/event_source"].shape == f["events/timestamps"].shape
        assert f["truth/event_source"].attrs["units"] == "1"


def test_signal_and_mcq3_labels_split_by_their_means(tmp_path):
    # GP21 benchmark (ideal detector) with the McQ3 knob set so that mcq3 ~ signal ~ 20 events
    c = load_campaign("gp21-benchmark", overrides={"hardware.lasers.rep_rate_Hz": 0.01,
                                                   "hardware.backgrounds.R3_over_RENP_free": 0.05})
    e = expected_counts(c)
    n_sig = n_mcq3 = 0
    seeds = range(6)
    for seed in seeds:
        src = _sources(simulate(c, tmp_path / f"g{seed}.h5", level="events", seed=seed))
        assert set(src.unique()) <= {"signal", "mcq3"}
        n_sig += int((src == "signal").sum())
        n_mcq3 += int((src == "mcq3").sum())
    assert _within(n_sig, len(seeds) * float(e["signal"].sum()))
    assert _within(n_mcq3, len(seeds) * float(e["mcq3"].sum()))


def test_labels_do_not_change_the_events(tmp_path, monkeypatch):
    """The labels use their own random stream: the recorded events are those of a run whose
    labels are all 'dark' (labelling switched off)."""
    from renpsim.daq import levels

    c = load_campaign("yb-threshold-scan", overrides=_MIX)
    a = simulate(c, tmp_path / "a.h5", level="events", seed=5)
    monkeypatch.setattr(levels._Sim, "_coherent_sources",
                        lambda self, s, b, n, i, w: np.full(int(n.sum()), 4, np.uint8))
    monkeypatch.setattr(levels._Sim, "_flat_sources",
                        lambda self, s, b, n: np.full(int(n.sum()), 4, np.uint8))
    b = simulate(c, tmp_path / "b.h5", level="events", seed=5)
    with h5py.File(a) as fa, h5py.File(b) as fb:
        for name in fa["events"]:
            assert np.array_equal(fa["events"][name][()], fb["events"][name][()]), name
        assert np.array_equal(fa["shots/counts_signal"][()], fb["shots/counts_signal"][()])
        assert not np.array_equal(fa["truth/event_source"][()], fb["truth/event_source"][()])


def test_strip_truth_removes_labels(tmp_path):
    c = load_campaign("yb-threshold-scan", overrides={**_MIX, "scan.shots_per_step": 2000})
    path = simulate(c, tmp_path / "s.h5", level="events", seed=1)
    out = strip_truth(path, tmp_path / "blind.h5")
    with h5py.File(out) as f:
        assert "truth" not in f and len(f["events/timestamps"]) > 0
    with pytest.raises(Exception, match="event_source"):
        next(open_run(out).iter_events(truth_source=True))


def test_interarrival_histogram_bookkeeping(tmp_path):
    c = load_campaign("yb-threshold-scan", overrides=_MIX)
    path = simulate(c, tmp_path / "h.h5", level="events", seed=2, chunk_shots=5000)
    with h5py.File(path) as f:
        g = f["calibration/afterpulse/det_0"]
        hist, edges = g["hist_interarrival"][()], g["hist_interarrival_edges_s"][()]
        assert g["hist_interarrival_edges_s"].attrs["units"] == "s"
        assert g["hist_interarrival"].attrs["units"] == "1"
        ts = f["events/timestamps"][()]
        unit = f["events/timestamps"].attrs["time_unit_s"]
        per_shot = f["shots/counts_signal"][:, 0].astype(np.int64)
    assert len(edges) == len(hist) + 1 and edges[0] == 0.0 and np.all(np.diff(edges) > 0)
    assert edges[1] == pytest.approx(unit)
    assert int(hist.sum()) == len(ts) - 1
    # independent binning of the intervals (the last bin holds longer intervals too)
    d = np.minimum(np.diff(ts) * unit, edges[-1])
    ref, _ = np.histogram(d, bins=edges)
    assert np.array_equal(hist, ref)
    # intervals shorter than 1 us are the ones inside a shot (gate 50 ns, period 0.1 s):
    # sum over shots of (n - 1) for shots with n >= 1 recorded counts
    short = int(hist[: np.searchsorted(edges, 1e-6) - 1].sum())
    assert short == int(np.maximum(per_shot - 1, 0).sum()) > 0


def test_interarrival_histogram_shows_afterpulses(tmp_path):
    """The afterpulse signature the in-situ calibration fits ([hardware §3.4] item 7): with
    p_ap = 0.2 and tau_ap = 5 ns the short intervals (< 45 ns) gain about one per recorded
    afterpulse; without afterpulsing they come from pairs of primaries only."""
    short = {}
    n_ap = 0
    for p in (0.0, 0.2):
        c = load_campaign("yb-threshold-scan",
                          overrides={**_MIX, "hardware.detector.afterpulse_prob": p})
        path = simulate(c, tmp_path / f"p{p}.h5", level="events", seed=4)
        with h5py.File(path) as f:
            g = f["calibration/afterpulse/det_0"]
            hist, edges = g["hist_interarrival"][()], g["hist_interarrival_edges_s"][()]
            short[p] = int(hist[: np.searchsorted(edges, 50e-9)].sum())
        if p:
            n_ap = int((_sources(path) == "afterpulse").sum())
    assert n_ap > 1000
    assert short[0.2] - short[0.0] == pytest.approx(n_ap, rel=0.15)


def test_shots_level_has_no_event_truth(tmp_path):
    c = load_campaign("yb-threshold-scan", overrides={**_MIX, "scan.shots_per_step": 1000})
    path = simulate(c, tmp_path / "s.h5", level="shots", seed=1)
    with h5py.File(path) as f:
        assert "event_source" not in f["truth"]
        assert "hist_interarrival" not in f["calibration/afterpulse/det_0"]


def test_run_too_long_for_int64_ticks_is_refused(tmp_path):
    from renpsim.errors import InputError

    # 1e8 shots at 10 Hz last 116 days: more than int64 ticks of 1 ps (106 days)
    c = load_campaign("yb-threshold-scan", overrides={
        "scan.n_steps": 100, "scan.shots_per_step": 1_000_000, "scan.reference_every": 0})
    with pytest.raises(InputError, match=r"time_unit_s.*int64"):
        simulate(c, tmp_path / "long.h5", level="shots")
    assert list(tmp_path.iterdir()) == []
