"""The Fellegi-Sunter reference linker: its parts against definitions (Jaro-Winkler, soundex, blocking, EM on a
mixture with known parameters), hand-built records with a known answer, and its scores on a small real run.

EM needs a population to estimate m and u from, so hand-built records are linked together with a small generated
run rather than alone: the run is the background the model is fitted on, the added records are the question."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.evaluation.metrics import cluster_metrics
from synthgen.linkage import exact, fellegi_sunter, link
from synthgen.linkage.blocking import block_pairs
from synthgen.linkage.coded_view import NAME_WIDTH
from synthgen.linkage.comparisons import COMPARISONS
from synthgen.linkage.estimation import STRATIFY_ON, fit, match_weights, patterns
from synthgen.linkage.name_similarity import byte_matrix, jaro_winkler, soundex

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scenario at 3,000 people: about 3,800 records, 0.3 s to generate."""
    out = tmp_path_factory.mktemp("linkers") / "run"
    synthgen.generate(synthgen.load_scenario(ROOT / "scenarios" / "demo.yaml", {"population.people": 3000}), out)
    return out


@pytest.fixture(scope="module")
def background(run: Path) -> pa.Table:
    return pq.read_table(run / "linkage" / "records.parquet")


def with_records(background: pa.Table, *rows: dict[str, Any]) -> pa.Table:
    """The background view with rows added (fields a row leaves out are null)."""
    added = pa.table(
        {field.name: pa.array([r.get(field.name) for r in rows], field.type) for field in background.schema},
        schema=background.schema,
    )
    return pa.concat_tables([background, added])


def same_cluster(result: pa.Table, a: str, b: str) -> bool:
    ids = result["record_id"].to_pylist()
    cluster = result["cluster_id"].to_numpy()
    return bool(cluster[ids.index(a)] == cluster[ids.index(b)])


# --- string comparators and keys -------------------------------------------------------------------------------


def reference_jaro_winkler(s1: str, s2: str) -> float:
    """Jaro-Winkler one character at a time, as jellyfish writes it."""
    if not s1 or not s2:
        return 0.0
    window = max(max(len(s1), len(s2)) // 2 - 1, 0)
    used1, used2 = [False] * len(s1), [False] * len(s2)
    common = 0
    for i, ch in enumerate(s1):
        for j in range(max(0, i - window), min(i + window + 1, len(s2))):
            if not used2[j] and s2[j] == ch:
                used1[i] = used2[j] = True
                common += 1
                break
    if not common:
        return 0.0
    k = transpositions = 0
    for i, ch in enumerate(s1):
        if used1[i]:
            while not used2[k]:
                k += 1
            transpositions += ch != s2[k]
            k += 1
    weight = (common / len(s1) + common / len(s2) + (common - transpositions // 2) / common) / 3
    if weight > 0.7:
        prefix = 0
        while prefix < min(4, len(s1), len(s2)) and s1[prefix] == s2[prefix]:
            prefix += 1
        weight += prefix * 0.1 * (1 - weight)
    return weight


def jw(pairs: list[tuple[str, str]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    left, right = (pa.array([p[i] for p in pairs], pa.string()) for i in (0, 1))
    a, a_length = byte_matrix(left, NAME_WIDTH)
    b, b_length = byte_matrix(right, NAME_WIDTH)
    return jaro_winkler(a, a_length, b, b_length)


def test_jaro_winkler_known_values() -> None:
    values = jw([("MARTHA", "MARHTA"), ("DWAYNE", "DUANE"), ("DIXON", "DICKSONX"), ("AMY", "AMY"), ("ABC", "XYZ")])
    assert values == pytest.approx([0.9611, 0.84, 0.8133, 1.0, 0.0], abs=1e-4)


def test_jaro_winkler_agrees_with_the_definition_on_names_and_their_misspellings() -> None:
    rng = np.random.default_rng(3)
    names = [n.upper() for n in ("Catherine", "Katherine", "Mohammed", "Muhammad", "Jon", "John", "Smith", "Smyth")]
    names += ["".join(rng.choice(list("AEINRSTLMOH"), rng.integers(1, 13))) for _ in range(60)]
    pairs = list(itertools.product(names, repeat=2))
    expected = [reference_jaro_winkler(a, b) for a, b in pairs]
    assert jw(pairs) == pytest.approx(expected, abs=1e-12)


def test_soundex_codes() -> None:
    names = ["ROBERT", "RUPERT", "RUBIN", "ASHCRAFT", "TYMCZAK", "PFISTER", "HONEYMAN", "LEE", "A"]
    matrix, length = byte_matrix(pa.array(names), 10)
    expected = ["R163", "R163", "R150", "A261", "T522", "P236", "H555", "L000", "A000"]
    assert soundex(matrix, length).tolist() == [ord(c[0]) * 1000 + int(c[1:]) for c in expected]


def test_block_pairs_are_every_pair_within_each_block_up_to_the_size_limit() -> None:
    rng = np.random.default_rng(11)
    key = rng.integers(-1, 12, 200)
    left, right = block_pairs(key, max_block_size=20)
    sizes = np.bincount(key[key >= 0])
    expected = {(i, j) for i in range(200) for j in range(i + 1, 200) if key[i] == key[j] >= 0 and sizes[key[i]] <= 20}
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected
    assert len(expected) == left.size  # each pair once
    assert (sizes > 20).any() and (sizes[sizes > 0] <= 20).any()  # the limit did something, and not everything


def test_patterns_round_trip() -> None:
    rng = np.random.default_rng(2)
    counts = np.array([len(c.levels) for c in COMPARISONS])
    levels = (rng.integers(-1, counts[None, :], (500, counts.size))).astype(np.int8)
    distinct, count, which = patterns(levels)
    assert np.array_equal(distinct[which], levels)
    assert count.sum() == 500 and len({tuple(row) for row in distinct.tolist()}) == len(distinct)


# --- estimation --------------------------------------------------------------------------------------------------


def test_em_recovers_the_parameters_of_a_known_mixture() -> None:
    """Pairs drawn from a two-class model with conditionally independent levels (some missing at random): EM
    without strata, which is then the true model, gets lambda and every m back."""
    rng = np.random.default_rng(7)
    size, share = 200_000, 0.2
    is_match = rng.random(size) < share
    levels = np.empty((size, len(COMPARISONS)), np.int8)
    true_m = []
    for index, comparison in enumerate(COMPARISONS):
        k = len(comparison.levels)
        m = np.r_[0.85, 0.15 * rng.dirichlet(np.ones(k - 1))]
        u = np.r_[0.05, 0.95 * rng.dirichlet(np.ones(k - 1))]
        true_m.append(m)
        draw = rng.random(size)
        levels[:, index] = np.where(
            is_match, np.searchsorted(np.cumsum(m), draw * 0.999999), np.searchsorted(np.cumsum(u), draw * 0.999999)
        )
    levels[rng.random(levels.shape) < 0.1] = -1
    distinct, count, _ = patterns(levels)
    model = fit(distinct, count, iterations=500, stratify_on=())
    assert model.match_share == pytest.approx(share, abs=0.01)
    assert np.abs(model.m - np.concatenate(true_m)).max() < 0.02


def test_missing_levels_are_neutral() -> None:
    rng = np.random.default_rng(1)
    counts = np.array([len(c.levels) for c in COMPARISONS])
    levels = rng.integers(0, counts[None, :], (5000, counts.size)).astype(np.int8)
    levels[:2000] = 0  # some agreement, so there is a match class to find
    for stratify_on in ((), STRATIFY_ON):
        model = fit(*patterns(levels)[:2], stratify_on=stratify_on)
        prior = np.log2(model.match_share / (1 - model.match_share))
        assert match_weights(model, np.full((1, counts.size), -1, np.int8))[0] == pytest.approx(prior)


def test_model_table_holds_probabilities(background: pa.Table) -> None:
    table = fellegi_sunter.score(background).model.table()
    rows = table.to_pylist()
    m_sums: dict[tuple[str, str], float] = {}
    u_sums: dict[tuple[str, str], float] = {}
    for row in rows:
        key = (row["stratum"], row["comparison"])
        m_sums[key] = m_sums.get(key, 0.0) + row["m"]
        if row["comparison"] not in STRATIFY_ON:
            u_sums[key] = u_sums.get(key, 0.0) + row["u"]
    assert all(v == pytest.approx(1.0) for (_, c), v in m_sums.items() if c not in STRATIFY_ON)
    assert all(v == pytest.approx(1.0) for v in u_sums.values())
    assert set(table.column_names) == {"stratum", "stratum_share", "comparison", "level", "m", "u", "weight"}


# --- hand-built records on a real background -------------------------------------------------------------------

HOME = {"family_name": "Quaxworth", "postcode": "S60 1AA", "address_line": "1 Testing Row"}


def test_a_day_month_swap_is_linked_here_but_not_by_the_exact_linker(background: pa.Table) -> None:
    records = with_records(
        background,
        {**HOME, "record_id": "ZZ1", "source": "health", "given_name": "Zebedee", "sex": "M",
         "date_of_birth": dt.date(2012, 3, 7), "nhs_number": "9999999999"},
        {**HOME, "record_id": "ZZ2", "source": "school", "given_name": "Zebedee", "sex": "M",
         "date_of_birth": dt.date(2012, 7, 3), "upn": "A372201212999"},
    )  # fmt: skip
    assert same_cluster(fellegi_sunter.link(records), "ZZ1", "ZZ2")
    assert not same_cluster(exact.link(records), "ZZ1", "ZZ2")


def test_a_nickname_is_linked(background: pa.Table) -> None:
    born = dt.date(1975, 2, 14)
    records = with_records(
        background,
        {**HOME, "record_id": "ZZ1", "given_name": "William", "sex": "M", "date_of_birth": born},
        {**HOME, "record_id": "ZZ2", "given_name": "Bill", "sex": "M", "date_of_birth": born},
    )
    assert same_cluster(fellegi_sunter.link(records), "ZZ1", "ZZ2")


def test_different_people_stay_apart_even_in_one_home(background: pa.Table) -> None:
    records = with_records(
        background,
        {**HOME, "record_id": "ZZ1", "given_name": "Zebedee", "sex": "M", "date_of_birth": dt.date(2012, 3, 7)},
        {**HOME, "record_id": "ZZ2", "given_name": "Zachary", "sex": "M", "date_of_birth": dt.date(2014, 1, 20)},
        {"record_id": "ZZ3", "given_name": "Wilhelmina", "family_name": "Ostrowska", "sex": "F",
         "date_of_birth": dt.date(1990, 5, 20), "postcode": "S61 2BB"},
    )  # fmt: skip
    result = fellegi_sunter.link(records)
    clusters = result["cluster_id"].to_numpy()[np.isin(result["record_id"].to_numpy(), ["ZZ1", "ZZ2", "ZZ3"])]
    assert len(set(clusters.tolist())) == 3


# --- whole runs ----------------------------------------------------------------------------------------------------


def test_both_linkers_score_within_their_bands_on_a_small_run(run: Path, background: pa.Table) -> None:
    """Measured at 3,000 people (demo scenario and seed, storylines aside): exact pairwise F1 0.808 (0.75-0.82 over
    six other seeds), Fellegi-Sunter 0.958 (0.965-0.982); the front door's contacts (names as a referrer gives
    them) brought both down from 0.89 and 0.996. Fellegi-Sunter's precision is 0.954 on the demo's seed and
    0.961-0.999 over the others: with Rotherham's own names (91% White, not England's 82%) common names meet
    more often, and at 3,000 people one wrongly joined cluster (two Elifs, two Davids, by their contacts) costs
    a few points. The bands leave room for changes to the generator."""
    truth = pq.read_table(run / "truth" / "records.parquet", columns=["record_id", "person_id"])
    truth = truth.take(pc.sort_indices(truth, [("record_id", "ascending")]))
    scores = {}
    for method in ("exact", "fellegi-sunter"):
        result = link(background, method)
        assert result["record_id"].equals(truth["record_id"])
        scores[method] = cluster_metrics(truth["person_id"].to_numpy(), result["cluster_id"].to_numpy())
    assert 0.70 <= scores["exact"].pairwise_f1 <= 0.86
    assert 0.93 <= scores["fellegi-sunter"].pairwise_f1 <= 1.0
    assert scores["fellegi-sunter"].pairwise_f1 > scores["exact"].pairwise_f1 + 0.05
    assert scores["fellegi-sunter"].pairwise_recall > scores["exact"].pairwise_recall + 0.1
    assert scores["fellegi-sunter"].pairwise_precision > 0.95


def test_same_records_in_any_order_give_the_same_bytes(background: pa.Table) -> None:
    first = fellegi_sunter.link(background)
    assert first.schema == pa.schema([("record_id", pa.string()), ("cluster_id", pa.int64())])
    assert first.num_rows == background.num_rows
    assert pc.count_distinct(first["record_id"]).as_py() == background.num_rows
    assert first.equals(fellegi_sunter.link(background))
    order = np.random.default_rng(9).permutation(background.num_rows)
    shuffled = fellegi_sunter.link(background.take(pa.array(order)))
    assert shuffled.equals(first)
    scores = cluster_metrics(first["cluster_id"].to_numpy(), shuffled["cluster_id"].to_numpy())
    assert scores.pairwise_f1 == scores.bcubed_f1 == 1.0


@pytest.mark.parametrize("size", [0, 1, 2, 5])
def test_tiny_views_give_every_record_once(background: pa.Table, size: int) -> None:
    records = background.slice(0, size)
    result = fellegi_sunter.link(records)
    assert result.schema == pa.schema([("record_id", pa.string()), ("cluster_id", pa.int64())])
    assert sorted(result["record_id"].to_pylist()) == sorted(records["record_id"].to_pylist())


def test_arguments_are_checked(background: pa.Table) -> None:
    records = background.slice(0, 10)
    with pytest.raises(ValueError, match="threshold"):
        fellegi_sunter.link(records, threshold=0.0)
    with pytest.raises(ValueError, match="max_block_size"):
        fellegi_sunter.link(records, max_block_size=1)
    with pytest.raises(ValueError, match="stratify"):
        fellegi_sunter.link(records, stratify_on=("shoe_size",))
