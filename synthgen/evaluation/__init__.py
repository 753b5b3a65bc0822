"""Evaluation: scoring a system's output against a run's truth, and explaining its errors.

Linkage: `linkage` (clusters or scored pairs, read by `adapters`) scores with the pure core `metrics` (numpy
arrays in, numbers out, no I/O) and returns `linkage_scores.LinkageScores`; `linkage_report` draws the page.
Sharing: `sharing` scores flags and disclosures (read by `flags_and_disclosures`) against `sharing_truth` and
returns `sharing_scores.SharingScores`; `sharing_report` draws the page. The same numbers come out whether the
caller hands over files or tables, and a result's `as_dict()` is the JSON the command line writes. Every file a
user hands over is read and its columns checked by `columns` (encodings, repeated columns, any type at its
extremes) before anything is computed from it.
"""
