"""The bad-input corpus (tests/corpus/manifest.toml) through every command-line entry point.

Each case is one defective input; each entry point that reads that kind of input must exit with
status 2 and print exactly one line on stderr that names the file and the field (the strings
of the case's ``expect``), with no traceback and no file left under the output name. The
entry points run in-process through :func:`renpsim.cli.main.main` (the console script's own
function); a few cases also run as real ``renpsim`` processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from renpsim._resources import preset_dir
from renpsim.cli.main import main

CORPUS = Path(__file__).with_name("corpus")
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["case"]
sys.path.insert(0, str(CORPUS))
from make_runfiles import CASES as RUNFILE_RECIPES  # noqa: E402
from make_runfiles import make_all  # noqa: E402

SENS_VALID = CORPUS / "sensitivity" / "valid.csv"
IMPORT_META = CORPUS / "import" / "valid_metadata.toml"
IMPORT_COUNTS = CORPUS / "import" / "valid_counts.csv"
QUANTITY = "scalar_ye_ynu"


def _campaign_entries(case: Path, out: Path) -> dict[str, list[str]]:
    return {
        "simulate": ["simulate", str(case), "-o", str(out / "run.h5"), "--no-progress"],
        "run": ["run", str(case), "-o", str(out / "report")],
        "sensitivity": ["sensitivity", str(case), "--json", "--csv", str(out / "s.csv")],
        "tui": ["tui", str(case)],
    }


def _entries(kind: str, case: Path, out: Path) -> dict[str, list[str]]:
    if kind in ("campaign", "hardware"):
        return _campaign_entries(case, out)
    if kind == "runfile":
        return {"inspect": ["inspect", str(case)], "validate": ["validate", str(case)],
                "fit": ["fit", str(case), "--json"],
                "strip-truth": ["strip-truth", str(case), "-o", str(out / "blind.h5")]}
    if kind == "import":
        csv, meta = (IMPORT_COUNTS, case) if case.suffix == ".toml" else (case, IMPORT_META)
        return {"import": ["import", str(csv), "--metadata", str(meta), "-o",
                           str(out / "imported.h5")]}
    if kind == "limitsdb":
        db = ["limits", "--database", str(case)]
        return {"limits list": [*db, "list"],
                "limits compare": [*db, "compare", QUANTITY, "--with", str(SENS_VALID)],
                "limits plot": [*db, "plot", QUANTITY, "-o", str(out / "limits.png")]}
    if kind == "sensitivity":
        return {"limits compare": ["limits", "compare", QUANTITY, "--with", str(case)],
                "limits plot": ["limits", "plot", QUANTITY, "--with", str(case), "-o",
                                str(out / "limits.png")]}
    raise AssertionError(kind)


ENTRY_POINTS = {kind: sorted(_entries(kind, Path("x.toml"), Path("out")))
                for kind in ("campaign", "hardware", "runfile", "import", "limitsdb",
                             "sensitivity")}


def _params():
    for c in MANIFEST:
        kind = c["file"].split("/")[0]
        for entry in c.get("entries", ENTRY_POINTS[kind]):
            yield pytest.param(c, entry, id=f"{c['file']}::{entry}")


@pytest.fixture(scope="module")
def runfile_cases(tmp_path_factory) -> dict[str, Path]:
    """The generated run-file cases, made from a file written by ``renpsim simulate``."""
    d = tmp_path_factory.mktemp("corpus")
    with pytest.raises(SystemExit) as ei:
        main(["simulate", "yb-ordering-6pt", "-o", str(d / "valid.h5"), "--no-progress"])
    assert ei.value.code == 0
    return {f"runfile/{k}": v for k, v in make_all(d / "valid.h5", d).items()}


def _hardware_campaign(hw: Path, where: Path) -> Path:
    """A valid campaign that names the hardware file ``hw`` (the error must name ``hw``)."""
    text = (preset_dir("campaigns") / "yb-ordering-6pt.toml").read_text(encoding="utf-8")
    lines = [f"hardware = {str(hw)!r}" if ln.startswith("hardware =") else ln
             for ln in text.splitlines()]
    p = where / "campaign-with-bad-hardware.toml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ei:
        main(argv)
    out, err = capsys.readouterr()
    return ei.value.code, out, err


@pytest.mark.parametrize(("case", "entry"), _params())
def test_bad_input_exits_2_with_one_line(case, entry, tmp_path, capsys, monkeypatch,
                                         runfile_cases):
    import renpsim_tui.app

    def no_screen(self):  # pragma: no cover - reached only if a bad file is accepted
        raise AssertionError("the TUI opened on a bad file")

    monkeypatch.setattr(renpsim_tui.app.PlannerApp, "run", no_screen)
    monkeypatch.setattr("renpsim.cli.tui.require_terminal", lambda: None)  # pytest has none
    kind = case["file"].split("/")[0]
    path = runfile_cases[case["file"]] if kind == "runfile" else CORPUS / case["file"]
    out = tmp_path / "out"
    out.mkdir()
    arg = _hardware_campaign(path, tmp_path) if kind == "hardware" else path
    code, stdout, stderr = _run_cli(_entries(kind, arg, out)[entry], capsys)
    lines = stderr.splitlines()
    assert code == 2, (stdout, stderr)
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("renpsim: error: ")
    assert "Traceback" not in stderr + stdout
    named = str(path) if kind != "runfile" else path.name
    assert named in line, f"the file is not named: {line}"
    for s in case["expect"]:
        assert s in line, f"{s!r} missing from: {line}"
    assert list(out.iterdir()) == [], "a file was left under the output name"


def test_manifest_lists_every_corpus_file():
    listed = {c["file"] for c in MANIFEST}
    assert len(listed) == len(MANIFEST), "a case is listed twice"
    assert len(MANIFEST) >= 40
    on_disk = {f"{p.parent.name}/{p.name}" for p in CORPUS.glob("*/*")
               if p.parent.name != "limitsdb"} | {f"limitsdb/{p.name}" for p in
                                                   (CORPUS / "limitsdb").iterdir()}
    valid = {"import/valid_counts.csv", "import/valid_metadata.toml",
             "sensitivity/valid.csv", "limitsdb/valid"}
    on_disk -= valid | {f"__pycache__/{p.name}" for p in CORPUS.glob("__pycache__/*")}
    generated = {f"runfile/{name}" for name in RUNFILE_RECIPES}
    assert listed == on_disk | generated
    for c in MANIFEST:
        assert c["defect"] and c["expect"], c["file"]


@pytest.mark.parametrize("entry", ["limits list"])
def test_valid_references_pass(entry, tmp_path, capsys):
    """The valid companions of the corpus really are valid (so each case has one defect)."""
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = _run_cli(_entries("limitsdb", CORPUS / "limitsdb" / "valid", out)[entry],
                            capsys)
    assert code == 0, err
    code, _, err = _run_cli(_entries("sensitivity", SENS_VALID, out)["limits compare"], capsys)
    assert code == 0, err
    code, _, err = _run_cli(["import", str(IMPORT_COUNTS), "--metadata", str(IMPORT_META),
                             "-o", str(out / "ok.h5")], capsys)
    assert code == 0, err
    assert (out / "ok.h5").is_file()


@pytest.mark.parametrize("rel", ["campaign/syntax_error.toml", "campaign/omega_in_meV.toml",
                                 "import/omega_in_nm.csv", "sensitivity/nan_limit.csv"])
def test_real_process_prints_one_line(rel, tmp_path):
    """The installed ``renpsim`` script: exit 2, one line, no traceback (not only in-process)."""
    kind = rel.split("/")[0]
    case = CORPUS / rel
    entries = _entries(kind, case, tmp_path)
    argv = next(iter(entries.values()))
    proc = subprocess.run([sys.executable, "-m", "renpsim", *argv], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert str(case) in proc.stderr
