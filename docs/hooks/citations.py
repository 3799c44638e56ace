"""MkDocs hook: citations as links, and brackets in prose kept as text.

* ``[physics §4.3]`` and ``[hardware §5.1]`` link to that section of the reference pages, and a
  bibliography key such as ``[GP21]`` to its row of the bibliography. Code spans and code blocks
  are left alone. Unknown sections or keys are left as text; tests/test_citations.py reports them.
* Texts of renpsim put brackets side by side ("[hardware §7.1] [A]", "[step][channel]",
  "[s - (m_i+m_j)^2][s - (m_i-m_j)^2]"), which Markdown would read as reference-style links. The
  project writes no reference-style links, so a Markdown preprocessor (also used by mkdocstrings
  for docstrings and by mkdocs-click for help texts) escapes the second bracket outside code.
"""

from __future__ import annotations

import posixpath
import re
from functools import cache
from pathlib import Path

from markdown.extensions import Extension
from markdown.extensions.toc import slugify
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
SECTION = re.compile(r"\[(physics|hardware) §(\d+(?:\.\d+)?)\]")
KEY = re.compile(r"(?<![\w\]\[`])\[([A-Za-z][\w-]*)\](?![(\[:])")
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
ADJACENT = re.compile(r"\](\s?)\[")


@cache
def anchors(which: str) -> dict[str, str]:
    """Section number -> anchor of a numbered heading of docs/reference/<which>.md."""
    out = {}
    text = (REFERENCE / f"{which}.md").read_text(encoding="utf-8")
    for title in re.findall(r"^#{2,4} (.+)$", text, flags=re.M):
        m = re.match(r"(\d+(?:\.\d+)?)\.? ", title)
        if m:
            out[m.group(1)] = slugify(title, "-")
    return out


@cache
def keys() -> frozenset[str]:
    """Return the keys of docs/reference/bibliography.md."""
    text = (REFERENCE / "bibliography.md").read_text(encoding="utf-8")
    return frozenset(k for k in re.findall(r"^\| ([^|\s]+) \|", text, flags=re.M)
                     if k not in {"key", "---"})


def _link(page_path: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page_path) or ".")


def _linkify(text: str, page_path: str) -> str:
    def section(m: re.Match) -> str:
        which, num = m.groups()
        anchor = anchors(which).get(num)
        if anchor is None:
            return m.group(0)
        return f"[{m.group(0)}]({_link(page_path, f'reference/{which}.md')}#{anchor})"

    def key(m: re.Match) -> str:
        if m.group(1) not in keys():
            return m.group(0)
        target = _link(page_path, "reference/bibliography.md")
        return f"[{m.group(0)}]({target}#{m.group(1).lower()})"

    return KEY.sub(key, SECTION.sub(section, text))


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Link the citations of one page (MkDocs event)."""
    path = page.file.src_uri
    if path == "reference/bibliography.md":
        # An anchor per key, so that [GP21] can point at its row.
        markdown = re.sub(r"^\| ([^|\s]+) \|",
                          lambda m: m.group(0) if m.group(1) in {"key", "---"} else
                          f'| <span id="{m.group(1).lower()}"></span>{m.group(1)} |',
                          markdown, flags=re.M)
    parts = CODE.split(markdown)
    return "".join(p if i % 2 else _linkify(p, path) for i, p in enumerate(parts))


class _KeepBrackets(Preprocessor):
    """Escape "][" and "] [" outside code so that they are not reference-style links."""

    def run(self, lines: list[str]) -> list[str]:
        out, fenced = [], False
        for line in lines:
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            if fenced:
                out.append(line)
                continue
            parts = re.split(r"(`[^`]*`)", line)
            out.append("".join(p if i % 2 else ADJACENT.sub(r"]\1\\[", p)
                               for i, p in enumerate(parts)))
        return out


class KeepBracketsExtension(Extension):
    """The Markdown extension registering :class:`_KeepBrackets`."""

    def extendMarkdown(self, md) -> None:  # noqa: D102
        md.preprocessors.register(_KeepBrackets(md), "renpsim_keep_brackets", 5)


@event_priority(100)
def on_config(config):
    """Add the bracket-escaping extension before the plugins read the Markdown settings."""
    config.markdown_extensions.append(KeepBracketsExtension())
    return config
