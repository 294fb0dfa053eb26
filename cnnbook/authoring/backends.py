"""TensorFlow-only code in notebooks, outside the cells marked for it.

Every notebook runs under ``KERAS_BACKEND=jax`` as well as TensorFlow. A
code cell may still use TensorFlow itself (``import tensorflow``,
``tf.data``, ``tf.GradientTape``) where the lesson is about TensorFlow, if
its opening comments say so and why::

    # TensorFlow-specific: tf.data reads the JPEG folders (Keras feeds a
    # tf.data pipeline to every backend)

:func:`tensorflow_only_lines` lists the other cells' TensorFlow calls:
``import tensorflow`` / ``from tensorflow ...`` and any attribute of a
name ``tf`` (``tf.something``). Comments and strings are not code and are
not flagged (a script in a string that a subprocess runs is its own
program: mark the cell that holds it if it uses TensorFlow).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat

from cnnbook.authoring.notebooks import without_magics

MARKER = "# TensorFlow-specific:"
_MARKER_LINE = re.compile(r"^#\s*TensorFlow-specific:\s*\S")


def is_marked(source: str) -> bool:
    """Whether a line of a code cell's opening comments marks it
    TensorFlow-specific (with a reason after the colon). The marker may
    follow another opening comment, such as an exercise's ``# Check``."""
    for line in source.lstrip("\n").split("\n"):
        line = line.strip()
        if not line.startswith("#"):
            return False
        if _MARKER_LINE.match(line):
            return True
    return False


def tensorflow_calls(source: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of each TensorFlow use in Python source:
    ``import tensorflow``, ``from tensorflow``, ``tf.<name>``."""
    try:
        tokens = list(
            tokenize.generate_tokens(io.StringIO(source).readline)
        )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    lines = source.split("\n")
    found: set[int] = set()
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME:
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        before = tokens[i - 1] if i else None
        if token.string == "tensorflow" and before is not None and (
            before.string in ("import", "from")
        ):
            found.add(token.start[0])
        elif (
            token.string == "tf"
            and after is not None
            and after.string == "."
            and not (before is not None and before.string == ".")
        ):
            found.add(token.start[0])
    return [(n, lines[n - 1].strip()) for n in sorted(found)]


def tensorflow_only_lines(path: Path) -> list[str]:
    """The TensorFlow uses in a notebook's unmarked code cells, one
    message each: ``name: cell N, line L: <code>``."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    problems = []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = cell.source
        if is_marked(source):
            continue
        for line_number, line in tensorflow_calls(without_magics(source)):
            problems.append(
                f"{path.parent.name}/{path.name}: cell {number}, line "
                f"{line_number}: {line}"
            )
    return problems
