"""The in-browser training page really trains: within a bounded number of
steps the loss falls and the test accuracy rises far above chance."""

import pytest

from tests.site.conftest import SCREENSHOTS

pytestmark = pytest.mark.xdist_group("site")

PAGE = "book/train_in_browser"
STEPS = 20  # batches of 32 digits
CHANCE = 0.1


def test_the_convnet_trains_in_the_browser(chromium, base, site):
    assert (site / "_static" / "cnnbook" / "mnist-subset.bin").exists(), (
        "the build did not write the training data"
    )
    tab = chromium.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        tab.goto(f"{base}{PAGE}.html")
        history = tab.evaluate(
            "steps => window.cnnbookTrainer.start("
            "{steps, evalEvery: steps / 2})",
            STEPS,
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(
            path=str(SCREENSHOTS / "book_train_in_browser_trained.png"),
            full_page=True,
        )
        status = tab.inner_text("#cnnbook-train-status")
        shown = tab.inner_text("#cnnbook-accuracy")
    finally:
        tab.close()
    assert not errors, errors
    losses = history["loss"]
    assert len(losses) == STEPS, f"{len(losses)} steps, not {STEPS}"
    first = sum(losses[:10]) / 10
    last = sum(losses[-10:]) / 10
    assert last < 0.6 * first, (
        f"the loss did not fall: {first:.3f} over the first 10 steps, "
        f"{last:.3f} over the last 10 ({history['backend']})"
    )
    accuracy = history["evals"][-1]["accuracy"]
    assert accuracy > 5 * CHANCE, (
        f"test accuracy {accuracy:.3f} after {STEPS} steps is not far "
        f"above chance ({CHANCE}) ({history['backend']})"
    )
    assert history["evals"][0]["accuracy"] <= accuracy + 0.05
    assert status.startswith("Done"), status
    assert f"after {STEPS} steps" in shown, shown
