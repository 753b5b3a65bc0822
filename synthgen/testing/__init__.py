"""synthgen for a vendor's own tests: hypothesis strategies and a pytest plugin.

- `scenarios()` draws scenarios that validate; `small_runs()` generated runs with their truth; `agency_records(
  errors=[...])` every record of a few people with planted data-quality errors of the chosen kinds and each
  record's true person (synthgen/testing/strategies.py; these need hypothesis: `pip install 'synthgen[testing]'`).
- `small_run()` makes (once per scenario, size and seed) a run and returns a `SmallRun`: its paths, its tables
  read when first asked for (agency files, linkage view, truth) and `evaluate_linkage(predictions)`.
- The pytest plugin (synthgen/testing/plugin.py, registered as `synthgen` under the `pytest11` entry point, so it
  loads wherever synthgen is installed) gives the fixture `synthgen_run`, one seeded small run per test session:

      def test_my_matcher(synthgen_run):
          clusters = my_matcher(synthgen_run.linkage)          # record_id, cluster_id
          assert synthgen_run.evaluate_linkage(clusters).pairwise.f1 > 0.9

  chosen with `--synthgen-scenario`, `--synthgen-people` and `--synthgen-seed` (or the ini keys of the same names
  with underscores).

Each name is imported when first used, so that the plugin costs nothing where it is not used and hypothesis is
needed only for the strategies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthgen.lazy_names import lazy_names

if TYPE_CHECKING:
    from synthgen.testing.records import AgencyRecords, plantable, planting_scenario
    from synthgen.testing.runs import SmallRun, base_scenario, small_run
    from synthgen.testing.strategies import agency_records, rate_overrides, scenarios, small_runs

_HOMES = {
    "synthgen.testing.records": ("AgencyRecords", "plantable", "planting_scenario"),
    "synthgen.testing.runs": ("SmallRun", "base_scenario", "small_run"),
    "synthgen.testing.strategies": ("agency_records", "rate_overrides", "scenarios", "small_runs"),
}
__getattr__, __dir__ = lazy_names("synthgen.testing", _HOMES, globals())

__all__ = [
    "AgencyRecords",
    "SmallRun",
    "agency_records",
    "base_scenario",
    "plantable",
    "planting_scenario",
    "rate_overrides",
    "scenarios",
    "small_run",
    "small_runs",
]
