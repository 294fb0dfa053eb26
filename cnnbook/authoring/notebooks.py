"""Reading the book's notebooks: where they are and what their cells say.

Shared by every other module of :mod:`cnnbook.authoring`.
"""

from __future__ import annotations

from pathlib import Path

#: The root of the checkout that holds the book.
ROOT = Path(__file__).resolve().parents[2]
BOOK_FOLDERS = ("notebooks", "solutions", "exercises")


def cell_text(cell) -> str:
    """A cell's source as one string (nbformat may store a list)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def book_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook of the book, chapters first."""
    return [
        path
        for folder in BOOK_FOLDERS
        for path in sorted((Path(root) / folder).glob("*.ipynb"))
    ]


def without_magics(source: str) -> str:
    """Cell source with IPython magics and shell lines made inert."""
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass"
        lines.append(line)
    return "\n".join(lines)
