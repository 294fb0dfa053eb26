"""TensorFlow-only code in the book's notebooks, outside cells marked
``# TensorFlow-specific: <why>`` (issue 13: every notebook runs under JAX).

Each notebook's findings are listed (as a warning in pytest's summary; run
with ``-rw`` or ``-W error::UserWarning`` to see them). They fail the test
only for the notebooks in ``ENFORCED``, or for every notebook once
``ENFORCE_ALL`` is True (or ``CNNBOOK_ENFORCE_BACKEND_NEUTRAL=1`` is set):
the lead switches that on at integration, when every chapter has been
revised for JAX.
"""

import os
import warnings
from pathlib import Path

import pytest

from cnnbook.authoring import backends

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)
# Switch on for the whole book at integration (or set the variable).
ENFORCE_ALL = False
# Notebooks already revised for JAX: their findings fail the test now.
ENFORCED = {
    "notebooks/14_convnets_on_gpus.ipynb",
    "solutions/14_convnets_on_gpus.ipynb",
}


def enforced(relative: str) -> bool:
    if ENFORCE_ALL or os.environ.get("CNNBOOK_ENFORCE_BACKEND_NEUTRAL"):
        return True
    return relative in ENFORCED


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS]
)
def test_tensorflow_only_code_is_marked(path):
    relative = path.relative_to(ROOT).as_posix()
    problems = backends.tensorflow_only_lines(path)
    message = (
        f"{len(problems)} TensorFlow-only line(s) outside cells whose first "
        f"line is `{backends.MARKER} <why>` (see CONTRIBUTING.md, Style):\n"
        + "\n".join(problems)
    )
    if problems and enforced(relative):
        pytest.fail(message)
    if problems:
        warnings.warn(message, UserWarning, stacklevel=1)


def test_enforced_notebooks_exist():
    missing = {n for n in ENFORCED if not (ROOT / n).exists()}
    assert not missing, f"ENFORCED names missing notebooks: {missing}"
