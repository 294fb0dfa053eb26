"""Every self-check rejects a blank and a wrong answer (and accepts the
solution). The harness is proven first on fixtures: a good check passes,
a check that cannot fail is caught."""

from pathlib import Path

import pytest

from cnnbook import exercises
from tests.helpers import notebook, write

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_harness_accepts_a_good_check_and_catches_weak_ones(tmp_path):
    nb = notebook(
        ("code", "import numpy as np"),
        ("code", "### BEGIN SOLUTION\na = 6 * 7\n### END SOLUTION"),
        ("code", "# Check\nassert a == 42"),
        ("code", "### BEGIN SOLUTION\nb = np.ones(3)\n### END SOLUTION"),
        ("code", "# Check\nprint('looks fine')"),  # cannot fail
        (
            "code",
            "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n"
            "    ### END SOLUTION",
        ),
        ("code", "# Check\nassert f(1) == 2"),
    )
    path = write(nb, tmp_path / "fixture.ipynb")
    problems = exercises.verify_checks(path, timeout=120)
    assert problems == [
        "fixture.ipynb, exercise 2: the check accepts a blank answer",
        "fixture.ipynb, exercise 2: the check accepts a wrong answer",
    ]


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_checks_reject_blank_and_wrong_answers(path):
    problems = exercises.verify_checks(path)
    assert not problems, "\n".join(problems)
