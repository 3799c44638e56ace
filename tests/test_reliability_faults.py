"""Round two of the reliability promises: outputs, numbers, environment faults, run files.

Each class of fault has one mechanism (``renpsim._atomic`` guards and error mapping,
``renpsim._numbers`` exact integers, the run-file validator); these tests hold each to its
promise through the command line. Environment faults run for real where that needs no
privilege (a FIFO, ``/dev/full``, a closed pipe, a 255-byte name) and where it does (a full
file system) they use a small tmpfs when it can be mounted, else the same fault injected at the
I/O layer; the injected variants always run.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import stat
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from renpsim import _atomic
from renpsim._numbers import bound_text, exact_int, exact_sum, int_column
from renpsim.cli.main import main
from renpsim.errors import FileSystemError, InputError

CORPUS = Path(__file__).with_name("corpus")
IMPORT_META = CORPUS / "import" / "valid_metadata.toml"
IMPORT_COUNTS = CORPUS / "import" / "valid_counts.csv"
RENPSIM = [sys.executable, "-m", "renpsim"]


def _cli(argv, capsys):
    with pytest.raises(SystemExit) as ei:
        main(argv)
    out, err = capsys.readouterr()
    return ei.value.code, out, err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("renpsim: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def runfile(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("run") / "run.h5"
    with pytest.raises(SystemExit) as ei:
        main(["simulate", "yb-threshold-scan", "-o", str(p), "--no-progress",
              "--set", "scan.n_steps=20", "--set", "scan.shots_per_step=100"])
    assert ei.value.code == 0
    return p


# ---- outputs: regular files only, never an input, all checked before anything is written ----

def _device_or_fifo(path: Path) -> str:
    """A character device like /dev/null (as root) or else a FIFO, at ``path``."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return "a character device"
    except (PermissionError, OSError):
        os.mkfifo(path)
        return "a FIFO"


@pytest.mark.parametrize("command", ["simulate", "import", "strip-truth", "limits plot"])
def test_non_regular_output_is_never_replaced(command, tmp_path, capsys, runfile):
    out = tmp_path / "dev"
    kind = _device_or_fifo(out)
    argv = {"simulate": ["simulate", "yb-threshold-scan", "-o", str(out), "--no-progress"],
            "import": ["import", str(IMPORT_COUNTS), "--metadata", str(IMPORT_META), "-o",
                       str(out)],
            "strip-truth": ["strip-truth", str(runfile), "-o", str(out)],
            "limits plot": ["limits", "plot", "scalar_ye_ynu", "-o", str(out)]}[command]
    code, _, err = _cli(argv, capsys)
    line = _one_error_line(err)
    assert code == 2
    assert str(out) in line and kind in line and "--output" in line
    mode = os.lstat(out).st_mode
    assert stat.S_ISCHR(mode) or stat.S_ISFIFO(mode), "the special file was replaced"


def test_output_that_is_an_input_is_refused_before_work(tmp_path, capsys):
    counts = tmp_path / "counts.csv"
    counts.write_bytes(IMPORT_COUNTS.read_bytes())
    before = counts.read_bytes()
    code, _, err = _cli(["import", str(counts), "--metadata", str(IMPORT_META), "-o",
                         str(counts)], capsys)
    line = _one_error_line(err)
    assert code == 2 and "also an input" in line and "--output" in line
    assert counts.read_bytes() == before
    # the same file under another name (a hard link) is the same input
    link = tmp_path / "link.csv"
    os.link(counts, link)
    code, _, err = _cli(["import", str(counts), "--metadata", str(IMPORT_META), "-o",
                         str(link)], capsys)
    assert code == 2 and "also an input" in _one_error_line(err)
    assert counts.read_bytes() == before


def test_campaign_as_output_of_simulate_is_refused(tmp_path, capsys):
    camp = tmp_path / "c.toml"
    camp.write_text((Path(__file__).parents[1] / "campaigns" / "yb-threshold-scan.toml")
                    .read_text())
    before = camp.read_bytes()
    code, _, err = _cli(["simulate", str(camp), "-o", str(camp), "--no-progress"], capsys)
    assert code == 2 and "also an input" in _one_error_line(err)
    assert camp.read_bytes() == before


def test_all_outputs_checked_before_any_is_written(tmp_path, capsys):
    """One bad output name among several: nothing is computed or written."""
    good = tmp_path / "s.csv"
    bad = tmp_path / "special"
    kind = _device_or_fifo(bad)
    t0 = time.perf_counter()
    code, _, err = _cli(["sensitivity", "gp21-benchmark", "--csv", str(good), "--hdf5",
                         str(bad)], capsys)
    line = _one_error_line(err)
    assert code == 2 and "--hdf5" in line and str(bad) in line and kind in line
    assert not good.exists()
    assert time.perf_counter() - t0 < 30


def test_strip_truth_in_place_stays_allowed(tmp_path, capsys, runfile):
    """Documented: strip-truth may replace RUN itself (atomically, after validation)."""
    p = tmp_path / "r.h5"
    p.write_bytes(runfile.read_bytes())
    code, _, err = _cli(["strip-truth", str(p), "-o", str(p)], capsys)
    assert code == 0, err
    with h5py.File(p) as f:
        assert "truth" not in f


def test_name_at_the_length_limit_works_and_beyond_is_refused(tmp_path, capsys):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    name = "r" * (limit - 3) + ".h5"               # fits; ".<name>.partial-<pid>" would not
    out = tmp_path / name
    code, _, err = _cli(["simulate", "yb-threshold-scan", "-o", str(out), "--no-progress",
                         "--set", "scan.n_steps=5"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    too_long = tmp_path / ("r" * (limit + 1))
    code, _, err = _cli(["simulate", "yb-threshold-scan", "-o", str(too_long),
                         "--no-progress"], capsys)
    line = _one_error_line(err)
    assert code == 2 and "too long" in line and str(limit) in line


def test_long_temporary_names_are_recognised_as_partials(tmp_path):
    final = tmp_path / ("x" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 2))
    tmp = _atomic.partial_name(final, pid=2**22 - 1)
    assert len(tmp.name.encode()) <= os.pathconf(tmp_path, "PC_NAME_MAX")
    tmp.write_bytes(b"")
    assert _atomic.clean_partials(final, remove=False) == [tmp]


# ---- inputs that would hang -----------------------------------------------------------------

@pytest.mark.parametrize("argv", [["validate", "{f}"], ["inspect", "{f}"],
                                  ["simulate", "{f}", "-o", "{d}/o.h5", "--no-progress"],
                                  ["import", "{f}", "--metadata", str(IMPORT_META), "-o",
                                   "{d}/o.h5"]])
def test_fifo_input_is_refused_at_once(argv, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    args = [a.format(f=fifo, d=tmp_path) for a in argv]
    res = subprocess.run([*RENPSIM, *args], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 2
    line = _one_error_line(res.stderr)
    assert str(fifo) in line and "FIFO" in line


def test_tui_without_a_terminal_exits_2_quickly():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([*RENPSIM, "tui"], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert res.returncode == 2
    line = _one_error_line(res.stderr)
    assert "not a terminal" in line and "standard input" in line
    # CPU time, not wall time: the shared CI machine may be busy; no hang (timeout above)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 2.0, f"{cpu:.2f} s of CPU"
    assert "textual" not in res.stderr.lower()


# ---- exact integers -----------------------------------------------------------------------

def test_exact_int_refuses_wraps_and_rounding():
    assert exact_int("9007199254740993", "f", "k") == 2**53 + 1
    assert exact_int(np.uint64(2**63 - 1), "f", "k") == 2**63 - 1
    assert exact_int("1e3", "f", "k") == 1000
    assert exact_int(12.0, "f", "k") == 12
    for bad in (2**64, "18446744073709551616", 2**63, -(2**63) - 1, True, 1.5, "nan",
                float("inf"), 1e20, "1e20", "12 apples", None, []):
        with pytest.raises(InputError):
            exact_int(bad, "f", "k")
    with pytest.raises(InputError, match=r"\[0, 10\]"):
        exact_int(11, "f", "k", lo=0, hi=10)


def test_int_column_names_the_row():
    with pytest.raises(InputError, match="row 7"):
        int_column([1, 2, 2**64], "t.csv", lambda i: f"row {i + 5}", lo=0)
    a = int_column([0, 2**63 - 1], "t.csv", str)
    assert a.dtype == np.int64 and int(a[1]) == 2**63 - 1


def test_exact_sum_does_not_wrap():
    big = np.full(4, 2**62, dtype=np.int64)
    assert int(big.sum()) != 2**64     # numpy wraps silently
    with pytest.raises(InputError, match="at most"):
        exact_sum(big, "f", "/scan/counts")
    assert exact_sum(big, "f", "k", hi=2**70) == 2**64
    assert exact_sum(np.arange(100_000, dtype=np.int64)) == 99_999 * 100_000 // 2


def test_import_keeps_counts_beyond_2_53_exact(tmp_path, capsys):
    csv = tmp_path / "c.csv"
    csv.write_text("omega_eV,dwell_s,counts,n_shots\n1.0688,66240,9007199254740993,662400\n"
                   "1.0699,66240,6,662400\n")
    out = tmp_path / "o.h5"
    code, _, err = _cli(["import", str(csv), "--metadata", str(IMPORT_META), "-o", str(out)],
                        capsys)
    assert code == 0, err
    with h5py.File(out) as f:
        assert int(f["scan/counts_signal"][0, 0]) == 2**53 + 1
        t0 = f["scan/t_start_utc_ns"][()]
        t1 = f["scan/t_stop_utc_ns"][()]
    # whole nanoseconds, no float rounding of run times (~1.8e18 ns: float steps of 256 ns)
    assert np.all(t1 - t0 == 66240 * 10**9)


def test_bounds_keep_every_digit():
    assert bound_text(1.0000001) == "1.0000001"
    assert bound_text(10**13) == "1e13"
    assert bound_text(1e9) == "1e9"
    assert bound_text(1234567) == "1234567"
    assert bound_text(0.1) == "0.1"


def test_range_error_prints_a_bound_that_differs(capsys):
    code, _, err = _cli(["simulate", "yb-threshold-scan", "-o", "/tmp/never.h5",
                         "--set", "scan.n_steps=10000001"], capsys)
    line = _one_error_line(err)
    assert code == 2 and "scan.n_steps" in line and "10000001" in line and "1e7" in line


# ---- non-finite values at every numeric input ---------------------------------------------

@pytest.mark.parametrize(("argv", "option"), [
    (["sensitivity", "gp21-benchmark", "--scan", "discovery", "--coupling-value", "nan"],
     "--coupling-value"),
    (["sensitivity", "gp21-benchmark", "--masses", "0.01", "inf"], "--masses"),
    (["sensitivity", "gp21-benchmark", "--m-lightest", "-inf"], "--m-lightest"),
    (["spectrum", "--omega-range", "1.0", "nan", "3"], "--omega-range"),
    (["limits", "plot", "scalar_ye_ynu", "-o", "/tmp/never.png", "--x-range", "1", "inf"],
     "--x-range"),
])
def test_non_finite_cli_values_are_refused(argv, option, capsys):
    code, out, err = _cli(argv, capsys)
    line = _one_error_line(err)
    assert code == 2 and option in line and "finite" in line
    assert "NaN" not in out and "nan" not in out


def test_every_float_option_refuses_nan():
    """The guard is installed on every command: no float parameter without the finite check."""
    import click

    from renpsim.cli.main import cli
    from renpsim.cli.options import _Finite

    def commands(c):
        yield c
        if isinstance(c, click.Group):
            for sub in c.commands.values():
                yield from commands(sub)

    for cmd in commands(cli):
        for p in cmd.params:
            types = getattr(p.type, "types", [p.type])
            for t in types:
                assert not isinstance(t, click.types.FloatParamType) or isinstance(t, _Finite), (
                    cmd.name, p.name)


# ---- environment faults ---------------------------------------------------------------------

def _small_fs(tmp_path: Path) -> tuple[Path, bool]:
    """A 256 KiB tmpfs if it can be mounted (root); else a plain folder (inject then)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                         capture_output=True, check=False)
    return mnt, res.returncode == 0


@pytest.mark.parametrize("level", ["steps", "shots"])
def test_disk_full_real_or_injected(level, tmp_path):
    """simulate on a full disk: exit 2, one line naming the file, nothing left, no SIGSEGV."""
    mnt, mounted = _small_fs(tmp_path)
    out = mnt / "run.h5"
    try:
        if mounted:
            (mnt / "fill").write_bytes(b"\0" * 200_000)
            cmd = [*RENPSIM, "simulate", "yb-threshold-scan", "-o", str(out), "--no-progress",
                   "--level", level]
        else:   # inject ENOSPC into every HDF5 write of the child (same fault, no mount)
            cmd = [sys.executable, "-c", _INJECT_ENOSPC, "simulate", "yb-threshold-scan", "-o",
                   str(out), "--no-progress", "--level", level]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
        line = _one_error_line(res.stderr)
        assert str(out) in line and "ENOSPC" in line and ".partial-" not in line
        assert sorted(p.name for p in mnt.iterdir()) == (["fill"] if mounted else [])
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], check=False)


_INJECT_ENOSPC = """
import errno, sys
import h5py
from renpsim.cli.main import main
real = h5py.Dataset.__setitem__
def full(self, key, value):
    raise OSError(errno.ENOSPC, "No space left on device")
h5py.Dataset.__setitem__ = full
main(sys.argv[1:])
"""


@pytest.mark.parametrize(("code", "name"), [(errno.ENOSPC, "ENOSPC"), (errno.EROFS, "EROFS"),
                                            (errno.EACCES, "EACCES"),
                                            (errno.ENAMETOOLONG, "ENAMETOOLONG")])
def test_environment_faults_injected_in_atomic_writes(code, name, tmp_path, capsys,
                                                      monkeypatch):
    """The one mapping: every atomic writer's fault becomes one line naming the final file."""
    def failing_replace(src, dst, *a, **k):
        raise OSError(code, os.strerror(code), str(src))

    monkeypatch.setattr(os, "replace", failing_replace)
    out = tmp_path / "p.png"
    code_, _, err = _cli(["limits", "plot", "scalar_ye_ynu", "-o", str(out)], capsys)
    line = _one_error_line(err)
    assert code_ == 2 and name in line and str(out) in line
    assert ".partial-" not in line
    assert list(tmp_path.iterdir()) == []


def test_h5py_runtime_error_with_errno_is_mapped():
    exc = RuntimeError("Unable to synchronously write data (file write failed: time = x, "
                       "filename = '.r.h5.partial-1', errno = 28, error message = 'No space')")
    err = _atomic.os_error(exc, "r.h5", "cannot write")
    assert isinstance(err, FileSystemError)
    assert str(err).startswith("r.h5: ") and "ENOSPC" in str(err)
    assert _atomic.is_environment_fault(exc)
    assert not _atomic.is_environment_fault(RuntimeError("unrelated"))


def test_read_only_folder_is_refused_before_work(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):    # root ignores modes: a read-only bind is not portable
            real = os.access
            os_access = lambda p, m, *a, **k: False if Path(p) == ro else real(p, m, *a, **k)  # noqa: E731
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(os, "access", os_access)
                code, _, err = _cli(["simulate", "yb-threshold-scan", "-o", str(ro / "r.h5"),
                                     "--no-progress"], capsys)
        else:
            code, _, err = _cli(["simulate", "yb-threshold-scan", "-o", str(ro / "r.h5"),
                                 "--no-progress"], capsys)
    finally:
        ro.chmod(0o755)
    line = _one_error_line(err)
    assert code == 2 and str(ro / "r.h5") in line and ("EACCES" in line or "EROFS" in line)


def test_full_standard_output_is_one_line():
    if not Path("/dev/full").exists():
        pytest.fail("/dev/full is missing: this test needs Linux")
    with open("/dev/full", "w") as full:
        res = subprocess.run([*RENPSIM, "spectrum", "--omega", "1.0"], stdout=full,
                             stderr=subprocess.PIPE, text=True, timeout=120)
    assert res.returncode == 2
    line = _one_error_line(res.stderr)
    assert "standard output" in line and "ENOSPC" in line


def test_closed_standard_output_ends_quietly():
    proc = subprocess.Popen([*RENPSIM, "spectrum", "--omega-range", "1.0", "1.07", "20000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err


# ---- run files: every reader validates; harmless extras do not break readers ---------------

def _copy(runfile: Path, tmp_path: Path, edit) -> Path:
    p = tmp_path / "edited.h5"
    p.write_bytes(runfile.read_bytes())
    with h5py.File(p, "r+") as f:
        edit(f)
    return p


def test_unknown_items_accepted_by_validate_are_read_by_inspect_and_fit(tmp_path, capsys,
                                                                         runfile):
    def extras(f):
        f["scan"].create_dataset("my_extra_column", data=np.arange(3))
        f["scan"].create_group("my_group").attrs["note"] = "harmless"
        f.create_group("my_notes")

    code, out, _ = _cli(["inspect", str(runfile), "--json"], capsys)
    n_steps = json.loads(out)["n_steps"]
    p = _copy(runfile, tmp_path, extras)
    for argv in (["validate", str(p)], ["inspect", str(p), "--json"],
                 ["fit", str(p), "--json", "--allow-invalid"]):   # a vapour cell: no signal
        code, out, err = _cli(argv, capsys)
        assert code == 0, (argv, err)
    code, out, _ = _cli(["inspect", str(p), "--json"], capsys)
    assert json.loads(out)["n_steps"] == n_steps


def test_incomplete_files_are_refused_by_the_commands_that_use_them(tmp_path, capsys,
                                                                    runfile):
    p = _copy(runfile, tmp_path, lambda f: f.attrs.__setitem__("complete", False))
    code, out, err = _cli(["validate", str(p)], capsys)
    assert code == 0 and "not marked complete" in out
    for argv in (["fit", str(p), "--json"], ["strip-truth", str(p), "-o",
                                             str(tmp_path / "b.h5")]):
        code, _, err = _cli(argv, capsys)
        line = _one_error_line(err)
        assert code == 2 and "/@complete" in line and "False" in line
    assert not (tmp_path / "b.h5").exists()


def test_virtual_dataset_with_its_source_is_valid(tmp_path, runfile):
    """The missing-source check does not refuse a virtual dataset whose source exists."""
    from renpsim.runfile.validate import validate_run

    src = tmp_path / "source.h5"
    with h5py.File(runfile) as f:
        counts = f["scan/counts_signal"][()]
    with h5py.File(src, "w") as s:
        s["counts"] = counts

    def virtual(f):
        ds = f["scan/counts_signal"]
        attrs = dict(ds.attrs)
        del f["scan/counts_signal"]
        layout = h5py.VirtualLayout(shape=counts.shape, dtype=counts.dtype)
        layout[:] = h5py.VirtualSource(str(src), "counts", shape=counts.shape)
        v = f["scan"].create_virtual_dataset("counts_signal", layout)
        for k, val in attrs.items():
            v.attrs[k] = val

    p = _copy(runfile, tmp_path, virtual)
    validate_run(p)
    src.unlink()
    with pytest.raises(Exception, match="missing"):
        validate_run(p)


# ---- memory: the steps level streams ------------------------------------------------------

_PEAK = """
import sys
from renpsim.campaign import load_campaign
from renpsim.daq import simulate
c = load_campaign("yb-threshold-scan", overrides={"scan.n_steps": int(sys.argv[1]),
                  "scan.reference_every": 0, "scan.generator": "uniform",
                  "scan.shots_per_step": 10})
simulate(c, sys.argv[2])
with open("/proc/self/status") as fh:
    print(next(int(x.split()[1]) for x in fh if x.startswith("VmHWM:")) // 1024)
"""


def test_steps_level_memory_does_not_grow_with_steps(tmp_path):
    """20 000 smeared steps: the whole-scan spectrum grid took ~1.2 GB; now bounded blocks."""
    peaks = []
    for n in (1000, 20_000):
        res = subprocess.run([sys.executable, "-c", _PEAK, str(n), str(tmp_path / f"{n}.h5")],
                             capture_output=True, text=True, timeout=600, check=True)
        peaks.append(int(res.stdout.split()[-1]))
    assert peaks[1] < peaks[0] + 100, peaks   # MB; the step table is 0.5 MB


def test_block_step_model_equals_whole_scan():
    from renpsim.campaign import load_campaign
    from renpsim.daq.rates import expected_blocks, expected_counts, expected_totals

    c = load_campaign("yb-threshold-scan", overrides={"scan.n_steps": 2500,
                                                       "scan.reference_every": 7})
    whole = expected_counts(c)
    parts = [e for _, _, e in expected_blocks(c)]   # the steps level's blocks
    joined = np.concatenate([p.to_numpy() for p in parts])
    assert np.array_equal(joined, whole.to_numpy())           # bit for bit
    tot = expected_totals(c)
    assert tot["signal"] == pytest.approx(whole["signal"].sum(), rel=1e-14)
    assert tot["background"] == pytest.approx(whole["background"].sum(), rel=1e-14)
