"""TensorFlow-only code in the book's notebooks, outside cells marked
``# TensorFlow-specific: <why>`` (issue 13: every notebook runs under JAX).

Every chapter and solution notebook is checked; a finding fails the test
and names the notebook, the cell and the line.
"""

from pathlib import Path

import pytest

from cnnbook.authoring import backends

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS]
)
def test_tensorflow_only_code_is_marked(path):
    problems = backends.tensorflow_only_lines(path)
    assert not problems, (
        f"{len(problems)} TensorFlow-only line(s) outside cells whose "
        f"opening comments say `{backends.MARKER} <why>` (see "
        "CONTRIBUTING.md, Style):\n" + "\n".join(problems)
    )
