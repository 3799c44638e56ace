"""Strict JSON from every ``--json`` output and no non-finite numbers in written tables.

A limit that does not exist is absent: JSON ``null``, an empty CSV cell; never ``NaN``,
``Infinity`` or ``inf``.
"""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from renpsim._csv import write_frame_csv
from renpsim._json import dumps
from renpsim.cli.main import main
from renpsim.stats.output import read_csv

NONFINITE = re.compile(r"(?<![A-Za-z])-?(inf|infinity|nan)(?![A-Za-z])", re.I)


def strict_json(text):
    """Parse JSON refusing NaN/Infinity (RFC 8259)."""
    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token!r}")
    return json.loads(text, parse_constant=refuse)


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_dumps_writes_absent_numbers_as_null():
    obj = {"a": math.inf, "b": [np.nan, 1.5, np.float64(-np.inf)], "c": np.array([1.0, np.nan]),
           "d": np.bool_(True), "e": np.int64(3)}
    back = strict_json(dumps(obj))
    assert back == {"a": None, "b": [None, 1.5, None], "c": [1.0, None], "d": True, "e": 3}


def test_csv_writer_leaves_absent_cells_empty(tmp_path):
    frame = pd.DataFrame({"m_eV": [1.0, 2.0, 3.0], "limit": [1e-20, math.inf, np.nan],
                          "id": ["a", None, "c"]})
    p = write_frame_csv(frame, tmp_path / "t.csv", header_lines=["# x: y"])
    text = p.read_text()
    assert not NONFINITE.search(text)
    assert text.splitlines()[2:] == ["1,1e-20,a", "2,,", "3,,c"]
    assert list(tmp_path.iterdir()) == [p]


@pytest.mark.parametrize("args", [
    ["limits", "list", "--json"],
    ["limits", "show", "V6", "--json"],
    ["limits", "show", "P3", "--json"],
    ["spectrum", "--omega", "1.0688", "1.0716", "1.07174", "--json"],
    ["sensitivity", "gp21-benchmark", "--scan", "dipole", "--json"],
    ["sensitivity", "gp21-benchmark", "--scan", "m-lightest", "--m-lightest", "0.01", "0.08",
     "--json"],
])
def test_cli_json_is_strict(args, capsys):
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    strict_json(out)


def test_simulate_fit_inspect_json_are_strict(tmp_path, capsys):
    run = tmp_path / "run.h5"
    code, out, _ = run_cli(["simulate", "gp21-benchmark", "-o", str(run), "--seed", "2",
                            "--json"], capsys)
    assert code == 0
    strict_json(out)
    code, out, _ = run_cli(["inspect", str(run), "--json"], capsys)
    assert code == 0
    strict_json(out)
    code, out, _ = run_cli(["fit", str(run), "--json"], capsys)
    assert code == 0
    strict_json(out)


def test_m_lightest_without_sensitivity_is_absent(tmp_path, capsys):
    """NO with m_lightest = 0.08 eV closes the scan's channels: the limit does not exist."""
    csv = tmp_path / "ml.csv"
    code, out, _ = run_cli(["sensitivity", "gp21-benchmark", "--scan", "m-lightest",
                            "--m-lightest", "0.01", "0.08", "--csv", str(csv), "--json"], capsys)
    assert code == 0
    rows = strict_json(out)["rows"]
    assert rows[1]["limit"] is None and rows[0]["limit"] > 0
    text = csv.read_text()
    assert not NONFINITE.search(text)
    assert text.rstrip().splitlines()[-1] in ("0.08,", "0.08,,+", "0.08,,-")  # limit, sign


def test_toy_bands_go_into_csv_and_plot(tmp_path, capsys):
    csv, png = tmp_path / "toys.csv", tmp_path / "toys.png"
    code, out, _ = run_cli(["sensitivity", "gp21-benchmark", "--masses", "0.001", "1",
                            "--toys", "20", "--seed", "7", "--csv", str(csv), "--plot", str(png),
                            "--json"], capsys)
    assert code == 0
    res = strict_json(out)
    table = read_csv(csv)
    assert table.meta["toys"] == "20" and table.meta["toy_seed"] == "7"
    for col in ("toy_median", "toy_lo68", "toy_hi68", "toy_lo95", "toy_hi95"):
        np.testing.assert_allclose(table.frame[col], [r[col] for r in res["rows"]], rtol=1e-7)
    f = table.frame
    assert (f["toy_lo95"] <= f["toy_lo68"]).all() and (f["toy_lo68"] <= f["toy_median"]).all()
    assert (f["toy_median"] <= f["toy_hi68"]).all() and (f["toy_hi68"] <= f["toy_hi95"]).all()
    assert png.read_bytes()[:4] == b"\x89PNG"
    # the limits tools read the same file (band columns kept, not an error)
    code, out, _ = run_cli(["limits", "compare", "vector_ge_gnu", "--with", str(csv),
                            "--json"], capsys)
    assert code == 0
    strict_json(out)
