"""Open the built site in headless Chromium and record what a reader sees.

Used by ``tests/site/test_browser.py``: :func:`serve` serves the built
site on 127.0.0.1, :func:`browser` starts Debian's Chromium through
Playwright (never ``playwright install``), :func:`visit` opens one page
with every request to another host blocked (the site must be complete
offline) and returns a :class:`PageReport` of everything the checks need.
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


def visit(context, base: str, page: str, *, viewport=LAPTOP, axe=False,
          screenshot: Path | None = None, full_page=False) -> PageReport:
    """Open ``page`` (a docname) and report what it shows."""
    url = f"{base}{page}.html"
    report = PageReport(page=page, url=url)
    tab = context.new_page()
    tab.set_viewport_size(viewport)

    def refuse(r):
        report.external_requests.append(r.request.url)
        r.abort()

    # Only requests that leave the site are intercepted (the pattern is
    # matched inside the browser): routing every request through Python
    # made each visit about a third slower.
    tab.route(re.compile(f"^(?!{re.escape(base)}|data:|blob:)"), refuse)
    tab.on("pageerror", lambda error: report.js_errors.append(str(error)))
    tab.on(
        "console",
        lambda message: report.js_errors.append(f"console: {message.text}")
        if message.type == "error"
        else None,
    )
    tab.on(
        "requestfailed",
        lambda request: report.failed_requests.append(request.url)
        if request.url.startswith(base)
        else None,
    )
    tab.on(
        "response",
        lambda response: report.failed_requests.append(
            f"{response.status} {response.url}"
        )
        if response.status >= 400
        else None,
    )
    try:
        tab.goto(url, wait_until="load")
        tab.evaluate(WAIT_FOR_MATH)
        report.facts = tab.evaluate(COLLECT)
        if screenshot:  # before axe, which strips skipped code's colours
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshot), full_page=full_page)
        if axe:
            report.axe = run_axe(tab, skip=[] if axe == "all" else AXE_SKIP)
    finally:
        tab.close()
    return report


#: What axe skips on most pages: the highlighted code of code cells, whose
#: thousands of token spans make the contrast check slow, and whose colours
#: come from one Pygments style for every page (checked in full once, on
#: the first chapter, by test_browser.test_code_colours_are_accessible).
AXE_SKIP = [".cell_input"]


def run_axe(tab, *, skip=AXE_SKIP) -> list[dict]:
    """axe-core's violations of impact serious or critical.

    axe builds its tree of the whole page, skipped parts included, and the
    token spans of highlighted code were most of a chapter's elements (and
    half of axe's time). So each ``pre`` in a skipped part is first replaced
    by its plain text: the same text in the same box, so nothing that axe
    checks changes (tried on every page of the site: the same findings).
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
          const r = await axe.run(context, {resultTypes: ["violations"]});
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
