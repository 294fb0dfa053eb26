"""Test-wide settings and the per-notebook timing table.

Lives at the repository root so that it applies to the unit tests in
``tests/`` and to the notebooks that nbval executes alike.
"""

import os
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BOOK_BUDGET_SECONDS = 600  # the whole finished book, fast mode, CI machine

# Tests run offline, in fast mode, on the mirror beside the checkout.
os.environ.setdefault("CNNBOOK_MODE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
_mirror = ROOT.parent / "shared" / "data"
if _mirror.is_dir():
    os.environ.setdefault("CNNBOOK_DATA_MIRROR", str(_mirror))

_durations = defaultdict(float)
_started = time.perf_counter()


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _durations[path] += report.duration
    elif (
        path.endswith("test_exercise_checks.py")
        and report.when == "call"
        and "[" in report.nodeid
    ):
        name = report.nodeid.split("[")[-1].rstrip("]")
        _durations[f"{name} (exercise checks)"] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _durations:
        return
    write = terminalreporter.write_line
    total = sum(_durations.values())
    width = max(len(name) for name in _durations) + 2
    terminalreporter.section("notebook timings (fast mode)")
    for name, seconds in sorted(_durations.items()):
        write(f"{name:<{width}}{seconds:8.1f} s")
    write(f"{'all notebooks':<{width}}{total:8.1f} s")
    write(
        f"{'whole test run':<{width}}"
        f"{time.perf_counter() - _started:8.1f} s"
        f"   (budget for the finished book: {BOOK_BUDGET_SECONDS} s)"
    )
