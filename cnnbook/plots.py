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
