"""data_scripts/fetch_data.py lists, fetches and fails clearly."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys

import pytest

from cnnbook import data
from cnnbook.pretrained import PRETRAINED
from tests.data.fixtures import FETCH, REAL_MIRROR, make_fake_mirror


def _fetch(*args, env=None):
    return subprocess.run(
        [sys.executable, str(FETCH), *args],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@functools.lru_cache(maxsize=None)
def _listing():
    """``fetch_data.py --list``, run once for the module (it prints the
    same every time)."""
    return _fetch("--list")


def test_fetch_script_lists_and_fetches(mirror, tmp_path):
    listing = _listing()
    assert listing.returncode == 0
    listed = [line.split()[0] for line in listing.stdout.splitlines()]
    assert listed == [*data.DATASETS, *PRETRAINED]  # and what `all` fetches
    cache = tmp_path / "cli-cache"
    result = _fetch(
        "--mirror", str(mirror), "--cache", str(cache), "--offline", "mnist"
    )
    assert result.returncode == 0, result.stderr
    assert "from the offline mirror" in result.stdout
    assert (cache / "mnist.npz").is_file()


def test_fetch_script_fails_clearly(tmp_path):
    bad = _fetch("--offline", "mnsit")
    assert bad.returncode != 0 and "Did you mean 'mnist'" in bad.stderr
    missing = _fetch("--mirror", str(tmp_path / "nowhere"), "mnist")
    assert missing.returncode != 0 and "not an existing" in missing.stderr


# Every loader that can fail for want of data, with the call that makes it
# load; the command its error names must work (for the pretrained weights:
# tests/test_pretrained.py::test_the_fix_the_error_names_works).
FAILING_LOADERS = {
    "mnist": data.load_mnist,
    "fashion_mnist": data.load_fashion_mnist,
    "cifar10": data.load_cifar10,
    "imdb": data.load_imdb,
    "imdb_text": data.load_imdb_text,
    "cats_vs_dogs": data.cats_vs_dogs_dir,
    "imagenet_class_names": data.imagenet_class_names,
}
# The fake mirror is too small for the default cats-vs-dogs folder.
NEEDS_REAL_MIRROR = {"cats_vs_dogs"}


@pytest.mark.parametrize("loader", sorted(FAILING_LOADERS))
def test_every_fix_a_message_names_works(loader, no_mirror, tmp_path):
    """The message names `fetch_data.py --mirror PATH NAME`: run it, then
    the loader succeeds from the cache alone."""
    with pytest.raises(data.DataNotFoundError) as error:
        FAILING_LOADERS[loader]()
    message = str(error.value)
    commands = re.findall(
        r"`(python data_scripts/fetch_data\.py[^`]*)`", message
    )
    assert len(commands) == 2, message
    name = commands[1].split()[-1]
    assert commands[0].split()[-1] == name
    assert name in _listing().stdout.split()
    if loader in NEEDS_REAL_MIRROR:
        if not (REAL_MIRROR / "SHA256SUMS").is_file():
            pytest.skip("the real mirror is not on this machine")
        mirror = REAL_MIRROR
    else:
        mirror = make_fake_mirror(tmp_path / "fake")
    cache = os.environ["CNNBOOK_CACHE"]
    result = _fetch(
        *commands[1].replace("PATH", str(mirror)).split()[2:],
        env={"CNNBOOK_CACHE": cache, "CNNBOOK_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    FAILING_LOADERS[loader]()  # now from the cache, still without a mirror
    assert data.SOURCES[loader].origin == "cache"
