"""An nbgrader course made from the book's solution notebooks.

The solution notebooks already mark each answer with nbgrader's
``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines, and each answer is
followed by a ``# Check`` cell that fails on a wrong answer. nbgrader also
needs cell metadata saying which cells are answers and which are graded
tests; :func:`make_course` writes that metadata into *copies* of the
solution notebooks in a course folder (the book's notebooks are not
changed)::

    python -m cnnbook.authoring nbgrader COURSE [solutions/NN_x.ipynb ...]
    cd COURSE
    nbgrader generate_assignment cnnbook --force   # release/: student version
    # students' work goes to submitted/<student>/cnnbook/NN_x.ipynb
    nbgrader autograde cnnbook --force             # autograded/, gradebook.db
    nbgrader export                                # grades.csv

Each ``# Check`` cell is worth one point (it passes or it raises). The
answer cells are left unlocked for the students; the check cells are
locked, so a student cannot change a test (nbgrader restores it from the
source when grading). ``tests/instructors/test_nbgrader.py`` runs this
round trip and proves that the solutions get full marks and the blank
student version none.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from cnnbook.authoring.exercises import (
    CHECK_PREFIX,
    has_solution,
)
from cnnbook.authoring.notebooks import ROOT
from cnnbook.authoring.notebooks import cell_text as _text

ASSIGNMENT = "cnnbook"
SCHEMA_VERSION = 3
CONFIG = '''\
# nbgrader configuration of a course made from the book's solution
# notebooks by `python -m cnnbook.authoring nbgrader` (edit as you need).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "cnnbook"
c.CourseDirectory.root = {root!r}
# Seconds a cell may run while grading. The notebooks read CNNBOOK_MODE:
# `CNNBOOK_MODE=fast nbgrader autograde ...` grades in seconds.
c.Execute.timeout = 600
'''


class GradingFormatError(ValueError):
    """A solution notebook that nbgrader could not grade."""


def nbgrader_notebook(solution_nb, name: str):
    """A copy of a solution notebook with nbgrader's cell metadata: each
    answer cell a solution cell, each ``# Check`` cell a locked test worth
    one point. Raises :class:`GradingFormatError` when a check cell does
    not follow an answer cell."""
    nb = copy.deepcopy(solution_nb)
    answers = checks = 0
    previous_was_answer = False
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type != "code":
            continue
        source = _text(cell)
        if has_solution(source):
            answers += 1
            cell.metadata["nbgrader"] = {
                "grade": False,
                "solution": True,
                "locked": False,
                "grade_id": f"{name}-answer-{answers}",
                "schema_version": SCHEMA_VERSION,
            }
            previous_was_answer = True
            continue
        if source.lstrip().startswith(CHECK_PREFIX):
            if not previous_was_answer:
                raise GradingFormatError(
                    f"{name}: a {CHECK_PREFIX!r} cell must follow the "
                    "answer cell it checks"
                )
            checks += 1
            cell.metadata["nbgrader"] = {
                "grade": True,
                "solution": False,
                "locked": True,
                "points": 1,
                "grade_id": f"{name}-check-{checks}",
                "schema_version": SCHEMA_VERSION,
            }
        previous_was_answer = False
    if not checks:
        raise GradingFormatError(f"{name}: no {CHECK_PREFIX!r} cells")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def make_course(
    course: Path,
    solutions: list[Path] | None = None,
    assignment: str = ASSIGNMENT,
) -> list[Path]:
    """Write ``nbgrader_config.py`` and ``source/<assignment>/*.ipynb``
    (from the solution notebooks, all of them by default) into
    ``course``; returns the source notebooks written."""
    course = Path(course).resolve()
    if solutions is None:
        solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    source = course / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        CONFIG.format(root=str(course)), encoding="utf-8"
    )
    written = []
    for path in solutions:
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        target = source / path.name
        nbformat.write(nbgrader_notebook(nb, path.stem), target)
        written.append(target)
    return written


def points(path: Path) -> int:
    """How many points (check cells) a course notebook has."""
    nb = nbformat.read(path, as_version=4)
    return sum(
        cell.metadata.get("nbgrader", {}).get("points", 0)
        for cell in nb.cells
    )
