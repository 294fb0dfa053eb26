"""The book's site: a Sphinx extension, loaded by ``_config.yml``.

``bash scripts/build_book.sh`` builds the site with jupyter-book 1.x; this
extension makes the result complete offline and readable:

- MathJax and TensorFlow.js are served from the site's own ``_static``
  folder, copied (MathJax) or bundled with esbuild (TensorFlow.js) from
  ``site/node_modules`` (npm packages that ``scripts/site_setup.sh``
  installs), never from a CDN;
- the MNIST file that the in-browser training page loads
  (``_static/cnnbook/mnist-subset.bin``) is written at build time from
  :mod:`cnnbook.data` (it is never committed);
- notebook figures keep the aspect ratio they were drawn with (a fixed
  pixel height is dropped, so that a figure capped to the column width
  scales instead of being squashed);
- ``Result:`` lines printed by :func:`cnnbook.record_result` are shown as a
  result box (the line in the notebook, which the results page collects,
  is unchanged);
- folded assertion cells (tag ``hide-input``) say that they hold the
  checks ("Show the check");
- the prompts of the generated exercise notebooks ("**Exercise 2.3**")
  are shown as exercise boxes, like the same exercises on the solution
  pages;
- every script is loaded once (sphinx-thebe registers its configuration
  twice, a JavaScript error on every page).

The browser test (``tests/site/``) checks all of this on the built pages.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from cnnbook.authoring.notebooks import ROOT

logger = logging.getLogger(__name__)

#: Where the npm packages are (a link into ``~/.cache/cnnbook-npm``, made
#: by ``scripts/site_setup.sh``); ``CNNBOOK_NODE_MODULES`` overrides it.
NODE_MODULES = ROOT / "site" / "node_modules"
#: The page that trains a ConvNet in the reader's browser, and its script.
TRAINER_ELEMENT = 'id="cnnbook-trainer"'
TRAINER_SCRIPT = ROOT / "site" / "train" / "train.js"
#: What the trainer needs from TensorFlow.js, bundled by esbuild into
#: ``_static/tfjs/tf.min.js`` (the global ``tf``).
TFJS_ENTRY = ROOT / "site" / "train" / "tfjs.js"
TFJS_BUNDLE = "tfjs/tf.min.js"
ESBUILD = ".bin/esbuild"
#: MathJax 3, combined TeX input and CommonHTML output, with the
#: components it loads on demand (TeX extensions, fonts, menu, a11y).
MATHJAX_PATH = "mathjax/tex-chtml.js"
_MATHJAX_SKIP = re.compile(r"^(?!tex-chtml\.js$)[^/]+\.js$|^output/svg")

#: The training data the browser page loads: a stratified MNIST subset.
DATA_FILE = "cnnbook/mnist-subset.bin"
DATA_MAGIC = b"CNNB"
DATA_VERSION = 1
N_TRAIN, N_TEST, DATA_SEED = 3000, 500, 0

SHOW_CHECK = "Show the check (assertions)"
HIDE_CHECK = "Hide the check"
_EXERCISE = re.compile(r"^Exercise (\d+)\.(\d+)$")


def node_modules() -> Path:
    return Path(os.environ.get("CNNBOOK_NODE_MODULES", NODE_MODULES))


# --- Files the site serves ----------------------------------------------


def write_training_data(path: Path) -> Path:
    """Write the MNIST subset the in-browser training page loads.

    Layout (little-endian): ``CNNB``, then five uint32 (version, number of
    training images, number of test images, height, width), then the
    training images (uint8, row-major), their labels (uint8), the test
    images and their labels. Stratified subsets of what
    :func:`cnnbook.data.load_mnist` returns, fixed seed.
    """
    import numpy as np

    from cnnbook import data

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x_train, y_train = data.stratified_subset(
        x_train, y_train, N_TRAIN, seed=DATA_SEED
    )
    x_test, y_test = data.stratified_subset(
        x_test, y_test, N_TEST, seed=DATA_SEED
    )
    height, width = x_train.shape[1:]
    header = DATA_MAGIC + struct.pack(
        "<5I", DATA_VERSION, len(x_train), len(x_test), height, width
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [x_train, y_train, x_test, y_test]
    body = b"".join(np.ascontiguousarray(a, np.uint8).tobytes() for a in parts)
    path.write_bytes(header + body)
    return path


def read_training_data(path: Path):
    """Read the file :func:`write_training_data` wrote (for the tests)."""
    import numpy as np

    raw = Path(path).read_bytes()
    if raw[:4] != DATA_MAGIC:
        raise ValueError(f"{path}: not a training data file")
    version, n_train, n_test, height, width = struct.unpack("<5I", raw[4:24])
    if version != DATA_VERSION:
        raise ValueError(f"{path}: version {version}, not {DATA_VERSION}")
    buffer = np.frombuffer(raw, np.uint8, offset=24)
    size = height * width
    sizes = [n_train * size, n_train, n_test * size, n_test]
    if len(buffer) != sum(sizes):
        raise ValueError(f"{path}: {len(buffer)} bytes, not {sum(sizes)}")
    parts = np.split(buffer, np.cumsum(sizes)[:-1])
    x_train = parts[0].reshape(n_train, height, width)
    x_test = parts[2].reshape(n_test, height, width)
    return (x_train, parts[1]), (x_test, parts[3])


def _copy_tree(source: Path, target: Path, skip=None) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if path.is_dir() or (skip and skip.search(relative)):
            continue
        destination = target / relative
        if (
            destination.exists()
            and destination.stat().st_mtime >= path.stat().st_mtime
        ):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def missing_packages() -> list[str]:
    """The npm files the site needs that are not installed."""
    modules = node_modules()
    wanted = [
        "mathjax/es5/tex-chtml.js",
        "@tensorflow/tfjs-core/package.json",
        ESBUILD,
    ]
    return [name for name in wanted if not (modules / name).is_file()]


def check_packages(app) -> None:
    missing = missing_packages()
    if missing:
        logger.warning(
            "the site's npm packages are missing (%s) in %s: run "
            "`bash scripts/site_setup.sh` (scripts/build_book.sh does)",
            ", ".join(missing),
            node_modules(),
        )


def copy_assets(app, exception) -> None:
    """Put MathJax, TensorFlow.js, the trainer and its data in _static."""
    if exception or app.builder.format != "html" or missing_packages():
        return
    static = Path(app.outdir) / "_static"
    modules = node_modules()
    _copy_tree(modules / "mathjax" / "es5", static / "mathjax", _MATHJAX_SKIP)
    bundle_tfjs(modules, static / TFJS_BUNDLE)
    (static / "cnnbook").mkdir(parents=True, exist_ok=True)
    shutil.copy2(TRAINER_SCRIPT, static / "cnnbook" / TRAINER_SCRIPT.name)
    data_file = static / DATA_FILE
    if not _data_current(data_file):
        write_training_data(data_file)


def _data_current(path: Path) -> bool:
    """True if ``path`` holds the training data this version writes."""
    try:
        (x_train, _), (x_test, _) = read_training_data(path)
    except (OSError, ValueError):
        return False
    return len(x_train) == N_TRAIN and len(x_test) == N_TEST


def bundle_tfjs(modules: Path, target: Path) -> None:
    """Bundle TensorFlow.js for the browser with esbuild (from npm), unless
    the bundle is newer than its entry file and the installed packages."""
    import subprocess

    newest = max(
        TFJS_ENTRY.stat().st_mtime,
        (modules / "@tensorflow" / "tfjs-core" / "package.json")
        .stat().st_mtime,
    )
    if target.exists() and target.stat().st_mtime >= newest:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(modules / ESBUILD),
            str(TFJS_ENTRY),
            "--bundle",
            "--minify",
            "--format=iife",
            "--global-name=tf",
            "--platform=browser",
            "--log-level=warning",
            f"--outfile={target}",
        ],
        check=True,
        cwd=TFJS_ENTRY.parent,
        env={**os.environ, "NODE_PATH": str(modules)},
    )


def page_scripts(app, pagename, templatename, context, doctree) -> None:
    """Load each script once; load TensorFlow.js only where it trains.

    Also fixes two things in the page body that axe reports: bibliography
    entries get the ARIA role their list requires (docutils writes the
    deprecated ``doc-biblioentry``: critical inside ``role="list"``), and
    the summary of a folded cell is named by what it shows ("Show the
    check"), not by myst-nb's fixed ``aria-label`` ("Toggle hidden
    content"): serious, as the visible text is not part of that name.
    """
    if "body" in context:
        context["body"] = (
            context["body"]
            .replace('role="doc-biblioentry"', 'role="listitem"')
            .replace('<summary aria-label="Toggle hidden content">',
                     "<summary>")
        )
    scripts = context.get("script_files")
    if scripts is None:
        return
    seen, unique = set(), []
    for script in scripts:
        # an inline script's file name is None or "", depending on who
        # added it: the same body twice declares its constants twice
        name = getattr(script, "filename", script) or ""
        key = repr((name, sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique
    if TRAINER_ELEMENT in context.get("body", ""):
        app.add_js_file(TFJS_BUNDLE)
        app.add_js_file(f"cnnbook/{TRAINER_SCRIPT.name}")


# --- What the pages show --------------------------------------------------


def _result_box(result: dict) -> nodes.container:
    box = nodes.container(classes=["cnnbook-result"])
    line = nodes.paragraph(classes=["cnnbook-result-line"])
    line += nodes.inline(text="Result", classes=["cnnbook-result-label"])
    line += nodes.Text(f" {result['description']}: ")
    line += nodes.strong(text=result["value"])
    box += line
    if result["data"]:
        box += nodes.paragraph(
            text=f"Data: {result['data']}", classes=["cnnbook-result-data"]
        )
    return box


def result_boxes(block: nodes.literal_block) -> list[nodes.Node] | None:
    """A stream output's text with its result lines as result boxes
    (``None`` when it holds none)."""
    from cnnbook.authoring.results import parse_line

    lines = block.astext().split("\n")
    if not any(parse_line(line) for line in lines):
        return None
    made: list[nodes.Node] = []
    plain: list[str] = []

    def flush():
        text = "\n".join(plain).strip("\n")
        if text:
            made.append(
                nodes.literal_block(
                    text, text, classes=list(block["classes"]),
                    language=block.get("language", "none"),
                )
            )
        plain.clear()

    for line in lines:
        result = parse_line(line)
        if result:
            flush()
            made.append(_result_box(result))
        else:
            plain.append(line)
    flush()
    return made


def _cell_source(cell: nodes.container) -> str:
    for child in cell.findall(nodes.container):
        if child.get("nb_element") == "cell_code_source":
            return child.astext()
    return ""


def _lead(paragraph) -> nodes.Node | None:
    """A paragraph's first child that is not empty text."""
    for child in paragraph.children:
        if not (isinstance(child, nodes.Text) and not child.astext().strip()):
            return child
    return None


def _exercise_number(node) -> str | None:
    """"2.3" for a paragraph that starts with a bold "Exercise 2.3"."""
    if not isinstance(node, nodes.paragraph):
        return None
    lead = _lead(node)
    if not isinstance(lead, nodes.strong):
        return None
    match = _EXERCISE.match(lead.astext())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _exercise_box(paragraph: nodes.paragraph, content: list, number: str):
    box = nodes.admonition(classes=["exercise"])
    box["ids"].append(f"exercise-{number.replace('.', '-')}")
    title = nodes.title()
    title += nodes.inline(
        text=f"Exercise {number} ", classes=["caption-number"]
    )
    rest = paragraph.children[paragraph.index(_lead(paragraph)) + 1 :]
    title.extend(child.deepcopy() for child in rest)
    box += title
    section = nodes.container(classes=["exercise-content"])
    section.extend(content)
    box += section
    return box


def exercise_prompts(document) -> int:
    """Wrap each "**Exercise N.k**" prompt of a generated exercise notebook
    (up to its code cell) in an exercise box; returns how many."""
    made = 0
    for paragraph in list(document.findall(nodes.paragraph)):
        number = _exercise_number(paragraph)
        parent = paragraph.parent
        if not number or parent is None:
            continue
        content = []
        for sibling in parent.children[parent.index(paragraph) + 1 :]:
            if (
                isinstance(sibling, nodes.section)
                or (
                    isinstance(sibling, nodes.container)
                    and sibling.get("nb_element") == "cell_code"
                )
                or _exercise_number(sibling)
            ):
                break
            content.append(sibling)
        for sibling in content:
            parent.remove(sibling)
        parent.replace(paragraph, _exercise_box(paragraph, content, number))
        made += 1
    return made


class SitePages(SphinxPostTransform):
    """What every page shows (see the module docstring). Runs before
    myst-nb folds hidden cells (priority 199)."""

    default_priority = 150
    formats = ("html",)

    def run(self, **kwargs) -> None:
        from cnnbook.authoring.rules import is_assertion_only

        for image in self.document.findall(nodes.image):
            if "width" in image and "height" in image:
                del image["height"]
        for block in list(self.document.findall(nodes.literal_block)):
            if "stream" in block["classes"] and block.parent is not None:
                made = result_boxes(block)
                if made:
                    block.parent.replace(block, made)
        for cell in self.document.findall(nodes.container):
            if (
                cell.get("nb_element") == "cell_code"
                and cell.get("hide_mode") == "input"
                and is_assertion_only(_cell_source(cell))
            ):
                cell["prompt_show"] = SHOW_CHECK
                cell["prompt_hide"] = HIDE_CHECK
        # the page being written (env.docname is the last page read)
        docname = self.env.path2doc(self.document["source"]) or ""
        if docname.startswith("exercises/"):
            exercise_prompts(self.document)
        local_badges(self.document, docname)


def local_badges(document, docname: str) -> None:
    """Show the book's own badge image where a notebook still links the
    earlier online one (until ``python -m cnnbook.authoring badges`` has
    rewritten it)."""
    from cnnbook.authoring.badges import LEGACY_BADGE_IMAGES, badge_image

    local = badge_image(docname + ".ipynb")
    for raw in list(document.findall(nodes.raw)):
        text = raw.astext()
        if raw.get("format") != "html" or not any(
            image in text for image in LEGACY_BADGE_IMAGES
        ):
            continue
        for image in LEGACY_BADGE_IMAGES:
            text = text.replace(image, local)
        text = text.replace('alt="Open In Colab"', 'alt="Open in Colab"')
        raw.parent.replace(
            raw, nodes.raw(text, text, format="html", classes=raw["classes"])
        )


def setup(app):
    # A change of this module changes how every page is written: Sphinx
    # rebuilds all pages when this value differs from the last build's.
    import hashlib

    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    app.add_config_value("cnnbook_site_version", version, "html")
    app.connect("builder-inited", check_packages)
    # late (priority 900): after the extensions that add scripts per page
    app.connect("html-page-context", page_scripts, priority=900)
    app.connect("build-finished", copy_assets)
    app.add_post_transform(SitePages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
