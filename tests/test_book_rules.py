"""The book's standing rules, applied to every notebook, and proven on
fixtures to catch what they are meant to catch."""

from pathlib import Path

import nbformat
import pytest

from cnnbook import nbtools
from tests.helpers import notebook, write

ROOT = Path(__file__).resolve().parent.parent
ALL = nbtools.book_notebooks(ROOT)
COMMITTED = [p for p in ALL if p.parent.name in ("notebooks", "solutions")]
CHAPTERS = [p for p in ALL if p.parent.name == "notebooks"]


def ids(paths):
    return [f"{p.parent.name}/{p.stem}" for p in paths]


def test_the_book_has_notebooks():
    assert CHAPTERS, "no chapter notebooks found"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_keras2_idioms(path):
    problems = nbtools.keras2_problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_code_lines_fit_in_79_columns(path):
    problems = nbtools.long_lines(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_colab_badge_and_install_cell(path):
    problems = nbtools.badge_problems(path, ROOT)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", COMMITTED, ids=ids(COMMITTED))
def test_committed_outputs_are_a_clean_full_run(path):
    problems = nbtools.committed_output_problems(path, mode="full")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_every_stated_number_is_asserted(path):
    problems = nbtools.unasserted_claims(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    texts = [nbtools._text(c) for c in nb.cells]
    assert texts[0].startswith("# "), "a chapter starts with its title"
    assert any(t.startswith("## Setup") for t in texts), "no Setup section"
    assert any(t.startswith("## Summary") for t in texts), "no Summary"
    setup = next(t for t in texts if "setup_notebook()" in t)
    assert "KERAS_BACKEND" in setup, "set KERAS_BACKEND before Keras"
    assert setup.index("KERAS_BACKEND") < setup.index("import keras")


# --- The rules catch what they should ----------------------------------


def test_claims_rule_catches_an_edited_number(tmp_path):
    good = notebook(
        ("md", "A 5x5x3 filter has 76 parameters; 1,520 for 20 of them."),
        ("code", "assert 5 * 5 * 3 + 1 == 76\nassert 20 * 76 == 1_520"),
    )
    path = write(good, tmp_path / "good.ipynb")
    assert nbtools.unasserted_claims(path) == []
    good.cells[0].source = good.cells[0].source.replace("76", "77")
    write(good, path)
    assert nbtools.unasserted_claims(path) == [
        "good.ipynb: markdown cell 0 states 77, which no assert in the "
        "notebook checks"
    ]


def test_stated_numbers_skips_code_years_and_references():
    text = (
        "In 1998 LeNet-5 (see Chapter 13) used `Conv2D(32, 3)` and\n"
        "```\n1234\n```\n[a](http://x/500) 3{,}073 weights, 45%, 0.5."
    )
    assert nbtools.stated_numbers(text) == ["3073", "45%", "0.5"]


def test_percentages_are_backed_by_fractions():
    assert "0.75" in nbtools.asserted_numbers("assert acc > 0.75")


def test_committed_output_rule_catches_a_stale_or_fast_run(tmp_path):
    nb = notebook(("code", "print('Run mode: full')"), ("code", "1 + 1"))
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="Run mode: full")
    ]
    nb.cells[1].execution_count = 2
    path = write(nb, tmp_path / "n.ipynb")
    assert nbtools.committed_output_problems(path) == []
    nb.cells[1].execution_count = 7
    write(nb, path)
    assert "execution count 7" in nbtools.committed_output_problems(path)[0]
    nb.cells[1].execution_count = 2
    nb.cells[0].outputs[0].text = "Run mode: fast"
    write(nb, path)
    assert "'fast'" in nbtools.committed_output_problems(path)[0]
    nb.cells[0].outputs[0].text = "Run mode: full"
    nb.cells[1].outputs = [
        nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])
    ]
    write(nb, path)
    assert "error output" in nbtools.committed_output_problems(path)[0]


def test_keras2_rule_catches_old_idioms(tmp_path):
    nb = notebook(
        ("code", "opt = keras.optimizers.Adam(lr=0.01)"),
        ("code", "plt.plot(history.history['acc'])"),
        ("code", "model.fit_generator(gen)"),
        ("code", "opt = keras.optimizers.Adam(learning_rate=0.01)"),
    )
    problems = nbtools.keras2_problems(write(nb, tmp_path / "k.ipynb"))
    assert [p.split(" cell ")[1][:1] for p in problems] == ["0", "1", "2"]


def test_badge_rule_and_writer(tmp_path):
    nb = notebook(("md", "# Title"), ("code", nbtools.COLAB_INSTALL))
    path = write(nb, tmp_path / "notebooks" / "01_x.ipynb")
    assert "no Colab badge" in nbtools.badge_problems(path, tmp_path)[0]
    nbtools.write_badges(tmp_path)
    assert nbtools.badge_problems(path, tmp_path) == []
    text = path.read_text()
    assert "notebooks/01_x.ipynb" in text


def test_results_page_is_generated_from_committed_outputs():
    page = ROOT / nbtools.RESULTS_PAGE
    assert page.exists(), "run `python -m cnnbook.nbtools results`"
    assert page.read_text() == nbtools.results_markdown(ROOT), (
        f"{nbtools.RESULTS_PAGE} is out of date: run "
        "`python -m cnnbook.nbtools results`"
    )
    assert nbtools.collect_results(ROOT), "no chapter records a result"


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
    assert nbtools.collect_results(tmp_path) == [
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


def test_committed_output_rule_catches_a_lost_figure(tmp_path):
    nb = notebook(
        ("code", "print('Run mode: full')"),
        ("code", "fig = plots.show_images(images)"),
    )
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="Run mode: full")
    ]
    nb.cells[1].execution_count = 2
    path = write(nb, tmp_path / "f.ipynb")
    assert "no image output" in nbtools.committed_output_problems(path)[0]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": "iVBO"})
    ]
    write(nb, path)
    assert nbtools.committed_output_problems(path) == []
