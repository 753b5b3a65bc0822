"""The CIN census as the DfE's XML: modules in the DfE's order, two-space indents, UTF-8.

The text is joined from per-row fragments over whole columns (each module's elements, then nested into their
parents), so 100,000 people export in well under a second, and the same census gives the same bytes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.outputs.returns.cin_census import SEX_FROM, Census, CollectionYear, positions

IDENTIFIERS = ("LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex")
EPISODE_HEAD = ("CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure")
SECTION47 = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
CP_PLAN = ("CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP")


def to_xml(result: Census, year: CollectionYear, la_number: int, release: str) -> bytes:
    """The return's XML (UTF-8, two-space indents, modules in the DfE's order)."""
    e = result.episodes
    episode_parent = positions(e["la_child_id"], result.children["la_child_id"])

    def held(table: pa.Table) -> NDArray[np.int64]:
        return positions(table["episode"], e["episode"])

    a = result.assessments
    factors = _repeated(a["AssessmentFactors"], "AssessmentFactors", 6, "FactorsIdentifiedAtAssessment", 5)
    assessment_xml = _wrap(
        "Assessments",
        4,
        _concat(_elements(a, ("AssessmentActualStartDate", "AssessmentAuthorisationDate"), 5), factors),
    )
    plan_xml = _wrap("CINPlanDates", 4, _elements(result.cin_plans, ("CINPlanStartDate", "CINPlanEndDate"), 5))
    s47_xml = _wrap("Section47", 4, _elements(result.section47, SECTION47, 5))
    cp = result.cp_plans
    reviews = _repeated(cp["CPPreviewDate"], "CPPreviewDate", 6, None, 5, each="Reviews")
    cp_xml = _wrap("ChildProtectionPlans", 4, _concat(_elements(cp, CP_PLAN, 5), reviews))

    n_episodes = e.num_rows
    episode_xml = _wrap(
        "CINdetails",
        3,
        _concat(
            _elements(e, EPISODE_HEAD, 4),
            _nest(held(a), assessment_xml, n_episodes),
            _nest(held(result.cin_plans), plan_xml, n_episodes),
            _nest(held(result.section47), s47_xml, n_episodes),
            _elements(e, ("ReferralNFA",), 4),
            _nest(held(cp), cp_xml, n_episodes),
        ),
    )
    c = result.children.rename_columns(["LAchildID", *result.children.schema.names[1:]])
    names: tuple[str, ...] = (*IDENTIFIERS, "PersonDeathDate")
    if year.year < SEX_FROM:
        # the same sex as the year's code (a value of neither, such as a planted error, is written as it is)
        gender = pc.if_else(pc.equal(c["Sex"], "M"), "1", pc.if_else(pc.equal(c["Sex"], "F"), "2", c["Sex"]))
        c = c.append_column("GenderCurrent", gender)
        names = tuple("GenderCurrent" if name == "Sex" else name for name in names)
    identifiers_xml = _wrap("ChildIdentifiers", 3, _elements(c, names, 4))
    disabilities = _repeated(c["Disability"], "Disability", 5, "Disabilities", 4)
    characteristics_xml = _wrap("ChildCharacteristics", 3, _concat(_elements(c, ("Ethnicity",), 4), disabilities))
    child_xml = _wrap(
        "Child", 2, _concat(identifiers_xml, characteristics_xml, _nest(episode_parent, episode_xml, c.num_rows))
    )
    made = dt.datetime.combine(year.reference_date + dt.timedelta(days=1), dt.time(9, 0))
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
        f"      <Collection>CIN</Collection>\n      <Year>{year.year}</Year>\n"
        f"      <ReferenceDate>{year.reference_date.isoformat()}</ReferenceDate>\n    </CollectionDetails>\n"
        f"    <Source>\n      <SourceLevel>L</SourceLevel>\n      <LEA>{la_number:03d}</LEA>\n"
        f"      <SoftwareCode>synthgen</SoftwareCode>\n      <Release>{release}</Release>\n"
        f"      <SerialNo>001</SerialNo>\n      <DateTime>{made.isoformat()}</DateTime>\n    </Source>\n"
        "  </Header>\n  <Children>"
    )
    body = "".join(child_xml.to_pylist())
    return (header + body + "\n  </Children>\n</Message>\n").encode("utf-8")


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as the text of its elements (dates as YYYY-MM-DD). Values are codes, dates, ids and numbers, so
    nothing needs escaping; any &, < or > is escaped all the same."""
    text = pc.cast(column, pa.string())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, escaped)
    return text


def _elements(table: pa.Table, names: tuple[str, ...], depth: int) -> pa.Array:
    """Per row, each present field as `<Name>value</Name>` on its own line; absent (null) fields left out."""
    pad = "\n" + "  " * depth
    parts = [
        pc.fill_null(pc.binary_join_element_wise(f"{pad}<{name}>", _text(table[name]), f"</{name}>", ""), "")
        for name in names
    ]
    return _concat(*parts) if parts else pa.array([""] * table.num_rows)


def _concat(*parts: pa.Array | pa.ChunkedArray) -> pa.Array:
    joined = pc.binary_join_element_wise(*parts, "")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _wrap(name: str, depth: int, inner: pa.Array) -> pa.Array:
    pad = "\n" + "  " * depth
    return pc.binary_join_element_wise(f"{pad}<{name}>", inner, f"{pad}</{name}>", "")


def _repeated(
    values: pa.ChunkedArray, item: str, depth: int, wrapper: str | None, wrapper_depth: int, each: str | None = None
) -> pa.Array:
    """A list column as repeated elements: inside one `wrapper` (left out when the list is empty or null), or
    each item in its own `each` element (a review: `<Reviews><CPPreviewDate>...`)."""
    lists = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    n = len(lists)
    lists = lists.fill_null(pa.scalar([], lists.type)) if lists.null_count else lists
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(lists)
    pad = "\n" + "  " * depth
    items = pc.binary_join_element_wise(f"{pad}<{item}>", _text(flat), f"</{item}>", "")
    if each is not None:
        outer = "\n" + "  " * wrapper_depth
        items = pc.binary_join_element_wise(f"{outer}<{each}>", items, f"{outer}</{each}>", "")
    inner = _nest(parent, items, n)
    if wrapper is None:
        return inner
    wrapped = _wrap(wrapper, wrapper_depth, inner)
    return pc.if_else(pc.equal(inner, ""), "", wrapped)


def _nest(parent: NDArray[np.int64], fragments: pa.Array, n_parents: int) -> pa.Array:
    """Join each parent's fragments (in their order) into one string per parent; "" for a parent with none."""
    order = np.argsort(parent, kind="stable")
    offsets = np.zeros(n_parents + 1, np.int32)
    np.cumsum(np.bincount(parent, minlength=n_parents), out=offsets[1:])
    fragments = fragments.combine_chunks() if isinstance(fragments, pa.ChunkedArray) else fragments
    lists = pa.ListArray.from_arrays(pa.array(offsets), fragments.take(pa.array(order)) if len(order) else fragments)
    return pc.binary_join(lists, "")
