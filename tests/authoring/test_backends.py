"""cnnbook.authoring.backends: TensorFlow-only lines outside marked cells."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnbook.authoring import backends


def notebook(tmp_path, *cells):
    nb = new_notebook(cells=list(cells))
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_tensorflow_calls_finds_imports_and_tf_attributes():
    source = (
        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "x = tf.constant(1)  # tf.data in a comment\n"
        "s = 'tf.data in a string'\n"
        "y = keras.ops.ones(3)\n"
        "z = self.tf.thing\n"
    )
    lines = [n for n, _ in backends.tensorflow_calls(source)]
    assert lines == [1, 2, 3]


def test_marker_needs_opening_comments_and_a_reason():
    assert backends.is_marked("# TensorFlow-specific: tf.data demo\nx = 1")
    assert backends.is_marked("# Check\n# TensorFlow-specific: why\nx = 1")
    assert not backends.is_marked("# TensorFlow-specific:\nx = 1")
    assert not backends.is_marked("x = 1\n# TensorFlow-specific: late")


def test_unmarked_cells_are_reported_marked_ones_not(tmp_path):
    path = notebook(
        tmp_path,
        new_markdown_cell("Use `tf.data` here."),
        new_code_cell("import tensorflow as tf\nds = tf.data.Dataset"),
        new_code_cell("# TensorFlow-specific: a GradientTape lesson\n"
                      "import tensorflow as tf\nwith tf.GradientTape():\n"
                      "    pass"),
        new_code_cell("%timeit tf.constant(1)\nimport keras"),
    )
    problems = backends.tensorflow_only_lines(path)
    assert len(problems) == 2, problems
    assert problems[0].endswith("cell 1, line 1: import tensorflow as tf")
    assert "cell 1, line 2: ds = tf.data.Dataset" in problems[1]


def test_source_that_does_not_tokenize_is_skipped():
    backends.tensorflow_calls("x = (\n")  # no exception
