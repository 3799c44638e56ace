"""Seeded fuzzing of the command line with mutation classes the corpus lacks.

Each case mutates a valid input in one way and runs the commands that read it, in-process
through :func:`renpsim.cli.main.main`. Every run must end with exit status 0, or 2 with exactly
one ``renpsim: error:`` line on stderr; never a traceback, never NaN or infinity in what it
wrote (JSON on stdout, CSV, run files, which must also validate), never a changed input.

Classes (``CASES`` per class; each case is drawn from ``numpy.random.default_rng`` seeded with
the class and case number, so a failure names a case that reproduces):

* run files (``inspect``, ``validate``, ``strip-truth``; ``fit`` on refused files and on a few
  accepted ones): a dataset rewritten with another dtype or shape, attributes of the wrong
  type, shape, size or text, truncated files, dangling soft and external links, datasets
  with huge (sparse) dimensions;
* campaign and hardware TOML (``simulate``): values of the wrong type, huge integers, unicode
  in values, keys and encodings, duplicate keys and tables;
* CSV imports (``import``): byte-order marks, mixed line endings, quoted numbers, missing and
  extra columns.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from renpsim._resources import preset_dir
from renpsim.cli.main import main
from renpsim.runfile import validate_run

CORPUS = Path(__file__).with_name("corpus")
IMPORT_META = CORPUS / "import" / "valid_metadata.toml"
IMPORT_COUNTS = CORPUS / "import" / "valid_counts.csv"
#: Cases per class (the whole file runs in well under a minute on one core).
CASES = {"h5": 36, "campaign": 30, "hardware": 20, "csv": 36}
#: Accepted (mutated but valid) run files that are also fitted (a fit takes seconds).
FIT_ACCEPTED = 3
_NONFINITE = re.compile(r"(?<![A-Za-z])(nan|-?inf|-?infinity)(?![A-Za-z])", re.IGNORECASE)


def _rng(kind: str, i: int) -> np.random.Generator:
    return np.random.default_rng([int.from_bytes(kind.encode(), "little") % 2**32, i])


def _digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def _strict_json(text: str) -> None:
    def refuse(token):
        raise AssertionError(f"non-finite JSON token {token}")

    json.loads(text, parse_constant=refuse)


def _check_outputs(out: Path) -> None:
    """What a successful command wrote: valid run files, CSV without non-finite values."""
    for p in out.rglob("*"):
        assert ".partial-" not in p.name, f"temporary left behind: {p}"
        if p.suffix == ".h5":
            validate_run(p)
        elif p.suffix == ".csv":
            assert not _NONFINITE.search(p.read_text(encoding="utf-8")), p
        elif p.suffix == ".json":
            _strict_json(p.read_text(encoding="utf-8"))


def _run(argv: list[str], capsys, inputs, out: Path, what: str = "") -> int:
    """Run one command; check exit status, stderr, inputs and outputs; return the status.

    ``what`` (the mutation, in words) is shown when a check fails.
    """
    before = _digest(inputs)
    with pytest.raises(SystemExit) as ei:
        main(argv)
    stdout, stderr = capsys.readouterr()
    code = ei.value.code
    assert "Traceback" not in stdout + stderr, (what, argv, stderr)
    assert code in (0, 2), (what, argv, code, stderr)
    if code == 2:
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("renpsim: error: "), (what, stderr)
    else:
        if "--json" in argv:
            _strict_json(stdout)
        assert not _NONFINITE.search(stdout), (what, argv, stdout)
        _check_outputs(out)
    assert _digest(inputs) == before, f"an input was changed by {argv} ({what})"
    return code


# -- run files ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fuzzbase")
    with pytest.raises(SystemExit) as ei:
        main(["simulate", "yb-ordering-6pt", "-o", str(d / "base.h5"), "--no-progress"])
    assert ei.value.code == 0
    return d / "base.h5"


def _items(f: h5py.File) -> tuple[list[str], list[str]]:
    datasets: list[str] = []
    groups: list[str] = []

    def visit(name, obj):
        (datasets if isinstance(obj, h5py.Dataset) else groups).append(name)

    f.visititems(visit)
    return sorted(datasets), sorted(groups)


def _rewrite(f: h5py.File, name: str, data, maxshape=None, chunks=None) -> None:
    attrs = dict(f[name].attrs)
    del f[name]
    ds = f.create_dataset(name, data=data, maxshape=maxshape, chunks=chunks)
    for k, v in attrs.items():
        ds.attrs[k] = v


_ATTR_VALUES = [
    np.array([1.0, 2.0, 3.0]), "Ÿb — ☢ 😀 \u200f", np.int64(2**62), np.uint64(2**64 - 1),
    np.float64(1e308), np.float64(5e-324), np.array([], dtype=float), np.bool_(True),
    np.float64(-0.0), "", "x" * 5000, np.array([["a", "b"]], dtype=object),
]


def _mutate_h5(path: Path, rng: np.random.Generator) -> str:
    """Apply one mutation of one class to the run file ``path``; return its description."""
    how = ["dtype", "shape", "attribute", "truncate", "dangling", "huge"][
        int(rng.integers(6))]
    if how == "truncate":
        data = path.read_bytes()
        cut = int(len(data) * rng.uniform(0.05, 0.999))
        path.write_bytes(data[:cut])
        return f"truncated at byte {cut} of {len(data)}"
    with h5py.File(path, "r+") as f:
        datasets, groups = _items(f)
        if how == "dtype":
            name = datasets[int(rng.integers(len(datasets)))]
            arr = f[name][()]
            kind = ["f4", "i1", "u8", "?", "str", "c16"][int(rng.integers(6))]
            if kind == "str":
                new = np.array(np.asarray(arr).astype(str), dtype=object)
                new = new if new.ndim else str(new)
            else:
                with np.errstate(all="ignore"):
                    new = np.asarray(arr).astype(kind) if np.asarray(arr).dtype.kind in \
                        "fiub" else np.zeros(np.shape(arr), kind)
            _rewrite(f, name, new)
            return f"{name} as {kind}"
        if how == "shape":
            name = datasets[int(rng.integers(len(datasets)))]
            arr = np.asarray(f[name][()])
            choice = int(rng.integers(5))
            if choice == 0:
                new = arr.reshape(-1, 1) if arr.ndim else arr.reshape(1, 1)
            elif choice == 1:
                new = np.concatenate([arr.reshape(-1)] * 2) if arr.size else np.zeros(3)
            elif choice == 2:
                new = arr.reshape(-1)[:-1]
            elif choice == 3:
                new = arr.reshape(-1)[0] if arr.size else np.float64(0)
            else:
                new = arr.reshape(-1)[:0]
            _rewrite(f, name, new)
            return f"{name} reshaped {arr.shape} -> {np.shape(new)}"
        if how == "attribute":
            owners = [f, *(f[n] for n in groups + datasets)]
            owners = [o for o in owners if len(o.attrs)]
            obj = owners[int(rng.integers(len(owners)))]
            key = sorted(obj.attrs)[int(rng.integers(len(obj.attrs)))]
            if rng.uniform() < 0.15:
                del obj.attrs[key]
                return f"{obj.name}@{key} deleted"
            value = _ATTR_VALUES[int(rng.integers(len(_ATTR_VALUES)))]
            obj.attrs[key] = value
            return f"{obj.name}@{key} = {str(value)[:40]!r}"
        if how == "dangling":
            name = (datasets + groups)[int(rng.integers(len(datasets) + len(groups)))]
            del f[name]
            if rng.uniform() < 0.5:
                f[name] = h5py.SoftLink("/no/such/item")
                return f"{name} -> soft link to /no/such/item"
            f[name] = h5py.ExternalLink("missing-file.h5", "/scan")
            return f"{name} -> external link to missing-file.h5"
        # huge: a 1-D dataset made chunked and resized to a huge, unwritten length
        ones = [n for n in datasets if f[n].ndim == 1]
        name = ones[int(rng.integers(len(ones)))]
        arr = f[name][()]
        size = int([2**31, 2**40, 2**62][int(rng.integers(3))])
        _rewrite(f, name, arr, maxshape=(None,), chunks=(max(1, min(len(arr), 1024)),))
        f[name].resize((size,))
        return f"{name} resized to {size} rows"


@pytest.mark.parametrize("i", range(CASES["h5"]))
def test_run_file_mutations(i, base_run, tmp_path, capsys):
    rng = _rng("h5", i)
    path = tmp_path / "mutant.h5"
    path.write_bytes(base_run.read_bytes())
    what = _mutate_h5(path, rng)
    out = tmp_path / "out"
    out.mkdir()
    codes = {}
    for entry, argv in (("inspect", ["inspect", str(path)]),
                        ("validate", ["validate", str(path)]),
                        ("strip-truth", ["strip-truth", str(path), "-o",
                                         str(out / "blind.h5")])):
        codes[entry] = _run(argv, capsys, [path], out, what)
    if codes["validate"] == 2 or i < FIT_ACCEPTED:
        codes["fit"] = _run(["fit", str(path), "--json"], capsys, [path], out, what)
    if codes["validate"] == 2:
        # a file validate refuses is refused by every command that uses its content
        assert codes["strip-truth"] == 2 and codes.get("fit", 2) == 2, (what, codes)
        assert not (out / "blind.h5").exists()


# -- campaign and hardware TOML ----------------------------------------------------------------
_WRONG_TYPES = ['"1.0"', "[1, \"a\"]", "{ a = 1 }", "true", "1979-05-27T07:32:00Z", "inf",
                "-nan", "[[1], [2]]", "07:32:00", '""']
_HUGE_INTS = ["18446744073709551616", "9223372036854775808", "-9223372036854775809",
              "1" + "0" * 40, "0x7fffffffffffffff", "1_000_000_000_000_000_000_000",
              "9223372036854775807", "-1"]
_UNICODE = ['"Ÿb"', '"\\u0000"', '"e\\u0301"', '"\u202eLTR"', '"😀"', '"ＮＯ"', '"ｄｉｒａｃ"']


def _mutate_toml(raw: str, rng: np.random.Generator) -> tuple[bytes, str]:
    lines = raw.split("\n")
    assigns = [k for k, ln in enumerate(lines)
               if "=" in ln and not ln.lstrip().startswith(("#", "["))]
    tables = [k for k, ln in enumerate(lines) if ln.lstrip().startswith("[")]
    how = ["type", "huge", "unicode", "duplicate", "encoding"][int(rng.integers(5))]
    k = assigns[int(rng.integers(len(assigns)))]
    key = lines[k].split("=", 1)[0]
    if how == "type":
        lines[k] = key + "= " + _WRONG_TYPES[int(rng.integers(len(_WRONG_TYPES)))]
    elif how == "huge":
        lines[k] = key + "= " + _HUGE_INTS[int(rng.integers(len(_HUGE_INTS)))]
    elif how == "unicode":
        if rng.uniform() < 0.3:
            lines[k] = '"ключ_ü" = ' + lines[k].split("=", 1)[1]     # unknown unicode key
        else:
            lines[k] = key + "= " + _UNICODE[int(rng.integers(len(_UNICODE)))]
    elif how == "duplicate":
        if tables and rng.uniform() < 0.4:
            t = tables[int(rng.integers(len(tables)))]
            lines.append(lines[t])                                  # a table defined twice
            lines.append(lines[t + 1] if t + 1 < len(lines) else "")
        else:
            lines.insert(k + 1, key + "= " + lines[k].split("=", 1)[1])   # a key twice
    text = "\n".join(lines)
    if how == "encoding":
        enc = int(rng.integers(3))
        if enc == 0:
            return b"\xef\xbb\xbf" + text.encode(), "UTF-8 byte-order mark"
        if enc == 1:
            return text.encode("utf-16"), "UTF-16 with byte-order mark"
        return text.replace('"', '"\xe9', 1).encode("latin-1", "replace"), "a Latin-1 byte"
    return text.encode("utf-8"), f"{how}: {lines[min(k, len(lines) - 1)][:60]}"


def _simulate(camp: Path, out: Path) -> list[str]:
    return ["simulate", str(camp), "-o", str(out / "run.h5"), "--no-progress"]


@pytest.mark.parametrize("i", range(CASES["campaign"]))
def test_campaign_toml_mutations(i, tmp_path, capsys):
    rng = _rng("campaign", i)
    raw = (preset_dir("campaigns") / "gp21-benchmark.toml").read_text(encoding="utf-8")
    camp = tmp_path / "campaign.toml"
    data, what = _mutate_toml(raw, rng)
    camp.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    _run(_simulate(camp, out), capsys, [camp], out, what)


@pytest.mark.parametrize("i", range(CASES["hardware"]))
def test_hardware_toml_mutations(i, tmp_path, capsys):
    rng = _rng("hardware", i)
    raw = (preset_dir("hardware") / "gp21-benchmark.toml").read_text(encoding="utf-8")
    hw = tmp_path / "setup.toml"
    data, what = _mutate_toml(raw, rng)
    hw.write_bytes(data)
    text = (preset_dir("campaigns") / "gp21-benchmark.toml").read_text(encoding="utf-8")
    camp = tmp_path / "campaign.toml"
    camp.write_text("\n".join('hardware = "setup.toml"' if ln.startswith("hardware =") else ln
                              for ln in text.splitlines()) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    _run(_simulate(camp, out), capsys, [hw, camp], out, what)


# -- CSV imports -------------------------------------------------------------------------------
def _mutate_csv(raw: str, rng: np.random.Generator) -> tuple[bytes, str]:
    rows = [r for r in raw.splitlines() if r]
    cells = [r.split(",") for r in rows]
    how = ["bom", "endings", "quoted", "missing", "extra"][int(rng.integers(5))]
    if how == "bom":
        text = "\n".join(rows) + "\n"
        b = int(rng.integers(3))
        if b == 0:
            return b"\xef\xbb\xbf" + text.encode(), "UTF-8 BOM"
        if b == 1:
            return text.encode("utf-16"), "UTF-16 BOM"
        return b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode(), "two BOMs"
    if how == "endings":
        ends = ["\r\n", "\r", "\n", "\n\r"]
        text = "".join(r + ends[int(rng.integers(len(ends)))] for r in rows)
        return text.encode(), "mixed line endings"
    r = 1 + int(rng.integers(len(rows) - 1))
    c = int(rng.integers(len(cells[0])))
    if how == "quoted":
        form = ['"{}"', "' {} '", '" {} "', '"{}', "{}\"", '""{}""'][int(rng.integers(6))]
        targets = [r] if rng.uniform() < 0.5 else range(1, len(rows))
        for t in targets:
            cells[t][c] = form.format(cells[t][c])
        what = f"column {c} quoted as {form}"
    elif how == "missing":
        if rng.uniform() < 0.5:
            for row in cells:                               # a whole column missing
                del row[c]
            what = f"column {c} missing"
        else:
            del cells[r][c]                                 # one cell missing in a row
            what = f"row {r} short"
    else:
        if rng.uniform() < 0.5:
            for k, row in enumerate(cells):                 # an extra column
                row.append("extra" if k == 0 else str(k))
            what = "extra column"
        else:
            cells[r].append("7")                            # one row longer
            what = f"row {r} long"
    return ("\n".join(",".join(row) for row in cells) + "\n").encode(), what


@pytest.mark.parametrize("i", range(CASES["csv"]))
def test_csv_import_mutations(i, tmp_path, capsys):
    rng = _rng("csv", i)
    csv = tmp_path / "counts.csv"
    data, what = _mutate_csv(IMPORT_COUNTS.read_text(encoding="utf-8"), rng)
    csv.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    code = _run(["import", str(csv), "--metadata", str(IMPORT_META), "-o",
                 str(out / "imported.h5")], capsys, [csv, IMPORT_META], out, what)
    if code == 0:
        # what was accepted was read as the numbers it holds (a BOM, line endings or quotes
        # around a number never change a value)
        from renpsim.runfile import open_run

        steps = open_run(out / "imported.h5").steps
        assert np.all(np.isfinite(steps["omega_eV"].to_numpy())), what
        assert math.isclose(float(steps["omega_eV"].iloc[0]), 1.0688, rel_tol=1e-12), what


def test_unphysical_expectation_is_refused_before_writing(tmp_path, capsys):
    """Found by the hardware fuzzing: area_m2 = 2^64 gave a Poisson ValueError traceback."""
    camp = tmp_path / "campaign.toml"
    text = (preset_dir("campaigns") / "gp21-benchmark.toml").read_text(encoding="utf-8")
    camp.write_text(text + "\n[hardware_overrides.target]\narea_m2 = 1.8e19\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assert _run(_simulate(camp, out), capsys, [camp], out) == 2
    assert list(out.iterdir()) == []
