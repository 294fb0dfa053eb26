"""The shared drawing routine of chapters 1, 2 and 4 (cnnbook.plots)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnnbook import plots  # noqa: E402


def test_draw_numbers_writes_every_value_and_boxes():
    values = np.array([[1.0, -0.0], [2.5, 30.0]])
    fig, ax = plt.subplots()
    assert plots.draw_numbers(ax, values, "t", boxes=[((0, 0), 2)]) is ax
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1", "0", "2.5", "30"]  # no "-0"
    assert len(ax.patches) == 1 and ax.get_title() == "t"
    plt.close(fig)


def test_draw_numbers_shades_windows_alike():
    fig, ax = plt.subplots()
    plots.draw_numbers(ax, np.arange(16.0).reshape(4, 4), window=2)
    shade = ax.images[0].get_array()
    assert shade[0, 0] == shade[1, 1] != shade[0, 2] == shade[1, 3]
    plt.close(fig)


def test_draw_numbers_refuses_what_is_not_a_matrix():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="values must be a 2-D matrix"):
        plots.draw_numbers(ax, np.zeros((2, 2, 2)))
    plt.close(fig)
