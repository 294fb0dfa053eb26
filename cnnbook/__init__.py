"""Helpers for *Deep Convolutional Neural Networks: an executable textbook*.

The package is deliberately small. Each module serves one job:

- :mod:`cnnbook.config`: the run mode (``fast`` or ``full``), seeds and the
  Setup cell every notebook starts with;
- :mod:`cnnbook.data`: dataset loaders (local cache, online loader, offline
  mirror, then a clear error);
- :mod:`cnnbook.plots`: figure defaults and the few plotting routines that
  more than one chapter uses;
- :mod:`cnnbook.ops`: NumPy reference implementations that a chapter derives
  in full and later chapters import (convolution, pooling);
- :mod:`cnnbook.sizing`: output sizes, parameter and multiply counts and
  per-layer tables (Chapter 3);
- :mod:`cnnbook.backprop`: forward and backward passes in NumPy
  (Chapter 4);
- :mod:`cnnbook.exercises`: turns solution notebooks into exercise
  notebooks and checks that every self-check rejects wrong answers;
- :mod:`cnnbook.nbtools`: notebook housekeeping (badges, committed outputs).
"""

from cnnbook.config import (
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
