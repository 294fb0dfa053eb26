"""The exercise generator, on small fixture notebooks and on the book."""

from pathlib import Path

import nbformat
import pytest

from cnnbook.authoring import exercises
from tests.helpers import notebook, write

ROOT = Path(__file__).resolve().parents[2]


def test_strip_replaces_region_and_keeps_indentation():
    source = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    return 2 * x\n"
        "    ### END SOLUTION\n"
        "\n"
        "f(1)"
    )
    stub = exercises.strip_solutions(source, "ex 1")
    assert "return 2 * x" not in stub
    assert "    # YOUR CODE HERE\n    raise NotImplementedError(" in stub
    assert stub.endswith("f(1)")
    compile(stub, "stub", "exec")


def test_stub_fits_in_79_columns_for_long_notebook_names():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n"
        "    ### END SOLUTION"
    )
    label = "08_inception_resnet_densenet, exercise 12"
    stub = exercises.strip_solutions(source, label)
    assert max(len(line) for line in stub.split("\n")) <= 79
    assert f'"{label}: your code here"' in stub
    compile(stub, "stub", "exec")
    short = exercises.strip_solutions(source, "ex 1")
    assert 'raise NotImplementedError("ex 1: your code here")' in short


def test_strip_handles_consecutive_regions():
    source = (
        "### BEGIN SOLUTION\na = 1\n### END SOLUTION\n"
        "### BEGIN SOLUTION\nb = 2\n### END SOLUTION\n"
    )
    stub = exercises.strip_solutions(source)
    assert stub.count("raise NotImplementedError") == 2
    assert "a = 1" not in stub and "b = 2" not in stub


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\na = 1\n", "never closed"),
        ("a = 1\n### END SOLUTION\n", "without"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
            "inside a region",
        ),
    ],
)
def test_strip_rejects_broken_markers(source, message):
    with pytest.raises(exercises.ExerciseFormatError, match=message):
        exercises.strip_solutions(source)


def fixture_solution():
    return notebook(
        ("md", "# Chapter 1 solutions: x\nSolutions follow."),
        ("md", exercises.SOLUTIONS_ONLY + "\nThis is the solution notebook."),
        ("md", ":::{exercise}\n:label: ex-a\n\n*Compute a.*\n:::"),
        ("md", ":::{solution-start} ex-a\n:::"),
        ("code", "### BEGIN SOLUTION\na = 41 + 1\n### END SOLUTION\na"),
        ("code", "# Check\nassert a == 6 * 7, 'no'"),
        ("md", ":::{solution-end}\n:::"),
        ("md", "[open](https://x/blob/main/solutions/01_x.ipynb)"),
    )


def test_exercise_notebook_drops_solutions_and_site_markers():
    nb = fixture_solution()
    nb.cells[4].outputs = [nbformat.v4.new_output("execute_result", {})]
    nb.cells[4].execution_count = 3
    made = exercises.make_exercise_notebook(nb, "01_x")
    text = nbformat.writes(made)
    assert "41 + 1" not in text
    assert "solution-start" not in text and "solution-end" not in text
    assert "solution notebook" not in text
    assert ":label:" not in text and "{exercise}" not in text
    prompts = [c.source for c in made.cells if "Exercise 1.1" in c.source]
    assert prompts == ["**Exercise 1.1**\n\n*Compute a.*"]
    assert "/exercises/01_x.ipynb" in text
    assert (
        made.cells[0].source == "# Chapter 1 exercises: x\nSolutions follow."
    )
    code = [c for c in made.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    # The original is untouched.
    assert "41 + 1" in nbformat.writes(nb)


def test_out_of_sync_detects_hand_edits_missing_and_orphans(tmp_path):
    write(fixture_solution(), tmp_path / "solutions" / "01_x.ipynb")
    assert exercises.out_of_sync(tmp_path) == [
        "exercises/01_x.ipynb is missing"
    ]
    exercises.generate(tmp_path)
    assert exercises.out_of_sync(tmp_path) == []
    target = tmp_path / "exercises" / "01_x.ipynb"
    target.write_text(target.read_text().replace("Compute", "Guess"))
    assert "differs" in exercises.out_of_sync(tmp_path)[0]
    write(fixture_solution(), tmp_path / "exercises" / "02_y.ipynb")
    assert any("no solution" in p for p in exercises.out_of_sync(tmp_path))


def test_defined_names_covers_assignments_functions_and_magics():
    source = (
        "%matplotlib inline\nx, (y, z) = 1, (2, 3)\n_hidden = 4\n"
        "def f():\n    inner = 5\n    return inner\nw: int = 3\n"
    )
    assert exercises.defined_names(source) == ["x", "y", "z", "f", "w"]


def test_exercises_in_requires_a_check_cell():
    nb = notebook(
        ("code", "### BEGIN SOLUTION\na = 1\n### END SOLUTION"),
        ("code", "print(a)"),
    )
    with pytest.raises(exercises.ExerciseFormatError, match="# Check"):
        exercises.exercises_in(nb)


def test_harness_accepts_a_good_check_and_catches_weak_ones(tmp_path):
    nb = notebook(
        ("code", "import numpy as np"),
        ("code", "### BEGIN SOLUTION\na = 6 * 7\n### END SOLUTION"),
        ("code", "# Check\nassert a == 42"),
        ("code", "### BEGIN SOLUTION\nb = np.ones(3)\n### END SOLUTION"),
        ("code", "# Check\nprint('looks fine')"),  # cannot fail
        (
            "code",
            "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n"
            "    ### END SOLUTION",
        ),
        ("code", "# Check\nassert f(1) == 2"),
    )
    path = write(nb, tmp_path / "fixture.ipynb")
    problems = exercises.verify_checks(path, timeout=120)
    assert problems == [
        "fixture.ipynb, exercise 2: the check accepts a blank answer",
        "fixture.ipynb, exercise 2: the check accepts a wrong answer",
    ]


def test_stub_lines_fit_in_79_columns_for_long_names():
    source = (
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n"
        "    ### END SOLUTION"
    )
    label = "09_efficient_convolutions_nas, exercise 12"
    stub = exercises.strip_solutions(source, label)
    assert max(len(line) for line in stub.split("\n")) <= 79
    assert "raise NotImplementedError(" in stub
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="exercise 12"):
        namespace["f"]()


def test_a_shared_kernel_starts_each_notebook_afresh(tmp_path, monkeypatch):
    # The kernel (it inherits this environment) resets Keras between
    # notebooks, which imports it: under JAX, a third of TensorFlow's
    # import time. The book's solution checks run the same reset under
    # TensorFlow (tests/book/test_exercise_checks.py).
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    first = write(notebook(
        ("code", "leftover = 1"),
        ("code", "### BEGIN SOLUTION\na = 6 * 7\n### END SOLUTION"),
        ("code", "# Check\nassert a == 42"),
    ), tmp_path / "first.ipynb")
    second = write(notebook(
        ("code", "assert 'leftover' not in dir(), 'the namespace leaked'"),
        ("code", "### BEGIN SOLUTION\nb = 6 * 7\n### END SOLUTION"),
        ("code", "# Check\nassert b == 42 and 'a' not in dir()"),
    ), tmp_path / "second.ipynb")
    # After the wrong answer the solution's values are put back, not
    # recomputed: its cell runs once (some solutions train a model).
    third = write(notebook(
        ("code", "runs = []"),
        ("code", "### BEGIN SOLUTION\nruns.append(1)\nc = 6 * 7\n"
                 "### END SOLUTION"),
        ("code", "# Check\nassert c == 42"),
        ("code", "assert runs == [1], runs"),
    ), tmp_path / "third.ipynb")
    with exercises.solutions_kernel(tmp_path, timeout=120) as client:
        assert exercises.verify_checks(first, client=client) == []
        assert exercises.verify_checks(second, client=client) == []
        assert exercises.verify_checks(third, client=client) == []
        with pytest.raises(ValueError, match="shared kernel's folder"):
            exercises.verify_checks(ROOT / "solutions" / "01_convolution.ipynb",
                                    client=client)
