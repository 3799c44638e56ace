"""Time-tagger imports (PTU, Photon-HDF5, tag-stream CSV) from files of independent writers.

The photons are drawn here (numpy), written by tests/timetag_writers.py (PicoQuant T3 records,
the Photon-HDF5 layout with h5py, a CSV with pandas), imported, validated, and the counts,
shots, live time and channel mapping are compared with the values used to make the files.
"""

from __future__ import annotations

import copy
import textwrap
import tomllib

import h5py
import numpy as np
import pandas as pd
import pytest
from timetag_writers import t3_records, write_ptu

from renpsim.cli.main import main
from renpsim.constants import H_EV_S
from renpsim.errors import InputError
from renpsim.runfile import open_run, validate_run
from renpsim.runfile.timetags import import_timetags

PERIOD = 1e-3               # 1 kHz laser, the sync
SHOTS = (1500, 1200, 1700)  # shots per step
OMEGA = (1.0688, 1.0699, 1.0711)
GATE = (1e-8, 6e-8)         # signal gate [lo, hi) after the sync, s
BG_GATE = (2e-6, 2.05e-6)
DEAD = 2e-8
RES = 1e-9                  # dtime resolution of the tagger, s

META = textwrap.dedent("""
    [run]
    run_id = "TT-0001"
    experiment = "time-tag test"
    run_start_utc_ns = 1748779200000000000

    [target]
    species = "Yb"
    isotope = 174
    E_eg_eV = 2.1435
    E_eg_unc_eV = 6e-6
    phase = "vapour"
    number_density_m3 = 8.9e20
    length_m = 0.1
    area_m2 = 1e-4

    [[lasers]]
    role = "omega"
    nominal_wavelength_m = 1.157e-6
    rep_rate_Hz = 1000.0
    pulse_fwhm_s = 5e-9

    [[lasers]]
    role = "omega_prime"
    nominal_wavelength_m = 1.157e-6

    [[detectors]]
    type = "SNSPD"
    efficiency = 0.8
    efficiency_unc = 0.02
    dark_rate_Hz = 100.0
    dead_time_s = 2e-8
    dead_time_model = "nonparalyzable"
    gate_offset_s = 1e-8
    gate_width_s = 5e-8
    bg_gate_offset_s = 2e-6
    bg_gate_width_s = 5e-8

    [[detectors]]
    type = "SNSPD"
    efficiency = 0.7
    efficiency_unc = 0.02
    dark_rate_Hz = 100.0
    dead_time_s = 2e-8
    dead_time_model = "nonparalyzable"
    gate_offset_s = 1e-8
    gate_width_s = 5e-8
    bg_gate_offset_s = 2e-6
    bg_gate_width_s = 5e-8

    [daq]
    mode = "T3"
    time_unit_s = 1e-12
    signal_channels = [0, 1]

    [coherence]
    eta_model = "constant"
    eta0 = 1e-2

    [calibration]
    frequency = { offset_Hz = 0.0, offset_unc_Hz = 2e7, reference = "wavemeter" }

    [[calibration.dark]]
    channel = 0
    counts = 360
    live_time_s = 3600.0

    [[calibration.dark]]
    channel = 1
    counts = 300
    live_time_s = 3600.0

    [[calibration.detector_efficiency]]
    channel = 0
    wavelength_m = [1.157e-6]
    efficiency = [0.8]
    efficiency_unc = [0.02]
    method = "attenuated laser"
    date_utc_ns = 0
    reference = "power meter"

    [[calibration.detector_efficiency]]
    channel = 1
    wavelength_m = [1.157e-6]
    efficiency = [0.7]
    efficiency_unc = [0.02]
    method = "attenuated laser"
    date_utc_ns = 0
    reference = "power meter"
""")


def _photons(seed: int = 5):
    """Photons per shot: in-gate signal-like, background-gate and off-gate tags, 2 channels.

    Non-paralysable detector: a photon within DEAD of the previous one of its channel in the
    same shot is not recorded. dtime is a whole number of RES bins.
    """
    rng = np.random.default_rng(seed)
    n = sum(SHOTS)
    rows = []
    for c, rate in ((0, 0.4), (1, 0.25)):
        k = rng.poisson(rate, n)
        shot = np.repeat(np.arange(n), k)
        where = rng.random(shot.size)
        t = np.where(where < 0.7, rng.uniform(0.0, 8e-8, shot.size),
                     np.where(where < 0.85, rng.uniform(*BG_GATE, shot.size),
                              rng.uniform(0, 3e-5, shot.size)))
        bins = np.floor(t / RES).astype(np.int64)
        rows.append(pd.DataFrame({"shot": shot, "bin": bins, "channel": c}))
    df = pd.concat(rows).sort_values(["channel", "shot", "bin"]).reset_index(drop=True)
    keep = np.ones(len(df), bool)
    last = {}
    for i, (s, b, c) in enumerate(df[["shot", "bin", "channel"]].itertuples(index=False)):
        prev = last.get(c)
        if prev is not None and prev[0] == s and (b - prev[1]) * RES < DEAD:
            keep[i] = False
            continue
        last[c] = (s, b)
    return df[keep].sort_values(["shot", "bin"]).reset_index(drop=True)


def _expected(ph: pd.DataFrame, bad: set[int] = frozenset()):
    """Counts, background counts and live time per (step, channel), by plain loops."""
    edges = np.concatenate([[0], np.cumsum(SHOTS)])
    counts = np.zeros((3, 2), np.int64)
    bg = np.zeros((3, 2), np.int64)
    lost = np.zeros((3, 2))
    for s, b, c in ph[["shot", "bin", "channel"]].itertuples(index=False):
        if s in bad:
            continue
        k = int(np.searchsorted(edges, s, side="right") - 1)
        t = b * RES
        if GATE[0] <= t < GATE[1]:
            counts[k, c] += 1
        if BG_GATE[0] <= t < BG_GATE[1]:
            bg[k, c] += 1
        lost[k, c] += max(0.0, min(t + DEAD, GATE[1]) - max(t, GATE[0]))
    good = np.array([sum(1 for s in range(edges[k], edges[k + 1]) if s not in bad)
                     for k in range(3)])
    live = good[:, None] * (GATE[1] - GATE[0]) - lost
    return counts, bg, live, good


def _monitors(path, bad_rows=False):
    n = sum(SHOTS)
    step = np.repeat(np.arange(3), SHOTS)
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"shot": np.arange(n),
                       "set_frequency_Hz_0": np.asarray(OMEGA)[step] / H_EV_S,
                       "pulse_energy_J_0": rng.normal(1e-3, 1e-5, n),
                       "pulse_energy_J_1": rng.normal(2e-3, 1e-5, n)})
    df.to_csv(path, index=False)
    return path


def _meta(**edits):
    """The metadata above as a mapping, with dotted-key edits."""
    doc = tomllib.loads(META)
    for dotted, value in edits.items():
        node = doc
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return doc


CSV_META = META.replace("signal_channels = [0, 1]", "signal_channels = [1, 2]\nsync_channel = 3") \
    + "\n[timetags]\nstep_marker = 7\n"


def _check(out, ph, bad=frozenset()):
    validate_run(out, deep=True)
    rf = open_run(out)
    counts, bg, live, good = _expected(ph, set(bad))
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["scan/counts_signal"][()], counts)
        np.testing.assert_array_equal(f["scan/counts_background"][()], bg)
        np.testing.assert_allclose(f["scan/gate_live_time_s"][()], live, rtol=1e-9)
        np.testing.assert_array_equal(f["scan/n_shots"][()], SHOTS)
        np.testing.assert_array_equal(f["scan/n_shots_good"][()], good)
        np.testing.assert_allclose(f["scan/set_photon_energy_eV"][()], OMEGA, rtol=1e-12)
        np.testing.assert_allclose(f["scan/dwell_s"][()], np.asarray(SHOTS) * PERIOD,
                                   rtol=1e-12)
        # constant model: eta0 over the signal gate of every good shot
        np.testing.assert_allclose(f["scan/coherent_exposure_s"][()],
                                   1e-2 * good * (GATE[1] - GATE[0]), rtol=1e-9)
        np.testing.assert_allclose(f["scan/laser_energy_mean_J"][()][:, 0], 1e-3, rtol=1e-2)
        ev = {k: f["events"][k][()] for k in ("channel", "shot_id", "dtime", "timestamps")}
        assert f["config/daq"].attrs["mode"] == "T3"
        assert f["provenance/source_sha256"].shape[0] >= 1
    # channel mapping: every imported event is one generated photon, on its channel
    keep = ~ph["shot"].isin(bad)
    want = ph[keep].sort_values(["shot", "bin", "channel"])
    assert (np.diff(ev["timestamps"]) >= 0).all()
    o = np.lexsort((ev["channel"], ev["dtime"], ev["shot_id"]))
    ev = {k: v[o] for k, v in ev.items()}
    np.testing.assert_array_equal(ev["shot_id"], want["shot"].to_numpy())
    np.testing.assert_array_equal(ev["channel"], want["channel"].to_numpy())
    np.testing.assert_array_equal(ev["dtime"], want["bin"].to_numpy() * round(RES / 1e-12))
    np.testing.assert_array_equal(ev["timestamps"], want["shot"].to_numpy() *
                                  round(PERIOD / 1e-12) + ev["dtime"])
    assert rf.total_counts == counts.sum()


@pytest.fixture(scope="module")
def photons():
    return _photons()


@pytest.mark.parametrize("order", ["time", "reversed within each shot"])
def test_ptu_with_step_markers(tmp_path, photons, order):
    edges = np.concatenate([[0], np.cumsum(SHOTS)[:-1]])
    ph = photons if order == "time" else photons.sort_values(
        ["shot", "bin"], ascending=[True, False])
    rec = t3_records(ph["shot"], ph["bin"], ph["channel"], {1: edges})
    src = write_ptu(tmp_path / "run.ptu", rec, sync_rate_Hz=1 / PERIOD, resolution_s=RES,
                    n_shots=sum(SHOTS))
    meta = _meta(**{"timetags": {"step_marker": 1}})
    out = import_timetags(src, "ptu", meta, tmp_path / "RUN.h5",
                          monitors=_monitors(tmp_path / "mon.csv"))
    _check(out, photons)
    with h5py.File(out) as f:
        assert "ptufile" in f["provenance"].attrs["converter_version"]


def _write_photon_hdf5(path, ph, n_shots, *, unit=1e-10):
    with h5py.File(path, "w") as f:
        f.create_dataset("acquisition_duration", data=n_shots * PERIOD)
        g = f.create_group("photon_data")
        ticks = ph["shot"].to_numpy() * round(PERIOD / unit) + ph["bin"].to_numpy() * round(
            RES / unit)
        g.create_dataset("timestamps", data=ticks.astype(np.int64))
        g.create_dataset("detectors", data=ph["channel"].to_numpy().astype(np.uint8))
        g.create_dataset("timestamps_specs/timestamps_unit", data=unit)
        g.create_dataset("measurement_specs/laser_pulse_rate", data=1 / PERIOD)
        g.create_dataset("measurement_specs/measurement_type", data="generic")
        ident = f.create_group("identity")
        ident.create_dataset("format_name", data="Photon-HDF5")
        ident.create_dataset("format_version", data="0.5")
    return path


def test_photon_hdf5_one_file_per_step(tmp_path, photons):
    edges = np.concatenate([[0], np.cumsum(SHOTS)])
    files = []
    for k in range(3):
        part = photons[(photons["shot"] >= edges[k]) & (photons["shot"] < edges[k + 1])].copy()
        part["shot"] -= edges[k]
        files.append(_write_photon_hdf5(tmp_path / f"step{k}.h5", part, SHOTS[k]))
    out = import_timetags(files, "photon-hdf5", _meta(), tmp_path / "RUN.h5",
                          monitors=_monitors(tmp_path / "mon.csv"))
    _check(out, photons)


def _write_csv(path, ph, bad_interval=None, marker=7):
    edges = np.concatenate([[0], np.cumsum(SHOTS)[:-1]])
    sync_ps = np.arange(sum(SHOTS), dtype=np.int64) * round(PERIOD / 1e-12) + 12345
    rows = [pd.DataFrame({"channel": 3, "time_ps": sync_ps, "type": 0}),
            pd.DataFrame({"channel": ph["channel"].to_numpy() + 1,
                          "time_ps": sync_ps[ph["shot"]] + ph["bin"].to_numpy() * 1000,
                          "type": 0}),
            pd.DataFrame({"channel": marker, "time_ps": sync_ps[edges] - 1000, "type": 0}),
            pd.DataFrame({"channel": 9, "time_ps": sync_ps[::50] + 7, "type": 0})]  # other
    if bad_interval is not None:
        a, b = bad_interval
        rows.append(pd.DataFrame({"channel": -1, "time_ps": [sync_ps[a] + 500_000_000,
                                                             sync_ps[b] + 100],
                                  "type": [2, 3]}))
    df = pd.concat(rows).sort_values("time_ps", kind="stable")
    df.to_csv(path, index=False)
    return path


def test_tag_stream_csv_with_overflow_and_markers(tmp_path, photons):
    src = _write_csv(tmp_path / "tags.csv", photons, bad_interval=(2500, 2510))
    meta = _meta(**{"daq.signal_channels": [1, 2], "daq.sync_channel": 3,
                    "timetags": {"step_marker": 7}})
    out = import_timetags(src, "timetags-csv", meta, tmp_path / "RUN.h5",
                          monitors=_monitors(tmp_path / "mon.csv"))
    bad = set(range(2500, 2511))
    _check(out, photons, bad)
    with h5py.File(out) as f:
        assert f["scan/flags"][()].tolist() == [0, 8, 0]
        gti = f["quality/good_time_intervals/start_utc_ns"][()]
        assert len(gti) == 4   # step 1 split around the lost shots
        assert "signal_channels left out" in f["provenance"].attrs["derived"]


def test_cli_imports_validates_and_reports_bad_files(tmp_path, photons, capsys):
    src = _write_csv(tmp_path / "tags.csv", photons)
    meta = tmp_path / "meta.toml"
    meta.write_text(CSV_META)
    plain = tmp_path / "plain.toml"
    plain.write_text(META)
    mon = _monitors(tmp_path / "mon.csv")
    out = tmp_path / "RUN.h5"

    def run(*argv):
        with pytest.raises(SystemExit) as e:
            main(list(argv))
        return e.value.code, capsys.readouterr().err

    code, err = run("import", str(src), "--format", "timetags-csv", "--metadata", str(meta),
                    "--monitors", str(mon), "-o", str(out))
    assert code == 0, err
    assert run("validate", str(out))[0] == 0
    # bad record, time going backwards (overflowed counter), truncated PTU, bad Photon-HDF5
    text = src.read_text().splitlines()
    bad_rec = tmp_path / "bad_rec.csv"
    bad_rec.write_text("\n".join([*text[:40], "1,12x34,0", *text[41:]]) + "\n")
    back = tmp_path / "back.csv"
    back.write_text("\n".join([*text[:40], "1,5,0", *text[41:]]) + "\n")
    rec = t3_records(photons["shot"], photons["bin"], photons["channel"])
    ptu = write_ptu(tmp_path / "x.ptu", rec, sync_rate_Hz=1 / PERIOD, resolution_s=RES)
    trunc = tmp_path / "trunc.ptu"
    trunc.write_bytes(ptu.read_bytes()[:300])
    ph5 = _write_photon_hdf5(tmp_path / "p.h5", photons, sum(SHOTS))
    with h5py.File(ph5, "r+") as f:
        ts = f["photon_data/timestamps"][()]
        ts[100] = 0
        f["photon_data/timestamps"][...] = ts
    for path, fmt, needle in ((bad_rec, "timetags-csv", "row 41, column time_ps"),
                              (back, "timetags-csv", "row 41, column time_ps"),
                              (trunc, "ptu", "trunc.ptu"),
                              (ph5, "photon-hdf5", "/photon_data/timestamps[100]")):
        m = meta if fmt == "timetags-csv" else plain
        code, err = run("import", str(path), "--format", fmt, "--metadata", str(m),
                        "--monitors", str(mon), "-o", str(tmp_path / "bad.h5"))
        assert code == 2 and err.count("\n") == 1 and needle in err, err
        assert str(path) in err and "Traceback" not in err
        assert not (tmp_path / "bad.h5").exists()


def test_exposure_needs_a_model_or_monitor_values(tmp_path, photons):
    edges = np.concatenate([[0], np.cumsum(SHOTS)[:-1]])
    rec = t3_records(photons["shot"], photons["bin"], photons["channel"], {1: edges})
    src = write_ptu(tmp_path / "run.ptu", rec, sync_rate_Hz=1 / PERIOD, resolution_s=RES,
                    n_shots=sum(SHOTS))
    doc = tomllib.loads(META)
    del doc["coherence"]
    doc["timetags"] = {"step_marker": 1}
    with pytest.raises(InputError, match="coherent_exposure_s"):
        import_timetags(src, "ptu", copy.deepcopy(doc), tmp_path / "RUN.h5",
                        monitors=_monitors(tmp_path / "mon.csv"))
    mon = pd.read_csv(_monitors(tmp_path / "mon.csv"))
    mon["coherent_exposure_s"] = 2e-9
    mon.to_csv(tmp_path / "mon2.csv", index=False)
    out = import_timetags(src, "ptu", doc, tmp_path / "RUN.h5", monitors=tmp_path / "mon2.csv")
    with h5py.File(out) as f:
        np.testing.assert_allclose(f["scan/coherent_exposure_s"][()], np.asarray(SHOTS) * 2e-9,
                                   rtol=1e-9)


# -- independent file -> import -> validate -> fit: the injected normalisation comes back ----

NORM_IN = 1.3


def _one_channel_meta():
    doc = tomllib.loads(META)
    doc["detectors"] = doc["detectors"][:1]
    doc["daq"]["signal_channels"] = [0]
    cal = doc["calibration"]
    cal["dark"] = [{"channel": 0, "counts": 0, "live_time_s": 3600.0}]
    cal["detector_efficiency"] = cal["detector_efficiency"][:1]
    del doc["coherence"]   # exposure from the monitors
    return doc


def _gate_photons(counts_per_step, seed):
    """counts_per_step[k] photons in the signal gate of random shots of step k, plus photons
    outside both gates (which must not count)."""
    rng = np.random.default_rng(seed)
    edges = np.concatenate([[0], np.cumsum(SHOTS)])
    rows = []
    for k, n in enumerate(counts_per_step):
        # distinct shots: one in-gate photon per shot (no dead-time losses)
        shot = np.sort(rng.choice(np.arange(edges[k], edges[k + 1]), int(n), replace=False))
        rows.append(pd.DataFrame({"shot": shot, "bin": rng.integers(15, 55, shot.size)}))
        off = np.sort(rng.choice(np.arange(edges[k], edges[k + 1]), 40, replace=False))
        rows.append(pd.DataFrame({"shot": off, "bin": rng.integers(500, 1500, off.size)}))
    df = pd.concat(rows).sort_values(["shot", "bin"]).reset_index(drop=True)
    df["channel"] = 0
    return df


def _write(fmt, tmp_path, ph):
    edges = np.concatenate([[0], np.cumsum(SHOTS)])
    if fmt == "ptu":
        rec = t3_records(ph["shot"], ph["bin"], ph["channel"], {1: edges[:-1]})
        return [write_ptu(tmp_path / "run.ptu", rec, sync_rate_Hz=1 / PERIOD,
                          resolution_s=RES, n_shots=sum(SHOTS))], {"step_marker": 1}, {}
    if fmt == "photon-hdf5":
        files = []
        for k in range(3):
            part = ph[(ph["shot"] >= edges[k]) & (ph["shot"] < edges[k + 1])].copy()
            part["shot"] -= edges[k]
            files.append(_write_photon_hdf5(tmp_path / f"s{k}.h5", part, SHOTS[k]))
        return files, {}, {}
    return [_write_csv(tmp_path / "tags.csv", ph)], {"step_marker": 7}, {
        "signal_channels": [1], "sync_channel": 3}


@pytest.mark.parametrize("fmt", ["ptu", "photon-hdf5", "timetags-csv"])
def test_import_then_fit_recovers_the_injected_normalisation(tmp_path, fmt):
    """Counts per step = round(NORM_IN x the model's nominal signal) (Asimov-like data)."""
    from renpsim.stats.fit_report import fit_run
    from renpsim.stats.io import load_dataset
    from renpsim.stats.model import BinnedLikelihood, model_from_name

    def run_import(ph, expo_per_shot, name):
        files, tt, daq = _write(fmt, tmp_path, ph)
        doc = _one_channel_meta()
        doc["daq"].update(daq)
        if tt:
            doc["timetags"] = tt
        mon = pd.read_csv(_monitors(tmp_path / "mon.csv"))
        mon["coherent_exposure_s"] = np.repeat(expo_per_shot, SHOTS)
        mon.to_csv(tmp_path / "mon.csv", index=False)
        out = import_timetags(files, fmt, doc, tmp_path / name, monitors=tmp_path / "mon.csv")
        assert validate_run(out, deep=True).ok
        return out

    # 1. probe: the model's nominal signal per unit exposure (no photons in the gate)
    probe = run_import(_gate_photons([0, 0, 0], 1), np.ones(3), "probe.h5")
    ds, _ = load_dataset(probe)
    lik = BinnedLikelihood(ds, model_from_name("sm-dirac"))
    mu1 = lik.expected(lik.vector({"dark_rate_per_s": 0.0}))
    assert mu1.shape == (3,) and (mu1 > 0).all()
    # 2. exposure per shot giving 400 nominal signal counts per step; inject NORM_IN x that
    expo = 400.0 / mu1   # mu1: counts per step for an exposure of 1 s per shot
    n_in = np.round(NORM_IN * 400.0).astype(int) * np.ones(3, int)
    out = run_import(_gate_photons(n_in, 2), expo, "RUN.h5")
    with h5py.File(out) as f:
        np.testing.assert_array_equal(f["scan/counts_signal"][()][:, 0], n_in)
    rep = fit_run(out, profile_scans=False)
    norm = rep["parameters"]["norm"]
    assert norm["error"] > 0
    assert abs(norm["value"] - NORM_IN) < norm["error"], (norm, NORM_IN)
