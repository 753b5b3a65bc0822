"""Tables: a bordered grid whose numbers line up, and whose cells can carry a class, hover text or markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synthgen.outputs.html.text import esc, fmt_count, fmt_metric


@dataclass(frozen=True)
class Cell:
    """A table cell that needs more than plain text: markup built by this module, a class, or hover text."""

    text: str
    markup: bool = False  # text is HTML already (escaped where needed); otherwise it is escaped here
    classes: str = ""
    title: str = ""


CellValue = Cell | str | int | float | None


def _cell(value: CellValue, tag: str) -> str:
    classes: list[str] = []
    title = ""
    if isinstance(value, Cell):
        body = value.text if value.markup else esc(value.text)
        classes.extend(value.classes.split())
        title = value.title
    elif value is None:
        body = "—"
        classes.append("null")
    elif isinstance(value, bool):
        body = "yes" if value else "no"
    elif isinstance(value, int):
        body = fmt_count(value)
        classes.append("num")
    elif isinstance(value, float):
        body = fmt_metric(value)
        classes.append("num")
    else:
        body = esc(value)
    attributes = f' class="{esc(" ".join(classes))}"' if classes else ""
    if title:
        attributes += f' title="{esc(title)}"'
    return f"<{tag}{attributes}>{body}</{tag}>"


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    *,
    caption: str = "",
    empty: str = "Nothing to show.",
    numeric: Sequence[bool] | None = None,
    classes: str = "",
) -> str:
    """A bordered table; ints get thousands separators and floats four decimals, both right-aligned.

    Headers are plain text. `numeric` right-aligns header cells of number columns (worked out from the first
    row when not given) so a header sits over its figures. With no rows, a one-line note replaces the table,
    which reads better than an empty grid.
    """
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    if numeric is None:
        numeric = [
            (isinstance(v, int | float) and not isinstance(v, bool)) or (isinstance(v, Cell) and "num" in v.classes)
            for v in rows[0]
        ]
    num_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_class if i < len(numeric) and numeric[i] else ""}>{esc(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join("<tr>" + "".join(_cell(value, "td") for value in cells) + "</tr>" for cells in rows)
    caption_html = f"<caption>{esc(caption)}</caption>" if caption else ""
    table_class = f' class="{esc(classes)}"' if classes else ""
    return (
        f'<div class="scroll"><table{table_class}>{caption_html}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
