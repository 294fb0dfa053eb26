"""Every page of the built site, opened in headless Chromium, as a reader
would see it: on a laptop (1280 x 800) and, for the results page, on a
phone (390 x 844), with every request to another host blocked.

Each check below is run on every page the TOC lists (so new chapters and
pages are checked as soon as they are in ``_toc.yml``). A check that only
a chapter's own notebook can pass (captions, alt text, folded checks,
outputs without machine paths) may be listed for that page in
``tests/site/pending.yml``: it must then still fail there (an expected
failure), and the test says when the entry can go.
"""

from __future__ import annotations

import re

import pytest
import yaml

from cnnbook.authoring import badges
from cnnbook.authoring.rules import is_assertion_only
from tests.site import sitecheck
from tests.site.conftest import SCREENSHOTS

pytestmark = pytest.mark.xdist_group("site")

PAGES = sitecheck.toc_pages()
PENDING_FILE = sitecheck.ROOT / "tests" / "site" / "pending.yml"
PENDING = yaml.safe_load(PENDING_FILE.read_text(encoding="utf-8")) or {}
#: pages photographed for CI's artefacts (``_build/screenshots/``)
SCREENSHOT_PAGES = {PAGES[0], "book/results", "book/train_in_browser"}
for part in ("Chapters", "Exercises", "Solutions"):
    SCREENSHOT_PAGES.update(sitecheck.toc_part(part)[:1])


def _shot(page: str, suffix: str = "") -> str:
    return page.replace("/", "_") + suffix + ".png"


#: the page whose highlighted code axe also scans (see AXE_SKIP)
CODE_PAGE = sitecheck.toc_part("Chapters")[0]
#: Pages axe does not scan: the exercise pages after the first. Each is
#: generated from its solution page (cnnbook.authoring.exercises): the
#: same prose, tables and figures, with stubs for answers and no outputs,
#: so its content is scanned on the solution page; the first exercise page
#: is scanned for what only exercise pages have (their plain-markdown
#: prompts in the site's exercise boxes, the same on every exercise page:
#: test_exercise_pages_look_like_solution_pages). Every other check runs
#: on every page. (Axe on the 13 pages: ~7 s of the site test's time.)
AXE_UNSCANNED = set(sitecheck.toc_part("Exercises")[1:])


def _axe_for(page: str):
    if page == CODE_PAGE:
        return "all"
    return page not in AXE_UNSCANNED


@pytest.fixture(scope="module")
def reports(site_tab):
    """What every TOC page shows on a laptop, with axe-core's findings
    (on CODE_PAGE, of the whole page, its highlighted code included; none
    on the pages of AXE_UNSCANNED)."""
    made = {}
    for page in PAGES:
        shot = SCREENSHOTS / _shot(page) if page in SCREENSHOT_PAGES else None
        made[page] = site_tab.visit(
            page, axe=_axe_for(page), screenshot=shot
        )
    return made


# --- The checks: each returns the problems it finds on one page ------------


def check_no_javascript_errors(report, **_):
    return [f"JavaScript: {e}" for e in report.js_errors] + [
        f"request failed: {r}" for r in report.failed_requests
    ]


def check_offline(report, **_):
    return [
        f"needs the internet: {url}" for url in report.external_requests
    ]


def check_maths_rendered(report, **_):
    return [f"raw TeX: {text!r}" for text in report.facts["rawMath"]]


def check_images_load(report, **_):
    problems = []
    for image in report.facts["images"]:
        if not image["complete"] or not image["naturalWidth"]:
            problems.append(f"image not loaded: {image['src']}")
        if not (image["alt"] or "").strip():
            problems.append(f"image without alt text: {image['src']}")
    return problems


def check_figures_keep_their_shape(report, **_):
    problems = []
    for image in report.facts["images"]:
        if not (image["naturalHeight"] and image["height"]):
            continue
        drawn = image["naturalWidth"] / image["naturalHeight"]
        shown = image["width"] / image["height"]
        if abs(shown / drawn - 1) > 0.03:
            problems.append(
                f"figure squashed: drawn {drawn:.2f}:1, shown "
                f"{shown:.2f}:1 ({image['src']})"
            )
    return problems


_PATH_LIKE = re.compile(r"[\\/]|\.(png|jpe?g|svg|gif)$", re.I)


def check_figures_described(report, **_):
    problems = []
    for image in report.facts["images"]:
        if not image["output"]:
            continue
        if _PATH_LIKE.search(image["alt"] or ""):
            problems.append(f"alt text is a file path: {image['alt']}")
        if not image["caption"]:
            problems.append(f"figure without a caption: {image['src']}")
    return problems


def check_no_error_output(report, **_):
    return [f"error shown: {text!r}" for text in report.facts["errors"]]


def check_no_machine_paths(report, **_):
    return [
        f"an output shows a path of the machine it ran on: {match}"
        for text in report.facts["outputs"]
        for match in sitecheck.MACHINE_PATH.findall(text)
    ]


def check_links_resolve(report, site, base, **_):
    problems = []
    for link in report.facts["links"]:
        why = sitecheck.broken_link(site, base, link["href"])
        if why:
            problems.append(f"link {link['raw']!r} ({link['text']!r}): {why}")
    return problems


def check_code_fits(report, **_):
    return [
        f"a code cell of {cell['longest']} columns scrolls sideways "
        f"(font {cell['fontSize']})"
        for cell in report.facts["code"]
        if cell["longest"] <= 79 and cell["scrolls"]
    ]


def check_tables_fit(report, **_):
    problems = [
        f"table clipped: {t['scrollWidth']} px in {t['holderWidth']} px "
        f"({t['text']!r})"
        for t in report.facts["tables"]
        if t["scrollWidth"] > t["holderWidth"] + 1
    ]
    if report.facts["pageWidth"] > report.facts["viewportWidth"]:
        problems.append(
            f"the page is {report.facts['pageWidth']} px wide in a "
            f"{report.facts['viewportWidth']} px window"
        )
    return problems


def check_one_search_field(report, **_):
    found = report.facts["searchControls"]
    if len(found) != 1:
        return [f"{len(found)} search controls on a laptop: {found}"]
    return []


def check_sections_unnumbered(report, **_):
    return [
        f"section numbered {number!r} (reads like an exercise number)"
        for number in report.facts["sectionNumbers"]
    ]


def check_exercises_boxed(report, **_):
    return [
        f"{title} is plain text, not an exercise box"
        for title in report.facts["plainExercises"]
    ]


def check_results_shown_for_readers(report, **_):
    return [
        f"a machine-readable result line is shown: {text[:80]!r}"
        for text in report.facts["resultLines"]
    ]


def check_checks_folded(report, **_):
    problems = []
    for cell in report.facts["cells"]:
        if not is_assertion_only(cell["source"]):
            continue
        first = cell["source"].strip().split("\n")[0][:60]
        if not cell["folded"]:
            problems.append(f"assertion cell shown unfolded: {first!r}")
        elif "check" not in cell["summary"].lower():
            problems.append(
                f"folded assertion cell does not say it is a check: "
                f"{cell['summary']!r}"
            )
    return problems


def check_chapters_named_by_title(report, **_):
    return [
        f"a link names a chapter by its file name: {link['text']!r}"
        for link in report.facts["links"]
        if re.fullmatch(r"\d\d_\w+", link["text"])
    ]


def check_colab_and_repository_links(report, **_):
    problems = []
    page = report.page
    colab = [
        link["href"]
        for link in report.facts["links"]
        if "colab.research.google.com" in link["href"]
    ]
    if page.split("/")[0] in ("notebooks", "exercises", "solutions"):
        expected = badges.colab_url(f"{page}.ipynb")
        if len(colab) < 2:
            problems.append(
                f"expected a Colab badge and a launch button, found "
                f"{len(colab)} Colab link(s)"
            )
        problems += [
            f"Colab link {href} is not {expected}"
            for href in colab
            if href != expected
        ]
    repository = f"https://github.com/{badges.REPOSITORY}"
    if not any(
        link["href"].rstrip("/") == repository
        for link in report.facts["links"]
    ):
        problems.append(f"no repository button linking {repository}")
    return problems


def check_accessible(report, **_):
    if report.axe_skipped is None:
        return ["axe did not scan this page"]
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}), {v['count']} "
        f"element(s), e.g. {v['nodes']}"
        for v in report.axe
    ]


CHECKS = {
    name[len("check_"):].replace("_", "-"): function
    for name, function in globals().items()
    if name.startswith("check_")
}


def test_pending_lists_known_checks_and_pages():
    unknown = set(PENDING) - set(CHECKS)
    assert not unknown, f"{PENDING_FILE.name}: unknown checks {unknown}"
    for check, pages in PENDING.items():
        missing = set(pages or []) - set(PAGES)
        assert not missing, f"{PENDING_FILE.name}: {check}: not in the TOC"


#: every check on every page, but axe's on the pages it does not scan
PAGE_CHECKS = [
    (page, check)
    for page in PAGES
    for check in sorted(CHECKS)
    if not (check == "accessible" and page in AXE_UNSCANNED)
]


@pytest.mark.parametrize("page, check", PAGE_CHECKS)
def test_page(page, check, reports, site, base):
    problems = CHECKS[check](reports[page], site=site, base=base)
    if page in (PENDING.get(check) or []):
        if not problems:
            pytest.fail(
                f"{page} now passes {check}: remove it from "
                f"tests/site/{PENDING_FILE.name}"
            )
        pytest.xfail(f"pending ({len(problems)}): {problems[0]}")
    assert not problems, f"{page}: {check}:\n" + "\n".join(problems)


def test_exercise_pages_look_like_solution_pages(reports):
    """An exercise page shows its prompts in the same boxes as the
    solution page of the same chapter."""
    for exercise in sitecheck.toc_part("Exercises"):
        solution = "solutions/" + exercise.split("/", 1)[1]
        mine = reports[exercise].facts["exerciseBoxes"]
        theirs = reports[solution].facts["exerciseBoxes"]
        assert mine, f"{exercise}: no exercise boxes"
        assert [b["title"] for b in mine] == [
            b["title"] for b in theirs
        ], f"{exercise} and {solution} number their exercises differently"
        assert {b["style"] for b in mine} == {b["style"] for b in theirs}, (
            f"{exercise} and {solution} style their exercises differently"
        )


def test_results_page_fits_a_phone(site_tab):
    report = site_tab.visit(
        "book/results",
        viewport=sitecheck.PHONE,
        screenshot=SCREENSHOTS / _shot("book/results", "_phone"),
    )
    assert report.facts["viewportWidth"] == sitecheck.PHONE["width"]
    problems = check_tables_fit(report) + check_chapters_named_by_title(
        report
    )
    assert not problems, "results page on a phone:\n" + "\n".join(problems)


def test_code_colours_are_accessible(reports):
    """The highlighted code, which the per-page scan skips for speed (one
    Pygments style colours every page), passes axe on the first chapter
    (scanned whole by the ``reports`` fixture)."""
    report = reports[CODE_PAGE]
    assert report.axe_skipped == [], "the code was not scanned"
    problems = check_accessible(report)
    assert not problems, f"{CODE_PAGE} with its code:\n" + "\n".join(problems)


def search_terms() -> dict[str, set[str]]:
    """What the search must find, from the TOC: each chapter's title finds
    its chapter; "convolution" and "Grad-CAM" (from Chapter 13 on) find
    a page that contains them, once a page does."""
    terms = {}
    for page in sitecheck.toc_part("Chapters"):
        title = re.sub(r"^\d+\.\s*", "", sitecheck.page_title(page))
        if title:
            terms[title] = {page}
    for term in ("convolution", "Grad-CAM"):
        having = {
            page
            for page in sitecheck.toc_pages()
            if term.lower() in sitecheck.source_text(page).lower()
        }
        if having:
            terms[term] = having
    return terms


def test_search_finds_the_chapters(chromium, base):
    terms = search_terms()
    assert "convolution" in terms, "no page mentions convolution"
    first = next(iter(terms))
    tab = chromium.new_page()
    try:
        # The search page as a reader uses it, for the first term. Sphinx
        # shows the results one by one and writes the summary ("Search
        # finished, found N page(s)...") after the last one.
        tab.goto(f"{base}search.html?q={first}")
        tab.wait_for_function(
            "() => { const s = document.querySelector("
            "'#search-results .search-summary'); return s && "
            "/Search finished|did not match/.test(s.innerText); }",
            timeout=30000,
        )
        shown = [
            href.split(base, 1)[-1].split(".html")[0]
            for href in tab.eval_on_selector_all(
                "#search-results ul.search li a",
                "links => links.map(a => a.href)",
            )
        ]
        # Every term, in the same page, through the function whose results
        # the page shows (Search.query of Sphinx's searchtools.js lists
        # Search._performSearch's results, each with a summary fetched from
        # its page: loading the page anew for each term fetched and parsed
        # most of the site again and again). That it finds what the page
        # showed for the first term proves it is what a reader gets.
        found = tab.evaluate(
            """(terms) => terms.map((term) => Search._performSearch(
                 ...Search._parseQuery(term)).map((result) => result[0]))""",
            list(terms),
        )
        assert sorted(found[0]) == sorted(shown), (
            f"search for {first!r}: the page shows {sorted(shown)}, "
            f"Search._performSearch finds {sorted(found[0])}"
        )
        missing = [
            f"{term!r} finds {sorted(set(docs))[:5]}, not {sorted(pages)[:3]}"
            for (term, pages), docs in zip(terms.items(), found)
            if not set(docs) & pages
        ]
        assert not missing, "search:\n" + "\n".join(missing)
    finally:
        tab.close()


def test_visit_reports_requests_that_leave_the_site(chromium, tmp_path):
    """A request to another host is refused and reported, on whichever
    page of the tab's visits makes it, and only in that page's report."""
    head = '<html><head><link rel="icon" href="data:,"></head>'  # no 404
    (tmp_path / "page.html").write_text(
        head + '<body><img src="https://example.com/cat.png" alt="cat">'
        '<img src="local.png" alt="local"><p>x</p></body></html>'
    )
    (tmp_path / "local.png").write_bytes(b"")
    (tmp_path / "plain.html").write_text(head + "<body><p>x</p></body></html>")
    with sitecheck.serve(tmp_path) as url:
        tab = sitecheck.Tab(chromium, url)
        try:
            before, report, after = [
                tab.visit(page) for page in ("plain", "page", "plain")
            ]
        finally:
            tab.close()
    assert report.external_requests == ["https://example.com/cat.png"], (
        report.external_requests
    )
    cat = [i for i in report.facts["images"] if i["alt"] == "cat"]
    assert cat and not cat[0]["naturalWidth"], f"not refused: {cat}"
    for clean in (before, after):
        assert not (clean.external_requests or clean.failed_requests
                    or clean.js_errors), clean
