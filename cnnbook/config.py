"""Run modes, seeds and the Setup cell shared by every notebook.

Every chapter runs in one of two modes, chosen by the environment variable
``CNNBOOK_MODE``:

``full`` (the default)
    reproduces the chapter's real results (all the data, all the epochs);
``fast``
    small stratified subsets and few epochs, so that the whole book runs in
    CI on a 2-core CPU. The tests set it.

A notebook never reads the variable itself: it calls :func:`setup_notebook`
once in its Setup section and :func:`by_mode` wherever a size depends on the
mode.
"""

from __future__ import annotations

import datetime
import os
import platform
import random
import re
from dataclasses import dataclass

MODE_VARIABLE = "CNNBOOK_MODE"
MODES = ("full", "fast")
DEFAULT_SEED = 42


@dataclass(frozen=True)
class RunMode:
    """The mode a notebook runs in (``name`` is ``"full"`` or ``"fast"``)."""

    name: str

    @property
    def fast(self) -> bool:
        return self.name == "fast"

    @property
    def full(self) -> bool:
        return self.name == "full"

    def __str__(self) -> str:
        return self.name


def run_mode() -> RunMode:
    """Return the run mode selected by ``CNNBOOK_MODE`` (default ``full``)."""
    value = os.environ.get(MODE_VARIABLE, "full").strip().lower() or "full"
    if value not in MODES:
        raise ValueError(
            f"{MODE_VARIABLE}={value!r} is not a run mode; "
            f"use one of {', '.join(MODES)}"
        )
    return RunMode(value)


def by_mode(*, fast, full):
    """Pick the value for the current run mode, e.g. ``by_mode(fast=2,
    full=15)`` epochs."""
    return fast if run_mode().fast else full


def set_seed(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and the Keras backend so a re-run repeats."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import keras

        keras.utils.set_random_seed(seed)
    except ImportError:  # pragma: no cover - keras is a dependency
        pass


def describe_accelerator() -> str:
    """Name the hardware Keras will compute on: the GPU(s), or the CPU."""
    import keras

    backend = keras.backend.backend()
    cpu = f"CPU ({os.cpu_count()} cores, {platform.machine()})"
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            names = [
                tf.config.experimental.get_device_details(gpu).get(
                    "device_name", "GPU"
                )
                for gpu in gpus
            ]
            return ", ".join(names) if names else cpu
        if backend == "jax":
            import jax

            devices = jax.devices()
            kinds = {d.platform for d in devices}
            if kinds & {"gpu", "cuda", "rocm", "tpu"}:
                return ", ".join(str(d.device_kind) for d in devices)
            return cpu
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.get_device_name(0)
            return cpu
    except Exception as error:  # pragma: no cover - depends on drivers
        return f"unknown ({error})"
    return cpu


def backend_version() -> str:
    """The version of the library behind the Keras backend."""
    import importlib.metadata

    import keras

    backend = keras.backend.backend()
    for package in {"tensorflow": ("tensorflow", "tensorflow-cpu")}.get(
        backend, (backend,)
    ):
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "?"


def setup_notebook(seed: int = DEFAULT_SEED, *, plots: bool = True) -> RunMode:
    """The one call every notebook's Setup section makes.

    It seeds every random generator, sets the figure defaults and prints the
    run mode, the Keras backend and its version, the hardware and where
    data will come from: the first output of every chapter says how it was
    produced. In a notebook it also makes every later ``assert`` without a
    message say, when it fails, the values it compared, the mode and the
    backend (:mod:`cnnbook.asserts`).
    """
    import sys

    import keras

    from cnnbook import data
    from cnnbook.asserts import explain_failed_asserts

    mode = run_mode()
    explain_failed_asserts()
    set_seed(seed)
    if plots:
        from cnnbook.plots import set_plot_defaults

        set_plot_defaults()
    accelerator = describe_accelerator()
    print(f"Run mode: {mode} ({MODE_VARIABLE}=fast or full changes it)")
    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()} "
        f"{backend_version()}, Python {platform.python_version()}, "
        f"{accelerator}"
    )
    print("Data, in this order:")
    for number, source in enumerate(data.describe_sources().split(", then ")):
        print(f"  {number + 1}. {source}")
    print(f"Seed: {seed}, run on {datetime.date.today().isoformat()}")
    if "google.colab" in sys.modules and accelerator.startswith("CPU"):
        print(
            "Tip: Runtime > Change runtime type > GPU makes the chapters "
            "that train networks much faster."
        )
    return mode


RESULT_PREFIX = "Result: "
_RESULT_LINE = re.compile(
    r"^Result: (?P<description>.+?) = (?P<value>.+?) \(data: (?P<data>.*)\)$"
)


def record_result(description: str, value: str, data: str) -> None:
    """Print one headline result of a chapter, as a sentence a reader can
    read and the results page can collect.

    Prints ``Result: <description> = <value> (data: <data>)``.
    ``python -m cnnbook.authoring results`` collects these lines from the
    committed outputs, with the run's backend, hardware and date, into the
    book's results page (``book/results.md``), so the page is computed, not
    typed. Example: ``record_result("MNIST ConvNet, test accuracy",
    f"{accuracy:.2%}", "10,000 training images (offline mirror)")``.
    """
    for name, text in (("description", description), ("value", value)):
        if " = " in text or "(data: " in text:
            raise ValueError(f"the {name} may not contain ' = ' or '(data: '")
    line = f"{RESULT_PREFIX}{description} = {value} (data: {data})"
    if "\n" in line or not _RESULT_LINE.match(line):
        raise ValueError(f"not a one-line result: {line!r}")
    print(line)


def parse_result(line: str) -> dict | None:
    """The ``description``, ``value`` and ``data`` of a line printed by
    :func:`record_result` (``None`` for any other line)."""
    match = _RESULT_LINE.match(line.strip())
    return match.groupdict() if match else None
