"""Fetch and prepare the book's datasets and pretrained weights.

Usage::

    python data_scripts/fetch_data.py all                  # online
    python data_scripts/fetch_data.py --mirror PATH --offline all  # copy
    python data_scripts/fetch_data.py mnist cifar10        # some of them
    python data_scripts/fetch_data.py --list               # what exists

Each dataset is loaded once through ``cnnbook.data`` (cache, then the online
loader, then the offline mirror), which leaves it ready in the cache (or in
Keras's own download folder ``~/.keras``), so that notebooks start at once.
``mobilenet`` does the same for the ImageNet-trained MobileNets of chapters
11 and 13, through ``cnnbook.pretrained.load_mobilenet`` (online: Keras's
download; offline: converted from the mirror into the cache). Exits with
status 1 and the reason if something cannot be had.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run from any working directory
    sys.path.insert(0, str(REPO_ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Fetch the book's datasets and pretrained weights "
        "into the cache.",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="datasets or pretrained networks to fetch (see --list), "
        "or 'all'",
    )
    parser.add_argument(
        "--mirror",
        metavar="PATH",
        help="an offline copy of the data mirror (sets CNNBOOK_DATA_MIRROR)",
    )
    parser.add_argument(
        "--cache",
        metavar="PATH",
        help="the cache folder (sets CNNBOOK_CACHE; default "
        "~/.cache/cnnbook)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="do not try the online loaders (sets CNNBOOK_OFFLINE=1)",
    )
    parser.add_argument(
        "--list", action="store_true",
        help="list what can be fetched and exit",
    )
    args = parser.parse_args(argv)
    if not args.names and not args.list:
        parser.error("name at least one dataset, or 'all', or use --list")
    return args


def choices() -> dict[str, str]:
    """Every name the script fetches, with its description: the datasets
    of ``cnnbook.data``, then the pretrained networks of
    ``cnnbook.pretrained``."""
    from cnnbook import data
    from cnnbook.pretrained import PRETRAINED

    return {**data.DATASETS, **PRETRAINED}


def fetch(name: str) -> None:
    """Load one dataset or pretrained network so that it is cached; IMDB
    also gets its text."""
    from cnnbook import data, pretrained

    if name in pretrained.PRETRAINED:
        pretrained.fetch_pretrained(name)
        return
    data.load(name)
    if name == "imdb":
        data.load_imdb_text()


class _PrintAboveBars(io.TextIOBase):
    """Send the loaders' one-line reports through ``tqdm.write`` so that
    they print above the progress bar instead of through it."""

    def write(self, text: str) -> int:
        from tqdm import tqdm

        for line in text.splitlines():
            if line.strip():
                tqdm.write(line, file=sys.__stdout__)
        return len(text)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.mirror:
        os.environ["CNNBOOK_DATA_MIRROR"] = str(Path(args.mirror).resolve())
    if args.cache:
        os.environ["CNNBOOK_CACHE"] = str(Path(args.cache).resolve())
    if args.offline:
        os.environ["CNNBOOK_OFFLINE"] = "1"

    from tqdm import tqdm

    from cnnbook import data

    known = choices()
    if args.list:
        for name, description in known.items():
            print(f"{name:22} {description}")
        return 0

    names = list(known) if "all" in args.names else args.names
    try:
        for name in names:
            if name not in known:
                raise data._unknown("dataset or network", name, known)
        print(f"Data: {data.describe_sources()}")
        for name in tqdm(names, desc="Fetching", unit="item"):
            start = time.perf_counter()
            with contextlib.redirect_stdout(_PrintAboveBars()):
                fetch(name)
            seconds = time.perf_counter() - start
            tqdm.write(f"  {name}: ready in {seconds:.1f} s")
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
