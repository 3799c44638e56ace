"""BibTeX for renpsim itself and for the sources of limit records.

Entries are written from the records' ``[source]`` tables only (no network look-up): the
reference string becomes ``note``/``title``-free ``@misc`` entries with ``eprint``/``doi`` when
recorded. Records that share an arXiv number or DOI share one entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from renpsim import __version__
from renpsim.limits.database import LimitDatabase, LimitRecord

RENPSIM_KEY = "renpsim"


def renpsim_bibtex() -> str:
    """BibTeX entry for renpsim (matches CITATION.cff at the repository top)."""
    return (
        f"@software{{{RENPSIM_KEY},\n"
        "  title = {renpsim: a physics-grade simulator for radiative emission of a neutrino "
        "pair (RENP) experiments},\n"
        "  author = {{renpsim developers}},\n"
        f"  version = {{{__version__}}},\n"
        "  year = {2026},\n"
        "  license = {BSD-3-Clause},\n"
        "  note = {Existing-limits database: see docs/limits.md}\n"
        "}\n"
    )


def _escape(text: str) -> str:
    return text.replace("\\", "/").replace("{", "(").replace("}", ")").replace("&", r"\&") \
        .replace("%", r"\%").replace("_", r"\_").replace("#", r"\#")


def bibkey(record: LimitRecord) -> str:
    """Citation key: ``arXiv:NNNN.NNNNN`` based, else DOI based, else ``renpsim-limit-<ID>``."""
    src = record.source
    if "arxiv" in src:
        return "arXiv:" + src["arxiv"]
    if "doi" in src:
        return "doi:" + re.sub(r"[^A-Za-z0-9.:/-]", "-", src["doi"])
    return f"renpsim-limit-{record.id}"


def record_bibtex(records: Iterable[LimitRecord], db: LimitDatabase | None = None) -> str:
    """Return BibTeX entries for the sources of ``records`` (one entry per distinct source).

    With ``db`` given, the inputs of derived records (``derivation.inputs``) are cited too.
    """
    records = list(records)
    if db is not None:  # a derived record also cites the sources of its inputs
        seen = {r.id for r in records}
        for r in list(records):
            for inp in r.raw.get("derivation", {}).get("inputs", []):
                if inp not in seen:
                    seen.add(inp)
                    records.append(db.get(inp))
    by_key: dict[str, list[LimitRecord]] = {}
    for r in records:
        by_key.setdefault(bibkey(r), []).append(r)
    out = []
    for key, recs in by_key.items():
        src = recs[0].source
        fields = [("title", src["ref"])]
        if "year" in src:
            fields.append(("year", str(src["year"])))
        if "arxiv" in src:
            fields += [("eprint", src["arxiv"]), ("archivePrefix", "arXiv")]
        if "doi" in src:
            fields.append(("doi", src["doi"]))
        uses = "; ".join(f"{r.id} ({r.source['location']})" for r in recs)
        fields.append(("note", f"renpsim limit records: {uses}"))
        body = ",\n".join(f"  {k} = {{{_escape(v) if k not in ('doi', 'eprint') else v}}}"
                          for k, v in fields)
        out.append(f"@misc{{{key},\n{body}\n}}\n")
    return "\n".join(out)
