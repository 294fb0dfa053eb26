"""The results page, generated from the chapters' committed outputs.

Each chapter prints its headline numbers with
:func:`cnnbook.record_result`; :func:`results_markdown` collects those lines
with the backend, device and date of the run into ``book/results.md``
(``python -m cnnbook.authoring results``).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from cnnbook.authoring.notebooks import ROOT
from cnnbook.authoring.rules import recorded_mode

RESULTS_PAGE = "book/results.md"
_RUN_LINE = re.compile(r"Keras (\S+), backend (\w+), Python \S+, (.+)")
_DATE_LINE = re.compile(r"run on (\d{4}-\d\d-\d\d)")
RESULTS_HEADER = """\
# Results

The headline numbers of every chapter, as its committed full-mode run
measured them: on what data, with which Keras backend and hardware, and when.
This page is generated from the notebooks' outputs by
`python -m cnnbook.authoring results`, and a test fails if it is out of date;
nothing here is typed by hand. Re-running a chapter on other hardware gives
slightly different numbers: each chapter asserts honest lower bounds, not
these exact values.

"""


def _stream_text(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                lines.extend(output.get("text", "").split("\n"))
    return lines


def collect_results(root: Path = ROOT) -> list[dict]:
    """The ``[result]`` lines of every chapter's committed outputs."""
    from cnnbook.config import RESULT_MARK

    rows = []
    for path in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        lines = _stream_text(nb)
        run = next(filter(None, map(_RUN_LINE.search, lines)), None)
        date = next(filter(None, map(_DATE_LINE.search, lines)), None)
        for line in lines:
            if not line.startswith(RESULT_MARK):
                continue
            description, value, data = (
                part.strip() for part in line[len(RESULT_MARK) :].split("|")
            )
            rows.append(
                {
                    "chapter": path.stem,
                    "result": description,
                    "value": value,
                    "data": data,
                    "mode": recorded_mode(nb) or "?",
                    "run": (
                        f"Keras {run.group(1)}, {run.group(2)}, "
                        f"{run.group(3)}"
                        if run
                        else "?"
                    ),
                    "date": date.group(1) if date else "?",
                }
            )
    return rows


def results_markdown(root: Path = ROOT) -> str:
    """The text of the results page."""
    rows = collect_results(root)
    lines = [
        "| chapter | result | value | data | mode | run on | date |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        link = f"[{row['chapter']}](../notebooks/{row['chapter']}.ipynb)"
        lines.append(
            f"| {link} | {row['result']} | {row['value']} | {row['data']} "
            f"| {row['mode']} | {row['run']} | {row['date']} |"
        )
    return RESULTS_HEADER + "\n".join(lines) + "\n"
