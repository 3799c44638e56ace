"""Make the binary run-file cases of the bad-input corpus from one valid run file.

The corpus keeps only this recipe, not binary files: each case is the valid file passed in, with
one defect. ``tests/test_reliability_corpus.py`` calls :func:`make_all` at test time on a file
written by ``renpsim simulate``; the ``[[case]]`` entries with ``generated = true`` in
``manifest.toml`` name the files made here.

Usage: ``python tests/corpus/make_runfiles.py VALID.h5 OUTDIR`` (writes OUTDIR/runfile/*.h5).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np


def _replace(f: h5py.File, name: str, data: np.ndarray) -> None:
    """Replace dataset ``name`` by ``data``, keeping its attributes."""
    attrs = dict(f[name].attrs)
    del f[name]
    f[name] = data
    for k, v in attrs.items():
        f[name].attrs[k] = v


def _edit(fn: Callable[[h5py.File], None]) -> Callable[[Path, Path], None]:
    def make(valid: Path, out: Path) -> None:
        shutil.copyfile(valid, out)
        with h5py.File(out, "r+") as f:
            fn(f)
    return make


def _bytes(fn: Callable[[bytes], bytes]) -> Callable[[Path, Path], None]:
    def make(valid: Path, out: Path) -> None:
        out.write_bytes(fn(valid.read_bytes()))
    return make


def _foreign(valid: Path, out: Path) -> None:
    with h5py.File(out, "w") as f:
        f["data"] = np.arange(10.0)
        f.attrs["instrument"] = "some other experiment"


def _float_counts(f: h5py.File) -> None:
    _replace(f, "scan/counts_signal", f["scan/counts_signal"][()].astype(np.float64))


def _nan_counts(f: h5py.File) -> None:
    c = f["scan/counts_signal"][()].astype(np.float64)
    c[1, 0] = np.nan
    _replace(f, "scan/counts_signal", c)


def _text_counts(f: h5py.File) -> None:
    c = f["scan/counts_signal"][()]
    _replace(f, "scan/counts_signal", np.array([[str(v) for v in row] for row in c],
                                               dtype=h5py.string_dtype()))


def _long_omega(f: h5py.File) -> None:
    e = f["scan/set_photon_energy_eV"][()]
    _replace(f, "scan/set_photon_energy_eV", np.append(e, e[-1]))


def _short_counts(f: h5py.File) -> None:
    _replace(f, "scan/counts_signal", f["scan/counts_signal"][:-1])


def _nan_dwell(f: h5py.File) -> None:
    d = f["scan/dwell_s"][()]
    d[0] = np.nan
    _replace(f, "scan/dwell_s", d)


def _negative_dwell(f: h5py.File) -> None:
    d = f["scan/dwell_s"][()]
    d[2] = -d[2]
    _replace(f, "scan/dwell_s", d)


def _omega_above_endpoint(f: h5py.File) -> None:
    e = f["scan/set_photon_energy_eV"][()]
    e[0] = 1.5
    _replace(f, "scan/set_photon_energy_eV", e)


def _omega_in_meV(f: h5py.File) -> None:
    _replace(f, "scan/set_photon_energy_eV", f["scan/set_photon_energy_eV"][()] * 1e3)


def _counts_2d_wrong(f: h5py.File) -> None:
    _replace(f, "scan/counts_signal", f["scan/counts_signal"][()].ravel())


def _target_attr(name: str, value) -> Callable[[h5py.File], None]:
    def fn(f: h5py.File) -> None:
        f["config/target"].attrs[name] = value
    return fn


def _virtual_counts(f: h5py.File) -> None:
    """/scan/counts_signal as a virtual dataset of a file that does not exist (reads as 0)."""
    ds = f["scan/counts_signal"]
    shape, dtype, attrs = ds.shape, ds.dtype, dict(ds.attrs)
    del f["scan/counts_signal"]
    layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
    layout[:] = h5py.VirtualSource("no_such_source.h5", "counts", shape=shape)
    v = f["scan"].create_virtual_dataset("counts_signal", layout, fillvalue=0)
    for k, val in attrs.items():
        v.attrs[k] = val


def _set_attr(name: str, value) -> Callable[[h5py.File], None]:
    def fn(f: h5py.File) -> None:
        f.attrs[name] = value
    return fn


def _del(path: str, attr: str | None = None) -> Callable[[h5py.File], None]:
    def fn(f: h5py.File) -> None:
        if attr is None:
            del f[path]
        else:
            del (f[path] if path else f).attrs[attr]
    return fn


#: case file name -> recipe(valid, out)
CASES: dict[str, Callable[[Path, Path], None]] = {
    "empty.h5": _bytes(lambda b: b""),
    "truncated_header.h5": _bytes(lambda b: b[:200]),
    "truncated_half.h5": _bytes(lambda b: b[: len(b) // 2]),
    "truncated_tail.h5": _bytes(lambda b: b[:-64]),
    "not_hdf5.h5": _bytes(lambda b: b"omega_eV,counts\n1.07,3\n"),
    "foreign.h5": _foreign,
    "missing_counts.h5": _edit(_del("scan/counts_signal")),
    "missing_scan.h5": _edit(_del("scan")),
    "missing_calibration.h5": _edit(_del("calibration")),
    "missing_config.h5": _edit(_del("config")),
    "float_counts.h5": _edit(_float_counts),
    "nan_counts.h5": _edit(_nan_counts),
    "text_counts.h5": _edit(_text_counts),
    "counts_wrong_rank.h5": _edit(_counts_2d_wrong),
    "long_omega.h5": _edit(_long_omega),
    "short_counts.h5": _edit(_short_counts),
    "nan_dwell.h5": _edit(_nan_dwell),
    "negative_dwell.h5": _edit(_negative_dwell),
    "omega_above_endpoint.h5": _edit(_omega_above_endpoint),
    "omega_in_meV.h5": _edit(_omega_in_meV),
    "no_schema_version.h5": _edit(_del("", "schema_version")),
    "future_schema_version.h5": _edit(_set_attr("schema_version", "9.0.0")),
    "garbage_schema_version.h5": _edit(_set_attr("schema_version", "one")),
    "numeric_schema_version.h5": _edit(_set_attr("schema_version", 1.0)),
    "wrong_schema_name.h5": _edit(_set_attr("schema_name", "nexus")),
    "not_complete.h5": _edit(_set_attr("complete", False)),
    "bad_file_kind.h5": _edit(_set_attr("file_kind", "simulated")),
    "nan_E_eg.h5": _edit(_target_attr("E_eg_eV", np.nan)),
    "negative_length.h5": _edit(_target_attr("length_m", -0.1)),
    "inf_density.h5": _edit(_target_attr("number_density_m3", np.inf)),
    "virtual_counts_missing_source.h5": _edit(_virtual_counts),
}


def make_all(valid: str | Path, outdir: str | Path) -> dict[str, Path]:
    """Write every case of :data:`CASES` into ``outdir/runfile``; return name -> path."""
    out = Path(outdir) / "runfile"
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for name, recipe in CASES.items():
        recipe(Path(valid), out / name)
        made[name] = out / name
    return made


if __name__ == "__main__":
    for p in make_all(sys.argv[1], sys.argv[2]).values():
        print(p)
