"""The vectorised text edits behave like their one-value definitions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel import identifiers
from synthgen.quality import text
from synthgen.quality.edits import splice
from synthgen.reference import Parameters

PARAMS = Parameters()
WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-' ", min_size=2, max_size=20)


def damerau_one(a: str, b: str) -> bool:
    """True when b is a at exactly one substitution, deletion, insertion or adjacent transposition."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@given(
    st.lists(
        st.tuples(WORD, st.integers(0, 30), st.integers(0, 3), st.text("XYZ", max_size=3)), min_size=1, max_size=30
    )
)
def test_splice_matches_string_slicing(cases: list[tuple[str, int, int, str]]) -> None:
    values = [v for v, _, _, _ in cases]
    position = np.array([min(p, len(v)) for v, p, _, _ in cases])
    remove = np.array([min(r, len(v) - min(p, len(v))) for v, p, r, _ in cases])
    insert = np.zeros((len(cases), 3), np.uint8)
    for i, (_, _, _, new) in enumerate(cases):
        insert[i, : len(new)] = np.frombuffer(new.encode(), np.uint8)
    lengths = np.array([len(new) for _, _, _, new in cases])
    result = splice(pa.array(values), position, remove, insert, lengths).to_pylist()
    expected = [v[:p] + new + v[p + r :] for (v, _, _, new), p, r in zip(cases, position, remove, strict=True)]
    assert result == expected


@settings(max_examples=50)
@given(st.lists(WORD, min_size=1, max_size=50), st.integers(0, 2**32))
def test_each_typo_is_one_keyboard_slip(words: list[str], seed: int) -> None:
    new, changed = text.typos(np.random.default_rng(seed), PARAMS, pa.array(words))
    for old, value, did in zip(words, new.to_pylist(), changed, strict=True):
        assert damerau_one(old, value) == bool(did)


@settings(max_examples=50)
@given(st.integers(0, 2**32))
def test_postcode_typos_change_one_character_and_keep_the_shape(seed: int) -> None:
    codes = ["S60 1AA", "S65 2BX", "B1 1AA", "SW1A 1AA", "DN12 3QP"]
    new = text.postcode_typos(np.random.default_rng(seed), pa.array(codes)).to_pylist()
    for old, value in zip(codes, new, strict=True):
        assert len(old) == len(value)
        assert sum(a != b for a, b in zip(old, value, strict=True)) == 1
        assert [c.isdigit() for c in old] == [c.isdigit() for c in value]


@settings(max_examples=30)
@given(st.integers(0, 2**32))
def test_transposed_nhs_numbers_fail_the_check_digit_when_changed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    numbers = identifiers.allocate_nhs_numbers(rng, 200, identifiers.NHS_TEST_BASES)
    new, changed = text.transpositions(rng, pa.array(numbers, pa.string()))
    valid = identifiers.is_valid_nhs_number(new)
    # mod 11 catches every transposition of two different adjacent digits
    assert not valid[changed].any()
    assert (new.to_numpy(zero_copy_only=False)[~changed] == np.asarray(numbers)[~changed]).all()


def test_a_transposed_upn_keeps_its_letters_in_place() -> None:
    """Only digits change places: a UPN still starts with its letter (SSDA903 rule 168's format)."""
    rng = np.random.default_rng(3)
    upns = pa.array(["K302685120241", "A12345678901B", "Z00000000000C"] * 200, pa.string())
    new, changed = text.transpositions(rng, upns)
    assert changed.any() and not changed.all()
    values = new.to_pylist()
    for value, upn in zip(values, upns.to_pylist(), strict=True):
        assert [c for c in value if c.isalpha()] == [c for c in upn if c.isalpha()], upn
        assert [i for i, c in enumerate(value) if c.isalpha()] == [i for i, c in enumerate(upn) if c.isalpha()], upn
    assert all(v == u for v, u, c in zip(values, upns.to_pylist(), changed, strict=True) if not c)


def test_hyphen_changes() -> None:
    rng = np.random.default_rng(1)
    names = pa.array(["Smith-Jones", "Khan-Ali"])
    assert text.rehyphenate(rng, PARAMS, names, "hyphen_split").to_pylist() == ["Smith Jones", "Khan Ali"]
    assert text.rehyphenate(rng, PARAMS, names, "hyphen_join").to_pylist() == ["Smithjones", "Khanali"]
    assert text.rehyphenate(rng, PARAMS, names, "hyphen_reorder").to_pylist() == ["Jones-Smith", "Ali-Khan"]
    dropped = text.rehyphenate(rng, PARAMS, names, "hyphen_drop").to_pylist()
    assert dropped[0] in ("Smith", "Jones") and dropped[1] in ("Khan", "Ali")


def test_variants_and_nicknames_never_return_the_name_itself() -> None:
    rng = np.random.default_rng(3)
    for mapping in (text.variants("given", ("transliteration",)), text.variants("family", ("spelling", "phonetic"))):
        names = pa.array(sorted(mapping))
        picked = text.pick(rng, names, text.alternatives(mapping)).to_pylist()
        assert all(p != n and p in mapping[n] for p, n in zip(picked, names.to_pylist(), strict=True))
    assert "Muhammad" in text.variants("given", ("transliteration",))["Mohammed"]


def test_a_mapping_is_laid_out_as_slices_of_one_array() -> None:
    mapping = {"Bill": ["Will"], "Ann": ["Anne", "Annie"]}
    prepared = text.alternatives(mapping)
    assert prepared.names.to_pylist() == ["Ann", "Bill"]
    assert prepared.flat.to_pylist() == ["Anne", "Annie", "Will"]
    assert (prepared.starts.tolist(), prepared.counts.tolist()) == ([0, 2], [2, 1])


def test_typo_kinds_follow_the_runs_shares() -> None:
    only_deletions = Parameters(
        {"typo_share.substitution": 0.0, "typo_share.insertion": 0.0, "typo_share.transposition": 0.0}
    )
    words = ["Smith", "Jones", "Kowalski", "Begum"] * 20
    new, changed = text.typos(np.random.default_rng(4), only_deletions, pa.array(words))
    assert changed.all()
    assert [len(w) - 1 for w in words] == [len(w) for w in new.to_pylist()]
