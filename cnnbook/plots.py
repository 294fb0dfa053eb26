"""Figure defaults and the plotting routines that several chapters share."""

from __future__ import annotations

import math

import numpy as np

FIGSIZE = (3.5, 2.5)


def set_plot_defaults() -> None:
    """Small figures, crisp output, no top/right spines; called by Setup."""
    import matplotlib.pyplot as plt

    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")
    except ImportError:  # pragma: no cover - outside Jupyter
        pass
    plt.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": 100,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "image.cmap": "viridis",
            "font.size": 9,
        }
    )


def show_images(
    images,
    titles=None,
    *,
    ncols: int | None = None,
    cmap=None,
    size: float = 1.6,
    vmin=None,
    vmax=None,
    suptitle: str | None = None,
):
    """Show images in a grid sized from rows x columns; returns the figure.

    Single-channel images are drawn in gray unless ``cmap`` says otherwise:
    pass ``cmap="viridis"`` for activation maps, or a list with one
    colormap per image to mix inputs and maps in one figure.
    """
    import matplotlib.pyplot as plt

    images = [np.asarray(image) for image in images]
    count = len(images)
    cmaps = list(cmap) if isinstance(cmap, (list, tuple)) else [cmap] * count
    ncols = ncols or min(count, 6)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False
    )
    for position, ax in enumerate(axes.flat):
        ax.axis("off")
        if position >= count:
            continue
        image = images[position]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        gray = image.ndim == 2
        ax.imshow(
            image,
            cmap=cmaps[position] or ("gray" if gray else None),
            vmin=vmin,
            vmax=vmax,
        )
        if titles is not None:
            ax.set_title(str(titles[position]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def draw_numbers(ax, values, title=None, *, boxes=(), window=None):
    """Draw a small matrix with its numbers written in (chapters 1, 2, 4).

    The cells are shaded lightly by value (cividis), or, with ``window``,
    by the ``window`` x ``window`` block they belong to, so that a pooling
    window and its output share a shade. ``boxes`` outlines cells:
    ``((row, column), size)`` boxes a size x size block whose top-left
    cell is (row, column). Returns ``ax``.
    """
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(
            f"values must be a 2-D matrix, not shape {values.shape}"
        )
    if window is None:
        shade = values
    else:
        rows, cols = np.indices(values.shape) // window
        shade = rows * (values.shape[1] // window + 1) + cols
    ax.imshow(shade, cmap="cividis", alpha=0.35)
    for (j, k), value in np.ndenumerate(values):
        ax.text(k, j, f"{value + 0.0:g}", ha="center", va="center")
    for (j, k), size in boxes:
        ax.add_patch(
            plt.Rectangle(
                (k - 0.5, j - 0.5),
                size,
                size,
                fill=False,
                linewidth=2.5,
                edgecolor="crimson",
            )
        )
    if title:
        ax.set_title(title)
    ax.axis("off")
    return ax


def plot_history(history, metrics=("loss", "accuracy"), title=None):
    """Training curves from ``model.fit``: one panel per metric.

    Each panel shows the training and, when present, the validation curve
    of one metric (Keras 3 names them ``accuracy`` and ``val_accuracy``),
    with the metric's name on the y axis and epochs counted from 1.
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    logs = getattr(history, "history", history)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise KeyError(f"no {missing} in the history; it has {sorted(logs)}")
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(FIGSIZE[0] * len(metrics), FIGSIZE[1]),
        squeeze=False,
    )
    for ax, metric in zip(axes[0], metrics):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", label="training", markersize=3)
        if f"val_{metric}" in logs:
            ax.plot(
                epochs,
                logs[f"val_{metric}"],
                "s--",
                label="validation",
                markersize=3,
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, class_names):
    """A confusion matrix with counts; rows are true classes."""
    import matplotlib.pyplot as plt

    n = len(class_names)
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    matrix = np.zeros((n, n), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    size = max(3.0, 0.45 * n)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="cividis")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            color = "black" if count > matrix.max() / 2 else "white"
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=7,
                color=color,
            )
    ax.set_xticks(range(n), class_names, rotation=90)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.tight_layout()
    return fig, matrix
