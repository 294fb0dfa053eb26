"""A real nbgrader round trip on one solution notebook of the book: the
course made by ``python -m cnnbook.authoring nbgrader``, the student
version made by ``nbgrader generate_assignment``, and ``nbgrader
autograde`` giving the solutions full marks and the blank student version
none (the ``# Check`` cells are the graded tests)."""

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from cnnbook.authoring import exercises, grading

ROOT = Path(__file__).resolve().parents[2]
# One small notebook keeps the test short (each autograde runs it twice).
NOTEBOOK = ROOT / "solutions" / "03_sizing.ipynb"
if not NOTEBOOK.exists():
    NOTEBOOK = sorted((ROOT / "solutions").glob("*.ipynb"))[0]


def nbgrader_api(course: Path):
    """nbgrader's Python API on the course, configured by the course's own
    ``nbgrader_config.py``. It runs the converters the command line runs
    (``nbgrader generate_assignment``, ``nbgrader autograde``) in this
    process, which saves the seconds each command spends importing
    nbgrader."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(
        "nbgrader_config.py", path=str(course)
    ).load_config()
    return NbGraderAPI(config=config)


def succeeded(result: dict, what: str) -> None:
    assert result["success"], (
        f"nbgrader {what} failed:\n{result.get('error', '')[-3000:]}\n"
        f"{result.get('log', '')[-2000:]}"
    )


def test_metadata_marks_answers_and_checks():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    graded = grading.nbgrader_notebook(nb, NOTEBOOK.stem)
    kinds = [
        cell.metadata["nbgrader"]
        for cell in graded.cells
        if "nbgrader" in cell.metadata
    ]
    answers = [k for k in kinds if k["solution"]]
    checks = [k for k in kinds if k["grade"]]
    assert len(answers) == len(checks) == len(exercises.exercises_in(nb))
    assert all(k["locked"] and k["points"] == 1 for k in checks)
    assert not any(k["locked"] for k in answers)
    assert "nbgrader" not in nb.cells[0].metadata, "the book was changed"


# nbgrader 0.9.6 warns from inside its own gradebook code on every autograde
@pytest.mark.filterwarnings("ignore:Object of type <SubmittedNotebook>")
def test_nbgrader_round_trip(tmp_path, monkeypatch):
    # nbgrader runs the `alembic` command of its own environment; the
    # notebooks run in fast mode (CNNBOOK_MODE, inherited by the kernel)
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("CNNBOOK_MODE", "fast")
    course = tmp_path / "course"
    name = NOTEBOOK.name
    [source] = grading.make_course(course, [NOTEBOOK])
    total = grading.points(source)
    assert total >= 5

    api = nbgrader_api(course)
    succeeded(
        api.generate_assignment(grading.ASSIGNMENT, force=True),
        "generate_assignment",
    )
    release = course / "release" / grading.ASSIGNMENT / name
    student = release.read_text(encoding="utf-8")
    assert exercises.BEGIN not in student, "the solutions were released"
    assert "NotImplementedError" in student

    for who, copy_of in (("solved", source), ("blank", release)):
        folder = course / "submitted" / who / grading.ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(copy_of, folder / name)
        succeeded(
            api.autograde(grading.ASSIGNMENT, who, force=True, create=True),
            f"autograde ({who})",
        )

    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as book:
        scores = {
            who: book.find_submission(grading.ASSIGNMENT, who)
            for who in ("solved", "blank")
        }
        solved, blank = scores["solved"], scores["blank"]
        assert solved.max_score == total
        assert solved.score == total, (
            f"the solutions scored {solved.score} of {total}"
        )
        assert blank.score == 0, (
            f"the blank student version scored {blank.score}"
        )


@pytest.mark.parametrize("kind", ["no check", "check first"])
def test_notebooks_nbgrader_cannot_grade_are_refused(kind):
    from tests.helpers import notebook

    cells = [("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION")]
    if kind == "check first":
        cells.insert(0, ("code", "# Check\nassert x == 1"))
    with pytest.raises(grading.GradingFormatError):
        grading.nbgrader_notebook(notebook(*cells), "01_x")
