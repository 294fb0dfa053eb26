"""``python -m cnnbook.authoring tidy``: the mechanical edits every notebook
needs before it is committed.

- its Colab badge and Colab install cell are current
  (:mod:`~cnnbook.authoring.badges`);
- every code cell that only asserts carries the tag ``hide-input``, so that
  the site folds it under "Show the check" without hiding that it is there
  (:func:`~cnnbook.authoring.rules.fold_checks`).

It changes cell sources and metadata only, never outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from cnnbook.authoring.badges import set_badge, set_colab_cell
from cnnbook.authoring.notebooks import ROOT, book_notebooks
from cnnbook.authoring.rules import fold_checks


def tidy(paths=None, root: Path = ROOT) -> list[str]:
    """Tidy ``paths`` (default: every notebook of the book under ``root``);
    returns one line per notebook changed, saying what changed."""
    root = Path(root).resolve()
    done = []
    for path in paths or book_notebooks(root):
        path = Path(path).resolve()
        nb = nbformat.read(path, as_version=4)
        relative = path.relative_to(root).as_posix()
        badge = set_colab_cell(nb) | set_badge(nb, relative)
        folded = fold_checks(nb)
        if badge or folded:
            nbformat.write(nb, path)
            what = ["badge and install cell"] if badge else []
            if folded:
                what.append(f"{folded} assertion cell(s) tagged hide-input")
            done.append(f"{relative}: {', '.join(what)}")
    return done
