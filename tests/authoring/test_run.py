"""cnnbook.authoring.run: TensorFlow's start-up banner leaves no output."""

import nbformat

from cnnbook.authoring.run import drop_tf_banner


def test_drop_tf_banner_removes_the_cpu_feature_lines_only():
    banner = (
        "I0000 00:00:1796166360.949902   13699 cpu_feature_guard.cc:227] "
        "This TensorFlow binary is optimized to use available CPU "
        "instructions.\nTo enable the following instructions: AVX2 FMA, in "
        "other operations, rebuild TensorFlow with the appropriate compiler "
        "flags.\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import keras")]
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=banner),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
    ]
    drop_tf_banner(nb)
    assert [o.text for o in nb.cells[0].outputs] == ["a warning\n"]
