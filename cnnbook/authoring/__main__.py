"""``python -m cnnbook.authoring COMMAND``: the authors' commands.

badges      write every notebook's Colab badge and install cell
tidy        badges, and fold every assertion-only cell (tag hide-input)
exercises   regenerate exercises/ from solutions/ (--check: only report)
results     regenerate book/results.md from the committed outputs
run-full    execute notebooks in full mode and keep their outputs
nbgrader    make an nbgrader course from the solution notebooks
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnbook.authoring import badges, exercises, grading, results, run, tidy
from cnnbook.authoring.notebooks import ROOT


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnbook.authoring",
        description=__doc__.split("\n")[0],
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("badges", help="write each notebook's Colab badge")
    tidied = sub.add_parser(
        "tidy", help="badges, and tag assertion-only cells hide-input"
    )
    tidied.add_argument(
        "paths", nargs="*", type=Path, help="notebooks (default: all)"
    )
    make = sub.add_parser("exercises", help="regenerate exercises/")
    make.add_argument(
        "--check",
        action="store_true",
        help="only report exercise notebooks that are out of sync",
    )
    sub.add_parser("results", help=f"write {results.RESULTS_PAGE}")
    full = sub.add_parser("run-full", help="execute notebooks in full mode")
    full.add_argument("paths", nargs="+", type=Path)
    course = sub.add_parser(
        "nbgrader", help="an nbgrader course from the solution notebooks"
    )
    course.add_argument("course", type=Path, help="the course folder")
    course.add_argument(
        "solutions", nargs="*", type=Path, help="default: all of them"
    )
    args = parser.parse_args(argv)

    if args.command == "badges":
        for path in badges.write_badges():
            print(f"badge written: {path.relative_to(ROOT)}")
    elif args.command == "tidy":
        for line in tidy.tidy(args.paths or None):
            print(line)
    elif args.command == "nbgrader":
        written = grading.make_course(args.course, args.solutions or None)
        for path in written:
            print(f"wrote {path} ({grading.points(path)} points)")
        # nbgrader runs `alembic` through PATH: it needs the environment
        # it is installed in to be active, not only named
        print(
            f"next: source {ROOT / '.venv/bin/activate'} && cd {args.course}"
            f" && nbgrader generate_assignment {grading.ASSIGNMENT} --force"
        )
    elif args.command == "exercises" and args.check:
        problems = exercises.out_of_sync(ROOT)
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    elif args.command == "exercises":
        for path in exercises.generate(ROOT):
            print(f"wrote {path.relative_to(ROOT)}")
    elif args.command == "results":
        page = ROOT / results.RESULTS_PAGE
        page.write_text(results.results_markdown(), encoding="utf-8")
        print(f"wrote {results.RESULTS_PAGE}")
    else:
        for path in args.paths:
            if not path.exists():
                path = ROOT / "notebooks" / path.name
            seconds = run.run_full(path)
            print(f"{path}: executed in full mode in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
