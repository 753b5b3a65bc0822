"""The library mirrors the command line, so a notebook never shells out."""

from __future__ import annotations

from pathlib import Path

import synthgen


def test_every_public_name_is_there() -> None:
    assert all(hasattr(synthgen, name) for name in synthgen.__all__)


def test_the_whole_loop_from_python(demo_run: Path, tmp_path: Path) -> None:
    figures = synthgen.describe(demo_run)
    assert figures and all(isinstance(f, synthgen.Figure) for f in figures)
    clusters = synthgen.link(synthgen.open_run(demo_run).read("linkage/records"), "exact")
    import pyarrow.parquet as pq

    pq.write_table(clusters, tmp_path / "clusters.parquet")
    scores = synthgen.evaluate_linkage(demo_run, tmp_path / "clusters.parquet")
    assert 0.5 < scores["pairwise"]["f1"] <= 1.0


def test_screening_and_its_evaluation_from_python(demo_run: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    screened = synthgen.screen(demo_run, window=90, method="exact")
    assert isinstance(screened, synthgen.Screened)
    pq.write_table(screened.flags, tmp_path / "flags.parquet")
    pq.write_table(screened.disclosures, tmp_path / "disclosures.parquet")
    scores = synthgen.evaluate_sharing(demo_run, tmp_path / "flags.parquet", tmp_path / "disclosures.parquet")
    assert 0.0 < scores["detection"]["precision"] < 1.0 and scores["oversharing"]["disclosures"] > 0
