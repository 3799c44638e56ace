"""Command-line output contracts of issue-19 work: JSON outputs, presets, tables, multi-values."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from renpsim.cli.main import cli
from renpsim.runfile.reader import open_run


def invoke(args, width=None, env=None):
    result = CliRunner().invoke(cli, args, prog_name="renpsim", terminal_width=width, env=env)
    return result


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.h5"
    result = invoke(["simulate", "gp21-benchmark", "-o", str(path), "--seed", "1"])
    assert result.exit_code == 0, result.output
    return path


def test_validate_and_strip_truth_print_json(run_file, tmp_path):
    out = json.loads(invoke(["validate", str(run_file), "--json"]).output)
    assert out["valid"] is True and out["dims"]["N_steps"] == 3
    assert re.fullmatch(r"\d+\.\d+\.\d+", out["schema_version"])
    blind = tmp_path / "blind.h5"
    out = json.loads(invoke(["strip-truth", str(run_file), "-o", str(blind), "--json"]).output)
    assert out == {"input": str(run_file), "output": str(blind), "truth": False}
    assert open_run(blind).has_truth is False


def test_presets_lists_every_kind_with_descriptions():
    rows = json.loads(invoke(["presets", "--json"]).output)
    kinds = {r["kind"] for r in rows}
    assert kinds == {"hardware", "campaigns", "detectors"}
    names = {(r["kind"], r["name"]) for r in rows}
    assert {("hardware", "gp21-benchmark"), ("campaigns", "yb-ordering-6pt"),
            ("detectors", "snspd-1157")} <= names
    assert all(r["description"] and "\n" not in r["description"] for r in rows)
    text = invoke(["presets", "detectors"], env={"COLUMNS": "60"}).output
    assert "uv-snspd" in text and "campaigns:" not in text


def test_cite_takes_space_separated_ids():
    spaced = invoke(["cite", "--limits", "M7", "S3"])
    repeated = invoke(["cite", "--limits", "M7", "--limits", "S3"])
    assert spaced.exit_code == 0, spaced.output
    assert spaced.output == repeated.output
    only_m7 = invoke(["cite", "--limits", "M7"]).output
    assert "M7" in spaced.output and "S3" in spaced.output
    assert spaced.output.count("@") > only_m7.count("@") >= 2


@pytest.mark.parametrize("columns", ["70", "100", "160"])
def test_limits_table_wraps_without_cutting(columns):
    text = invoke(["limits", "list", "--quantity", "mu_nu_eff"], env={"COLUMNS": columns}).output
    assert "…" not in text
    flat = " ".join(text.split())
    # Every citation word survives whole (wrapped at spaces, never cut).
    for word in ("arXiv:1707.09355", "arXiv:2007.03694", "arXiv:1308.4627"):
        assert word in flat, word
    for rid in ("M1", "M7", "M14"):
        assert re.search(rf"^\s*{rid}\s", text, flags=re.M), rid
    widest = max(len(line) for line in text.splitlines())
    assert widest <= max(int(columns), 110)
