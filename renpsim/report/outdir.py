"""The report folder guard: never mix two reports, never delete a file a report did not write.

A folder holds an earlier report when it has one of :data:`REPORT_MARKERS`. Such a folder is
refused unless ``overwrite`` is given; then the new report replaces the earlier report's files
(each atomically) and afterwards only the earlier report's files it did not rewrite are
removed: those
listed in its manifest :data:`MANIFEST` (written by :func:`record_report` after each report),
or, for reports written before the manifest existed, the files named anywhere in its
``report.json`` or linked from its ``summary.md``, and the markers themselves. Every other
file in the folder is left alone; nothing outside the folder (links, ``..``) is ever removed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from renpsim._atomic import atomic_write_text
from renpsim.errors import InputError

#: Files whose presence marks a folder as holding a report.
REPORT_MARKERS = ("report.json", "summary.md", "summary.html")
#: List of the files a report wrote (relative names, JSON), written after the report.
MANIFEST = "report-files.json"
_LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def _regular_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()}


def _names_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _names_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in _names_in(v)]
    return []


def earlier_report_files(outdir: str | os.PathLike) -> list[Path]:
    """Files of the report already in ``outdir`` (empty when there is none).

    Parameters
    ----------
    outdir : path-like
        The report folder.

    Returns
    -------
    list of pathlib.Path
        Existing regular files directly inside ``outdir`` that the earlier report wrote.

    """
    out = Path(outdir)
    if not out.is_dir():
        return []
    present = _regular_files(out)
    names: set[str] = set()
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            names.update(_names_in(json.loads(manifest.read_text(encoding="utf-8"))))
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        names.add(MANIFEST)
    if not names and not present & set(REPORT_MARKERS):
        return []
    if not manifest.is_file():
        names.update(REPORT_MARKERS)
        try:
            # every string of report.json that names a file of the folder
            names.update(_names_in(json.loads((out / "report.json").read_text(
                encoding="utf-8"))))
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        try:
            names.update(_LINK_RE.findall((out / "summary.md").read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            pass
    # only plain names of regular files directly inside the folder
    return sorted(out / n for n in names if n and "/" not in n and "\\" not in n and
                  n not in (".", "..") and n in present)


@dataclass(frozen=True)
class ReportClaim:
    """What :func:`claim_outdir` found: files to keep and the earlier report's files.

    Attributes
    ----------
    kept : frozenset of str
        Regular files of the folder that are not the earlier report's (never touched).
    old : dict
        ``{name: mtime_ns}`` of the earlier report's files; those the new report does not
        rewrite are removed by :func:`record_report`.

    """

    kept: frozenset[str]
    old: dict[str, int]


def claim_outdir(outdir: str | os.PathLike, *, overwrite: bool) -> ReportClaim:
    """Check that ``outdir`` may receive a new report; nothing is removed yet.

    Parameters
    ----------
    outdir : path-like
        The report folder (may not exist yet).
    overwrite : bool
        Accept a folder holding an earlier report: its files are replaced by the new report's,
        and those the new report does not write are removed after it (by
        :func:`record_report`), so a crash in between never leaves the folder without them.

    Returns
    -------
    ReportClaim
        Pass it to :func:`record_report` once the report is written.

    Raises
    ------
    InputError
        ``outdir`` is not a folder, or holds an earlier report and ``overwrite`` is False.

    """
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise InputError("report", "outdir", str(out), "a folder (or a new path)")
    old = earlier_report_files(out)
    if old and not overwrite:
        shown = ", ".join(p.name for p in old[:3]) + (" ..." if len(old) > 3 else "")
        raise InputError("report", "outdir", str(out),
                         f"a folder without an earlier report (it holds {shown}); choose "
                         "another folder or allow overwriting the earlier report's files")
    present = _regular_files(out) if out.is_dir() else set()
    old_names = {p.name for p in old}
    return ReportClaim(frozenset(present - old_names),
                       {p.name: p.stat().st_mtime_ns for p in old})


def record_report(outdir: str | os.PathLike, claim: ReportClaim) -> Path:
    """Finish a report: remove the earlier report's stale files, write the manifest.

    Parameters
    ----------
    outdir : path-like
        The report folder.
    claim : ReportClaim
        What :func:`claim_outdir` returned before the report was written.

    Returns
    -------
    pathlib.Path
        The manifest path (lists every file of the new report).

    """
    out = Path(outdir)
    for name, mtime in claim.old.items():
        p = out / name
        try:
            if p.is_file() and not p.is_symlink() and p.stat().st_mtime_ns == mtime:
                p.unlink()   # not rewritten by the new report: stale
        except OSError:
            pass
    names = sorted(_regular_files(out) - set(claim.kept) - {MANIFEST})
    return atomic_write_text(out / MANIFEST, json.dumps({"files": names}, indent=1) + "\n")
