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
