"""The book rules catch what they are meant to catch, on fixture notebooks."""

import copy

import nbformat

from cnnbook.authoring import rules
from tests.helpers import notebook, write


def test_claims_rule_catches_an_edited_number(tmp_path):
    good = notebook(
        ("md", "A 5x5x3 filter has 76 parameters; 1,520 for 20 of them."),
        ("code", "assert 5 * 5 * 3 + 1 == 76\nassert 20 * 76 == 1_520"),
    )
    path = write(good, tmp_path / "good.ipynb")
    assert rules.unasserted_claims(path) == []
    good.cells[0].source = good.cells[0].source.replace("76", "77")
    write(good, path)
    assert rules.unasserted_claims(path) == [
        "good.ipynb: markdown cell 0 states 77, which no assert in the "
        "notebook checks"
    ]


def test_stated_numbers_skips_code_years_and_references():
    text = (
        "In 1998 LeNet-5 (see Chapter 13) used `Conv2D(32, 3)` and\n"
        "```\n1234\n```\n[a](http://x/500) 3{,}073 weights, 45%, 0.5."
    )
    assert rules.stated_numbers(text) == ["3073", "45%", "0.5"]


def test_percentages_are_backed_by_fractions():
    assert "0.75" in rules.asserted_numbers("assert acc > 0.75")


def test_committed_output_rule_catches_a_stale_or_fast_run(tmp_path):
    nb = notebook(("code", "print('Run mode: full')"), ("code", "1 + 1"))
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="Run mode: full")
    ]
    nb.cells[1].execution_count = 2
    path = write(nb, tmp_path / "n.ipynb")
    assert rules.committed_output_problems(path) == []
    nb.cells[1].execution_count = 7
    write(nb, path)
    assert "execution count 7" in rules.committed_output_problems(path)[0]
    nb.cells[1].execution_count = 2
    nb.cells[0].outputs[0].text = "Run mode: fast"
    write(nb, path)
    assert "'fast'" in rules.committed_output_problems(path)[0]
    nb.cells[0].outputs[0].text = "Run mode: full"
    nb.cells[1].outputs = [
        nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])
    ]
    write(nb, path)
    assert "error output" in rules.committed_output_problems(path)[0]


def test_keras2_rule_catches_old_idioms(tmp_path):
    nb = notebook(
        ("code", "opt = keras.optimizers.Adam(lr=0.01)"),
        ("code", "plt.plot(history.history['acc'])"),
        ("code", "model.fit_generator(gen)"),
        ("code", "opt = keras.optimizers.Adam(learning_rate=0.01)"),
    )
    problems = rules.keras2_problems(write(nb, tmp_path / "k.ipynb"))
    assert [p.split(" cell ")[1][:1] for p in problems] == ["0", "1", "2"]


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
    assert "no image output" in rules.committed_output_problems(path)[0]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": "iVBO"})
    ]
    write(nb, path)
    assert rules.committed_output_problems(path) == []


def test_numbers_in_assertion_messages_do_not_count():
    source = 'assert acc > 0.9, f"accuracy {acc} is not 97.5% as stated"'
    numbers = rules.asserted_numbers(source)
    assert "0.9" in numbers
    assert "97.5" not in numbers
    assert "61460" in rules.asserted_numbers('assert f"{n:,}" == "61,460"')
    multi = "assert (\n    n\n    == 1_520\n), 'not 77'"
    assert rules.asserted_numbers(multi) == {"1520"}


def test_chapter_references_are_found_and_checked(tmp_path):
    text = (
        "See Chapter 3, chapters 7-9 and Chapters 2 and 11; "
        "`Chapter 99` is code.\n```\nChapter 98\n```"
    )
    assert rules.referenced_chapters(text) == [3, 7, 8, 9, 2, 11]
    page = tmp_path / "page.md"
    page.write_text(text)
    problems = rules.chapter_reference_problems(page, {1, 2, 3, 7, 8, 9})
    assert problems == [
        "page.md: refers to chapter 11, which is not in _toc.yml"
    ]
    nb = notebook(("md", "As Chapter 4 showed"), ("code", "# Chapter 5"))
    path = write(nb, tmp_path / "n.ipynb")
    assert rules.chapter_reference_problems(path, {1}) == [
        "n.ipynb: refers to chapter 4, which is not in _toc.yml"
    ]


# --- Figures, folded checks and citations (what the site shows) -----------


def _figure_cell(source="fig = plots.show_images(images)\nplt.show()"):
    nb = notebook(("code", source))
    nb.cells[0].outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": "iVBO"})
    ]
    return nb


def test_figure_rule_wants_a_caption_alt_text_and_a_name(tmp_path):
    nb = _figure_cell()
    path = write(nb, tmp_path / "f.ipynb")
    problems = rules.figure_problems(path)
    assert any("without a caption" in p for p in problems)
    assert any("without alt text" in p for p in problems)
    assert any("fig-<chapter>-<short>" in p for p in problems)
    nb.cells[0].metadata["mystnb"] = {
        "figure": {
            "caption": "Ten MNIST digits, one per class.",
            "name": "fig-5-digits",
        },
        "image": {"alt": "Ten handwritten digits, 0 to 9, white on black."},
    }
    write(nb, path)
    assert rules.figure_problems(path) == []


def test_figure_rule_rejects_paths_repeats_and_two_images(tmp_path):
    nb = _figure_cell()
    nb.cells[0].metadata["mystnb"] = {
        "figure": {"caption": "no full stop", "name": "fig-1-a"},
        "image": {"alt": "../_images/abc.png"},
    }
    nb.cells[0].outputs.append(nb.cells[0].outputs[0])
    second = copy.deepcopy(nb.cells[0])
    second["id"] = "second-figure"
    nb.cells.append(second)
    problems = rules.figure_problems(write(nb, tmp_path / "f.ipynb"))
    text = "\n".join(problems)
    assert "shows 2 images" in text
    assert "not a sentence" in text
    assert "not a file path" in text
    assert "'fig-1-a' is also used by cell 0" in text


def test_cells_without_images_need_no_figure_metadata(tmp_path):
    nb = notebook(("code", "x = 1"), ("md", "# Title"))
    assert rules.figure_problems(write(nb, tmp_path / "n.ipynb")) == []


def test_assertion_only_cells():
    assert rules.is_assertion_only("assert a == 1\n# why\nassert b, 'msg'")
    assert rules.is_assertion_only("assert (\n    a == 1\n), f'{a}'")
    assert not rules.is_assertion_only("x = f()\nassert x == 1")
    assert not rules.is_assertion_only("# only a comment")
    assert not rules.is_assertion_only("assert (")
    assert not rules.is_assertion_only("# Check\nprint(x)\nassert x")


def test_unfolded_checks_rule_and_fold_checks(tmp_path):
    nb = notebook(
        ("code", "x = 2 + 2"),
        ("code", "assert x == 4, f'x is {x}, not 4 (fast, jax)'"),
        ("md", "assert in prose"),
    )
    path = write(nb, tmp_path / "c.ipynb")
    assert ["c.ipynb: cell 1 only asserts"] == [
        p.split(" but")[0] for p in rules.unfolded_checks(path)
    ]
    assert rules.fold_checks(nb) == 1
    assert rules.fold_checks(nb) == 0, "fold_checks is idempotent"
    assert nb.cells[1].metadata["tags"] == [rules.HIDE_INPUT]
    assert "tags" not in nb.cells[0].metadata
    write(nb, path)
    assert rules.unfolded_checks(path) == []


def test_citation_rule(tmp_path):
    bib = tmp_path / "references.bib"
    bib.write_text(
        "@article{he2016deep,\n  title = {x},\n}\n"
        "@misc{dumoulin2016guide, title={y}}\n"
    )
    assert rules.bibliography_keys(bib) == ["he2016deep", "dumoulin2016guide"]
    assert rules.cited_keys(
        "ResNet {cite:p}`he2016deep` and {cite:t}`a2020x, b2021y`; {cite}`c`"
    ) == ["he2016deep", "a2020x", "b2021y", "c"]
    nb = notebook(("md", "See {cite:p}`he2016deep` and {cite:p}`nope2020x`."))
    problems = rules.citation_problems(write(nb, tmp_path / "n.ipynb"), bib)
    assert problems == [
        "n.ipynb: markdown cell 0 cites 'nope2020x', which is not in "
        "references.bib"
    ]
