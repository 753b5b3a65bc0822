"""How the fields of true pairs differ: the second table of `synthgen describe`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.linkage import view as linkage_view
from synthgen.run_folder import Run, open_run

COMPARED = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number", "upn")


def pair_differences(run: str | Path | Run) -> list[dict[str, object]]:
    """For true pairs (two records of one person), by pair of sources: how often each field differs, and how
    many an exact key on name and date of birth, or on NHS number alone, would find (the second table of
    `synthgen describe RUN`)."""
    run = open_run(run)
    if not run.has("linkage/records"):
        return []
    records = run.read("truth/records", ["record_id", "person_id"])
    rows_l, rows_r = linkage_view.pair_rows(records["person_id"].to_numpy())
    view = run.read("linkage/records", ["record_id", "source", *COMPARED])
    # the view's rows in truth's order, then the two records of each pair
    aligned = view.take(pc.index_in(records["record_id"], value_set=view["record_id"]))
    left, right = aligned.take(pa.array(rows_l)), aligned.take(pa.array(rows_r))
    source_l = left["source"].to_numpy(zero_copy_only=False).astype(str)
    source_r = right["source"].to_numpy(zero_copy_only=False).astype(str)
    pair_name = np.where(
        source_l <= source_r,
        np.char.add(np.char.add(source_l, "-"), source_r),
        np.char.add(np.char.add(source_r, "-"), source_l),
    )
    same = {c: pc.fill_null(pc.equal(left[c], right[c]), False).to_numpy(zero_copy_only=False) for c in COMPARED}
    both = {
        c: left[c].is_valid().to_numpy(zero_copy_only=False) & right[c].is_valid().to_numpy(zero_copy_only=False)
        for c in COMPARED
    }
    exact = same["given_name"] & same["family_name"] & same["date_of_birth"]
    rows = []
    for name in sorted(set(pair_name.tolist())):
        chosen = pair_name == name
        row: dict[str, object] = {"sources": name, "pairs": int(chosen.sum())}
        for column in COMPARED:
            compared = both[column] & chosen
            row[f"{column}_differs"] = float(np.mean(~same[column][compared])) if compared.any() else None
        row["found_by_name_and_dob"] = float(np.mean(exact[chosen]))
        row["found_by_nhs_number"] = float(np.mean(same["nhs_number"][chosen]))
        rows.append(row)
    return rows
