"""Open the built site in headless Chromium and record what a reader sees.

Used by ``tests/site/test_browser.py``: :func:`serve` serves the built
site on 127.0.0.1, :func:`browser` starts Debian's Chromium through
Playwright (never ``playwright install``) with every other host blocked
(the site must be complete offline), and :meth:`Tab.visit` opens one page
and returns a :class:`PageReport` of everything the checks need.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CNNBOOK_CHROMIUM", "/usr/bin/chromium")
# Without these, Chromium on the CI machine tries the network and fails.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The site must be complete offline: no host but the one serve() uses
    # is resolved, so every request that leaves the site fails.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
AXE = ROOT / "site" / "node_modules" / "axe-core" / "axe.min.js"


# --- The pages, from the TOC -------------------------------------------------


def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def toc_pages() -> list[str]:
    """Every page the TOC lists (docnames such as ``notebooks/01_x``)."""
    book = toc()
    pages = [book["root"]]
    for part in book.get("parts", []):
        for entry in part.get("chapters", []):
            pages.append(entry["file"])
            pages += [s["file"] for s in entry.get("sections", [])]
    return pages


def toc_part(caption: str) -> list[str]:
    for part in toc().get("parts", []):
        if part.get("caption") == caption:
            return [entry["file"] for entry in part.get("chapters", [])]
    return []


def source_of(page: str) -> Path:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for TOC entry {page}")


def source_text(page: str) -> str:
    """A page's source, as text a search could find (markdown cells and
    code of a notebook; a markdown page as it is)."""
    path = source_of(page)
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return "\n".join(
        cell.source for cell in nb.cells if "remove-cell" not in
        cell.metadata.get("tags", [])
    )


def page_title(page: str) -> str:
    for line in source_text(page).split("\n"):
        if line.startswith("# "):
            return line[2:].strip()
    return ""


# --- Serving and browsing ----------------------------------------------------


#: Where :func:`serve` also serves axe-core, for :func:`run_axe`: a script
#: fetched by URL stays in the browser's cache, compiled, from page to page;
#: injected as text, it was sent and parsed again on every page (0.25 s).
AXE_URL = "/_sitecheck/axe.min.js"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def translate_path(self, path):
        if path.split("?")[0] == AXE_URL:
            return str(AXE)
        return super().translate_path(path)

    def end_headers(self):
        if self.path.split("?")[0] == AXE_URL:
            self.send_header("Cache-Control", "max-age=86400")
        super().end_headers()


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def browser():
    """A Chromium context with a fresh profile (yields the context)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cnnbook-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport=LAPTOP,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


# --- What one page shows -----------------------------------------------------


@dataclass
class PageReport:
    """What the checks need to know about one page at one viewport."""

    page: str
    url: str
    js_errors: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
    external_requests: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    axe: list = field(default_factory=list)
    #: what the axe scan left out (AXE_SKIP, or [] for the whole page)
    axe_skipped: list | None = None


# One call collects everything from the page (see the checks for why).
COLLECT = r"""
() => {
  const main = document.querySelector("main") || document.body;
  const article = document.querySelector(".bd-article") || main;
  const visible = (el) => {
    if (!el.checkVisibility || !el.checkVisibility()) return false;
    const box = el.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) return false;
    const dialog = el.closest("dialog");
    return !dialog || dialog.open;
  };
  const textOf = (el) => (el.innerText || el.textContent || "").trim();

  // Raw TeX: typeset maths lives in mjx-container; anything else is raw.
  const rawMath = [];
  article.querySelectorAll(".math").forEach((el) => {
    if (!el.querySelector("mjx-container")) rawMath.push(textOf(el));
  });
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const skip = "pre, code, script, style, mjx-container, textarea, " +
               ".math, .highlight, kbd";
  const texPattern = new RegExp(
    "\\$[^$\\n]+\\$|\\\\[()\\[\\]]|" +
    "\\\\(frac|sum|partial|lfloor|times|cdot)\\b");
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const match = node.textContent.match(texPattern);
    if (match) rawMath.push(node.textContent.trim().slice(0, 120));
  }

  const images = Array.from(article.querySelectorAll("img")).map((img) => {
    const box = img.getBoundingClientRect();
    const figure = img.closest("figure");
    const caption = figure && figure.querySelector("figcaption");
    return {
      src: img.getAttribute("src"), alt: img.getAttribute("alt"),
      complete: img.complete, naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight, width: box.width,
      height: box.height, output: !!img.closest(".cell_output"),
      caption: caption ? textOf(caption) : null,
    };
  });

  const outputs = Array.from(
    article.querySelectorAll(".cell_output")).map(textOf);
  const errors = new Set();
  article.querySelectorAll(
    ".output.error, .output.traceback, .system-message, .problematic"
  ).forEach((el) => errors.add(textOf(el).slice(0, 200)));
  article.querySelectorAll(".cell_output .output").forEach((el) => {
    const text = textOf(el);
    if (/Traceback \(most recent call last\)/.test(text)) {
      errors.add(text.slice(0, 200));
    }
  });

  const links = Array.from(document.querySelectorAll("a[href]")).map(
    (a) => ({ href: a.href, raw: a.getAttribute("href"),
              text: textOf(a) }));

  const tables = Array.from(article.querySelectorAll("table")).map((t) => {
    const holder = t.closest(".pst-scrollable-table-container") ||
                   t.parentElement;
    return { id: t.id || t.className,
             scrollWidth: t.scrollWidth,
             holderWidth: holder.clientWidth,
             holderScroll: holder.scrollWidth,
             text: textOf(t).slice(0, 60) };
  });

  const code = Array.from(article.querySelectorAll(".cell_input pre")).map(
    (pre) => ({
      longest: Math.max(...pre.textContent.replace(/\n$/, "").split("\n")
                          .map((l) => l.length)),
      scrolls: pre.scrollWidth > pre.clientWidth + 1,
      fontSize: getComputedStyle(pre).fontSize,
    }));

  const searchControls = Array.from(document.querySelectorAll(
    ".search-button__button, form.bd-search input[type=search]"))
    .filter(visible).map((el) => el.className || el.tagName);

  const sectionNumbers = Array.from(article.querySelectorAll(
    "h2 .section-number, h3 .section-number, h4 .section-number"))
    .map(textOf).filter((t) => t);

  const exerciseStyle = (el) => {
    const style = getComputedStyle(el);
    return [style.borderLeftColor, style.backgroundColor,
            style.borderLeftWidth].join(" ");
  };
  const exerciseBoxes = Array.from(
    article.querySelectorAll("div.exercise.admonition")).map((el) => ({
      title: textOf(el.querySelector(".admonition-title") || el)
               .split("\n")[0],
      style: exerciseStyle(el) }));
  const plainExercises = Array.from(article.querySelectorAll("p > strong"))
    .filter((s) => /^Exercise \d+\.\d+$/.test(textOf(s)) &&
                   !s.closest(".admonition"))
    .map(textOf);

  const cells = Array.from(article.querySelectorAll("div.cell")).map(
    (cell) => {
      const pre = cell.querySelector(".cell_input pre");
      const details = pre && pre.closest("details");
      const summary = details && details.querySelector("summary");
      return { source: pre ? pre.textContent : "",
               folded: !!details && !details.open,
               summary: summary ? textOf(summary) : "" };
    });

  const resultLines = outputs.filter(
    (t) => /^(Result: .+ = .+ \(data: .*\)|\[result\] .*)$/m.test(t));

  return {
    title: document.title, rawMath, images, outputs,
    errors: Array.from(errors), links, tables,
    code, searchControls, sectionNumbers, exerciseBoxes, plainExercises,
    cells, resultLines,
    pageWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    mathjax: !!window.MathJax,
  };
}
"""

WAIT_FOR_MATH = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  if (document.fonts) await document.fonts.ready;
}
"""


class Tab:
    """One browser tab that opens the pages of one site, one after another.

    One tab for every page, rather than a new tab per page, keeps one
    renderer process, with the site's scripts and styles compiled and
    cached, from page to page (every page with axe: 149 -> 108 CPU s). Its
    listeners are attached once and write into the report of the page
    being visited; :meth:`visit` leaves each page for ``about:blank``
    before it returns (see there).
    """

    def __init__(self, context, base: str):
        self.base = base
        self.report: PageReport | None = None  # the page being visited
        #: events that came while no page was being visited (none can)
        self.stray: list[str] = []
        self.viewport = LAPTOP
        self.tab = context.new_page()
        self.tab.set_viewport_size(LAPTOP)
        # Every request is seen here: those that leave the site are noted
        # (and fail: CHROMIUM_ARGS's host rules resolve no host but the
        # site's). A route that refused them cost far more: while a page
        # has routes, Playwright turns the browser's cache off, and every
        # page fetched and compiled MathJax, the theme's scripts and fonts
        # anew (every page with axe: 155 CPU s instead of 108).
        self.tab.on("request", lambda request: self._note(
            "external_requests", request.url)
            if not request.url.startswith((base, "data:", "blob:"))
            else None)
        self.tab.on("pageerror", lambda error: self._note(
            "js_errors", str(error)))
        self.tab.on("console", lambda message: self._note(
            "js_errors", f"console: {message.text}")
            if message.type == "error" else None)
        self.tab.on("requestfailed", lambda request: self._note(
            "failed_requests", request.url)
            if request.url.startswith(base) else None)
        self.tab.on("response", lambda response: self._note(
            "failed_requests", f"{response.status} {response.url}")
            if response.status >= 400 else None)

    def _note(self, kind: str, text: str):
        if self.report is None:
            self.stray.append(f"{kind}: {text}")
        else:
            getattr(self.report, kind).append(text)

    def visit(self, page: str, *, viewport=LAPTOP, axe=False,
              screenshot: Path | None = None, full_page=False) -> PageReport:
        """Open ``page`` (a docname) and report what it shows.

        ``axe``: False, True (axe-core without the parts in AXE_SKIP) or
        "all" (the whole page)."""
        assert not self.stray, f"events outside any visit: {self.stray}"
        report = PageReport(page=page, url=f"{self.base}{page}.html")
        if viewport != self.viewport:
            self.tab.set_viewport_size(viewport)
            self.viewport = viewport
        self.report = report
        try:
            self.tab.goto(report.url, wait_until="load")
            self.tab.evaluate(WAIT_FOR_MATH)
            report.facts = self.tab.evaluate(COLLECT)
            if screenshot:  # before axe, which strips skipped code's colours
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                self.tab.screenshot(path=str(screenshot), full_page=full_page)
            if axe:
                report.axe_skipped = [] if axe == "all" else AXE_SKIP
                report.axe = run_axe(self.tab, skip=report.axe_skipped)
        finally:
            # Leave the page while its report is still the one written:
            # Playwright hands events over in the order the browser sent
            # them, and once about:blank has loaded (same renderer, no
            # requests, no scripts) the page is gone and can send nothing
            # more. So what it sends until then lands here, as when each
            # page had its own tab and that tab was closed, and nothing of
            # it can land in the next page's report.
            self.tab.goto("about:blank")
            self.report = None
        return report

    def close(self):
        self.tab.close()


#: What axe skips on most pages: the highlighted code of code cells, whose
#: thousands of token spans make the contrast check slow, and whose colours
#: come from one Pygments style for every page (checked in full once, on
#: the first chapter: test_browser.test_code_colours_are_accessible).
AXE_SKIP = [".cell_input"]

#: The rules axe runs by default whose findings can be serious or critical
#: (the only ones the checks report). axe gives a finding the worst impact
#: of the checks that failed (or the rule's own impact, where it has one),
#: so a rule whose impact and checks are all minor or moderate (region,
#: heading-order, the landmark rules, ...) can never report one; a check
#: without a known impact keeps its rule. Computed from the axe-core that
#: runs, so an upgrade is followed; tried on every page of the site: the
#: same serious and critical findings as running every rule.
AXE_SERIOUS_RULES = """() => {
  const order = ["minor", "moderate", "serious", "critical"];
  const audit = axe._audit;
  const worst = (rule) => {
    let worst = order.indexOf(rule.impact);
    for (const check of [...rule.any, ...rule.all, ...rule.none]) {
      const id = typeof check === "string" ? check : check.id;
      const impact = (audit.data.checks[id] || {}).impact;
      if (!order.includes(impact)) return "unknown";
      worst = Math.max(worst, order.indexOf(impact));
    }
    return order[worst] || "unknown";
  };
  return audit.rules.filter((rule) =>
    rule.enabled && !rule.tags.some((tag) => audit.tagExclude.includes(tag))
    && ["serious", "critical", "unknown"].includes(worst(rule)))
    .map((rule) => rule.id);
}"""


def run_axe(tab, *, skip=AXE_SKIP) -> list[dict]:
    """axe-core's violations of impact serious or critical.

    axe builds its tree of the whole page, skipped parts included, and the
    token spans of highlighted code were most of a chapter's elements (and
    half of axe's time). So each ``pre`` in a skipped part is first replaced
    by its plain text: the same text in the same box, so nothing that axe
    checks changes (tried on every page of the site: the same findings).
    Only the rules of AXE_SERIOUS_RULES run.
    """
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(tab.url))
    tab.add_script_tag(url=origin + AXE_URL)  # from serve()
    result = tab.evaluate(
        """async (skip) => {
          if (skip.length) {
            document.querySelectorAll(skip.map((s) => s + " pre"))
              .forEach((pre) => { pre.textContent = pre.textContent; });
          }
          const context = skip.length
            ? {include: [["html"]], exclude: skip.map((s) => [s])}
            : document;
          const r = await axe.run(context, {
            resultTypes: ["violations"],
            runOnly: {type: "rule", values: (""" + AXE_SERIOUS_RULES + """)()},
          });
          return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
            count: v.nodes.length }));
        }""",
        skip,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


# --- Links and anchors -------------------------------------------------------


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def ids_in(path: Path) -> frozenset:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def broken_link(site: Path, base: str, href: str) -> str | None:
    """Why an internal link does not resolve (``None`` if it does)."""
    from urllib.parse import unquote, urldefrag

    if not href.startswith(base):
        return None
    target, fragment = urldefrag(href)
    relative = unquote(target[len(base):].split("?")[0])
    path = site / relative
    if relative == "" or relative.endswith("/"):
        path = path / "index.html"
    if not path.is_file():
        return f"{relative}: no such file in the site"
    if fragment and path.suffix == ".html":
        if unquote(fragment) not in ids_in(path):
            return f"{relative}#{fragment}: no such anchor"
    return None


MACHINE_PATH = re.compile(
    r"(?<![\w.])(/(?:home|root|Users|tmp|work|private|var/folders|mnt)"
    r"/[^\s'\")]+|[A-Z]:\\Users\\\S+|\S*site-packages\S*)"
)
