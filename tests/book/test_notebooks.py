"""The book's standing rules, applied to every notebook of the book."""

from pathlib import Path

import nbformat
import pytest

from cnnbook.authoring import badges, notebooks, results, rules

ROOT = Path(__file__).resolve().parents[2]
ALL = notebooks.book_notebooks(ROOT)
COMMITTED = [p for p in ALL if p.parent.name in ("notebooks", "solutions")]
CHAPTERS = [p for p in ALL if p.parent.name == "notebooks"]


def ids(paths):
    return [f"{p.parent.name}/{p.stem}" for p in paths]


def test_the_book_has_notebooks():
    assert CHAPTERS, "no chapter notebooks found"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_keras2_idioms(path):
    problems = rules.keras2_problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_code_lines_fit_in_79_columns(path):
    problems = rules.long_lines(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_colab_badge_and_install_cell(path):
    problems = badges.badge_problems(path, ROOT)
    assert not problems, "\n".join(problems)


PENDING = results.pending_full_runs(ROOT)


@pytest.mark.parametrize("path", COMMITTED, ids=ids(COMMITTED))
def test_committed_outputs_are_a_clean_full_run(path):
    relative = path.relative_to(ROOT).as_posix()
    mode = "fast" if relative in PENDING else "full"
    problems = rules.committed_output_problems(path, mode=mode)
    assert not problems, "\n".join(problems)


def test_pending_full_runs_name_committed_notebooks():
    committed = {p.relative_to(ROOT).as_posix() for p in COMMITTED}
    unknown = set(PENDING) - committed
    assert not unknown, (
        f"{results.PENDING_FILE} lists notebooks that do not exist: "
        f"{sorted(unknown)}"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_every_stated_number_is_asserted(path):
    problems = rules.unasserted_claims(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    texts = [notebooks.cell_text(c) for c in nb.cells]
    assert texts[0].startswith("# "), "a chapter starts with its title"
    assert any(t.startswith("## Setup") for t in texts), "no Setup section"
    assert any(t.startswith("## Summary") for t in texts), "no Summary"
    setup = next(t for t in texts if "setup_notebook()" in t)
    assert "KERAS_BACKEND" in setup, "set KERAS_BACKEND before Keras"
    assert setup.index("KERAS_BACKEND") < setup.index("import keras")


def test_results_page_is_generated_from_committed_outputs():
    page = ROOT / results.RESULTS_PAGE
    assert page.exists(), "run `python -m cnnbook.nbtools results`"
    assert page.read_text() == results.results_markdown(ROOT), (
        f"{results.RESULTS_PAGE} is out of date: run "
        "`python -m cnnbook.nbtools results`"
    )
    assert results.collect_results(ROOT), "no chapter records a result"


@pytest.mark.parametrize("path", COMMITTED, ids=ids(COMMITTED))
def test_figures_have_captions_and_alt_text(path):
    problems = rules.figure_problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", COMMITTED, ids=ids(COMMITTED))
def test_assertion_cells_are_folded(path):
    problems = rules.unfolded_checks(path)
    assert not problems, (
        "\n".join(problems)
        + "\nrun `python -m cnnbook.authoring tidy` on the notebook"
    )


TOC_CHAPTERS = rules.chapters_in_toc(ROOT)


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_chapter_references_point_at_chapters_in_the_toc(path):
    problems = rules.chapter_reference_problems(path, TOC_CHAPTERS)
    assert not problems, "\n".join(problems)
