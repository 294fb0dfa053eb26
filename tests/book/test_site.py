"""The site's configuration covers the whole book, in order."""

from pathlib import Path

import yaml

from cnnbook.authoring import badges

ROOT = Path(__file__).resolve().parents[2]


def toc_parts():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {part["caption"]: part for part in toc["parts"]}


def test_every_notebook_is_in_the_toc_in_order():
    parts = toc_parts()
    for caption, folder in [
        ("Chapters", "notebooks"),
        ("Exercises", "exercises"),
        ("Solutions", "solutions"),
    ]:
        listed = [entry["file"] for entry in parts[caption]["chapters"]]
        on_disk = [
            f"{folder}/{path.stem}"
            for path in sorted((ROOT / folder).glob("*.ipynb"))
        ]
        assert listed == on_disk, f"_toc.yml's {caption} part is out of date"


def test_solutions_are_numbered_by_chapter():
    # Exercise N.k in the site's solutions must be exercise N.k of the
    # generated notebooks: the solutions part is numbered from 1, in order,
    # one level deep only (a section numbered "2.1. Setup" would read like
    # exercise 2.1).
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert toc_parts()["Solutions"].get("numbered") == 1
    assert config["sphinx"]["config"]["numfig_secnum_depth"] == 1
    assert config["html"]["use_multitoc_numbering"] is False
    listed = [e["file"] for e in toc_parts()["Solutions"]["chapters"]]
    numbers = [int(Path(name).name.split("_")[0]) for name in listed]
    assert numbers == list(range(1, len(numbers) + 1))


def test_site_and_badges_point_at_the_same_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    assert url == f"https://github.com/{badges.REPOSITORY}"
    assert config["repository"]["branch"] == badges.BRANCH
    assert config["execute"]["execute_notebooks"] == "off"
    # the launch (rocket) button opens the page's notebook in Colab
    assert config["launch_buttons"]["colab_url"] == (
        "https://colab.research.google.com"
    )
    assert config["html"]["use_repository_button"] is True


def test_contributing_names_only_files_that_exist():
    """Every repository path CONTRIBUTING.md writes in backquotes exists
    (paths with a placeholder such as NN_topic are skipped)."""
    import re

    text = (ROOT / "CONTRIBUTING.md").read_text()
    paths = set(
        re.findall(
            r"`((?:[\w.-]+/)+[\w.-]*|[\w-]+\.(?:md|yml|txt|lock|toml|py|sh))`",
            text,
        )
    )
    missing = [
        p
        for p in sorted(paths)
        if "NN" not in p and "<" not in p and not (ROOT / p).exists()
    ]
    assert not missing, f"CONTRIBUTING.md names missing files: {missing}"
    assert len(paths) > 10, "the check found too few paths to mean much"
