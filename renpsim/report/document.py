"""A tiny document model rendered both to Markdown and to a self-contained HTML page.

One list of blocks feeds both renderers, so the two summaries cannot disagree. Numbers are
formatted by :func:`fmt` everywhere (tables, text), which is also what the end-to-end test uses
to compare the summary with the JSON and CSV outputs.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path


def fmt(value) -> str:
    """Format a number with 4 significant digits (``-`` for None/NaN, ``inf`` kept)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | int) or hasattr(value, "__float__"):
        x = float(value)
        if math.isnan(x):
            return "-"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.4g}"
    return str(value)


@dataclass
class Heading:
    """Section heading (level 1-3)."""

    text: str
    level: int = 2


@dataclass
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass
class Bullets:
    """A bulleted list of plain-text items."""

    items: list[str]


@dataclass
class Table:
    """A table; cells are formatted with :func:`fmt`."""

    header: list[str]
    rows: list[list]


@dataclass
class Figure:
    """A figure: PNG shown (embedded in HTML), PDF linked."""

    png: Path
    caption: str
    pdf: Path | None = None


@dataclass
class Document:
    """Ordered blocks with a title."""

    title: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks) -> None:
        """Append blocks."""
        self.blocks.extend(blocks)

    def to_markdown(self, base: Path) -> str:
        """Render as GitHub-flavoured Markdown; figure paths relative to ``base``."""
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            if isinstance(b, Heading):
                out += [f"{'#' * (b.level + 0)} {b.text}", ""]
            elif isinstance(b, Paragraph):
                out += [b.text, ""]
            elif isinstance(b, Bullets):
                out += [f"- {item}" for item in b.items] + [""]
            elif isinstance(b, Table):
                out.append("| " + " | ".join(b.header) + " |")
                out.append("|" + "---|" * len(b.header))
                out += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in b.rows]
                out.append("")
            elif isinstance(b, Figure):
                rel = b.png.relative_to(base)
                extra = f" ([PDF]({b.pdf.relative_to(base)}))" if b.pdf else ""
                out += [f"![{b.caption}]({rel})", "", f"*{b.caption}*{extra}", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """Render as one self-contained HTML page (PNG figures embedded as data URIs)."""
        e = html.escape
        parts = [
            "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
            f"<title>{e(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:70em;margin:auto;padding:1em;"
            "line-height:1.4}table{border-collapse:collapse;margin:0.5em 0}"
            "td,th{border:1px solid #bbb;padding:0.2em 0.5em;text-align:right}"
            "th{background:#eee}td:first-child{text-align:left}img{max-width:100%}"
            "figcaption{font-style:italic}</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
        ]
        for b in self.blocks:
            if isinstance(b, Heading):
                parts.append(f"<h{b.level}>{e(b.text)}</h{b.level}>")
            elif isinstance(b, Paragraph):
                parts.append(f"<p>{e(b.text)}</p>")
            elif isinstance(b, Bullets):
                parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Table):
                head = "".join(f"<th>{e(h)}</th>" for h in b.header)
                body = "".join(
                    "<tr>" + "".join(f"<td>{e(fmt(c))}</td>" for c in row) + "</tr>"
                    for row in b.rows
                )
                parts.append(f"<table><tr>{head}</tr>{body}</table>")
            elif isinstance(b, Figure):
                data = base64.b64encode(b.png.read_bytes()).decode("ascii")
                parts.append(
                    f"<figure><img alt='{e(b.caption)}' src='data:image/png;base64,{data}'>"
                    f"<figcaption>{e(b.caption)}</figcaption></figure>"
                )
        parts.append("</body></html>")
        return "\n".join(parts)
