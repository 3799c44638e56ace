"""Crash safety of every writer of the command line under SIGKILL at random moments.

For each writer (simulate, strip-truth, import, sensitivity --csv/--hdf5, run) the command is
run once to completion (the reference output), then killed with SIGKILL at a random moment
between start-up and its measured duration, ``RENPSIM_KILL_TRIALS`` times per writer (default
4: 24 kills in all; the thorough run in docs/reliability.md uses more). After every kill:

* a file under a final name is either the one that was there before (byte-identical) or a
  complete, valid new one; a final name that did not exist is absent or complete;
* the only other files are ``.<name>.partial-<pid>`` temporaries of killed processes.

Then the next run of the same command removes those leftovers, says so on stderr, and leaves
exactly the complete outputs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from renpsim._atomic import PARTIAL_RE
from renpsim.runfile import open_run, validate_run

CORPUS = Path(__file__).with_name("corpus")
TRIALS = int(os.environ.get("RENPSIM_KILL_TRIALS", "4"))
SHOTS_SET = ["--set", "scan.dwell_s=20000"]     # 1.2e6 shots: the writer streams for a while


def _renpsim(*args: str) -> list[str]:
    return [sys.executable, "-m", "renpsim", *args]


def _run_h5_ok(p: Path) -> None:
    validate_run(p)
    assert open_run(p).identity["complete"] is True


def _table_ok(p: Path) -> None:
    if p.suffix == ".h5":
        with h5py.File(p, "r") as f:
            def read(name, obj):
                if isinstance(obj, h5py.Dataset):
                    obj[()]
            f.visititems(read)
    else:
        text = p.read_text(encoding="utf-8")
        assert text.endswith("\n")
        pd.read_csv(p, comment="#")


def _report_file_ok(p: Path) -> None:
    """A report file is complete: parseable, or ending with its format's end marker."""
    suffix = p.suffix
    if p.name == "run.h5":
        _run_h5_ok(p)
    elif suffix == ".json":
        json.loads(p.read_text(encoding="utf-8"))
    elif suffix == ".csv":
        _table_ok(p)
    elif suffix == ".png":
        assert p.read_bytes().endswith(b"IEND\xaeB`\x82")
    elif suffix == ".pdf":
        assert p.read_bytes().rstrip().endswith(b"%%EOF")
    elif suffix == ".html":
        assert p.read_text(encoding="utf-8").rstrip().endswith("</html>")
    elif suffix == ".md":
        assert p.read_text(encoding="utf-8").endswith("\n")
    else:
        raise AssertionError(f"unexpected report file {p}")


class Writer:
    """One writer command: its argv in a folder, its final files and their checks."""

    def __init__(self, name: str, argv: Callable[[Path], list[str]],
                 finals: Callable[[Path], list[Path]], check: Callable[[Path], None],
                 prepare: Callable[[Path], None] | None = None) -> None:
        self.name, self.argv, self.finals, self.check = name, argv, finals, check
        self.prepare = prepare

    def __repr__(self) -> str:
        return self.name


def _make_source_run(d: Path) -> None:
    subprocess.run(_renpsim("simulate", "yb-ordering-6pt", "-o", str(d / "src.h5"), "--level",
                            "shots", *SHOTS_SET, "--no-progress"), check=True,
                   capture_output=True)


def _report_files(d: Path) -> list[Path]:
    out = d / "report"
    return sorted(p for p in out.iterdir() if not PARTIAL_RE.match(p.name)) \
        if out.is_dir() else []


WRITERS = [
    Writer("simulate", lambda d: _renpsim("simulate", "yb-ordering-6pt", "-o", str(d / "RUN.h5"),
                                          "--level", "shots", *SHOTS_SET, "--no-progress"),
           lambda d: [d / "RUN.h5"], _run_h5_ok),
    Writer("strip-truth", lambda d: _renpsim("strip-truth", str(d / "src.h5"), "-o",
                                             str(d / "BLIND.h5")),
           lambda d: [d / "BLIND.h5"], _run_h5_ok, prepare=_make_source_run),
    Writer("import", lambda d: _renpsim("import", str(CORPUS / "import" / "valid_counts.csv"),
                                        "--metadata",
                                        str(CORPUS / "import" / "valid_metadata.toml"),
                                        "-o", str(d / "IMPORTED.h5")),
           lambda d: [d / "IMPORTED.h5"], _run_h5_ok),
    Writer("sensitivity --csv", lambda d: _renpsim("sensitivity", "yb-ordering-6pt", "--csv",
                                                   str(d / "SENS.csv"), "--json"),
           lambda d: [d / "SENS.csv"], _table_ok),
    Writer("sensitivity --hdf5", lambda d: _renpsim("sensitivity", "yb-ordering-6pt", "--hdf5",
                                                    str(d / "SENS.h5"), "--json"),
           lambda d: [d / "SENS.h5"], _table_ok),
    Writer("run", lambda d: _renpsim("run", "-o", str(d / "report"), "--overwrite"),
           _report_files,
           _report_file_ok),
]


def _partials(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob(".*.partial-*") if PARTIAL_RE.match(p.name))


def _snapshot(files: list[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in files if p.exists()}


@pytest.mark.parametrize("writer", WRITERS, ids=repr)
def test_sigkill_at_random_moments(writer: Writer, tmp_path: Path) -> None:
    d = tmp_path
    if writer.prepare:
        writer.prepare(d)
    t0 = time.perf_counter()
    subprocess.run(writer.argv(d), check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - t0
    finals = writer.finals(d)
    assert finals
    for f in finals:
        writer.check(f)
    rng = np.random.default_rng(abs(hash(writer.name)) % 2**32 + 2026)
    survived = 0
    outcomes = {"untouched": 0, "replaced": 0, "absent": 0, "partial left": 0}
    killed: set[int] = set()
    reference = _snapshot(finals)
    for trial in range(TRIALS):
        fresh = trial % 2 == 1                    # every other trial: no file there before
        for f in writer.finals(d):
            f.unlink(missing_ok=True)
        if not fresh:                             # the others: the complete reference output
            for f, data in reference.items():
                f.write_bytes(data)
        before = _snapshot(writer.finals(d))
        proc = subprocess.Popen(writer.argv(d), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(0.3, 1.0) * duration))   # start-up is ~1 s of it
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for f in before:
            assert f.exists(), f"{f} existed before the kill and is gone"
        for f in sorted(set(writer.finals(d)) | set(reference)):
            if not f.exists():
                outcomes["absent"] += 1           # fresh trial, killed before the rename
            elif before.get(f) == f.read_bytes():
                outcomes["untouched"] += 1
            else:
                writer.check(f)                   # replaced by a complete, valid file
                outcomes["replaced"] += 1
        killed.add(proc.pid)
        for p in _partials(d):    # a kill during start-up may leave an earlier one in place
            assert int(PARTIAL_RE.match(p.name)["pid"]) in killed
            outcomes["partial left"] += int(PARTIAL_RE.match(p.name)["pid"]) == proc.pid
        survived += 1
    assert survived == TRIALS
    print(f"\n{writer.name}: {TRIALS} SIGKILL trials survived; final files {outcomes}")
    # The next run removes the leftovers, reports them, and completes.
    left = _partials(d)
    done = subprocess.run(writer.argv(d), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for p in left:
        assert not p.exists()
        assert str(p) in done.stderr and "partial file left by a writer" in done.stderr
    assert _partials(d) == []
    for f in writer.finals(d):
        writer.check(f)
    if writer.name == "run":
        assert len(writer.finals(d)) == len(finals)   # every report file is there again


def test_killed_unreaped_writer_counts_as_dead():
    """A SIGKILLed writer whose parent has not reaped it yet (a zombie) is not 'alive'.

    Otherwise its temporaries would never be cleaned and a live reader would wait forever.
    """
    from renpsim._atomic import pid_alive

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert pid_alive(proc.pid)
        proc.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not pid_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()
