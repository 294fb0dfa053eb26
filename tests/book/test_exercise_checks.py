"""Every solution notebook: its exercises are in sync, there are enough of
them, and every self-check rejects a blank and a wrong answer (and accepts
the solution). The harness itself is proven in tests/authoring.

The solution notebooks run one after another in one shared kernel, on one
pytest-xdist worker: a fresh kernel's imports (TensorFlow, Keras, the book)
cost about 6 s a notebook on the CI machine, and the harness resets the
namespace and Keras's global state between notebooks."""

from pathlib import Path

import nbformat
import pytest

from cnnbook.authoring import exercises

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.fixture(scope="module")
def shared_kernel():
    with exercises.solutions_kernel(ROOT / "solutions") as client:
        yield client


@pytest.mark.xdist_group("solutions")
@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_checks_reject_blank_and_wrong_answers(path, shared_kernel):
    problems = exercises.verify_checks(path, client=shared_kernel)
    assert not problems, "\n".join(problems)


def test_book_exercises_are_in_sync_with_solutions():
    problems = exercises.out_of_sync(ROOT)
    assert not problems, (
        "exercise notebooks are generated: run `python -m "
        "cnnbook.authoring exercises` and do not edit exercises/ by "
        "hand:\n" + "\n".join(problems)
    )


def test_every_chapter_has_exercises_and_solutions():
    chapters = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    solutions = {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    assert chapters == solutions
    for name in solutions:
        nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
        assert len(exercises.exercises_in(nb)) >= 5, f"{name}: < 5 exercises"
