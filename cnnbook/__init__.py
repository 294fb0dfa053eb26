"""Helpers for *Deep Convolutional Neural Networks: an executable textbook*.

What a reader imports to learn, one module (or subpackage) per job. Each
module's docstring names the chapter that teaches it; a helper a chapter
derives is shown there in full and imported from here afterwards.

========================  ==================================================
``cnnbook.config``        run modes (fast/full), seeds, the Setup printout,
                          ``record_result`` (every chapter)
``cnnbook.asserts``       failed checks that show the values they compared,
                          the mode and the backend (every chapter)
``cnnbook.data``          datasets: cache, online loader, offline mirror,
                          clear errors (every chapter; a module per family)
``cnnbook.plots``         figure defaults and shared plotting routines
``cnnbook.ops``           NumPy convolution and pooling (chapters 1-2)
``cnnbook.sizing``        output sizes, parameter and multiply counts
                          (chapter 3; classic layers, chapter 7;
                          networks with branches, chapter 8;
                          receptive fields, chapter 9;
                          transposed convolutions, chapter 12)
``cnnbook.backprop``      forward and backward passes in NumPy (chapter 4)
``cnnbook.gradients``     gradients of Keras functions on any backend
                          (chapter 4; chapter 13)
``cnnbook.training``      experiments: best-epoch training, several seeds,
                          ablation tables (chapters 5-6 and later)
``cnnbook.architectures`` model builders: chapter 5's small ConvNet;
                          the papers' tables (chapters 7-9)
``cnnbook.pretrained``    an ImageNet-trained MobileNet, online or offline
                          (chapter 11)
``cnnbook.explain``       gradients, saliency, Grad-CAM and friends
                          (chapter 13)
``cnnbook.devices``       devices and honest timing (chapter 14)
========================  ==================================================

Not for readers: :mod:`cnnbook.authoring`, the machinery that builds and
checks the book (exercise generation, badges, book rules, the results
page). A new chapter's helper goes in the reader's module for its job, or
in a new module listed above; never in ``authoring``.
"""

import importlib.util as _importlib_util
import os as _os


def _check_backend() -> None:
    """Say what to install when Keras's backend is missing (for example
    after ``pip install cnnbook`` outside Colab, which ships TensorFlow)."""
    backend = _os.environ.get("KERAS_BACKEND", "tensorflow").strip()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    if backend in module and _importlib_util.find_spec(module[backend]):
        return
    raise ImportError(
        f"Keras's backend {backend!r} is not installed. Install one: "
        f"`pip install tensorflow` (the book's default), or `pip install "
        f"jax` and set KERAS_BACKEND=jax before importing Keras; or run the "
        f"book's set-up (`bash scripts/setup.sh`), which installs everything."
    )


_check_backend()

from cnnbook.config import (  # noqa: E402
    RunMode,
    by_mode,
    record_result,
    run_mode,
    setup_notebook,
)

__version__ = "0.1.0"

__all__ = [
    "RunMode",
    "by_mode",
    "record_result",
    "run_mode",
    "setup_notebook",
    "__version__",
]
