"""The results page collects [result] lines with their run."""

import nbformat

from cnnbook.authoring import results
from tests.helpers import notebook, write


def test_results_are_collected_with_their_run(tmp_path):
    nb = notebook(("code", "x"), ("code", "y"))
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stdout",
            text="Run mode: full\nKeras 3.15.1, backend jax, Python 3.12.3,"
            " NVIDIA H100\nSeed: 42, run on 2026-11-23\n",
        )
    ]
    nb.cells[1].outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text="[result] acc | 99.1% | MNIST\n"
        )
    ]
    write(nb, tmp_path / "notebooks" / "05_x.ipynb")
    assert results.collect_results(tmp_path) == [
        {
            "chapter": "05_x",
            "result": "acc",
            "value": "99.1%",
            "data": "MNIST",
            "mode": "full",
            "run": "Keras 3.15.1, jax, NVIDIA H100",
            "date": "2026-11-23",
        }
    ]
