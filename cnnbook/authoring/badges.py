"""Colab badges and the Colab install cell of every notebook.

``python -m cnnbook.authoring badges`` writes them; the book rules check
them. The repository they point at is set here (and in ``_config.yml``; a
test keeps the two equal): a fork changes both.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from cnnbook.authoring.notebooks import ROOT, book_notebooks
from cnnbook.authoring.notebooks import cell_text as _text

# Where the book is published. Forks change this line and ``_config.yml``.
REPOSITORY = "deep-convnets/cnn-book"
BRANCH = "main"

BADGE_MARK = "colab-badge"
# The Colab install cell is plumbing: the site hides it (myst-nb tag).
COLAB_TAG = "remove-cell"

COLAB_INSTALL = f"""\
# @title Colab: install the helper package {{ display-mode: "form" }}
import sys

if "google.colab" in sys.modules:
    %pip install -q "cnnbook @ git+https://github.com/{REPOSITORY}@{BRANCH}"\
"""


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
            "`python -m cnnbook.authoring badges`"
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
            "cnnbook.authoring.badges.COLAB_INSTALL; run "
            "`python -m cnnbook.authoring badges`"
        )
    elif COLAB_TAG not in install[0].metadata.get("tags", []):
        problems.append(
            f"{relative}: the Colab cell lacks the {COLAB_TAG} tag"
        )
    return problems


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
