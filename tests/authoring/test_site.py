"""The site's Sphinx extension (cnnbook.authoring.site), on small doctrees.

The built pages themselves are checked in a browser by tests/site/."""

import numpy as np
from docutils import nodes
from docutils.utils import new_document
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser

from cnnbook.authoring import site
from cnnbook.authoring.badges import LEGACY_BADGE_IMAGES


def document():
    return new_document("test", get_default_settings(Parser))


def test_result_lines_become_result_boxes():
    text = (
        "Epoch 1/2\n"
        "Result: MNIST ConvNet, test accuracy = 98.05% (data: 15 epochs)\n"
        "done"
    )
    block = nodes.literal_block(text, text, classes=["output", "stream"])
    made = site.result_boxes(block)
    assert [type(n).__name__ for n in made] == [
        "literal_block",
        "container",
        "literal_block",
    ]
    box = made[1]
    assert "cnnbook-result" in box["classes"]
    assert box.astext().startswith("Result MNIST ConvNet, test accuracy: ")
    assert "98.05%" in box.astext() and "Data: 15 epochs" in box.astext()
    assert made[0].astext() == "Epoch 1/2" and made[2].astext() == "done"
    plain = nodes.literal_block("no results", "no results")
    assert site.result_boxes(plain) is None


def test_exercise_prompts_become_exercise_boxes():
    doc = document()
    section = nodes.section()
    doc += section
    prompt = nodes.paragraph()
    prompt += nodes.Text("")
    prompt += nodes.strong(text="Exercise 2.3")
    prompt += nodes.Text(" (design)")
    body = nodes.paragraph(text="Meet the budget.")
    cell = nodes.container(nb_element="cell_code")
    after = nodes.paragraph(text="Not part of the prompt.")
    section += [prompt, body, cell, after]
    assert site.exercise_prompts(doc) == 1
    box = section.children[0]
    assert isinstance(box, nodes.admonition) and "exercise" in box["classes"]
    assert box.children[0].astext() == "Exercise 2.3  (design)"
    assert "Meet the budget." in box.astext()
    assert section.children[1] is cell and section.children[2] is after


def test_legacy_badge_images_are_shown_from_the_site():
    doc = document()
    paragraph = nodes.paragraph()
    html = f'<img src="{LEGACY_BADGE_IMAGES[0]}" alt="Open In Colab"/>'
    paragraph += nodes.raw(html, html, format="html")
    doc += paragraph
    site.local_badges(doc, "solutions/02_x")
    text = paragraph.astext()
    assert 'src="../_static/colab-badge.svg"' in text
    assert 'alt="Open in Colab"' in text


def test_training_data_round_trip(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    y = np.repeat(np.arange(10, dtype=np.uint8), 6)
    monkeypatch.setattr(
        "cnnbook.data.load_mnist", lambda: ((x, y), (x[:30], y[::2]))
    )
    monkeypatch.setattr(site, "N_TRAIN", 20)
    monkeypatch.setattr(site, "N_TEST", 10)
    path = site.write_training_data(tmp_path / "d.bin")
    (x_train, y_train), (x_test, y_test) = site.read_training_data(path)
    assert x_train.shape == (20, 28, 28) and x_test.shape == (10, 28, 28)
    assert sorted(np.bincount(y_train)) == [2] * 10, "stratified"
    assert site._data_current(path)
    monkeypatch.setattr(site, "N_TEST", 11)
    assert not site._data_current(path), "a changed size is rewritten"
    path.write_bytes(b"CNNB" + bytes(30))
    assert not site._data_current(path)


def test_each_script_loads_once():
    class Script:
        def __init__(self, filename, **attributes):
            self.filename, self.attributes = filename, attributes

    body = "const THEBE_JS_URL = 1"
    context = {
        "script_files": [
            Script(None, body=body),
            Script("a.js"),
            Script("", body=body),
            Script("a.js"),
        ],
        "body": '<div role="doc-biblioentry">'
        '<summary aria-label="Toggle hidden content"><p>Show the check</p>',
    }
    site.page_scripts(None, "p", "page.html", context, None)
    assert [s.filename for s in context["script_files"]] == [None, "a.js"]
    assert 'role="listitem"' in context["body"]
    assert "<summary><p>Show the check</p>" in context["body"]
