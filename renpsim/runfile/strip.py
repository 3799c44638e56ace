"""``strip_truth``: a blinded copy of a run file without ``/truth`` ([hardware §9.4])."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import h5py
import numpy as np

from renpsim._atomic import fsync_path, partial_name, remove_stale_partials
from renpsim.errors import RunFileError
from renpsim.runfile._common import str_array
from renpsim.runfile.schema import group_spec
from renpsim.runfile.validate import open_h5, validate_run
from renpsim.runfile.writer import _dataset_attrs

_STR = h5py.string_dtype("utf-8")


def sha256_file(path: str | os.PathLike, block: int = 1 << 22) -> str:
    """Return the hex sha256 of a file (streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


def strip_truth(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Write a copy of ``src`` without ``/truth`` to ``dst`` (crash-safe).

    Everything else is copied unchanged (datasets with their storage and attributes); the copy
    has ``has_truth`` = False and ``/provenance`` records the parent run id and sha256 and
    ``truth_stripped`` = True.

    Parameters
    ----------
    src : path-like
        A valid run file.
    dst : path-like
        Output name (may equal ``src``: replaced atomically).

    Returns
    -------
    pathlib.Path
        ``dst``.

    """
    src_p, dst_p = Path(src), Path(dst)
    validate_run(src_p, deep=False)
    if not dst_p.parent.is_dir():
        raise RunFileError(str(dst_p), "-", "output folder does not exist")
    remove_stale_partials(dst_p)
    digest = sha256_file(src_p)
    tmp = partial_name(dst_p)
    try:
        with open_h5(src_p) as fin, h5py.File(tmp, "w", libver="latest") as fout:
            for k, v in fin.attrs.items():
                fout.attrs[k] = v
            fout.attrs["has_truth"] = np.bool_(False)
            for name in fin:
                if name in ("truth", "provenance"):
                    continue
                fin.copy(fin[name], fout, name=name)
            _provenance(fin, fout, digest)
        validate_run(tmp, deep=False)
        fsync_path(tmp)
        os.replace(tmp, dst_p)
        fsync_path(dst_p.parent)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    return dst_p


def _provenance(fin: h5py.File, fout: h5py.File, digest: str) -> None:
    p = fout.create_group("provenance")
    specs = {d["name"]: d for d in group_spec("/provenance")["datasets"]}
    lists: dict[str, list[str]] = {"parent_run_ids": [], "parent_sha256": []}
    if "provenance" in fin:
        old = fin["provenance"]
        for k, v in old.attrs.items():
            p.attrs[k] = v
        for k, ds in old.items():
            if k in lists:
                lists[k] = [x.decode() if isinstance(x, bytes) else str(x) for x in ds[()]]
            else:
                fin.copy(ds, p, name=k)
    run_id = fin.attrs.get("run_id", "")
    lists["parent_run_ids"].append(run_id.decode() if isinstance(run_id, bytes) else run_id)
    lists["parent_sha256"].append(digest)
    for k, vals in lists.items():
        ds = p.create_dataset(k, data=str_array(vals).astype(_STR), dtype=_STR)
        _dataset_attrs(ds, specs[k])
    p.attrs["truth_stripped"] = np.bool_(True)
