"""Executing a notebook in full mode to commit its outputs.

``python -m cnnbook.authoring run-full notebooks/NN_topic.ipynb`` runs the
notebook top to bottom with ``CNNBOOK_MODE=full`` and writes the outputs
back, minus TensorFlow's start-up banner.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat

# TensorFlow's C++ start-up banner (written before logging is configured,
# so TF_CPP_MIN_LOG_LEVEL cannot silence it) and its one-off XLA notices
# (a grouped convolution on the CPU compiles with XLA), with the second
# line of its CPU-feature notice: noise in committed outputs.
_TF_BANNER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\).*"
    r"|[IW]\d{4} [\d:.]+\s+\d+ \w+\.(?:cc|h):\d+\] .*"
    r"|To enable the following instructions: .*)\n?",
    re.M,
)


def drop_tf_banner(nb) -> None:
    """Remove TensorFlow's start-up log lines from stderr outputs."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.text = _TF_BANNER.sub("", output.text)
                if not output.text.strip():
                    continue
            kept.append(output)
        cell.outputs = kept


def run_full(path: Path, timeout: int = 3600) -> float:
    """Execute a notebook in full mode in place; returns seconds taken."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ["CNNBOOK_MODE"] = "full"
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    drop_tf_banner(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start
