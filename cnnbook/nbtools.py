"""Notebook housekeeping: Colab badges and the book-wide rules.

The tests call these functions on every notebook; authors run
``python -m cnnbook.nbtools badges`` after adding a notebook, and
``python -m cnnbook.nbtools run-full notebooks/NN_x.ipynb`` to execute a
chapter in full mode and commit its outputs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat

# Where the book is published. Forks change this line and ``_config.yml``.
REPOSITORY = "deep-convnets/cnn-book"
BRANCH = "main"
ROOT = Path(__file__).resolve().parent.parent
BOOK_FOLDERS = ("notebooks", "solutions", "exercises")

BADGE_MARK = "colab-badge"
# The Colab install cell is plumbing: the site hides it (myst-nb tag).
COLAB_TAG = "remove-cell"

COLAB_INSTALL = f"""\
# @title Colab: install the helper package {{ display-mode: "form" }}
import sys

if "google.colab" in sys.modules:
    %pip install -q "cnnbook @ git+https://github.com/{REPOSITORY}@{BRANCH}"\
"""


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def badge_markdown(relative_path: str) -> str:
    """The markdown of the Open-in-Colab badge for a notebook path."""
    url = (
        "https://colab.research.google.com/github/"
        f"{REPOSITORY}/blob/{BRANCH}/{relative_path}"
    )
    return (
        f'<a href="{url}" target="_parent" id="{BADGE_MARK}">'
        '<img src="https://colab.research.google.com/assets/colab-badge.svg" '
        'alt="Open In Colab"/></a>'
    )


def book_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook of the book, chapters first."""
    return [
        path
        for folder in BOOK_FOLDERS
        for path in sorted((Path(root) / folder).glob("*.ipynb"))
    ]


def set_colab_cell(nb) -> bool:
    """Make the Colab install cell current and tagged; True if changed."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "google.colab" in _text(cell):
            tags = cell.metadata.setdefault("tags", [])
            changed = _text(cell) != COLAB_INSTALL or COLAB_TAG not in tags
            cell.source = COLAB_INSTALL
            if COLAB_TAG not in tags:
                tags.append(COLAB_TAG)
            return changed
    return False


def set_badge(nb, relative_path: str) -> bool:
    """Put the badge in the cell after the title; True if nb changed."""
    badge = badge_markdown(relative_path)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and BADGE_MARK in _text(cell):
            if _text(cell) == badge:
                return False
            cell.source = badge
            return True
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(badge))
    return True


def badge_problems(path: Path, root: Path = ROOT) -> list[str]:
    """A notebook must carry its own badge and the Colab install cell."""
    nb = nbformat.read(path, as_version=4)
    relative = Path(path).resolve().relative_to(Path(root).resolve())
    problems = []
    texts = [_text(c) for c in nb.cells]
    if badge_markdown(relative.as_posix()) not in texts:
        problems.append(
            f"{relative}: no Colab badge for this path; run "
            "`python -m cnnbook.nbtools badges`"
        )
    install = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "google.colab" in _text(c)
    ]
    if not install:
        problems.append(f"{relative}: no Colab install cell")
    elif _text(install[0]) != COLAB_INSTALL:
        problems.append(
            f"{relative}: the Colab install cell differs from "
            "cnnbook.nbtools.COLAB_INSTALL; run "
            "`python -m cnnbook.nbtools badges`"
        )
    elif COLAB_TAG not in install[0].metadata.get("tags", []):
        problems.append(
            f"{relative}: the Colab cell lacks the {COLAB_TAG} tag"
        )
    return problems


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
            f"{mode!r}: run `python -m cnnbook.nbtools run-full {name}`"
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


def _normalise(number: str) -> str:
    value = number.replace(",", "").replace("_", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def stated_numbers(markdown: str) -> list[str]:
    """Numbers a markdown text states that must be backed by an assert.

    Counted: numbers of 10 or more, decimals and percentages. Not counted:
    inline code, code blocks, link targets, HTML tags, directive options,
    references such as "Chapter 13", and four-digit years (1900-2099).
    Percentages keep their ``%``: "75%" is backed by 75 or 0.75.
    """
    text = _FENCE.sub(" ", markdown).replace("{,}", ",")
    text = _INLINE_CODE.sub(" ", text)
    text = _LINK_TARGET.sub(" ", text)
    text = _DIRECTIVE_OPTION.sub(" ", text)
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


def without_magics(source: str) -> str:
    """Cell source with IPython magics and shell lines made inert."""
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass"
        lines.append(line)
    return "\n".join(lines)


def asserted_numbers(sources) -> set[str]:
    """Every number literal that occurs in the assert statements of cells.

    ``sources`` is one code string or a list of them (one per cell). An
    assert spans all its lines, so continuation lines count too; numbers
    inside strings of an assert count as well.
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
        lines = clean.split("\n")
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assert):
                continue
            segment = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            readline = io.StringIO(segment.strip()).readline
            try:
                for token in tokenize.generate_tokens(readline):
                    if token.type == tokenize.NUMBER:
                        numbers.add(_normalise(token.string))
                    elif token.type == tokenize.STRING:
                        for raw, _ in _NUMBER.findall(token.string):
                            numbers.add(_normalise(raw))
            except tokenize.TokenError:
                pass
    return numbers


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


# --- The results page ---------------------------------------------------

RESULTS_PAGE = "book/results.md"
_RUN_LINE = re.compile(r"Keras (\S+), backend (\w+), Python \S+, (.+)")
_DATE_LINE = re.compile(r"run on (\d{4}-\d\d-\d\d)")
RESULTS_HEADER = """\
# Results

The headline numbers of every chapter, as its committed full-mode run
measured them: on what data, with which Keras backend and hardware, and when.
This page is generated from the notebooks' outputs by
`python -m cnnbook.nbtools results`, and a test fails if it is out of date;
nothing here is typed by hand. Re-running a chapter on other hardware gives
slightly different numbers: each chapter asserts honest lower bounds, not
these exact values.

"""


def _stream_text(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                lines.extend(output.get("text", "").split("\n"))
    return lines


def collect_results(root: Path = ROOT) -> list[dict]:
    """The ``[result]`` lines of every chapter's committed outputs."""
    from cnnbook.config import RESULT_MARK

    rows = []
    for path in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        lines = _stream_text(nb)
        run = next(filter(None, map(_RUN_LINE.search, lines)), None)
        date = next(filter(None, map(_DATE_LINE.search, lines)), None)
        for line in lines:
            if not line.startswith(RESULT_MARK):
                continue
            description, value, data = (
                part.strip() for part in line[len(RESULT_MARK) :].split("|")
            )
            rows.append(
                {
                    "chapter": path.stem,
                    "result": description,
                    "value": value,
                    "data": data,
                    "mode": recorded_mode(nb) or "?",
                    "run": (
                        f"Keras {run.group(1)}, {run.group(2)}, "
                        f"{run.group(3)}"
                        if run
                        else "?"
                    ),
                    "date": date.group(1) if date else "?",
                }
            )
    return rows


def results_markdown(root: Path = ROOT) -> str:
    """The text of the results page."""
    rows = collect_results(root)
    lines = [
        "| chapter | result | value | data | mode | run on | date |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        link = f"[{row['chapter']}](../notebooks/{row['chapter']}.ipynb)"
        lines.append(
            f"| {link} | {row['result']} | {row['value']} | {row['data']} "
            f"| {row['mode']} | {row['run']} | {row['date']} |"
        )
    return RESULTS_HEADER + "\n".join(lines) + "\n"


# --- Command line ---------------------------------------------------------


def write_badges(root: Path = ROOT) -> list[Path]:
    """Write each notebook's badge and refresh its Colab install cell."""
    changed = []
    for path in book_notebooks(root):
        nb = nbformat.read(path, as_version=4)
        relative = path.relative_to(root).as_posix()
        if set_colab_cell(nb) | set_badge(nb, relative):
            nbformat.write(nb, path)
            changed.append(path)
    return changed


# TensorFlow's C++ start-up banner (written before logging is configured,
# so TF_CPP_MIN_LOG_LEVEL cannot silence it): noise in committed outputs.
_TF_BANNER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\).*"
    r"|[IW]\d{4} [\d:.]+\s+\d+ \w+\.cc:\d+\] .*)\n?",
    re.M,
)


def drop_tf_banner(nb) -> None:
    """Remove TensorFlow's start-up log lines from stderr outputs."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.text = _TF_BANNER.sub("", output.text)
                if not output.text.strip():
                    continue
            kept.append(output)
        cell.outputs = kept


def run_full(path: Path, timeout: int = 3600) -> float:
    """Execute a notebook in full mode in place; returns seconds taken."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ["CNNBOOK_MODE"] = "full"
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    drop_tf_banner(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("badges", help="write each notebook's Colab badge")
    sub.add_parser("results", help=f"write {RESULTS_PAGE} from the outputs")
    run = sub.add_parser("run-full", help="execute notebooks in full mode")
    run.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "badges":
        for path in write_badges():
            print(f"badge written: {path.relative_to(ROOT)}")
    elif args.command == "results":
        (ROOT / RESULTS_PAGE).write_text(results_markdown(), encoding="utf-8")
        print(f"wrote {RESULTS_PAGE}")
    else:
        for path in args.paths:
            if not path.exists():
                path = ROOT / "notebooks" / path.name
            seconds = run_full(path)
            print(f"{path}: executed in full mode in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
