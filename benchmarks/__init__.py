"""GradStudio benchmarks: ``make bench`` (``python -m benchmarks``).

Each suite is a module with a ``CASES`` list of ``harness.Case``. Adding a suite is adding
its module name to ``SUITES``. A suite imports heavy or optional things (Qt) inside its case
functions, never at module level, so listing and selecting cases stays cheap and headless.
"""

from __future__ import annotations

import importlib

from .harness import Case

SUITES = [
    "benchmarks.bench_engine",
    "benchmarks.bench_graph",
    "benchmarks.bench_code",
    "benchmarks.bench_ui",
    "benchmarks.bench_learn",
    "benchmarks.bench_startup",
    "benchmarks.bench_plan",
    "benchmarks.bench_hostile",
]


def load_cases(suites: list[str] | None = None) -> list[Case]:
    """Every registered case, in registry order, tagged with the suite it came from."""
    from dataclasses import replace

    cases = []
    for suite in suites or SUITES:
        module = importlib.import_module(suite)
        cases.extend(replace(case, suite=suite) for case in module.CASES)
    return cases
