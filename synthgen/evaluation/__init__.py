"""Linkage evaluation: scoring a record-linkage system's clusters and scored pairs against the run's truth.

`synthgen.evaluation.metrics` is the pure core (numpy arrays in, numbers out, no I/O), so the same numbers
come out whether the caller reads a run from disk, a notebook holds the arrays, or a test builds them by hand.
"""
