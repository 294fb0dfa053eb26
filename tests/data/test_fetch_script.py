"""data_scripts/fetch_data.py lists, fetches and fails clearly."""

from __future__ import annotations

import os
import subprocess
import sys


from cnnbook import data
from tests.data.fixtures import (
    FETCH,
)


def _fetch(*args, env=None):
    return subprocess.run(
        [sys.executable, str(FETCH), *args],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_fetch_script_lists_and_fetches(mirror, tmp_path):
    listing = _fetch("--list")
    assert listing.returncode == 0
    assert all(name in listing.stdout for name in data.DATASETS)
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
