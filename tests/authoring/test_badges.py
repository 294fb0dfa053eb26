"""Colab badges: the rule catches a missing badge and the writer adds it."""

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
