"""A vendor's tests of their record matcher against synthgen, as they would write them.

`my_matcher` stands for the vendor's product: here synthgen's own reference linker (Fellegi-Sunter), which takes
the linkage view (every person-level record of every agency) and returns each record's cluster. Install synthgen
(`pip install 'synthgen[testing]'`) and pytest finds the `synthgen_run` fixture by itself; choose another run with
`pytest --synthgen-people 5000 --synthgen-seed 3` (or `--synthgen-scenario my-borough.yaml`).
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings

import synthgen
from synthgen.testing import AgencyRecords, SmallRun, agency_records


def my_matcher(records: pa.Table) -> pa.Table:
    """The matcher under test: records in, `record_id` and `cluster_id` out."""
    return synthgen.link(records, "fellegi-sunter")


def test_my_matcher_scores_well_on_a_seeded_borough(synthgen_run: SmallRun) -> None:
    clusters = my_matcher(synthgen_run.linkage)
    scores = synthgen_run.evaluate_linkage(clusters)
    assert scores.pairwise.precision > 0.9
    assert scores.pairwise.f1 > 0.9
    # records of one person whose surnames differ by a typo are still found together, most of the time
    typos = next(e for e in scores.recall_by_error_kind if (e.field, e.kind) == ("family_name", "typo"))
    assert typos.true_pairs == 0 or typos.recall > 0.8


def test_a_planted_surname_typo_links_in_the_session_run(synthgen_run: SmallRun) -> None:
    clusters = my_matcher(synthgen_run.linkage)["cluster_id"].to_numpy()
    typo = np.flatnonzero(synthgen_run.carrying("family_name.typo"))
    person = synthgen_run.person_id
    linked = [
        bool(np.any((person == person[row]) & (clusters == clusters[row]) & (np.arange(len(person)) != row)))
        for row in typo
    ]
    assert any(linked), "no record with a surname typo was linked to another record of its person"


@functools.cache
def _clusters_of(run: SmallRun) -> np.ndarray:
    """The matcher run once over a whole register: a probabilistic matcher estimates its weights from all of it."""
    clusters = my_matcher(run.linkage)
    assert clusters["record_id"].equals(run.linkage["record_id"])
    return clusters["cluster_id"].to_numpy()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=agency_records(errors=["family_name.typo"], others=2))
def test_a_surname_typo_alone_does_not_split_a_person(sample: AgencyRecords) -> None:
    """Records of one person with a typo in the surname still match: a record whose only change is a surname typo
    is in one cluster with every record of its person agreeing with it on given name and date of birth."""
    clusters = _clusters_of(sample.run)
    at = sample.view_rows  # each sampled record's row in the whole register
    given_name = sample.records["given_name"].to_pylist()
    born = sample.records["date_of_birth"].to_pylist()
    for row in sample.planted["family_name.typo"]:
        if sample.errors[row] != ("family_name.typo",):
            continue
        for mate in sample.rows_of(int(sample.person_id[row])):
            if mate != row and given_name[mate] == given_name[row] and born[mate] == born[row]:
                assert clusters[at[mate]] == clusters[at[row]], sample.records.take([row, mate]).to_pylist()
