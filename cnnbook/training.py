"""Experiments that can carry a claim (chapter 5; chapters 6-11 reuse them).

Chapter 5 explains why each piece is needed; this module packages them so
that every later chapter runs its comparisons the same way:

:func:`fit_to_best`
    train a compiled model while watching a validation set, and end with
    the weights of its *best validation epoch* (``EarlyStopping`` with
    ``restore_best_weights=True``), not those of the last, possibly
    overfit, epoch;
:func:`repeat_over_seeds`
    run the same experiment once per random seed: one run decides
    nothing when two results are within a point or two;
:func:`summarise`
    the mean, standard deviation, minimum and maximum of a list of
    per-seed results;
:func:`comparison_table`
    an ablation table as text: one row per arm (one change each), one
    column per metric, mean ± spread over seeds.

Everything here is plain Keras 3 and works on every backend (TensorFlow,
JAX, PyTorch). Example::

    def run(seed):
        model = make_model()  # compiled, metrics=["accuracy"]
        fit = fit_to_best(model, (x, y), 0.1, epochs=20)
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        return {"test accuracy": accuracy, "best epoch": fit.best_epoch}

    arms = {"plain": repeat_over_seeds(run, seeds=[1, 2, 3])}
    print(comparison_table(arms))
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple, Sequence

__all__ = [
    "BestFit",
    "Summary",
    "comparison_table",
    "fit_to_best",
    "repeat_over_seeds",
    "summarise",
]


# --------------------------------------------------------------------------
# Training to the best validation epoch
# --------------------------------------------------------------------------


@dataclass
class BestFit:
    """What :func:`fit_to_best` returns.

    ``history`` is ``model.fit``'s ``History.history`` (metric name -> one
    value per epoch run); ``best_epoch`` counts from 1; the model holds the
    weights of that epoch. ``epoch_seconds`` is the wall-clock time of
    every epoch (the first one includes compiling the training step).
    """

    history: dict
    monitor: str
    best_epoch: int
    best_value: float
    epochs_run: int
    epoch_seconds: list = field(default_factory=list)

    def at_best(self, metric: str) -> float:
        """The value of ``metric`` (e.g. ``"accuracy"``, ``"val_loss"``)
        at the best epoch."""
        if metric not in self.history:
            raise KeyError(
                f"no {metric!r} in the history; it has {sorted(self.history)}"
            )
        return float(self.history[metric][self.best_epoch - 1])


def _epoch_timer(monitor: str):
    """A Keras callback that records the wall-clock seconds of each epoch
    in its ``seconds`` list, and stops with an error after the first
    epoch if the logs have no ``monitor`` (built here, so that importing
    this module does not import Keras)."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)
            if monitor not in (logs or {}):
                raise ValueError(
                    f"the logs have no {monitor!r}, only "
                    f"{sorted(logs or {})}: compile with that metric, or "
                    f"monitor one of these"
                )

    return EpochTimer()


def _is_array_pair(data) -> bool:
    return isinstance(data, tuple) and len(data) == 2


def _check_pair(data, name: str) -> None:
    x, y = data
    if len(x) != len(y):
        raise ValueError(
            f"{name}: {len(x)} inputs but {len(y)} targets; an (x, y) pair "
            f"needs one target per input"
        )
    if len(x) == 0:
        raise ValueError(f"{name} is empty")


def _monitor_mode(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode={mode!r}; use 'auto', 'min' or 'max'")
    if mode != "auto":
        return mode
    return "min" if monitor.endswith("loss") else "max"


def fit_to_best(
    model,
    train,
    validation,
    *,
    epochs: int,
    monitor: str = "val_accuracy",
    mode: str = "auto",
    patience: int | None = None,
    callbacks: Sequence = (),
    verbose: int = 0,
    **fit_kwargs,
) -> BestFit:
    """Train a compiled ``model`` and keep the weights of its best
    validation epoch.

    ``train`` is an ``(x, y)`` pair of arrays or a dataset (a
    ``tf.data.Dataset``, a ``keras.utils.PyDataset``) that yields
    ``(x, y)`` batches. ``validation`` is an ``(x, y)`` pair, a dataset,
    or a fraction between 0 and 1: with arrays, that fraction of the
    *last* training samples is held out (Keras's ``validation_split``).
    The test set never goes here.

    Training runs for ``epochs`` epochs, or stops early once ``monitor``
    has not improved for ``patience`` epochs (``None``: never stop early).
    Either way the model ends with the weights of the epoch where
    ``monitor`` was best (``mode`` ``"auto"``: lowest for a loss, highest
    otherwise), restored by ``keras.callbacks.EarlyStopping``. Other
    keyword arguments (``batch_size``...) go to ``model.fit``.
    Returns a :class:`BestFit`.
    """
    import keras

    if not getattr(model, "compiled", False):
        raise ValueError(
            "compile the model first (model.compile(optimizer=..., "
            "loss=..., metrics=[...])): fit_to_best trains it as compiled"
        )
    if (
        isinstance(epochs, bool)
        or not isinstance(epochs, numbers.Integral)
        or epochs < 1
    ):
        raise ValueError(f"epochs={epochs!r}; use a whole number >= 1")
    if patience is not None and (
        isinstance(patience, bool)
        or not isinstance(patience, numbers.Integral)
        or patience < 1
    ):
        raise ValueError(
            f"patience={patience!r}; use a whole number >= 1, or None to "
            f"train for all the epochs"
        )
    if not isinstance(monitor, str) or not monitor.startswith("val_"):
        raise ValueError(
            f"monitor={monitor!r}: choose the best epoch on validation "
            f"data, with a metric whose name starts with 'val_' (e.g. "
            f"'val_accuracy' or 'val_loss')"
        )
    for name in ("validation_data", "validation_split", "epochs"):
        if name in fit_kwargs:
            raise TypeError(
                f"pass the validation data as `validation` (a pair, a "
                f"dataset or a fraction), not as {name}="
            )
    direction = _monitor_mode(monitor, mode)

    arrays = _is_array_pair(train)
    if arrays:
        _check_pair(train, "train")
        fit_args = {"x": train[0], "y": train[1]}
    elif isinstance(train, (list, dict)) or train is None:
        raise TypeError(
            "train must be an (x, y) tuple of arrays or a dataset that "
            f"yields (x, y) batches, not {type(train).__name__}"
        )
    else:
        fit_args = {"x": train}

    if isinstance(validation, numbers.Real) and not isinstance(
        validation, bool
    ):
        if not 0 < validation < 1:
            raise ValueError(
                f"validation={validation!r}: a fraction of the training "
                f"data must lie strictly between 0 and 1"
            )
        if not arrays:
            raise ValueError(
                "a validation fraction needs (x, y) arrays; with a dataset, "
                "pass a validation dataset"
            )
        fit_args["validation_split"] = float(validation)
    elif _is_array_pair(validation):
        _check_pair(validation, "validation")
        fit_args["validation_data"] = validation
    elif validation is None or isinstance(validation, (list, dict, str)):
        raise TypeError(
            "validation must be an (x, y) tuple, a dataset or a fraction "
            f"between 0 and 1, not {validation!r:.60}"
        )
    else:
        fit_args["validation_data"] = validation

    stopper = keras.callbacks.EarlyStopping(
        monitor=monitor,
        mode=direction,
        patience=epochs if patience is None else patience,
        restore_best_weights=True,
    )
    timer = _epoch_timer(monitor)
    build_for_fit(model, train)
    history = model.fit(
        **fit_args,
        epochs=epochs,
        callbacks=[timer, *callbacks, stopper],
        verbose=verbose,
        **fit_kwargs,
    ).history
    values = [float(v) for v in history[monitor]]
    pick = min if direction == "min" else max
    best_value = pick(values)
    best_epoch = values.index(best_value) + 1
    return BestFit(
        history={k: [float(v) for v in vs] for k, vs in history.items()},
        monitor=monitor,
        best_epoch=best_epoch,
        best_value=best_value,
        epochs_run=len(values),
        epoch_seconds=list(timer.seconds),
    )


def build_for_fit(model, train) -> bool:
    """Create a compiled model's optimizer and metric variables before
    ``model.fit`` traces its training step (TensorFlow only).

    Without a distribution strategy, Keras's TensorFlow trainer creates
    them while it traces the step for the first time; a ``tf.function``
    that creates variables is traced a second time, so every new model
    paid for its training step's graph twice (for chapter 5's small
    ConvNet about 4 of the first epoch's 10 CPU seconds on a 2-core
    machine). Keras builds them first when a strategy is set, and always
    under JAX, through the trainer's ``_symbolic_build``, which this calls
    on symbolic tensors of ``train``'s shapes: nothing is computed, no
    random number is drawn, and training gives the same numbers.
    ``train`` is an ``(x, y)`` pair of arrays or a dataset with an
    ``element_spec``; for anything else (a ``PyDataset``) nothing is done.
    Returns True if it built.
    """
    import keras

    if keras.backend.backend() != "tensorflow" or not hasattr(
        model, "_symbolic_build"
    ):
        return False
    if _is_array_pair(train):
        batch = keras.tree.map_structure(lambda part: part[:1], train)
    elif hasattr(train, "element_spec"):  # a tf.data.Dataset
        batch = train.element_spec
    else:
        return False
    model._symbolic_build(data_batch=batch)
    return True


# --------------------------------------------------------------------------
# Several seeds, and what they say together
# --------------------------------------------------------------------------


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    try:  # NumPy and backend scalars
        return hasattr(value, "shape") and value.shape == () and float(
            value
        ) == float(value)
    except (TypeError, ValueError):
        return False


def repeat_over_seeds(
    run: Callable[[int], Mapping[str, float]], seeds: Sequence[int]
) -> dict[str, list[float]]:
    """Run one experiment once per seed and collect its results.

    Before each call, ``keras.utils.set_random_seed(seed)`` seeds Python,
    NumPy and the backend, so that what ``run`` builds after it (the
    weights' initialisation, dropout, augmentation layers made inside
    ``run``) and the shuffling change with the seed and repeat with it.
    Random layers built outside ``run`` and shared between calls drew
    their seeds when they were built and carry their state on from call
    to call: the seed does not fix their draws. ``run(seed)`` builds,
    trains and evaluates a fresh model and returns a mapping of result
    names to numbers, e.g. ``{"test accuracy": 0.71, "best epoch": 12}``.
    Returns ``{name: [value for each seed]}``, in the order of ``seeds``.
    """
    import keras

    if not callable(run):
        raise TypeError("run must be a function of the seed")
    seeds = list(seeds) if not isinstance(seeds, (str, bytes)) else None
    if not seeds:
        raise ValueError("give at least one seed, e.g. seeds=[1, 2, 3]")
    for seed in seeds:
        if (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or seed < 0
        ):
            raise ValueError(f"seed {seed!r}: seeds are whole numbers >= 0")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {seeds} repeat: each seed once")

    results: dict[str, list[float]] = {}
    for count, seed in enumerate(seeds):
        keras.utils.set_random_seed(int(seed))
        result = run(int(seed))
        if not isinstance(result, Mapping) or not result:
            raise TypeError(
                f"run({seed}) returned {type(result).__name__}; return a "
                f"dict of result names to numbers"
            )
        if count and set(result) != set(results):
            raise ValueError(
                f"run({seed}) returned {sorted(result)}, but the first "
                f"seed returned {sorted(results)}: return the same names"
            )
        for name, value in result.items():
            if not _is_number(value):
                raise TypeError(
                    f"run({seed})[{name!r}] = {value!r} is not a number"
                )
            results.setdefault(str(name), []).append(float(value))
    return results


class Summary(NamedTuple):
    """Mean, sample standard deviation, minimum and maximum of ``n``
    values (``std`` is ``nan`` for a single value)."""

    n: int
    mean: float
    std: float
    min: float
    max: float

    def __str__(self) -> str:
        return self.format()

    def format(self, digits: int = 3) -> str:
        """``"0.712 ± 0.008 (0.703-0.720)"``: mean ± std (min-max)."""
        if self.n == 1:
            return f"{self.mean:.{digits}f} (1 run)"
        return (
            f"{self.mean:.{digits}f} ± {self.std:.{digits}f} "
            f"({self.min:.{digits}f}-{self.max:.{digits}f})"
        )


def summarise(values: Sequence[float]) -> Summary:
    """The :class:`Summary` of per-seed results.

    ``std`` is the *sample* standard deviation (divided by n - 1): the
    spread expected between runs of the same experiment. With the three to
    five seeds a notebook can afford it is a rough estimate; the minimum
    and maximum show the whole range.
    """
    if isinstance(values, (str, bytes, Mapping)):
        raise TypeError("summarise takes a list of numbers")
    values = list(values)
    if not values:
        raise ValueError("no values to summarise")
    for value in values:
        if not _is_number(value) or not math.isfinite(float(value)):
            raise ValueError(f"{value!r} is not a finite number")
    values = [float(v) for v in values]
    n = len(values)
    mean = math.fsum(values) / n
    if n > 1:
        variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
        std = math.sqrt(variance)
    else:
        std = math.nan
    return Summary(n, mean, std, min(values), max(values))


def comparison_table(
    arms: Mapping[str, Mapping[str, Sequence[float]]],
    metrics: Sequence[str] | None = None,
    *,
    baseline: str | None = None,
    digits: int = 3,
) -> str:
    """An ablation table as text: one row per arm, one column per metric.

    ``arms`` maps each arm's name to its per-seed results, as
    :func:`repeat_over_seeds` returns them. Each cell shows ``mean ± std
    (min-max)`` over the seeds; ``metrics`` chooses and orders the columns
    (default: those of the first arm). With ``baseline`` (an arm's name),
    each other arm's cell also shows the difference of its mean from the
    baseline's mean.
    """
    if not isinstance(arms, Mapping) or not arms:
        raise ValueError("arms: give a dict {arm name: {metric: values}}")
    first = next(iter(arms.values()))
    if not isinstance(first, Mapping):
        raise TypeError("each arm maps metric names to per-seed values")
    metrics = list(first) if metrics is None else list(metrics)
    if not metrics:
        raise ValueError("no metrics to show")
    for arm, results in arms.items():
        if not isinstance(results, Mapping):
            raise TypeError(f"arm {arm!r}: map metric names to values")
        missing = [m for m in metrics if m not in results]
        if missing:
            raise KeyError(
                f"arm {arm!r} has no {missing}; it has {sorted(results)}"
            )
    if baseline is not None and baseline not in arms:
        raise KeyError(
            f"baseline {baseline!r} is not an arm; arms: {list(arms)}"
        )
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits={digits!r}; use a whole number >= 0")

    summaries = {
        arm: {m: summarise(results[m]) for m in metrics}
        for arm, results in arms.items()
    }
    header = ["arm", "runs"] + metrics
    rows = []
    for arm, by_metric in summaries.items():
        runs = {s.n for s in by_metric.values()}
        row = [str(arm), "/".join(str(n) for n in sorted(runs))]
        for metric in metrics:
            cell = by_metric[metric].format(digits)
            if baseline is not None and arm != baseline:
                delta = (
                    by_metric[metric].mean - summaries[baseline][metric].mean
                )
                cell += f" [{delta:+.{digits}f}]"
            row.append(cell)
        rows.append(row)
    widths = [
        max(len(row[i]) for row in [header, *rows])
        for i in range(len(header))
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
        )
    if baseline is not None:
        lines.append(f"[...]: difference of the mean from {baseline!r}")
    return "\n".join(lines)


def restore_malloc_thresholds() -> bool:
    """Set the C library's allocator back after ``tf.data``'s generator
    datasets (chapter 6).

    Training on a ``Dataset.from_generator`` (Keras builds one for a
    Python generator or a ``PyDataset`` under TensorFlow) can leave
    glibc's mmap threshold low (below 200 KiB) and no longer adjusting
    itself, for the whole process; creating or iterating the dataset
    does not (probed with TensorFlow 2.21, 2026-12-03). Every later
    buffer above the threshold (a batch of activations) is then mapped
    from the operating system and unmapped again: on a 2-core CPU a
    small ConvNet's training spends about a third of its time in the
    kernel. This sets the threshold to glibc's maximum (32 MiB) and the
    trim threshold to twice that. Returns False, doing nothing, where the
    C library is not glibc.
    """
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, 32 * 2**20)
                and libc.mallopt(m_trim_threshold, 64 * 2**20))
