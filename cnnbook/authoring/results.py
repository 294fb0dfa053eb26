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

from cnnbook.authoring.notebooks import ROOT, cell_text
from cnnbook.authoring.rules import recorded_mode

RESULTS_PAGE = "book/results.md"
PENDING_FILE = "book/pending_full_runs.yml"
_RUN_LINE = re.compile(
    r"Keras (\S+), backend (\w+)(?: (\S+))?, Python \S+, (.+)"
)
_OLD_RESULT = "[result] "  # the format before 2026-12: "[result] d | v | data"
_DATE_LINE = re.compile(r"run on (\d{4}-\d\d-\d\d)")
RESULTS_HEADER = """\
# Results

The headline numbers of every chapter, as its committed run measured them
(in full mode, except for the chapters listed at the end): on what data,
with which Keras backend and hardware, and when.
This page is generated from the notebooks' outputs by
`python -m cnnbook.authoring results`, and a test fails if it is out of date;
nothing here is typed by hand. Re-running a chapter on other hardware gives
slightly different numbers: each chapter asserts honest lower bounds, not
these exact values.

"""


def pending_full_runs(root: Path = ROOT) -> dict[str, str]:
    """Notebooks committed with fast-mode outputs, and why
    (``book/pending_full_runs.yml``: ``path: reason``)."""
    import yaml

    path = Path(root) / PENDING_FILE
    if not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(entries, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip()
        for k, v in entries.items()
    ):
        raise ValueError(
            f"{PENDING_FILE} must map notebook paths to reasons "
            "(`notebooks/NN_x.ipynb: why its full mode has not run`)"
        )
    return entries


def _stream_text(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                lines.extend(output.get("text", "").split("\n"))
    return lines


def parse_line(line: str) -> dict | None:
    """The ``description``, ``value`` and ``data`` of a result line (the
    current ``Result: ...`` format or the older ``[result] ...``), or
    ``None`` for any other line."""
    from cnnbook.config import parse_result

    if line.startswith(_OLD_RESULT):
        description, value, data = (
            part.strip() for part in line[len(_OLD_RESULT) :].split("|")
        )
        return dict(description=description, value=value, data=data)
    return parse_result(line)


def _describe_run(run) -> str:
    if not run:
        return "?"
    keras_version, backend, backend_version, hardware = run.groups()
    if backend_version:
        backend = f"{backend} {backend_version}"
    return f"Keras {keras_version}, {backend}, {hardware}"


def chapter_title(nb, fallback: str) -> str:
    """A notebook's title: its first markdown heading, without the ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell_text(cell).strip().split("\n")[0]
            if first.startswith("# "):
                return first[2:].strip()
            break
    return fallback


def collect_results(root: Path = ROOT) -> list[dict]:
    """The result lines (:func:`cnnbook.record_result`) of every chapter's
    committed outputs, with the chapter's title and the mode, run and date
    of that run."""
    rows = []
    for path in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title = chapter_title(nb, path.stem)
        lines = _stream_text(nb)
        run = next(filter(None, map(_RUN_LINE.search, lines)), None)
        date = next(filter(None, map(_DATE_LINE.search, lines)), None)
        for line in lines:
            result = parse_line(line)
            if result is None:
                continue
            rows.append(
                {
                    "chapter": path.stem,
                    "title": title,
                    "result": result["description"],
                    "value": result["value"],
                    "data": result["data"],
                    "mode": recorded_mode(nb) or "?",
                    "run": _describe_run(run),
                    "date": date.group(1) if date else "?",
                }
            )
    return rows


_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|$])")


def _escape(text: str) -> str:
    """Text shown literally in MyST markdown (no emphasis, math, links)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _chapter_number(title: str, name: str) -> str:
    match = re.match(r"(\d+)\.", title) or re.match(r"(\d+)_", name)
    return str(int(match.group(1))) if match else name


BENCH_RESULTS = "bench/results"


def benchmark_records(root: Path = ROOT) -> list[dict]:
    """The committed records of ``bench.time_to_accuracy`` (smoke runs
    left out), oldest first."""
    import json

    records = []
    for path in sorted((Path(root) / BENCH_RESULTS).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if not record.get("smoke"):
            records.append(record)
    return sorted(records, key=lambda r: r.get("date", ""))


def _count(number) -> str:
    return f"{number:,}" if isinstance(number, int) else "?"


def benchmark_markdown(root: Path = ROOT) -> list[str]:
    """The results page's section on the time-to-accuracy benchmark, one
    row per committed record in ``bench/results/`` (and one per further
    seed or ablation in it)."""
    from bench.time_to_accuracy import RECIPE

    def value(result: dict, at_most) -> str:
        """One run's result: seconds to the target, or its best accuracy."""
        of = f"of at most {at_most}, seed {result.get('seed', '?')}"
        if result["reached"]:
            return (f"{result['seconds_to_target']:.1f} s (epoch "
                    f"{result['epochs_run']} {of})")
        return (f"not reached in {result['epochs_run']} epochs ({of}); "
                f"best {result['best_accuracy']:.2%}")

    lines = [
        "## Time to accuracy",
        "",
        "Seconds of training until the test accuracy, measured after every "
        "epoch, first reaches the target (`python -m bench.time_to_accuracy`"
        ", see `bench/time_to_accuracy.py`), from the JSON records in "
        f"`{BENCH_RESULTS}/`. Each row is one run from one seed, stopped "
        "at the first epoch whose test accuracy reached the target, partway "
        "through a learning-rate schedule whose length the run's epoch "
        "limit sets (the row's \"at most\"), often with the learning rate "
        "still high; an accuracy that wanders around the target can cross "
        "it on a lucky epoch. This is DAWNBench's rule (time to first reach "
        "a target test accuracy), not airbench's, whose headline is the "
        "mean final accuracy of one fixed schedule of about ten epochs over "
        "many runs (94.01% over 1,000 runs): a time here says that one "
        "seed got there, not that the recipe does on average. Records "
        "marked \"earlier recipe\" were made before 4 December 2026 with "
        "Glorot uniform initial weights and Keras's decoupled weight decay "
        "(about 18 times weaker than airbench's), those of 2 December also "
        "with random flips, test-time flips only and Keras's own shuffling "
        "with a short last batch; the others with the recipe that "
        "`bench/time_to_accuracy.py` describes now.",
        "",
    ]
    records = benchmark_records(root)
    goals = ("The goals on one H100 or H200 GPU with Keras are MNIST to "
             "99.0% in under 10 s and CIFAR-10 to 94% in under 30 s.")
    if not records:
        return lines + [
            f"Not yet measured: no run has been recorded. {goals}", ""]
    on_gpu = {r["task"] for r in records if not r["device"].startswith("CPU")}
    missing = sorted({"mnist", "cifar10"} - on_gpu)
    lines += [goals + (f" Not yet measured on a GPU: {', '.join(missing)}."
                       if missing else ""), ""]
    lines += [
        ":::{list-table}",
        ":header-rows: 1",
        ":widths: 40 25 35",
        ":class: cnnbook-results",
        "",
        "* - Task, target and run",
        "  - Result",
        "  - Data",
    ]
    for record in records:
        result = record["result"]
        settings = record.get("settings", {})
        at_most = settings.get("epochs_at_most", "?")
        result = dict(result, seed=result.get("seed", settings.get("seed")))
        versions = record.get("versions", {})
        run = (
            f"{record['device']}, Keras {versions.get('keras', '?')}, "
            f"{versions.get('backend', '?')} "
            f"{versions.get('backend_version', '')}, {record['date'][:10]}"
        )
        if settings.get("recipe") != RECIPE:
            run += ", earlier recipe"
        data = record.get("data", {})
        lines += [
            f"* - {_escape(record['task'])} to {record['target']:.1%}",
            "",
            f"    {_escape(run)}",
            f"  - {_escape(value(result, at_most))}",
            f"  - {_count(data.get('train_images'))} training, "
            f"{_count(data.get('test_images'))} test images "
            f"({_escape(str(data.get('source', '?')))})",
        ]
        for other in record.get("other_seeds", []):
            lines += [
                f"* - seed {other.get('seed', '?')}",
                f"  - {_escape(value(other, at_most))}",
                "  - as above",
            ]
        for part, other in sorted(record.get("ablation", {}).items()):
            other = dict(other, seed=other.get("seed", result["seed"]))
            lines += [
                f"* - without {_escape(part)}",
                f"  - {_escape(value(other, at_most))}",
                "  - as above",
            ]
    return lines + [":::", ""]


def results_markdown(root: Path = ROOT) -> str:
    """The text of the results page: one section per chapter, titled like
    the chapter, with a two-column table (result and its data; value) that
    fits a phone's width."""
    rows = collect_results(root)
    pending = pending_full_runs(root)
    lines: list[str] = []
    chapters = list(dict.fromkeys(row["chapter"] for row in rows))
    for chapter in chapters:
        mine = [row for row in rows if row["chapter"] == chapter]
        first = mine[0]
        number = _chapter_number(first["title"], chapter)
        mode = first["mode"]
        if f"notebooks/{chapter}.ipynb" in pending:
            mode = f"**{mode}** (not yet run in full mode, see below)"
        lines += [
            f"## {_escape(first['title'])}",
            "",
            f"[Chapter {number}](../notebooks/{chapter}.ipynb), measured "
            f"in {mode} mode on {first['date']} with {_escape(first['run'])}.",
            "",
            ":::{list-table}",
            ":header-rows: 1",
            ":widths: 72 28",
            ":class: cnnbook-results",
            "",
            "* - Result (and the data it was measured on)",
            "  - Value",
        ]
        for row in mine:
            lines += [f"* - {_escape(row['result'])}"]
            if row["data"]:
                lines += ["", f"    Data: {_escape(row['data'])}"]
            lines += [f"  - {_escape(row['value'])}"]
        lines += [":::", ""]
    lines += benchmark_markdown(root)
    if pending:
        lines += [
            "## Not yet measured in full mode",
            "",
            "These chapters' committed outputs come from a fast-mode run "
            "(small subsets, few epochs), because their full mode needs "
            "hardware this project has not had for them yet. Their numbers "
            "above are fast-mode numbers, not the chapter's real results.",
            "",
        ]
        titles = {row["chapter"]: row["title"] for row in rows}
        for notebook, reason in pending.items():
            name = Path(notebook).stem
            title = titles.get(name, name)
            lines.append(f"- [{_escape(title)}](../{notebook}): {reason}")
    return RESULTS_HEADER + "\n".join(lines).rstrip("\n") + "\n"
