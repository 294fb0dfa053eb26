"""Colab badges: the rule catches a missing badge and the writer adds it."""

import nbformat

from cnnbook.authoring import badges
from tests.helpers import notebook, write


def test_badge_rule_and_writer(tmp_path):
    nb = notebook(("md", "# Title"), ("code", badges.COLAB_INSTALL))
    path = write(nb, tmp_path / "notebooks" / "01_x.ipynb")
    assert "no Colab badge" in badges.badge_problems(path, tmp_path)[0]
    badges.write_badges(tmp_path)
    assert badges.badge_problems(path, tmp_path) == []
    text = path.read_text()
    assert "notebooks/01_x.ipynb" in text


def test_badge_image_is_the_books_own_file_beside_the_notebooks():
    badge = badges.badge_markdown("notebooks/01_x.ipynb")
    assert 'src="../_static/colab-badge.svg"' in badge
    assert "colab.research.google.com/assets" not in badge
    assert badges.badge_image("a/b/c.ipynb") == "../../_static/colab-badge.svg"
    assert (badges.ROOT / badges.BADGE_IMAGE).is_file()
    assert badges.colab_url("notebooks/01_x.ipynb") == (
        "https://colab.research.google.com/github/"
        f"{badges.REPOSITORY}/blob/{badges.BRANCH}/notebooks/01_x.ipynb"
    )


def test_legacy_badge_is_accepted_and_rewritten(tmp_path):
    relative = "notebooks/01_x.ipynb"
    [legacy] = badges.legacy_badges(relative)
    nb = notebook(
        ("md", "# T"), ("md", legacy), ("code", badges.COLAB_INSTALL)
    )
    nb.cells[2].metadata["tags"] = [badges.COLAB_TAG]
    path = write(nb, tmp_path / relative)
    assert badges.badge_problems(path, tmp_path) == []
    badges.write_badges(tmp_path)
    written = nbformat.read(path, as_version=4)
    assert written.cells[1].source == badges.badge_markdown(relative)


def test_tidy_writes_badges_and_folds_checks(tmp_path):
    from cnnbook.authoring import rules, tidy

    nb = notebook(
        ("md", "# T"),
        ("code", badges.COLAB_INSTALL),
        ("code", "x = 1"),
        ("code", "assert x == 1, 'x'"),
    )
    path = write(nb, tmp_path / "notebooks" / "01_x.ipynb")
    [line] = tidy.tidy(root=tmp_path)
    assert "badge" in line and "1 assertion cell(s)" in line
    assert badges.badge_problems(path, tmp_path) == []
    assert rules.unfolded_checks(path) == []
    assert tidy.tidy(root=tmp_path) == [], "a second tidy changes nothing"
