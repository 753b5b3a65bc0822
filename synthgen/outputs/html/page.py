"""A whole page: title, contents, sections, one style block for screen and print; and its small layout pieces."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from synthgen.outputs.html.text import esc

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #222; background: #fff; margin: 0 auto; max-width: 1160px; padding: 24px 32px 48px;
  line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 2em 0 .6em; padding-bottom: .2em; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05em; margin: 1.4em 0 .4em; }
p.summary { font-size: 1.05em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; font-size: .92em; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav ol { columns: 2; margin: .4em 0; }
table { border-collapse: collapse; margin: .4em 0 1em; font-size: .9em; min-width: 14em; }
table.ex { font-size: .82em; }
table.ex td { white-space: nowrap; }
table.ex td.wrap { white-space: normal; overflow-wrap: anywhere; min-width: 7em; }
td .sub { display: block; font-size: .85em; color: #555; }
caption { text-align: left; font-weight: 600; padding-bottom: .3em; white-space: nowrap; }
th, td { border: 1px solid #bbb; padding: .2em .6em; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.diff { background: #ffe9a8; font-weight: 700; text-decoration: underline dotted; }
td.hit { font-weight: 700; }
.null { color: #777; }
.few { font-size: .78em; font-weight: 600; border: 1px solid #666; border-radius: 3px; padding: 0 .3em;
  margin-left: .4em; white-space: nowrap; }
.row { display: flex; flex-wrap: wrap; gap: 8px 32px; align-items: flex-start; }
figure { margin: 0 0 1em; }
figcaption { font-size: .88em; color: #444; max-width: 560px; }
svg { max-width: 100%; height: auto; font-family: inherit; }
.scroll { overflow-x: auto; }
.note, p.empty { color: #444; font-size: .9em; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  nav.printed { display: block; break-after: page; }
  nav.printed ol { font-size: 9pt; }
  h2, h3 { break-after: avoid; }
  figure, .example { break-inside: avoid; }
  td.diff, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .scroll { overflow: visible; }
  table { max-width: 100%; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  caption { white-space: normal; }
  th, td { overflow-wrap: anywhere; }
  table.ex { width: 100%; font-size: 7pt; }
  table.ex th, table.ex td { white-space: normal; overflow-wrap: anywhere; padding: .1em .25em; }
  table.ex th { overflow-wrap: normal; }
}
"""
_LANDSCAPE = "@page { size: A4 landscape; margin: 10mm; }"
"""For pages of wide tables (a case bundle, an answer key): every column on the paper, none cut at the margin."""


@dataclass(frozen=True)
class Section:
    """A titled part of a page; `body` is HTML built with the kit (so already escaped)."""

    heading: str
    body: str


def figure(svg: str, caption: str = "") -> str:
    """A chart with a caption under it; the caption says what to read from the chart, not what it is."""
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>" if caption else f"<figure>{svg}</figure>"


def row(*parts: str) -> str:
    """Blocks side by side while the page is wide enough, stacked when it is not (or on a narrow printout)."""
    return '<div class="row">' + "".join(f"<div>{p}</div>" for p in parts if p) + "</div>"


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, count = base, 2
    while slug in taken:
        slug, count = f"{base}-{count}", count + 1
    taken.add(slug)
    return slug


def page(
    title: str,
    sections: Sequence[Section],
    *,
    intro: str = "",
    printed_contents: bool = False,
    landscape: bool = False,
) -> str:
    """A whole HTML document: title, `intro` (HTML), a contents list and the sections, styled for screen and print
    on A4 (`landscape` for wide tables; the contents list printed, on a page of its own, with
    `printed_contents`).

    Nothing is loaded from anywhere else, and no script runs, so the file can be mailed, archived and opened
    offline and says the same thing in every viewer.
    """
    taken: set[str] = set()
    anchors = [_slug(s.heading, taken) for s in sections]
    contents = "".join(f'<li><a href="#{a}">{esc(s.heading)}</a></li>' for a, s in zip(anchors, sections, strict=True))
    printed = ' class="printed"' if printed_contents else ""
    nav = f'<nav aria-label="Contents"{printed}><ol>{contents}</ol></nav>' if len(sections) > 1 else ""
    body = "".join(
        f'<section id="{a}"><h2>{esc(s.heading)}</h2>{s.body}</section>' for a, s in zip(anchors, sections, strict=True)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}{_LANDSCAPE if landscape else ''}</style></head>"
        f"<body><header><h1>{esc(title)}</h1>{intro}</header>{nav}<main>{body}</main></body></html>\n"
    )
