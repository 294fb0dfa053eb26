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


# --- References to chapters ------------------------------------------------

_CHAPTER_REFERENCE = re.compile(
    r"\b[Cc]hapters?\s+(\d+(?:\s*(?:,|and|or|to|-|–)\s*\d+)*)"
)


def chapters_in_toc(root: Path) -> set[int]:
    """The chapter numbers the table of contents lists (from the names of
    its ``notebooks/NN_topic`` files)."""
    import yaml

    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    numbers = set()
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            match = re.match(r"notebooks/(\d+)_", entry.get("file", ""))
            if match:
                numbers.add(int(match.group(1)))
    return numbers


def referenced_chapters(markdown: str) -> list[int]:
    """Every chapter number a text refers to ("Chapter 5", "chapters 7-9"
    gives 7, 8, 9), code spans and links excluded."""
    text = _INLINE_CODE.sub(" ", _FENCE.sub(" ", markdown))
    found = []
    for match in _CHAPTER_REFERENCE.finditer(text):
        spec = match.group(1)
        for low, high in re.findall(r"(\d+)\s*[-–]\s*(\d+)", spec):
            found.extend(range(int(low), int(high) + 1))
        spec = re.sub(r"\d+\s*[-–]\s*\d+", " ", spec)
        found.extend(int(n) for n in re.findall(r"\d+", spec))
    return found


def chapter_reference_problems(path: Path, chapters: set[int]) -> list[str]:
    """References to chapters that the table of contents does not have, in
    a notebook's markdown cells or a markdown page."""
    path = Path(path)
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        texts = [_text(c) for c in nb.cells if c.cell_type == "markdown"]
    else:
        texts = [path.read_text(encoding="utf-8")]
    problems = []
    for text in texts:
        for number in referenced_chapters(text):
            if number not in chapters:
                problems.append(
                    f"{path.name}: refers to chapter {number}, which is not "
                    f"in _toc.yml"
                )
    return sorted(set(problems))


# --- What the site shows: figures and folded checks -----------------------

HIDE_INPUT = "hide-input"
_PATH_LIKE = re.compile(r"[\\/]|\.(png|jpe?g|svg|gif)$", re.I)


def is_assertion_only(source: str) -> bool:
    """True if a code cell does nothing but assert (comments aside).

    Such a cell is a check the reader may open, not a step of the lesson:
    it carries the tag ``hide-input`` and the site folds it.
    """
    import ast

    try:
        tree = ast.parse(without_magics(source))
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(node, ast.Assert) for node in tree.body
    )


def image_outputs(cell) -> int:
    """How many image outputs a code cell has."""
    return sum(
        any(key.startswith("image/") for key in output.get("data", {}))
        for output in cell.get("outputs", [])
    )


def figure_problems(path: Path) -> list[str]:
    """Every code cell with an image output shows one figure, with a
    caption and alt text in its myst-nb metadata::

        cell.metadata["mystnb"] = {
            "figure": {"caption": "One sentence.", "name": "fig-3-pool"},
            "image": {"alt": "What the figure shows, in words."},
        }

    The site renders the caption under the figure and gives the image its
    alt text (without it, the alt text is the image's file path).
    """
    nb = nbformat.read(path, as_version=4)
    name = Path(path).name
    problems = []
    names: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not image_outputs(cell):
            continue
        where = f"{name}: cell {index}"
        if image_outputs(cell) > 1:
            problems.append(
                f"{where} shows {image_outputs(cell)} images: draw one "
                "figure per cell (plt.subplots for panels)"
            )
        meta = cell.metadata.get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        caption = str(figure.get("caption", "")).strip()
        alt = str(image.get("alt", "")).strip()
        label = str(figure.get("name", "")).strip()
        if not caption:
            problems.append(
                f'{where} has a figure without a caption: set '
                'metadata["mystnb"]["figure"]["caption"] (one sentence)'
            )
        elif not caption.endswith((".", "?", "!")):
            problems.append(f"{where}: the caption is not a sentence")
        if not alt:
            problems.append(
                f'{where} has a figure without alt text: set '
                'metadata["mystnb"]["image"]["alt"] (what it shows, in '
                "words, for a reader who cannot see it)"
            )
        elif _PATH_LIKE.search(alt) or alt == caption:
            problems.append(
                f"{where}: the alt text must describe the figure in words "
                "(not a file path, not the caption again)"
            )
        if not label.startswith("fig-"):
            problems.append(
                f'{where}: metadata["mystnb"]["figure"]["name"] must be '
                "fig-<chapter>-<short> (a label to refer to it)"
            )
        elif label in names:
            problems.append(
                f"{where}: figure name {label!r} is also used by cell "
                f"{names[label]}"
            )
        names.setdefault(label, index)
    return problems


def unfolded_checks(path: Path) -> list[str]:
    """Assertion-only code cells without the ``hide-input`` tag."""
    nb = nbformat.read(path, as_version=4)
    return [
        f"{Path(path).name}: cell {index} only asserts but lacks the "
        f"{HIDE_INPUT} tag: run `python -m cnnbook.authoring tidy`"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and is_assertion_only(_text(cell))
        and HIDE_INPUT not in cell.metadata.get("tags", [])
    ]


def fold_checks(nb) -> int:
    """Tag every assertion-only code cell ``hide-input``; returns how many
    tags were added (the notebook object is changed in place)."""
    added = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and is_assertion_only(_text(cell)):
            tags = cell.metadata.setdefault("tags", [])
            if HIDE_INPUT not in tags:
                tags.append(HIDE_INPUT)
                added += 1
    return added


# --- Citations ---------------------------------------------------------------

_CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
_BIB_KEY = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.M)


def bibliography_keys(bib_path: Path) -> list[str]:
    """The entry keys of a BibTeX file, in order."""
    return _BIB_KEY.findall(Path(bib_path).read_text(encoding="utf-8"))


def cited_keys(text: str) -> list[str]:
    """The keys a markdown text cites with sphinxcontrib-bibtex roles
    (``{cite:p}`he2016deep```, several keys separated by commas)."""
    return [
        key.strip()
        for group in _CITE.findall(text)
        for key in group.split(",")
        if key.strip()
    ]


def citation_problems(path: Path, bib_path: Path) -> list[str]:
    """Citations in a notebook's markdown whose key the bibliography lacks
    (the site build would stop on them)."""
    known = set(bibliography_keys(bib_path))
    nb = nbformat.read(path, as_version=4)
    return [
        f"{Path(path).name}: markdown cell {index} cites {key!r}, which "
        f"is not in {Path(bib_path).name}"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for key in cited_keys(_text(cell))
        if key not in known
    ]
