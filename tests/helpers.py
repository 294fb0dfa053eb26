"""Small builders shared by the tests (fixture notebooks), and a run of
one test file under the JAX backend."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def notebook(*cells):
    """A notebook from ("md"|"code", source) pairs."""
    made = []
    for kind, source in cells:
        if kind == "md":
            made.append(nbformat.v4.new_markdown_cell(source))
        else:
            made.append(nbformat.v4.new_code_cell(source))
    nb = nbformat.v4.new_notebook(cells=made)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def assert_file_passes_under_jax(path, timeout=600):
    """Run the test file ``path`` with pytest in a subprocess under
    ``KERAS_BACKEND=jax`` and fail with its output unless it passes."""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (result.stdout[-3000:]
                                    + result.stderr[-2000:])
    assert "passed" in result.stdout
