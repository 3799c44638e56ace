"""End-to-end: `renpsim run` writes a complete, valid, self-consistent report directory."""

import json
import math
import re

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from renpsim.cli.main import main
from renpsim.report.document import fmt
from renpsim.runfile import validate_run


def _run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", *args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.fixture(scope="module")
def gp21_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    with pytest.raises(SystemExit) as exc:
        main(["run", "-o", str(out), "--mass-points", "9", "--seed", "3"])
    assert exc.value.code == 0
    return out


def test_every_output_exists_and_is_valid(gp21_report):
    out = gp21_report
    for name in ("summary.md", "summary.html", "fit.json", "report.json", "run.h5",
                 "expected_counts.csv"):
        assert (out / name).is_file(), name
    assert list(out.glob("sensitivity_*.csv"))
    validate_run(out / "run.h5")
    fit = json.loads((out / "fit.json").read_text())
    assert {"parameters", "deviance", "ndof"} <= set(fit)
    json.loads((out / "report.json").read_text())
    pngs = sorted(out.glob("*.png"))
    stems = {p.stem for p in pngs}
    assert {"spectrum", "counts", "sensitivity_vector", "sensitivity_scalar",
            "sensitivity_m_lightest", "dipole"} <= stems
    for png in pngs:
        img = mpimg.imread(png)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
        pdf = png.with_suffix(".pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-"
    html = (out / "summary.html").read_text()
    assert html.count("data:image/png;base64,") == len(pngs)  # self-contained
    assert "src='http" not in html and 'src="http' not in html
    assert not list(out.glob(".*.tmp"))  # no leftover temporaries


def test_summary_numbers_equal_json_and_csv(gp21_report):
    out = gp21_report
    md = (out / "summary.md").read_text()
    fit = json.loads((out / "fit.json").read_text())
    fit_section = md.split("## Fit of the simulated run", 1)[1].split("\n## ", 1)[0]
    fit_section = fit_section.split("Intervals from profile scans", 1)[0]
    rows = dict(re.findall(r"^\| (\w+) \| ([^|]+) \|", fit_section, flags=re.M))
    for name, p in fit["parameters"].items():
        assert rows[name].strip() == fmt(p["value"]), name
    assert f"Poisson deviance {fmt(fit['deviance'])}" in md
    vec = pd.read_csv(out / "sensitivity_vector_gL11.csv", comment="#")
    vector_section = md.split("Vector mediator", 1)[1].split("Scalar mediator", 1)[0]
    tables = re.findall(r"^\| (\S+) \| (\S+) \|$", vector_section, flags=re.M)
    md_pairs = {a: b for a, b in tables}
    # the summary picks masses from the CSV; each picked value equals the CSV value
    picked = 0
    for m, lim in zip(vec["m_eV"], vec["limit"], strict=True):
        if fmt(m) in md_pairs and md_pairs[fmt(m)] == fmt(lim):
            picked += 1
    assert picked >= 3
    dip = pd.read_csv(out / "sensitivity_dipole.csv")
    for el, lim in zip(dip["element"], dip["limit_mu_B"], strict=True):
        assert f"| {el} | {fmt(lim)} |" in md
    report = json.loads((out / "report.json").read_text())
    assert fmt(report["viability"]["expected_signal"]) in md
    # the CL/dof convention is stated
    assert "Delta chi^2 = 3.841" in md and "1 degree(s) of freedom" in md
    assert "Assumptions and sources" in md


def test_default_benchmark_numbers(gp21_report):
    report = json.loads((gp21_report / "report.json").read_text())
    # [physics §8.3] N2: 20.8 expected events for the GP21 benchmark
    assert report["viability"]["expected_signal"] == pytest.approx(20.8, abs=0.05)
    sens = report["sensitivity"]
    assert sens["delta_chi2"] == pytest.approx(3.8415, abs=1e-3)
    vec = pd.read_csv(gp21_report / "sensitivity_vector_gL11.csv", comment="#")
    large = vec[vec["m_eV"] >= 1e2]
    slope = np.polyfit(np.log10(large["m_eV"]), np.log10(large["limit"]), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.01)  # [physics §8.4] B3
    # pole dips at the K8 masses are sampled ([physics §8.1])
    np.testing.assert_allclose(sorted(sens["pole_masses_eV"]), [0.05258, 0.08894, 0.11236],
                               rtol=2e-4)


def test_plotted_data_match_the_run(gp21_report, tmp_path):
    from renpsim.campaign import load_campaign
    from renpsim.daq import expected_counts
    from renpsim.report import plots

    fit = json.loads((gp21_report / "fit.json").read_text())
    camp = load_campaign("gp21-benchmark")
    exp = expected_counts(camp)
    obs = np.array(fit["steps"]["observed"])
    drawn = plots.plot_spectrum(camp, exp, obs, tmp_path / "s")
    per_I = exp["signal"] / exp["I_eff"]
    np.testing.assert_allclose(drawn["data_I"], (obs - exp["background"]) / per_I)
    counts = plots.plot_counts(fit["steps"], tmp_path / "c")
    np.testing.assert_array_equal(np.sort(counts["observed"]), np.sort(obs))


def test_vapour_campaign_reports_the_gap_instead_of_limits(tmp_path, capsys):
    code, out, _ = _run(["yb-vapour-benchmark", "-o", str(tmp_path)], capsys)
    assert code == 0
    assert "Far below one event" in out
    md = (tmp_path / "summary.md").read_text()
    assert "no coupling, mass or dipole limit is quoted" in md
    assert not list(tmp_path.glob("sensitivity_*.csv"))
    gap = pd.read_csv(tmp_path / "viability_gap.csv")
    report = json.loads((tmp_path / "report.json").read_text())
    v = report["viability"]
    assert v["expected_signal"] < 1e-20
    assert gap["knob"].iloc[0] == v["dominant"]
    assert v["growth_factor"] == pytest.approx(10.0 / v["expected_signal"])
    # the product of the knob ratios reproduces signal / GP21-benchmark signal (20.76)
    # up to the spectral factor (same three frequencies)
    assert math.isfinite(v["growth_factor"])
    fit = json.loads((tmp_path / "fit.json").read_text())
    assert fit["status"] == "skipped"


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["no-such-campaign"], "no-such-campaign"), (["--cl", "1.5"], "--cl"),
     (["--level", "photons"], "--level"), (["--dof", "0"], "--dof")],
)
def test_bad_input(args, needle, tmp_path, capsys):
    code, _, err = _run([*args, "-o", str(tmp_path / "r")], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_outdir_with_earlier_report_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = _run(["yb-vapour-benchmark", "-o", str(out)], capsys)
    assert code == 0, err
    manifest = json.loads((out / "report-files.json").read_text())["files"]
    assert "notes.txt" not in manifest and {"run.h5", "report.json", "summary.md"} <= set(manifest)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, _, err = _run(["yb-vapour-benchmark", "-o", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--outdir" in err and "--overwrite" in err and "report" in err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    # a file of the earlier report that the new one does not write is removed, others kept
    (out / "sensitivity_vector.csv").write_text("old")
    (out / "report-files.json").write_text(json.dumps({"files": [*manifest,
                                                                 "sensitivity_vector.csv"]}))
    (out / "mine.csv").write_text("keep")
    code, _, err = _run(["yb-vapour-benchmark", "-o", str(out), "--overwrite"], capsys)
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert "sensitivity_vector.csv" not in names
    assert (out / "notes.txt").read_text() == "mine" and (out / "mine.csv").read_text() == "keep"
    assert set(json.loads((out / "report-files.json").read_text())["files"]) == set(manifest)


def test_overwrite_of_a_report_without_manifest_keeps_other_files(gp21_report, tmp_path):
    import shutil

    from renpsim.report.outdir import claim_outdir, earlier_report_files, record_report

    old = tmp_path / "old"
    shutil.copytree(gp21_report, old)
    (old / "report-files.json").unlink()   # a report written before the manifest existed
    (old / "notes.md").write_text("mine")
    (old / "sub").mkdir()
    listed = {p.name for p in earlier_report_files(old)}
    assert {"run.h5", "fit.json", "summary.html", "counts.png", "counts.pdf"} <= listed
    assert "notes.md" not in listed
    claim = claim_outdir(old, overwrite=True)
    assert claim.kept == {"notes.md"} and set(claim.old) == listed
    assert {p.name for p in old.iterdir()} >= listed   # nothing removed before the new report
    (old / "run.h5").write_bytes(b"new")                # the new report rewrites one file
    record_report(old, claim)
    assert {p.name for p in old.iterdir()} == {"notes.md", "sub", "run.h5", "report-files.json"}
    assert json.loads((old / "report-files.json").read_text())["files"] == ["run.h5"]


# ---- strict outputs, report content, rendering in a browser -------------------------

NONFINITE = re.compile(r"(?<![A-Za-z])-?(inf|infinity|nan)(?![A-Za-z])", re.I)


def _strict_json(text):
    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token!r}")
    return json.loads(text, parse_constant=refuse)


def _text_outputs(out):
    for p in sorted(out.iterdir()):
        if p.suffix in (".csv", ".md", ".json"):
            yield p, p.read_text()
        elif p.suffix == ".html":  # drop the embedded images, scan the text
            yield p, re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", p.read_text())


def test_outputs_are_strict_and_finite(gp21_report):
    for name in ("report.json", "fit.json"):
        _strict_json((gp21_report / name).read_text())
    scanned = 0
    for path, text in _text_outputs(gp21_report):
        hit = NONFINITE.search(text)
        assert hit is None, f"{path.name}: {text[max(0, hit.start() - 60):hit.end() + 20]!r}"
        scanned += 1
    assert scanned >= 12
    # the lightest-mass table has a mass without sensitivity: an empty cell, 'no sensitivity'
    ml = pd.read_csv(gp21_report / "sensitivity_m_lightest_gL11.csv", comment="#")
    assert ml["limit"].isna().any()
    assert "| 0.08 | no sensitivity |" in (gp21_report / "summary.md").read_text()


def test_vapour_outputs_are_strict_and_finite(tmp_path, capsys):
    code, _, _ = _run(["yb-vapour-benchmark", "-o", str(tmp_path)], capsys)
    assert code == 0
    _strict_json((tmp_path / "report.json").read_text())
    for path, text in _text_outputs(tmp_path):
        assert NONFINITE.search(text) is None, path.name
    md = (tmp_path / "summary.md").read_text()
    assert "nothing is fitted" in md and "fitted expectation" not in md


def test_report_content(gp21_report):
    from renpsim.limits import load_database

    md = (gp21_report / "summary.md").read_text()
    report = json.loads((gp21_report / "report.json").read_text())
    prov = report["provenance"]
    assert prov["seed"] == 3 and prov["renpsim_version"] in md
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov["created_utc"])
    assert prov["command_line"].startswith("renpsim run") and "--seed 3" in prov["command_line"]
    assert prov["command_line"] in md and prov["created_utc"] in md
    # full hardware table, with the dominant knob and the laser line width, units and tags
    assert re.search(r"^\| target\.density_cm3 \| 1e\+21 \| cm\^-3 \| \[C\] \|", md, re.M)
    assert re.search(r"^\| lasers\.linewidth_Hz \| 0 \| Hz \| \[", md, re.M)
    # scan steps with their pole masses
    steps = md.split("## Scan steps", 1)[1].split("\n## ", 1)[0]
    assert steps.count("| 6.624e+04 |") == 3 and "| 0.05258 |" in steps
    # references: GP21 in full, and every limit id of the comparisons resolved
    refs = md.split("## References", 1)[1]
    assert "Ge, P. Pasquini" in refs and "Eur. Phys. J. C 82 (2022) 208" in refs
    db = load_database()
    ids = set()
    for c in report["sensitivity"]["comparisons"].values():
        ids.add(c["best_id"])
        frame = pd.read_csv(gp21_report / c["file"])
        ids |= set(frame["existing_id"].dropna())
    for rid in ids:
        assert f"| {rid} | {db.get(rid).description} |" in refs, rid
    # comparisons: away from the poles, derived bounds said as such, pole dips listed apart
    comp = report["sensitivity"]["comparisons"]
    assert comp["scalar"]["best_id"] == "S6xS1" and comp["scalar"]["best_provenance"] == "derived"
    assert comp["scalar"]["best_factor"] < 1e4   # not the 2.75e8 of the pole sample
    assert "S6xS1 (derived: renpsim combination" in md
    poles = report["sensitivity"]["pole_masses_eV"]
    for c in (comp["vector"], comp["scalar"]):
        assert min(abs(c["best_at"] / p - 1) for p in poles) > c["pole_window"]
        assert len(c["pole_dips"]) == 3 and all(d["width_fraction"] == 1e-6
                                                for d in c["pole_dips"])
    assert "Pole dips, listed separately" in md and "improves somewhere: no" not in md
    from renpsim.limits import read_sensitivity

    for name in ("vector_gL11", "scalar_yS11"):  # so that `limits compare --with` sees them
        s = read_sensitivity(gp21_report / f"sensitivity_{name}.csv")
        np.testing.assert_allclose(sorted(s.pole_masses_eV), sorted(poles), rtol=1e-9)
    # the threshold statement uses the computed ratios, not a linear 1.25 claim
    chk = report["sensitivity"]["threshold_check"]
    assert all(1.0 < r < 1.25 for r in chk["ratios"])
    assert f"grows by {fmt(chk['ratios'][0])}" in md
    assert "their limits are weaker by (5.99/3.84)^(1/2) = 1.25" not in md


def _chromium() -> str:
    import shutil
    import subprocess

    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    # CI runs as root on a Debian-like machine: install it (one time, a few minutes)
    if subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], timeout=900,
                      capture_output=True).returncode != 0:   # a fresh machine: no lists yet
        subprocess.run(["apt-get", "update", "-q"], check=True, timeout=600, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True, timeout=900,
                       capture_output=True)
    path = shutil.which("chromium")
    assert path, "chromium could not be installed"
    return path


def test_summary_html_renders_in_headless_chromium(gp21_report, tmp_path):
    import subprocess

    browser = _chromium()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
             "--hide-scrollbars", "--virtual-time-budget=5000"]
    html = (gp21_report / "summary.html").read_text()
    n_img = html.count("<img ")
    # every image decoded: a probe script counts the images that did not load
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", (
        "<script>window.addEventListener('load',function(){var im=document.images,bad=0;"
        "for(var i=0;i<im.length;i++){if(!(im[i].complete&&im[i].naturalWidth>0))bad++;}"
        "document.body.setAttribute('data-images',im.length+':'+bad);});</script></body>")))
    dom = subprocess.run([*flags, "--dump-dom", probe.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    assert f'data-images="{n_img}:0"' in dom and n_img == 6
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, "--window-size=1280,9000", f"--screenshot={shot}",
                    (gp21_report / "summary.html").as_uri()], capture_output=True, timeout=120)
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[0] == 9000 and img.shape[1] == 1280
    ink = (img.mean(axis=2) < 0.5).mean()   # dark pixels: text, lines, figures
    assert ink > 0.01 and img.std() > 0.05
    colour = (img.max(axis=2) - img.min(axis=2) > 0.3).mean()  # the figures are in colour
    assert colour > 0.001
