"""The book rules catch what they are meant to catch, on fixture notebooks."""

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


def test_a_chapter_title_number_is_not_a_claim():
    assert rules.stated_numbers("# 10. Text\n\nIt has 12 words.") == ["12"]
    assert rules.stated_numbers("## 10 filters") == ["10"]


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
