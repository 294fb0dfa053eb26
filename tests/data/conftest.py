"""Fixtures of the data-layer tests: a fresh cache for every test, a fake
mirror, no mirror at all, and the real mirror where this machine has it
(and the user's own cache, for the one test that decodes all of it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnnbook import data
from cnnbook.data import sources
from tests.data.fixtures import (
    REAL_MIRROR,
    make_fake_mirror,
)


# The cache the notebooks use (CNNBOOK_CACHE as the session found it, else
# ~/.cache/cnnbook), read before any test points CNNBOOK_CACHE elsewhere.
USER_CACHE = os.environ.get("CNNBOOK_CACHE")


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch, tmp_path):
    """Every test starts with an empty cache and no recorded sources."""
    monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    monkeypatch.delenv("CNNBOOK_DATA_MIRROR", raising=False)
    data.SOURCES.clear()
    sources._VERIFIED.clear()
    yield
    data.SOURCES.clear()
    sources._VERIFIED.clear()


@pytest.fixture
def mirror(monkeypatch, tmp_path) -> Path:
    """A fake mirror in tmp_path, selected through CNNBOOK_DATA_MIRROR."""
    root = make_fake_mirror(tmp_path / "mirror")
    monkeypatch.setenv("CNNBOOK_DATA_MIRROR", str(root))
    return root


@pytest.fixture
def no_mirror(monkeypatch, tmp_path):
    """No mirror anywhere: the automatic ../shared/data lookups miss."""
    nowhere = tmp_path / "a" / "b" / "c"
    nowhere.mkdir(parents=True)
    monkeypatch.chdir(nowhere)
    monkeypatch.setattr(sources, "REPO_ROOT", nowhere)
    assert data.mirror_dir() is None


@pytest.fixture
def real_mirror(monkeypatch):
    monkeypatch.setenv("CNNBOOK_DATA_MIRROR", str(REAL_MIRROR))
    return REAL_MIRROR


@pytest.fixture
def user_cache(monkeypatch):
    """The user's cache instead of a fresh one, for the full decode of the
    real mirror's CIFAR-10 (about 10 s): the notebooks decode it into that
    cache too, so a machine decodes it once, not once more per test run."""
    if USER_CACHE:
        monkeypatch.setenv("CNNBOOK_CACHE", USER_CACHE)
    else:
        monkeypatch.delenv("CNNBOOK_CACHE")
