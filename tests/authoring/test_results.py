"""The results page collects [result] lines with their run."""

import nbformat
import pytest

from cnnbook.authoring import results
from tests.helpers import notebook, write


def test_results_are_collected_with_their_run(tmp_path):
    nb = notebook(("md", "# 5. A first ConvNet"), ("code", "x"), ("code", "y"))
    nb.cells[1].outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stdout",
            text="Run mode: full\nKeras 3.15.1, backend jax, Python 3.12.3,"
            " NVIDIA H100\nSeed: 42, run on 2026-11-23\n",
        )
    ]
    nb.cells[2].outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text="[result] acc | 99.1% | MNIST\n"
        )
    ]
    write(nb, tmp_path / "notebooks" / "05_x.ipynb")
    assert results.collect_results(tmp_path) == [
        {
            "chapter": "05_x",
            "title": "5. A first ConvNet",
            "result": "acc",
            "value": "99.1%",
            "data": "MNIST",
            "mode": "full",
            "run": "Keras 3.15.1, jax, NVIDIA H100",
            "date": "2026-11-23",
        }
    ]


def test_pending_full_runs_are_listed_on_the_page(tmp_path):
    nb = notebook(("code", "x"))
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stdout",
            text="Run mode: fast\nKeras 3.15.1, backend tensorflow 2.21.0, "
            "Python 3.11.7, CPU (2 cores, x86_64)\nSeed: 42, run on "
            "2026-12-01\nResult: acc = 61.0% (data: CIFAR-10 subset)\n",
        )
    ]
    write(nb, tmp_path / "notebooks" / "08_x.ipynb")
    pending = tmp_path / results.PENDING_FILE
    pending.parent.mkdir()
    pending.write_text("notebooks/08_x.ipynb: needs a GPU\n")
    rows = results.collect_results(tmp_path)
    assert rows[0]["mode"] == "fast"
    assert (
        rows[0]["run"]
        == "Keras 3.15.1, tensorflow 2.21.0, CPU (2 cores, x86_64)"
    )
    page = results.results_markdown(tmp_path)
    assert "## Not yet measured in full mode" in page
    assert "[08_x](../notebooks/08_x.ipynb): needs a GPU" in page
    pending.write_text("- not a mapping\n")
    with pytest.raises(ValueError, match="must map notebook paths"):
        results.pending_full_runs(tmp_path)


def test_results_page_has_a_section_per_chapter_with_its_title(tmp_path):
    for name, title, value in [
        ("01_a", "1. Convolution", "81.5%"),
        ("05_b", "5. A first ConvNet", "98.1%"),
    ]:
        nb = notebook(("md", f"# {title}\nText."), ("code", "x"))
        nb.cells[1].outputs = [
            nbformat.v4.new_output(
                "stream",
                name="stdout",
                text="Run mode: full\nKeras 3.15.1, backend jax 0.7, "
                "Python 3.12.3, NVIDIA H100\nSeed: 42, run on 2026-11-23\n"
                f"Result: test accuracy = {value} (data: MNIST *test* "
                "set, $5 | 10)\n",
            )
        ]
        write(nb, tmp_path / "notebooks" / f"{name}.ipynb")
    page = results.results_markdown(tmp_path)
    assert "## 1. Convolution" in page and "## 5. A first ConvNet" in page
    assert "[Chapter 5](../notebooks/05_b.ipynb)" in page
    assert "| chapter |" not in page, "one wide table again"
    assert "01_a |" not in page and "[01_a]" not in page
    # data shown literally: no emphasis, maths or table cells
    assert "MNIST \\*test\\* set, \\$5 \\| 10" in page
    assert page.count(":::{list-table}") == 2


def test_parse_line_reads_both_formats():
    assert results.parse_line("Result: a = 1 (data: d)") == {
        "description": "a",
        "value": "1",
        "data": "d",
    }
    assert results.parse_line("[result] a | 1 | d")["value"] == "1"
    assert results.parse_line("Result without the format") is None
