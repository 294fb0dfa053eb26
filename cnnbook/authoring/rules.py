"""The book's standing rules, applied by the tests to every notebook.

- committed outputs come from one clean top-to-bottom full-mode run, with
  every figure kept;
- no Keras 2 idioms; code lines fit in 79 columns;
- every number a chapter's prose states is computed and asserted by the
  notebook's code.

Each rule returns a list of problems (empty when the notebook keeps it), so
that a failing test says what to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from cnnbook.authoring.badges import BADGE_MARK, COLAB_INSTALL
from cnnbook.authoring.notebooks import cell_text as _text
from cnnbook.authoring.notebooks import without_magics

# --- Committed outputs --------------------------------------------------

MODE_LINE = re.compile(r"Run mode: (\w+)")


def recorded_mode(nb) -> str | None:
    """The run mode a notebook's committed outputs were produced in."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            match = MODE_LINE.search(output.get("text", ""))
            if match:
                return match.group(1)
    return None


def committed_output_problems(path: Path, mode: str = "full") -> list[str]:
    """Committed outputs must come from one clean top-to-bottom run.

    Execution counts run 1, 2, 3, ... over the code cells, no output is an
    error, and the first output records the run mode, which is ``mode``.
    """
    nb = nbformat.read(path, as_version=4)
    name = Path(path).name
    problems = []
    expected = 1
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.execution_count != expected:
            problems.append(
                f"{name}: cell {index} has execution count "
                f"{cell.execution_count}, expected {expected}: re-run the "
                "notebook top to bottom"
            )
            break
        expected += 1
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"{name}: cell {index} has an error output")
            text = output.get("text", "")
            if output.get("name") == "stderr" and "Traceback" in text:
                problems.append(f"{name}: cell {index} shows a traceback")
    problems += missing_figures(nb, name)
    found = recorded_mode(nb)
    if found != mode:
        problems.append(
            f"{name}: its outputs record run mode {found!r}, expected "
            f"{mode!r}: run `python -m cnnbook.authoring run-full {name}`"
        )
    return problems


_DRAWS = re.compile(
    r"^(fig\b[^=]*=|plt\.(subplots|figure|imshow|plot)\(|"
    r"plots\.(show_images|plot_history|plot_confusion_matrix)\()",
    re.M,
)


def missing_figures(nb, name: str) -> list[str]:
    """Cells that draw a figure at top level but kept no image output.

    Catches a run whose figures went nowhere (a non-inline matplotlib
    backend, for instance), which would leave the site without them.
    """
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not _DRAWS.search(_text(cell)):
            continue
        if not any(
            key.startswith("image/")
            for output in cell.outputs
            for key in output.get("data", {})
        ):
            problems.append(
                f"{name}: cell {index} draws a figure but has no image "
                "output: run it with the inline backend (unset MPLBACKEND)"
            )
    return problems


# --- Rules on code --------------------------------------------------------

KERAS2_IDIOMS = {
    r"\blr\s*=": "write learning_rate=, not lr=",
    r"ImageDataGenerator": "use keras preprocessing layers and tf.data",
    r"fit_generator": "model.fit accepts datasets and generators",
    r"input_length\s*=": "Keras 3's Embedding has no input_length",
    r"\[\s*['\"]acc['\"]\s*\]": "history keys are 'accuracy'",
    r"%pylab": "import matplotlib.pyplot as plt",
    r"\bfrom\s+keras\.preprocessing\.image\b": "use keras.utils",
    r"predict_classes": "use argmax over model.predict",
}


def keras2_problems(path: Path) -> list[str]:
    """Keras 2 idioms in a notebook's code cells."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for pattern, advice in KERAS2_IDIOMS.items():
            if re.search(pattern, _text(cell)):
                problems.append(
                    f"{Path(path).name}: cell {index} uses a Keras 2 idiom "
                    f"({pattern}): {advice}"
                )
    return problems


def long_lines(path: Path, limit: int = 79) -> list[str]:
    """Code lines longer than ``limit`` (the Colab install line excepted)."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _text(cell) == COLAB_INSTALL:
            continue
        for line in _text(cell).split("\n"):
            if len(line) > limit:
                problems.append(
                    f"{Path(path).name}: cell {index} has a line of "
                    f"{len(line)} characters: {line[:40]}..."
                )
    return problems


# --- Every stated number is asserted -------------------------------------

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(%?)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)|<[^>]+>|\{[a-z-]+\}`[^`]*`")
_DIRECTIVE_OPTION = re.compile(r"^:[\w-]+:.*$", re.M)
_REFERENCE = re.compile(r"(Chapters?|Sections?|Exercises?|Figures?)\s+$")
_HEADING_NUMBER = re.compile(r"^(#+\s+)\d+\.(?=\s)", re.M)  # "# 10. Text"


def _normalise(number: str) -> str:
    value = number.replace(",", "").replace("_", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def stated_numbers(markdown: str) -> list[str]:
    """Numbers a markdown text states that must be backed by an assert.

    Counted: numbers of 10 or more, decimals and percentages. Not counted:
    inline code, code blocks, link targets, HTML tags, directive options,
    references such as "Chapter 13", a heading's own number ("# 10.
    Text"), and four-digit years (1900-2099).
    Percentages keep their ``%``: "75%" is backed by 75 or 0.75.
    """
    text = _FENCE.sub(" ", markdown).replace("{,}", ",")
    text = _INLINE_CODE.sub(" ", text)
    text = _LINK_TARGET.sub(" ", text)
    text = _DIRECTIVE_OPTION.sub(" ", text)
    text = _HEADING_NUMBER.sub(r"\1 ", text)
    found = []
    for match in _NUMBER.finditer(text):
        raw, percent = match.groups()
        value = _normalise(raw)
        is_decimal = "." in value
        if re.fullmatch(r"(19|20)\d\d", raw):
            continue
        if _REFERENCE.search(text[: match.start()]):
            continue
        if percent or is_decimal or int(value) >= 10:
            found.append(value + percent)
    return found


def asserted_numbers(sources) -> set[str]:
    """Every number that the assert statements of cells compute or compare.

    ``sources`` is one code string or a list of them (one per cell). Only
    the assert's condition counts, over all its lines: number literals, and
    numbers inside string literals of the condition (``assert f"{n:,}" ==
    "61,460"``). Numbers in the assertion *message* do not count: a message
    can say anything without checking it.
    """
    import ast
    import io
    import tokenize

    if isinstance(sources, str):
        sources = [sources]
    numbers: set[str] = set()
    for source in sources:
        clean = without_magics(source)
        try:
            tree = ast.parse(clean)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assert):
                continue
            condition = ast.get_source_segment(clean, node.test) or ""
            readline = io.StringIO(f"({condition})").readline
            try:
                for token in tokenize.generate_tokens(readline):
                    if token.type == tokenize.NUMBER:
                        numbers.add(_normalise(token.string))
                    elif token.type in (tokenize.STRING, _FSTRING_MIDDLE):
                        for raw, _ in _NUMBER.findall(token.string):
                            numbers.add(_normalise(raw))
            except tokenize.TokenError:
                pass
    return numbers


# Python 3.12 tokenises f-strings into parts; 3.11 yields one STRING.
_FSTRING_MIDDLE = getattr(__import__("tokenize"), "FSTRING_MIDDLE", -1)


def unasserted_claims(path: Path) -> list[str]:
    """Numbers stated in markdown that no assert of the notebook checks."""
    nb = nbformat.read(path, as_version=4)
    backed = asserted_numbers(
        [_text(c) for c in nb.cells if c.cell_type == "code"]
    )
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or BADGE_MARK in _text(cell):
            continue
        for number in stated_numbers(_text(cell)):
            candidates = {number}
            if number.endswith("%"):
                value = number[:-1]
                fraction = repr(float(value) / 100)
                candidates = {value, _normalise(fraction)}
            if not candidates & backed:
                problems.append(
                    f"{Path(path).name}: markdown cell {index} states "
                    f"{number}, which no assert in the notebook checks"
                )
    return problems
