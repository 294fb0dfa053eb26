"""Colab badges and the Colab install cell of every notebook.

``python -m cnnbook.authoring badges`` writes them; the book rules check
them. The repository they point at is set here (and in ``_config.yml``; a
test keeps the two equal): a fork changes both.

The badge image is the book's own file, ``_static/colab-badge.svg`` at the
root of the repository, linked by a relative path (``../_static/...`` from
``notebooks/``, ``solutions/`` and ``exercises/``). The same path works in
both places a reader sees the badge: on GitHub it resolves inside the
repository, and on the site ``_build/html/notebooks/x.html`` finds
``_build/html/_static/`` (jupyter-book copies the root ``_static`` folder
there). No page needs the internet for it. Inside Colab itself the
relative image does not resolve, and the badge shows its alt text as a
link: harmless, since the reader is already in Colab.
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


BADGE_IMAGE = "_static/colab-badge.svg"
# The badge before the image was the book's own: the rules accept it until
# `python -m cnnbook.authoring badges` has rewritten every notebook (then
# empty this tuple), and the site shows the local image instead of it.
LEGACY_BADGE_IMAGES = (
    "https://colab.research.google.com/assets/colab-badge.svg",
)


def colab_url(relative_path: str) -> str:
    """Where a notebook opens in Colab (from the configured repository)."""
    return (
        "https://colab.research.google.com/github/"
        f"{REPOSITORY}/blob/{BRANCH}/{relative_path}"
    )


def badge_image(relative_path: str) -> str:
    """The badge image, relative to the notebook at ``relative_path``."""
    depth = len(Path(relative_path).parts) - 1
    return "../" * depth + BADGE_IMAGE


def badge_markdown(relative_path: str) -> str:
    """The markdown of the Open-in-Colab badge for a notebook path."""
    return (
        f'<a href="{colab_url(relative_path)}" target="_parent" '
        f'id="{BADGE_MARK}"><img src="{badge_image(relative_path)}" '
        'alt="Open in Colab"/></a>'
    )


def legacy_badges(relative_path: str) -> list[str]:
    """The earlier forms of the badge that the rules still accept."""
    return [
        f'<a href="{colab_url(relative_path)}" target="_parent" '
        f'id="{BADGE_MARK}"><img src="{image}" alt="Open In Colab"/></a>'
        for image in LEGACY_BADGE_IMAGES
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
    accepted = [badge_markdown(relative.as_posix())]
    accepted += legacy_badges(relative.as_posix())
    if not set(accepted) & set(texts):
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
