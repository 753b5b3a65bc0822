"""The linkage report: one offline HTML page, every string escaped, every plot and headline number present.

The page is checked as text and through `html.parser`, not in a browser: what matters for a file mailed to a
vendor is that it loads nothing, runs nothing, cannot be broken by a hostile record value, and nests properly.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import numpy as np

from synthgen.evaluation.linkage_report import FEW_PAIRS, linkage_report
from synthgen.evaluation.metrics import threshold_curve
from tests.outputs.html_checks import ESCAPED, HOSTILE, assert_offline, parse, svg_labels, text_of


def _record(record_id: str, source: str, cluster_id: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": record_id,
        "source": source,
        "cluster_id": cluster_id,
        "given_name": "Olivia",
        "family_name": "Hughes",
        "date_of_birth": "2012-03-04",
        "postcode": "S60 1AA",
        "nhs_number": "485 777 3456",
        "upn": None,
        "errors": "",
    }
    base.update(fields)
    return base


@functools.cache
def _curve_values() -> str:
    """A curve as the evaluation builds it, from overlapping match and non-match score distributions."""
    rng = np.random.default_rng(20240401)
    scores = np.round(np.r_[rng.beta(7, 2, 3200), rng.beta(1.5, 6, 9000)], 4)
    is_match = np.r_[np.ones(3200, dtype=bool), np.zeros(9000, dtype=bool)]
    curve = threshold_curve(scores, is_match, total_true_pairs=3412, points=41)
    return json.dumps(
        {
            "thresholds": curve.thresholds.tolist(),
            "precision": curve.precision.tolist(),
            "recall": curve.recall.tolist(),
            "f1": curve.f1.tolist(),
            "best_threshold": curve.best_threshold,
            "best_f1": curve.best_f1,
        }
    )


def _curve() -> dict[str, Any]:
    curve: dict[str, Any] = json.loads(_curve_values())
    return curve


def fixture() -> dict[str, Any]:
    """A realistic result from scored pairs, every key present, with a hostile string in each free-text field."""
    return {
        "run": "output/demo",
        "predictions": "preds.parquet",
        "format": "pairs",
        "threshold": 0.9,
        "method": f"fellegi-sunter {HOSTILE}",
        "records": 23749,
        "records_in_predictions": 23000,
        "absent_singletons": 749,
        "pairwise": {"precision": 0.96174, "recall": 0.87512, "f1": 0.91640},
        "bcubed": {"precision": 0.98811, "recall": 0.95432, "f1": 0.97092},
        "cluster": {"precision": 0.93125, "recall": 0.90456, "f1": 0.91771},
        "homogeneity": 0.99612,
        "completeness": 0.98733,
        "v_measure": 0.99171,
        "adjusted_rand_index": 0.91633,
        "counts": {
            "records": 23749,
            "true_clusters": 20540,
            "predicted_clusters": 20880,
            "true_pairs": 3412,
            "predicted_pairs": 3105,
            "true_positive_pairs": 2986,
        },
        "splits": {"2": 120, "3": 4},
        "merges": {"2": 35},
        "cluster_sizes": {
            "true": {"1": 18000, "2": 2500, "3": 40},
            "predicted": {"1": 18500, "2": 2300, "3": 44, "7": 1, "140": 1},
        },
        "recall_by_error_kind": [
            {"kind": "day_month_swap", "field": "date_of_birth", "true_pairs": 15, "found": 9, "recall": 0.6},
            {"kind": "typo", "field": "given_name", "true_pairs": 640, "found": 512, "recall": 0.8},
            {"kind": "stale_address", "field": "address", "true_pairs": 410, "found": 381, "recall": 0.929},
            {"kind": HOSTILE, "field": "family_name", "true_pairs": 3, "found": 0, "recall": 0.0},
            {"kind": "none", "field": "", "true_pairs": 2100, "found": 2079, "recall": 0.99},
        ],
        "recall_by_source_pair": [
            {"sources": "health-school", "true_pairs": 2773, "found": 2400, "recall": 0.865},
            {"sources": "police-social_care", "true_pairs": 12, "found": 11, "recall": 0.9167},
            {"sources": f"health-{HOSTILE}", "true_pairs": 627, "found": 575, "recall": 0.917},
        ],
        "false_merges_by_hard_negative": [
            {"kind": "twins", "pairs": 120, "merged": 30, "share": 0.25},
            {"kind": "same_name_relatives", "pairs": 80, "merged": 4, "share": 0.05},
            {"kind": HOSTILE, "pairs": 10, "merged": 1, "share": 0.1},
        ],
        "curve": _curve(),
        "self_pairs_ignored": 3,
        "examples": {
            "splits": [
                {
                    "person_id": 123,
                    "clusters": 2,
                    "records": [
                        _record("health-000017", "health", 5),
                        _record(
                            "school-004211",
                            "school",
                            9,
                            given_name=HOSTILE,
                            date_of_birth="2012-04-03",
                            upn="A123456789012",
                            errors="typo(given_name); day_month_swap(date_of_birth)",
                        ),
                        _record("police-000991", "police", 5, postcode="S61 2BB", errors="stale_address(address)"),
                    ],
                }
            ],
            "merges": [
                {
                    "cluster_id": 77,
                    "people": 2,
                    "records": [
                        _record("health-000100", "health", 77, person_id=501, given_name="Amelia"),
                        _record("school-000200", "school", 77, person_id=502, given_name="Isla"),
                    ],
                }
            ],
        },
    }


def test_a_single_self_contained_document() -> None:
    document = linkage_report(fixture())
    assert document.startswith("<!DOCTYPE html>")
    assert document.rstrip().endswith("</html>")
    assert document.count("<html") == 1 and document.count("<body") == 1
    assert "<style>" in document
    assert_offline(document)
    parser = parse(document)
    for tag in ("svg", "table", "tr", "td"):
        assert parser.opened.get(tag, 0) > 0, tag


def test_every_plot_is_an_inline_svg() -> None:
    document = linkage_report(fixture())
    assert svg_labels(document) == [
        "Precision-recall curve",
        "Precision, recall and F1 by threshold",
        "Cluster sizes, predicted against true",
        "Recall by error kind",
    ]


def test_headline_numbers_and_summary() -> None:
    text = text_of(linkage_report(fixture()))
    for number in ("0.9617", "0.8751", "0.9164", "0.9881", "0.9543", "0.9709", "0.9313", "0.9046", "0.9177"):
        assert number in text
    assert "V-measure 0.9917" in text
    assert "Adjusted Rand index 0.9163" in text
    assert "Scored preds.parquet (scored pairs, linked at score ≥ 0.9" in text
    assert "23,749 records, 749 of them absent from the predictions and counted as singletons" in text
    assert "True pairs 3,412" in text
    assert "Self-pairs ignored 3" in text


def test_hostile_strings_are_escaped_everywhere() -> None:
    document = linkage_report(fixture())
    assert HOSTILE not in document
    assert "<script" not in document.lower()
    # method (title and summary), error kind (chart and table), source pair, hard negative, record value
    assert document.count(ESCAPED) >= 6


def test_curve_marks_the_best_threshold() -> None:
    result = fixture()
    best, best_f1 = result["curve"]["best_threshold"], result["curve"]["best_f1"]
    assert 0 < best < 1 and 0 < best_f1 < 1
    document = linkage_report(result)
    text = text_of(document)
    assert f"best F1 {best_f1:.4f} at threshold {best:.4g}" in text
    assert "threshold used (0.9)" in text
    assert f"F1 = {best_f1:.4f}" in text
    # axes of the precision-recall chart run 0..1
    assert ">0.0<" in document and ">1.0<" in document


def test_best_threshold_none_means_linking_nothing_was_best() -> None:
    result = fixture()
    result["curve"]["best_threshold"] = None
    result["curve"]["best_f1"] = 0.0
    document = linkage_report(result)
    parse(document)
    assert "No threshold beats linking nothing" in text_of(document)


def test_a_curve_without_points() -> None:
    result = fixture()
    result["curve"] = {
        "thresholds": [],
        "precision": [],
        "recall": [],
        "f1": [],
        "best_threshold": None,
        "best_f1": 1.0,
    }
    document = linkage_report(result)
    parse(document)
    assert "The curve has no points." in text_of(document)
    assert "Precision-recall curve" not in svg_labels(document)


def test_clusters_without_curve_and_empty_lists() -> None:
    result = fixture()
    result.update(
        format="clusters",
        threshold=None,
        curve=None,
        recall_by_error_kind=[],
        recall_by_source_pair=[],
        false_merges_by_hard_negative=[],
        splits={},
        merges={},
        examples={"splits": [], "merges": []},
        absent_singletons=0,
    )
    del result["method"]
    del result["self_pairs_ignored"]
    document = linkage_report(result)
    assert_offline(document)
    parse(document)
    assert svg_labels(document) == ["Cluster sizes, predicted against true"]
    text = text_of(document)
    assert "Precision and recall by threshold" not in text
    assert "(clusters)" in text and "every one of them present in the predictions" in text
    assert "No person is split." in text and "No cluster merges people." in text
    assert "The run has no hard negatives" in text


def test_a_minimal_result_renders() -> None:
    """Only the keys every result has; the page still parses rather than failing on a missing section."""
    result = {key: fixture()[key] for key in ("run", "predictions", "format", "threshold", "records")}
    result["curve"] = None
    document = linkage_report(result)
    parse(document)
    assert "—" in document


def test_json_round_trip_and_determinism() -> None:
    result = fixture()
    once = linkage_report(result)
    assert linkage_report(json.loads(json.dumps(result))) == once
    assert linkage_report(copy.deepcopy(result)) == once
    assert result == fixture()  # the input is not modified


def test_error_kinds_sorted_by_recall_and_few_marked() -> None:
    document = linkage_report(fixture())
    start = document.index('aria-label="Recall by error kind"')
    chart = document[start : document.index("</svg>", start)]
    order = [chart.index(label) for label in ("family_name", "day_month_swap", "typo", "stale_address", "no error")]
    assert order == sorted(order)
    assert "day_month_swap (date_of_birth) [few]" in chart
    assert "typo (given_name) [few]" not in chart
    assert 'fill-opacity="0.4"' in chart  # few-pair bars are faded as well as labelled
    section = document[document.index('id="recall-by-error-kind"') : document.index('id="recall-by-source-pair"')]
    assert section.count(">few pairs</span>") == 2
    assert "0.3" in section  # a Wilson interval for 9 of 15


def test_source_pairs_worst_first_and_hard_negatives_worst_first() -> None:
    document = linkage_report(fixture())
    sources = document[document.index('id="recall-by-source-pair"') : document.index('id="false-merges')]
    assert sources.index("health-school") < sources.index("police-social_care") < sources.index("health-&lt;")
    assert sources.count(">few pairs</span>") == 1
    negatives = document[document.index('id="false-merges') : document.index('id="worst-examples"')]
    assert negatives.index("twins") < negatives.index("&lt;script") < negatives.index("same_name_relatives")


def test_cluster_sizes_are_bucketed() -> None:
    text = text_of(linkage_report(fixture()))
    assert "1 18,000 18,500 +500" in text
    assert "5-9 0 1 +1" in text
    assert "100+ 0 1 +1" in text


def test_example_cells_that_differ_are_highlighted() -> None:
    document = linkage_report(fixture())
    examples = document[document.index('id="worst-examples"') :]
    cells = re.findall(r'<td class="([^"]*)"[^>]*>([^<]*)</td>', examples)
    diff = [text for classes, text in cells if "diff" in classes.split()]
    # split: cluster 9, the name, the swapped date, the UPN; then the moved postcode; merge: the person, the name
    assert diff == ["9", ESCAPED, "2012-04-03", "A123456789012", "S61 2BB", "502", "Isla"]
    assert "bold, underlined and shaded" in examples


def test_few_pairs_is_a_small_sample() -> None:
    assert FEW_PAIRS > 15
