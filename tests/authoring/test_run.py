"""The full-run machinery drops TensorFlow's C++ log lines from outputs."""

import nbformat

from cnnbook.authoring.run import drop_tf_banner

BANNER = (
    "WARNING: All log messages before absl::InitializeLog() is called are "
    "written to STDERR\n"
    "I0000 00:00:1796158185.428152   19617 port.cc:153] oneDNN custom "
    "operations are on.\n"
    "I0000 00:00:1796158273.366497   19617 device_compiler.h:208] Compiled "
    "cluster using XLA!  This line is logged at most once.\n"
)


def test_banner_and_xla_notices_are_dropped_and_the_rest_kept():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=BANNER),
        nbformat.v4.new_output(
            "stream", name="stderr", text=BANNER + "a real warning\n"
        ),
        nbformat.v4.new_output("stream", name="stdout", text="result\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    drop_tf_banner(nb)
    assert [o.text for o in cell.outputs] == ["a real warning\n", "result\n"]


def test_the_cpu_feature_notice_is_dropped_with_its_second_line():
    notice = (
        "I0000 00:00:1796166360.949902   13699 cpu_feature_guard.cc:227] "
        "This TensorFlow binary is optimized to use available CPU "
        "instructions.\nTo enable the following instructions: AVX2 FMA, in "
        "other operations, rebuild TensorFlow with the appropriate compiler "
        "flags.\n"
    )
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=notice),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
    ]
    drop_tf_banner(nbformat.v4.new_notebook(cells=[cell]))
    assert [o.text for o in cell.outputs] == ["a warning\n"]
