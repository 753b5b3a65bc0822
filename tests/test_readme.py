"""README.md holds together: every section it points a reader to exists, and its Python example uses only the
public API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import synthgen

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _prose() -> str:
    """The README without its code blocks (a YAML comment may quote anything), with line breaks as spaces."""
    return " ".join(re.sub(r"```.*?```", "", README, flags=re.DOTALL).split())


def _headings() -> list[str]:
    in_code = False
    found = []
    for line in README.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := re.match(r"#{1,6} (.+)", line)):
            found.append(match.group(1).strip())
    return found


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _section_references() -> list[str]:
    """Every quoted section name the README sends the reader to: see "X", "X" below/above, section "X"."""
    prose = _prose()
    patterns = (r'\b[Ss]ee (?:also )?"([^"]+)"', r'"([^"]+)" (?:below|above)\b', r'\bsections? "([^"]+)"')
    return [name for pattern in patterns for name in re.findall(pattern, prose)]


def test_the_reference_finder_finds_the_references() -> None:
    assert {"Evaluating a linkage system", "Training packs", "Standard returns", "Storylines"} <= set(
        _section_references()
    )


def test_every_section_referred_to_exists() -> None:
    headings = set(_headings())
    assert [name for name in _section_references() if name not in headings] == []


def test_every_link_to_an_anchor_resolves() -> None:
    anchors = {_anchor(heading) for heading in _headings()}
    links = re.findall(r"\]\(#([^)]+)\)", README)
    assert [link for link in links if link not in anchors] == []


def test_the_python_example_uses_only_the_public_api() -> None:
    code = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL))
    used = set(re.findall(r"\bsynthgen\.(\w+)", code))
    assert used and used <= set(synthgen.__all__)


def _quoted(figure: float, decimals: int) -> str:
    return f"{figure:.{decimals}f}"


def test_the_linkage_scores_quoted_are_the_recorded_ones() -> None:
    """The README's linkage figures are those evaluations/run.py last recorded (re-run it, then update them)."""
    recorded = json.loads((ROOT / "evaluations" / "linkage-demo.results.json").read_text())["profiles"]["realistic"]
    for method in ("exact", "fellegi-sunter"):
        scores = recorded[method]
        quoted = (
            f"precision {_quoted(scores['pairwise_precision'], 4)}, recall {_quoted(scores['pairwise_recall'], 4)}, "
            f"F1 {_quoted(scores['pairwise_f1'], 4)} (B-cubed F1 {_quoted(scores['bcubed_f1'], 4)})"
        )
        assert quoted in " ".join(README.split()), method


def test_the_recall_by_group_quoted_is_the_recorded_one() -> None:
    """The README's table of recall by group (section "Who is missed") is what evaluations/run.py recorded."""
    recorded = json.loads((ROOT / "evaluations" / "linkage-demo.results.json").read_text())["profiles"]["realistic"]
    names = {"ethnic_group": "{}", "age_band": "age {}", "deprivation_quintile": "deprivation quintile {}"}
    rows = [line for line in README.splitlines() if line.startswith("| ") and "[" in line and "] " in line]
    by_name = {line.split(" | ")[0][2:]: line for line in rows}

    def cell(r: dict) -> str:  # type: ignore[type-arg]
        mark = {"lower": " ▼", "higher": " ▲"}.get(r["gap"] or "", "")
        return f"{r['value']:.3f} [{r['low']:.3f}, {r['high']:.3f}]{mark}"

    quoted = 0
    for dimension, name in names.items():
        exact = {r["group"]: r for r in recorded["exact"]["recall_by_group"] if r["dimension"] == dimension}
        probabilistic = {
            r["group"]: r for r in recorded["fellegi-sunter"]["recall_by_group"] if r["dimension"] == dimension
        }
        for group in exact:
            line = by_name.get(name.format(group))
            if line is not None:
                assert line == f"| {name.format(group)} | {cell(exact[group])} | {cell(probabilistic[group])} |"
                quoted += 1
    assert quoted >= 8


def test_the_screening_scores_quoted_are_the_recorded_ones() -> None:
    recorded = json.loads((ROOT / "evaluations" / "sharing-demo.results.json").read_text())["profiles"]["realistic"]
    text = " ".join(README.split())
    fs, exact = recorded["fellegi-sunter"], recorded["exact"]
    assert (
        f"flags {fs['flagged']} children with Fellegi-Sunter linkage: precision {_quoted(fs['precision'], 3)}, "
        f"recall {_quoted(fs['recall'], 3)} ({_quoted(fs['recall_visible'], 3)} of the children" in text
    )
    assert f"{round(100 * fs['share_about_people_not_at_risk'])}% of them about children not at risk" in text
    assert (
        f"it flags {exact['flagged']}, precision {_quoted(exact['precision'], 3)} and recall "
        f"{_quoted(exact['recall'], 3)} ({_quoted(exact['recall_visible'], 3)} of the visible)" in text
    )


def test_the_reference_mash_scores_quoted_are_the_recorded_ones() -> None:
    recorded = json.loads((ROOT / "evaluations" / "mash-demo.results.json").read_text())["profiles"]["realistic"]
    text = " ".join(README.split())
    fs, exact = recorded["fellegi-sunter"], recorded["exact"]
    assert (
        f"with Fellegi-Sunter linkage: partner-check recall {_quoted(fs['check_recall'], 4)} (child "
        f"{_quoted(fs['child_recall'], 4)}, household {_quoted(fs['household_recall'], 4)}), precision "
        f"{_quoted(fs['check_precision'], 4)}, {fs['from_the_future']} records from the future; decisions weighted "
        f"kappa {_quoted(fs['decision_kappa'], 4)} (agreement {_quoted(fs['decision_agreement'], 4)}, ratings "
        f"{_quoted(fs['rag_kappa'], 4)}); within one working day {_quoted(fs['within_one_working_day'], 4)}; of "
        f"{fs['shares']:,} shares, {fs['fields_outside_policy'] + fs['recipients_without_purpose']} outside the "
        f"policy and {fs['shares_outside_the_family']:,} about people outside the family" in text
    )
    assert (
        f"With exact linkage: recall {_quoted(exact['check_recall'], 4)}, precision "
        f"{_quoted(exact['check_precision'], 4)}, weighted kappa {_quoted(exact['decision_kappa'], 4)}, within one "
        f"working day {_quoted(exact['within_one_working_day'], 4)}." in text
    )
    assert (
        f"({fs['decisions_higher']} contacts given more than the truth supports, {fs['decisions_lower']} less)" in text
    )


def test_the_experiment_summary_quoted_is_the_recorded_one() -> None:
    """The README's 20-seed figures are those of evaluations/demo-seeds.summary.csv (`synthgen experiment
    experiments/demo-seeds.yaml` wrote it as summary.csv; re-run it, copy it there, then update them)."""
    import csv

    with (ROOT / "evaluations" / "demo-seeds.summary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    prose = " ".join(README.split())

    def figure(row: dict[str, str], decimals: int, spread: bool) -> str:
        mean, lower, upper, low, high = (float(row[key]) for key in ("mean", "lower", "upper", "min", "max"))
        text = f"{mean:.{decimals}f} [{lower:.{decimals}f}, {upper:.{decimals}f}]"
        return f"{text} ({low:.{decimals}f}–{high:.{decimals}f})" if spread else text

    for system in ("exact", "fellegi-sunter"):
        overall = {r["metric"]: r for r in rows if r["system"] == system and r["group_kind"] == "all"}
        cells = [figure(overall[f"pairwise.{m}"], 4, True) for m in ("precision", "recall", "f1")]
        assert f"| `{system}` | {' | '.join(cells)} |" in prose, system
    for system in ("exact", "fellegi-sunter"):
        found = {
            r["group"]: r
            for r in rows
            if r["system"] == system and r["group_kind"] == "ethnic_group" and r["metric"] == "recall"
        }
        cells = [figure(found[group], 3, False) for group in ("White", "Mixed", "Asian", "Black", "Other")]
        assert f"| `{system}` | {' | '.join(cells)} |" in prose, system
