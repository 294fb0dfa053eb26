"""Test-wide settings and the per-notebook timing table.

Lives at the repository root so that it applies to the unit tests in
``tests/`` and to the chapter notebooks that nbval executes alike. Solution
notebooks are executed once, by the exercise-check harness
(``tests/book/test_exercise_checks.py``), not by nbval.
"""

import os
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# Budgets, in seconds on the CI machine (2 cores), fast mode: the whole
# `.ci/run` of the finished 14-chapter book, set-up included, and each
# notebook as the timing table measures it (two workers share the two
# cores). The table compares; nothing fails on time.
BOOK_BUDGET_SECONDS = 600
CHAPTER_BUDGET_SECONDS = 40
SOLUTION_BUDGET_SECONDS = 15
# The site's tests: build the book once, open every page in Chromium.
SITE_BUDGET_SECONDS = 120
SITE_LINE = "the site (build, every page in Chromium)"

# Tests run offline, in fast mode, on the mirror beside the checkout.
os.environ.setdefault("CNNBOOK_MODE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
_mirror = ROOT.parent / "shared" / "data"
if _mirror.is_dir():
    os.environ.setdefault("CNNBOOK_DATA_MIRROR", str(_mirror))

_durations = defaultdict(float)
_site_durations = defaultdict(float)
_started = time.perf_counter()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Keep each notebook's cells together on one pytest-xdist worker (they
    share a kernel; ``--dist loadgroup``), and the site's tests on one
    worker (they share one build of the book: on two workers, two builds
    ran at once into the same ``_build``); other tests spread freely."""
    site = ROOT / "tests" / "site"
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.xdist_group(path.name))
        elif site in path.parents:
            item.add_marker(pytest.mark.xdist_group("site"))
    # Longest work first, so that the two workers end together: the site
    # (one group of about three minutes), then the chapter notebooks, then
    # the solution notebooks' checks, then the many short unit tests that
    # fill the gaps at the end (pytest's own order put the notebooks last).
    def rank(item):
        path = Path(str(item.fspath))
        if site in path.parents:
            return 0
        if path.suffix == ".ipynb":
            return 1
        if path.name == "test_exercise_checks.py":
            return 2
        return 3

    items[:] = sorted(items, key=rank)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0].split("@")[0]
    if path.endswith(".ipynb"):
        _durations[path] += report.duration
    elif (
        path.endswith("test_exercise_checks.py")
        and report.when == "call"
        and "[" in report.nodeid
    ):
        name = report.nodeid.split("[")[-1].split("]")[0]
        _durations[f"solutions/{name}.ipynb (checks)"] += report.duration
    elif path.startswith("tests/site/"):
        _site_durations[report.nodeid] += report.duration


def _budget(name: str) -> int:
    if name == SITE_LINE:
        return SITE_BUDGET_SECONDS
    if name.startswith("solutions/"):
        return SOLUTION_BUDGET_SECONDS
    return CHAPTER_BUDGET_SECONDS


def pytest_terminal_summary(terminalreporter):
    if not _durations and not _site_durations:
        return
    write = terminalreporter.write_line
    total = sum(_durations.values())
    if _site_durations:
        _durations[SITE_LINE] = sum(_site_durations.values())
    width = max(len(name) for name in _durations) + 2
    terminalreporter.section("notebook and site timings (fast mode)")
    write(f"{'notebook':<{width}}{'seconds':>8}  {'budget':>6}")
    for name, seconds in sorted(_durations.items()):
        budget = _budget(name)
        flag = "  OVER BUDGET" if seconds > budget else ""
        write(f"{name:<{width}}{seconds:8.1f}  {budget:6d}{flag}")
    write(f"{'all notebooks (sum over workers)':<{width}}{total:8.1f}")
    if SITE_LINE in _durations:
        write(f"{'notebooks and site':<{width}}"
              f"{total + _durations[SITE_LINE]:8.1f}")
    write(
        f"{'whole test run (wall clock)':<{width}}"
        f"{time.perf_counter() - _started:8.1f}"
    )
