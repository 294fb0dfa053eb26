"""One bibliography (book/references.bib, listed on book/references.md):
every paper the chapters rely on is in it, with a DOI or an address, and
every citation in the book names an entry (else the -W build fails)."""

import re
from pathlib import Path

import pytest

from cnnbook.authoring import notebooks, rules

ROOT = Path(__file__).resolve().parents[2]
BIB = ROOT / "book" / "references.bib"
#: the papers the chapters rely on (chapter authors cite them by these keys)
REQUIRED = """
lecun1998gradient krizhevsky2012imagenet zeiler2014visualizing
simonyan2015very szegedy2015going he2016deep huang2017densely
howard2017mobilenets sandler2018mobilenetv2 chollet2017xception
zoph2018learning selvaraju2017gradcam springenberg2015striving
simonyan2014deep mordvintsev2015inceptionism mahendran2015understanding
dumoulin2016guide jordan2024airbench hubel1962receptive
fukushima1980neocognitron russakovsky2015imagenet srivastava2014dropout
ioffe2015batch
""".split()


def entries() -> dict[str, str]:
    text = BIB.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^@\w+\s*\{", text, re.M)]
    found = {}
    for start, end in zip(starts, starts[1:] + [len(text)]):
        entry = text[start:end]
        key = re.match(r"@\w+\s*\{\s*([^,\s]+)", entry).group(1)
        assert key not in found, f"{key} is listed twice"
        found[key] = entry
    return found


def test_every_paper_the_chapters_rely_on_is_listed():
    missing = set(REQUIRED) - set(entries())
    assert not missing, f"{BIB.name} lacks {sorted(missing)}"


@pytest.mark.parametrize("key", sorted(entries()))
def test_entries_link_their_source_and_follow_the_key_convention(key):
    entry = entries()[key]
    assert re.fullmatch(r"[a-z]+\d{4}[a-z][a-z0-9]*", key), (
        f"{key}: keys are firstauthorYEARfirstword, lower case"
    )
    assert re.search(r"^\s*(doi|url)\s*=", entry, re.M), (
        f"{key}: give a doi or a url"
    )
    year = re.search(r"year\s*=\s*\{(\d{4})\}", entry).group(1)
    assert year in key, f"{key}: the year in the key is not {year}"


def test_the_references_page_lists_the_bibliography_once():
    page = (ROOT / "book" / "references.md").read_text(encoding="utf-8")
    assert page.count("{bibliography}") == 1
    others = [
        p for p in (ROOT / "book").glob("*.md")
        if p.name != "references.md" and "{bibliography}" in p.read_text()
    ]
    assert not others, f"a second bibliography in {others}"


def test_every_citation_names_an_entry():
    problems = []
    for path in notebooks.book_notebooks(ROOT):
        problems += rules.citation_problems(path, BIB)
    known = set(entries())
    for page in (ROOT / "book").glob("*.md"):
        for key in rules.cited_keys(page.read_text(encoding="utf-8")):
            if key not in known:
                problems.append(f"{page.name} cites {key!r}, not in {BIB}")
    assert not problems, "\n".join(problems)
