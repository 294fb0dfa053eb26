"""Fixtures of the browser test: the built site, served, and Chromium.

The site is built once per test run by ``bash scripts/build_book.sh`` (the
command readers use). ``CNNBOOK_SITE_BUILT=1`` skips the build and tests
the site already in ``_build/html`` (for quick iterations only; CI always
builds). Without Chromium at /usr/bin/chromium (``bash
scripts/site_setup.sh --browser`` installs it) the browser tests are
skipped on a developer's machine and fail in CI.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.site import sitecheck

SITE = sitecheck.ROOT / "_build" / "html"
SCREENSHOTS = sitecheck.ROOT / "_build" / "screenshots"


def _need_chromium():
    if Path(sitecheck.CHROMIUM).exists():
        return
    message = (
        f"no Chromium at {sitecheck.CHROMIUM}: run `bash "
        "scripts/site_setup.sh --browser` (Debian's chromium package)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site (``_build/html``), built once by build_book.sh."""
    if os.environ.get("CNNBOOK_SITE_BUILT") != "1":
        started = time.perf_counter()
        run = subprocess.run(
            ["bash", "scripts/build_book.sh"],
            cwd=sitecheck.ROOT,
            capture_output=True,
            text=True,
        )
        if run.returncode:
            pytest.fail(
                "bash scripts/build_book.sh failed:\n"
                + (run.stdout + run.stderr)[-6000:]
            )
        print(f"site built in {time.perf_counter() - started:.0f} s")
    assert (SITE / "index.html").exists(), "the site has no index.html"
    return SITE


@pytest.fixture(scope="session")
def base(site):
    with sitecheck.serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    _need_chromium()
    with sitecheck.browser() as context:
        yield context


@pytest.fixture(scope="session")
def site_tab(chromium, base):
    """One tab that visits the site's pages (``sitecheck.Tab``)."""
    tab = sitecheck.Tab(chromium, base)
    yield tab
    tab.close()
