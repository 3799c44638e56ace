"""``strip_truth``: a blinded copy of a run file without ``/truth`` [hardware §9.4].

Blinding removes or replaces every item that identifies the true hypothesis, not only
``/truth``:

* root attributes: ``run_id`` (-> ``BLIND-<first 12 hex digits of the parent's sha256>``),
  ``experiment`` (-> ``"blinded"``), ``comment`` (-> ``""``) and the seed (``random_seed`` -1,
  ``seed_entropy`` ``""``, ``seed_spawn_key`` ``"[]"``: with the seed and the campaign a
  hypothesis could be recovered by re-simulating candidates);
* ``/config/config_json``: the campaign keeps what the fitter needs (hardware, scan,
  calibration plan, the oscillation preset) but loses its name, description, seed and the true
  hypothesis (``truth`` other than ``oscillation``); the simulation section loses its seed;
  import metadata loses ``run.run_id``, ``run.experiment`` and ``run.comment``;
* ``/config/campaign_toml`` (the campaign file, with its ``[truth]``) is dropped;
* ``/provenance/parent_run_ids`` does not gain the parent's run id (only its sha256).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import h5py
import numpy as np

from renpsim._atomic import (
    abandon_h5,
    check_output,
    discard,
    fsync_path,
    h5_written,
    is_environment_fault,
    os_error,
    partial_name,
    remove_stale_partials,
)
from renpsim._json import dumps_blocks
from renpsim.errors import RunFileError
from renpsim.runfile._common import str_array
from renpsim.runfile.schema import group_spec
from renpsim.runfile.validate import open_h5, validate_run
from renpsim.runfile.writer import LIBVER, _dataset_attrs

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

    Everything else is copied unchanged (datasets with their storage and attributes) except the
    items that identify the true hypothesis (see the module docstring); the copy has
    ``has_truth`` = False and ``/provenance`` records the parent's sha256 and
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
    validate_run(src_p, deep=False, require_complete=True)
    if not dst_p.parent.is_dir():
        raise RunFileError(str(dst_p), "-", "output folder does not exist")
    check_output(dst_p)
    remove_stale_partials(dst_p)
    digest = sha256_file(src_p)
    tmp = partial_name(dst_p)
    try:
        with open_h5(src_p) as fin, h5_written(h5py.File(tmp, "w", libver=LIBVER)) as fout:
            for k, v in fin.attrs.items():
                fout.attrs[k] = v
            fout.attrs["has_truth"] = np.bool_(False)
            for k, v in _BLIND_ATTRS.items():
                if k in fout.attrs:
                    fout.attrs[k] = v
            fout.attrs["run_id"] = f"BLIND-{digest[:12]}"
            for name in fin:
                if name in ("truth", "provenance"):
                    continue
                fin.copy(fin[name], fout, name=name)
            _blind_config(fout, str(src_p))
            _provenance(fin, fout, digest)
        validate_run(tmp, deep=False)
        fsync_path(tmp)
        os.replace(tmp, dst_p)
        fsync_path(dst_p.parent)
    except BaseException as exc:
        if isinstance(exc, OSError | RuntimeError):
            abandon_h5(tmp)
        discard(tmp)
        if is_environment_fault(exc):
            raise os_error(exc, dst_p, "cannot write", RunFileError) from None
        raise
    return dst_p


#: Root attributes replaced in a blinded copy (run_id is set from the parent's sha256).
_BLIND_ATTRS = {"experiment": "blinded", "comment": "", "random_seed": np.int64(-1),
                "seed_entropy": "", "seed_spawn_key": "[]"}


def _blind_doc(doc: object, where: str) -> object:
    """Return the frozen configuration without the items that identify the truth."""
    if not isinstance(doc, dict):
        return doc
    doc = dict(doc)
    camp = doc.get("campaign")
    if isinstance(camp, dict):
        camp = _explicit_scan(camp, where)
        camp = {k: v for k, v in camp.items() if k not in ("name", "description", "seed")}
        truth = camp.get("truth")
        if isinstance(truth, dict):
            camp["truth"] = {k: v for k, v in truth.items() if k == "oscillation"}
        camp["name"] = "blinded"
        doc["campaign"] = camp
    sim = doc.get("simulation")
    if isinstance(sim, dict):
        doc["simulation"] = {k: v for k, v in sim.items() if k != "seed"}
    run = doc.get("run")
    if isinstance(run, dict):
        doc["run"] = {k: v for k, v in run.items()
                      if k not in ("run_id", "experiment", "comment")}
    return doc


def _explicit_scan(camp: dict, where: str) -> dict:
    """Return the frozen campaign with its scan explicit.

    Schema 1.3.0 records a generated scan by its generator, parameters and seed; a blinded
    copy keeps neither the seed nor the truth, which a random order and the threshold
    generator need, so the resolved steps are written out.
    """
    scan = camp.get("scan")
    if not isinstance(scan, dict) or scan.get("generator", "explicit") == "explicit":
        return camp
    from renpsim.campaign.campaign import campaign_from_dict
    from renpsim.errors import InputError

    try:
        resolved = campaign_from_dict(camp, "/config/config_json")
    except InputError as exc:
        raise RunFileError(where, "/config/config_json",
                           f"campaign.{exc.key} = {exc.value!r}: expected {exc.expected} "
                           "(the frozen campaign's scan cannot be resolved)") from None
    return {**camp, **resolved.to_dict(steps="arrays")}


def _blind_config(fout: h5py.File, where: str) -> None:
    cfg = fout["config"]
    if "campaign_toml" in cfg:
        del cfg["campaign_toml"]
    ds = cfg["config_json"]
    raw = ds[()]
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    attrs = dict(ds.attrs)
    del cfg["config_json"]
    new = _blind_doc(doc, where) if doc is not None else {}
    out = cfg.create_dataset("config_json", data=dumps_blocks(new, sort_keys=True), dtype=_STR)
    out.attrs.update(attrs)


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
    lists["parent_sha256"].append(digest)
    for k, vals in lists.items():
        if not vals:
            continue
        ds = p.create_dataset(k, data=str_array(vals).astype(_STR), dtype=_STR)
        _dataset_attrs(ds, specs[k])
    p.attrs["truth_stripped"] = np.bool_(True)
