"""Exercise notebooks are generated from solution notebooks.

Authors write only ``solutions/NN_topic.ipynb``. In its code cells, the
answer sits between nbgrader-style markers::

    ### BEGIN SOLUTION
    n_params = 20 * (5 * 5 * 3 + 1)
    ### END SOLUTION

:func:`make_exercise_notebook` replaces every such region, keeping its
indentation, with ``# YOUR CODE HERE`` and ``raise NotImplementedError``,
drops the site-only ``solution-start``/``solution-end`` markdown cells and
markdown cells that begin with ``<!-- solutions only -->``, writes each
``{exercise}`` directive out as a plain prompt numbered like the site's
solutions ("Exercise 2.3"), clears outputs and points the Colab badge at the
exercise notebook. The same
markers work with nbgrader, for instructors who grade with it.

Run ``python -m cnnbook.authoring exercises`` to regenerate ``exercises/``
and ``python -m cnnbook.authoring exercises --check`` to list notebooks out of
sync (the tests do this).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import re
from pathlib import Path

import nbformat

from cnnbook.authoring.notebooks import without_magics

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CHECK_PREFIX = "# Check"
STUB_COMMENT = "# YOUR CODE HERE"
SOLUTIONS_ONLY = "<!-- solutions only -->"
_SITE_ONLY = re.compile(r"^\s*:::+\s*\{solution-(start|end)\}", re.M)
_EXERCISE = re.compile(
    r"^:::+\s*\{exercise\}[ \t]*(?P<title>[^\n]*)\n"
    r"(?P<options>(?::[\w-]+:[^\n]*\n)*)"
    r"(?P<body>.*?)\n?^:::+\s*$",
    re.M | re.S,
)


class ExerciseFormatError(ValueError):
    """A solution notebook breaks the conventions in CONTRIBUTING.md."""


def _as_text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def strip_solutions(source: str, label: str = "exercise") -> str:
    """Replace each marked solution region in ``source`` by a stub.

    The stub keeps the indentation of the ``### BEGIN SOLUTION`` line so
    that a region inside a function body stays valid Python.
    """
    lines = source.split("\n")
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ExerciseFormatError(
                    f"{label}: line {number}: {BEGIN!r} inside a region"
                )
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}{STUB_COMMENT}")
            message = f'"{label}: your code here"'
            stub = f"{indent}raise NotImplementedError({message})"
            if len(stub) > 79:  # the book's code lines fit in 79 columns
                stub = (
                    f"{indent}raise NotImplementedError(\n"
                    f"{indent}    {message}\n{indent})"
                )
            out.append(stub)
        elif stripped == END:
            if not inside:
                raise ExerciseFormatError(
                    f"{label}: line {number}: {END!r} without {BEGIN!r}"
                )
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ExerciseFormatError(f"{label}: {BEGIN!r} is never closed")
    return "\n".join(out)


def has_solution(source: str) -> bool:
    """True if a cell's source holds a marked solution region."""
    return any(line.strip() == BEGIN for line in source.split("\n"))


def exercise_path_for(solution_path: Path) -> Path:
    """``solutions/NN_x.ipynb`` -> ``exercises/NN_x.ipynb``."""
    solution_path = Path(solution_path)
    return solution_path.parent.parent / "exercises" / solution_path.name


def exercise_title(title: str) -> str:
    """``# Chapter 1 solutions: x`` -> ``# Chapter 1 exercises: x``."""
    title = re.sub(r"\bsolutions\b", "exercises", title, count=1)
    return re.sub(r"\bSolutions\b", "Exercises", title, count=1)


def chapter_number(name: str) -> int:
    """``"02_pooling"`` -> 2: the number a notebook's name starts with."""
    match = re.match(r"(\d+)_", name)
    if not match:
        raise ExerciseFormatError(f"{name}: names start with NN_")
    return int(match.group(1))


def number_exercises(source: str, chapter: int, start: int) -> tuple:
    """Turn ``{exercise}`` directives into plain numbered prompts.

    The site numbers the solutions' exercises 2.1, 2.2, ...; the exercise
    notebook is plain markdown (it reads the same in Jupyter, Colab and the
    site) with the same numbers written out. Returns (text, next number).
    """
    number = start

    def plain(match):
        nonlocal number
        title = match.group("title").strip()
        heading = f"**Exercise {chapter}.{number}**"
        if title:
            heading += f" ({title})"
        number += 1
        return f"{heading}\n\n{match.group('body').strip()}"

    return _EXERCISE.sub(plain, source), number


def make_exercise_notebook(solution_nb, name: str = "notebook"):
    """Return the exercise version of a solution notebook (a new object)."""
    nb = copy.deepcopy(solution_nb)
    # Where the solutions last ran (Python version...) is not the
    # exercise's business: keep the generated file independent of it.
    nb.metadata["language_info"] = {"name": "python"}
    if nb.cells and nb.cells[0].cell_type == "markdown":
        first, _, rest = _as_text(nb.cells[0].source).partition("\n")
        nb.cells[0].source = exercise_title(first) + (
            "\n" + rest if rest else ""
        )
    cells = []
    number = 0
    prompt = 1
    chapter = chapter_number(name)
    for cell in nb.cells:
        source = _as_text(cell.source)
        if cell.cell_type == "markdown":
            if _SITE_ONLY.search(source) or source.startswith(SOLUTIONS_ONLY):
                continue
            source, prompt = number_exercises(source, chapter, prompt)
            source = source.replace("/solutions/", "/exercises/")
        if cell.cell_type == "code":
            if has_solution(source):
                number += 1
                source = strip_solutions(source, f"{name}, exercise {number}")
            cell.outputs = []
            cell.execution_count = None
        cell.source = source
        cell.metadata.pop("execution", None)
        cells.append(cell)
    nb.cells = cells
    return nb


def generated_text(solution_path: Path) -> str:
    """The exact text of the exercise notebook for ``solution_path``."""
    nb = nbformat.read(solution_path, as_version=4)
    exercise = make_exercise_notebook(nb, Path(solution_path).stem)
    return nbformat.writes(exercise) + "\n"


def out_of_sync(root: Path) -> list[str]:
    """Exercise notebooks that differ from what the generator makes."""
    root = Path(root)
    problems = []
    solutions = sorted((root / "solutions").glob("*.ipynb"))
    expected = {exercise_path_for(p).name for p in solutions}
    for path in solutions:
        target = exercise_path_for(path)
        if not target.exists():
            problems.append(f"{target.relative_to(root)} is missing")
        elif target.read_text(encoding="utf-8") != generated_text(path):
            problems.append(
                f"{target.relative_to(root)} differs from the notebook "
                f"generated from {path.relative_to(root)}"
            )
    for path in sorted((root / "exercises").glob("*.ipynb")):
        if path.name not in expected:
            problems.append(
                f"{path.relative_to(root)} has no solution notebook"
            )
    return problems


def generate(root: Path) -> list[Path]:
    """Write every exercise notebook from its solution notebook."""
    root = Path(root)
    written = []
    for path in sorted((root / "solutions").glob("*.ipynb")):
        target = exercise_path_for(path)
        target.parent.mkdir(exist_ok=True)
        target.write_text(generated_text(path), encoding="utf-8")
        written.append(target)
    return written


# --- Proving that every self-check rejects blank and wrong answers --------


def exercises_in(nb) -> list[dict]:
    """Pair each solution cell with its check cell.

    Returns dicts with the indices of both cells and the top-level names the
    solution cell defines. Raises ExerciseFormatError where a solution cell
    is not followed by a ``# Check`` code cell.
    """
    found = []
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for position, index in enumerate(code):
        source = _as_text(nb.cells[index].source)
        if not has_solution(source):
            continue
        number = len(found) + 1
        if position + 1 >= len(code):
            raise ExerciseFormatError(f"exercise {number} has no check cell")
        check = code[position + 1]
        check_source = _as_text(nb.cells[check].source)
        if not check_source.lstrip().startswith(CHECK_PREFIX):
            raise ExerciseFormatError(
                f"exercise {number}: the code cell after its solution must "
                f"start with {CHECK_PREFIX!r}, found {check_source[:40]!r}"
            )
        names = defined_names(source)
        if not names:
            raise ExerciseFormatError(
                f"exercise {number}: the solution cell defines no name "
                "that its check could test"
            )
        found.append(
            {
                "number": number,
                "solution": index,
                "check": check,
                "names": names,
            }
        )
    return found


def defined_names(source: str) -> list[str]:
    """Top-level names a cell assigns or defines (in order, no repeats)."""
    tree = ast.parse(without_magics(source))
    names: list[str] = []

    def add(name):
        if name not in names and not name.startswith("_"):
            names.append(name)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        add(sub.id)
    return names


# Code run in the kernel to perturb an answer. It must change every kind of
# value an exercise may define, so a check that ignores the answer fails.
PERTURB_SOURCE = r"""
def _cnnbook_perturb(value):
    import functools
    import numbers
    import numpy as _np
    if isinstance(value, bool):
        return not value
    if isinstance(value, numbers.Number):
        return value + 1 if value == value else 0
    if isinstance(value, str):
        return value + "_wrong"
    if isinstance(value, _np.ndarray):
        if value.size == 0:
            return _np.zeros(1)
        if value.dtype == bool:
            return ~value
        return value + 1
    if isinstance(value, (list, tuple)):
        if not value:
            return type(value)([0])
        return type(value)([_cnnbook_perturb(value[0])] + list(value[1:]))
    if isinstance(value, dict):
        if not value:
            return {"wrong": 0}
        key = next(iter(value))
        return {**value, key: _cnnbook_perturb(value[key])}
    if isinstance(value, type):
        return value
    if callable(value):
        @functools.wraps(value)
        def wrong(*args, **kwargs):
            return _cnnbook_perturb(value(*args, **kwargs))
        return wrong
    if hasattr(value, "numpy"):
        return _cnnbook_perturb(value.numpy())
    if value is None:
        return 0
    raise TypeError(f"cannot perturb a {type(value).__name__}")
"""


#: Keeps the values of the solution's names (``{names}``) aside, and puts
#: them back: together, a solution cell run once serves the wrong-answer
#: test and the final check.
SAVE_SOURCE = "_cnnbook_saved = {{n: globals()[n] for n in {names!r}}}"
RESTORE_SOURCE = "globals().update(_cnnbook_saved)\ndel _cnnbook_saved"


#: Run in a shared kernel before each solution notebook: a clean namespace
#: and Keras's global state as a fresh kernel has it.
FRESH_START = """\
%reset -f
import gc as _gc
import keras as _keras
_keras.backend.clear_session()
_keras.config.set_dtype_policy("float32")
_gc.collect()
del _gc, _keras"""


@contextlib.contextmanager
def solutions_kernel(directory: Path, timeout: int = 600):
    """A context manager: one started kernel (an nbclient client) in which
    :func:`verify_checks` can run several solution notebooks in turn,
    paying Python's, TensorFlow's and the book's imports once (about 6 s a
    notebook on the 2-core CI machine)."""
    from nbclient import NotebookClient

    # execute_cell writes each cell's outputs into the client's notebook at
    # the index given (0): a one-cell notebook holds them.
    client = NotebookClient(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]),
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(directory)}},
        allow_errors=False,
    )
    with client.setup_kernel():
        yield client


def verify_checks(path: Path, timeout: int = 600, client=None):
    """Run a solution notebook and prove each check rejects bad answers.

    For every exercise, in one kernel and in notebook order:

    1. *blank*: delete the names the solution cell defines, run the
       generated stub (its ``NotImplementedError`` is expected), then the
       check, which must raise;
    2. *wrong*: run the solution, perturb every name it defines, run the
       check, which must raise;
    3. put the solution's values back (or, if they cannot be, run the
       solution again) and run the check, which must pass.

    The kernel inherits this process's environment (``CNNBOOK_MODE``).
    ``client``, from :func:`solutions_kernel`, runs the notebook in that
    shared kernel (after :data:`FRESH_START`) instead of a new one; the
    notebook must live in the kernel's folder.
    Returns a list of problems (empty when every check holds).
    """
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    found = exercises_in(nb)
    by_check = {item["check"]: item for item in found}
    by_solution = {item["solution"] for item in found}
    problems: list[str] = []

    def run(source: str) -> bool:
        """Run source in the kernel; True if it raised."""
        cell = nbformat.v4.new_code_cell(source)
        try:
            client.execute_cell(cell, 0, store_history=False)
        except CellExecutionError:
            return True
        return False

    def check_all():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index in by_solution:
                continue
            item = by_check.get(index)
            if item is None:
                if run(_as_text(cell.source)):
                    problems.append(f"{path.name}: cell {index} failed")
                    return
                continue
            label = f"{path.name}, exercise {item['number']}"
            solution = _as_text(nb.cells[item["solution"]].source)
            check = _as_text(cell.source)
            names = item["names"]
            run("\n".join(f"{n} = None\ndel {n}" for n in names))
            run(strip_solutions(solution, label))
            if not run(check):
                problems.append(f"{label}: the check accepts a blank answer")
            if run(solution):
                problems.append(f"{label}: the solution cell fails")
                return
            # The solution's values are kept aside and put back after the
            # wrong answers (perturbing makes new objects), instead of
            # running the solution again: some solutions train a model.
            run(SAVE_SOURCE.format(names=names))
            perturb = (
                PERTURB_SOURCE
                + "\n"
                + "\n".join(f"{n} = _cnnbook_perturb({n})" for n in names)
            )
            if run(perturb):
                problems.append(f"{label}: its answer cannot be perturbed")
            elif not run(check):
                problems.append(f"{label}: the check accepts a wrong answer")
            if run(RESTORE_SOURCE):
                run(solution)
            if run(check):
                problems.append(f"{label}: the check rejects the solution")

    if client is not None:
        here = Path(client.resources["metadata"]["path"]).resolve()
        if path.resolve().parent != here:
            raise ValueError(
                f"{path} is not in the shared kernel's folder {here}: "
                "give each folder its own solutions_kernel"
            )
        if run(FRESH_START):
            return [f"{path.name}: the shared kernel could not be reset"]
        check_all()
        return problems
    with solutions_kernel(path.parent, timeout) as client:
        check_all()
    return problems
