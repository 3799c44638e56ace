"""Every citation in code, help texts, data files, report text and docs resolves.

Canonical forms: ``[physics §4.3]`` and ``[hardware §5.1]`` (a numbered section of
docs/reference/physics.md or docs/reference/hardware.md), ``[KEY]`` and ``[Q: KEY ...]`` (an entry
of docs/reference/bibliography.md), and paths of repository documents (``docs/limits.md``).
Old forms that pointed outside the repository (a bare physics.md/hardware.md with a section,
TEAM.md, issue numbers, the shared notes' source keys S1..S36) must not come back.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
SCANNED_DIRS = ("renpsim", "tui", "docs", "hardware", "campaigns", "benchmarks", "tests")
SCANNED_FILES = ("README.md", "CITATION.cff", "pyproject.toml")
SKIPPED_PARTS = {"__pycache__", "__snapshots__", "corpus", ".pytest_cache", ".hypothesis"}
SUFFIXES = {".py", ".md", ".toml", ".json", ".cff", ".txt", ".html", ".j2", ".yml", ".tcss"}
THIS_FILE = Path(__file__).resolve()

# Bracketed words that are not citations: evidence tags, TOML tables, units and placeholders
# used in the texts. A capitalised word in brackets that is neither here nor a bibliography key
# is reported as a dangling key.
NOT_CITATIONS = {"A", "C", "D", "Q", "U", "V", "S", "P", "NO", "IO", "PDF", "CAMPAIGN", "None"}

SECTION_CITE = re.compile(r"\[(physics|hardware) §([^\]]*)\]")
KEY_CITE = re.compile(r"(?<![\w\]\)\[\"'])\[([A-Z][A-Za-z]*(?:-[a-z]+)?\d*[a-z]?)\](?!\()")
QUOTE_CITE = re.compile(r"\[Q: ([A-Z][\w-]*)")
OLD_FORMS = {
    "a section of physics.md/hardware.md outside the repository": re.compile(
        r"(?<![/\w.-])(?<!\]\()(?:physics|hardware)\.md\b"),
    "the shared notes (../shared)": re.compile(r"\.\./shared"),
    "TEAM.md": re.compile(r"\bTEAM\.md\b"),
    "an issue number": re.compile(r"\b[Ii]ssue #?\d+\b"),
}
HARDWARE_SOURCE_KEY = re.compile(r"(?<![\w/.\-\[])S\d{1,2}(?![\w\]]|\.\d)")
DOC_PATH = re.compile(r"\bdocs/[\w./-]+?\.md\b")


@cache
def sections(which: str) -> frozenset[str]:
    text = (REFERENCE / f"{which}.md").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^#{2,4} (\d+(?:\.\d+)?)\.? ", text, flags=re.M))


@cache
def bibliography_keys() -> frozenset[str]:
    text = (REFERENCE / "bibliography.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([^|\s]+) \|", text, flags=re.M)
    return frozenset(r for r in rows if r not in {"key", "---"})


def scanned_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for folder in SCANNED_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if (path.is_file() and path.suffix in SUFFIXES and path != THIS_FILE
                    and not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts)):
                files.append(path)
    return files


def problems_in(rel: str, text: str) -> list[str]:
    """Every dangling or old-style citation of one file, as 'file:line: what'."""
    out = []
    keys = bibliography_keys()
    for lineno, line in enumerate(text.splitlines(), 1):
        where = f"{rel}:{lineno}"
        for doc, sec in SECTION_CITE.findall(line):
            if sec not in sections(doc):
                out.append(f"{where}: [{doc} §{sec}] is not a section of docs/reference/{doc}.md")
        for key in KEY_CITE.findall(line) + QUOTE_CITE.findall(line):
            if key not in keys and key not in NOT_CITATIONS:
                out.append(f"{where}: [{key}] is not a key of docs/reference/bibliography.md")
        for what, pattern in OLD_FORMS.items():
            if pattern.search(line):
                out.append(f"{where}: old-style citation of {what}: {line.strip()[:80]}")
        if rel.startswith(("hardware/", "renpsim/hardware/")) and HARDWARE_SOURCE_KEY.search(line):
            out.append(f"{where}: source key S.. of the shared notes (use the bibliography key)")
        for doc_path in DOC_PATH.findall(line):
            if not (ROOT / doc_path).is_file():
                out.append(f"{where}: {doc_path} does not exist")
    return out


def test_reference_has_the_numbered_sections() -> None:
    # The section numbers are a contract with every citation: old citations map onto them.
    for major in range(10):
        assert str(major) in sections("physics")
    for major in range(11):
        assert str(major) in sections("hardware")
    assert {"1.3", "4.3", "6.2", "8.5"} <= sections("physics")
    assert {"3.4", "5.1", "8.4", "9.6"} <= sections("hardware")
    assert {"GP21", "GP23", "NuFIT6", "Bansal", "STW", "Zadeh17"} <= bibliography_keys()


def test_bibliography_entries_are_complete() -> None:
    text = (REFERENCE / "bibliography.md").read_text(encoding="utf-8")
    rows = [r for r in re.findall(r"^\|(.+)\|$", text, flags=re.M)
            if not r.strip().startswith(("key", "---"))]
    assert len(rows) == len(bibliography_keys()) > 40
    for row in rows:
        cells = [c.strip() for c in row.split("|")]
        assert len(cells) == 7, row
        _key, authors, title, _journal, arxiv, _doi, read = cells
        assert authors and title and read, row
        assert arxiv == "—" or re.fullmatch(r"\d{4}\.\d{4,5}(, \d{4}\.\d{4,5})*", arxiv), row


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_citation_resolves(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    assert problems_in(rel, path.read_text(encoding="utf-8")) == []


def test_checker_catches_dangling_citations() -> None:
    bad = ("[physics §4.9] [hardware §11] [GP22] [Q: Smith99 eq. 3] physics.md 4.3 "
           "see TEAM.md and issue 6; docs/nonexistent.md")
    found = problems_in("renpsim/example.py", bad)
    assert len(found) == 8, found
    assert problems_in("renpsim/example.py",
                       "[physics §4.3] [hardware §5.1] [GP21] [Q: NF22] [A] docs/limits.md") == []
    assert problems_in("hardware/x.toml", "efficiency = 0.8  # S13") != []
