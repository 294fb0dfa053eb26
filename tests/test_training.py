"""cnnbook.training: best-epoch training, several seeds, ablation tables."""

import math

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook.training import (
    BestFit,
    Summary,
    build_for_fit,
    comparison_table,
    fit_to_best,
    repeat_over_seeds,
    summarise,
)

FEW = settings(max_examples=60, deadline=None)


def toy_data(n=96, seed=0):
    """Two noisy, overlapping classes in 4 dimensions (a model overfits
    them quickly, so the best validation epoch is rarely the last)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 4)).astype("float32")
    x[:, 0] += 0.8 * y
    return x, y.astype("float32")


def toy_model(learning_rate=0.05):
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


# --- fit_to_best ---------------------------------------------------------


@pytest.mark.parametrize("monitor", ["val_loss", "val_accuracy"])
def test_fit_to_best_restores_the_best_epoch(monitor):
    keras.utils.set_random_seed(0)
    x, y = toy_data()
    validation = toy_data(64, seed=1)
    model = toy_model()
    fit = fit_to_best(model, (x, y), validation, epochs=8, monitor=monitor)
    assert isinstance(fit, BestFit)
    assert fit.epochs_run == 8 == len(fit.history["loss"])
    assert len(fit.epoch_seconds) == 8
    values = fit.history[monitor]
    pick = min if monitor == "val_loss" else max
    assert fit.best_value == pick(values)
    assert fit.best_epoch == values.index(pick(values)) + 1
    # The model holds the weights of the best epoch: evaluating it on the
    # validation data gives that epoch's validation numbers.
    loss, accuracy = model.evaluate(*validation, verbose=0)
    assert loss == pytest.approx(fit.at_best("val_loss"), rel=1e-4)
    assert accuracy == pytest.approx(fit.at_best("val_accuracy"), abs=1e-6)


def test_fit_to_best_with_a_split_and_patience():
    keras.utils.set_random_seed(1)
    x, y = toy_data(128)
    model = toy_model(learning_rate=0.2)
    fit = fit_to_best(
        model, (x, y), 0.25, epochs=40, monitor="val_loss", patience=2,
        batch_size=16,
    )
    assert fit.epochs_run < 40, "patience 2 should stop a quick overfit"
    assert fit.epochs_run - fit.best_epoch <= 2
    # The split is Keras's: the last quarter of the samples.
    loss, _ = model.evaluate(x[96:], y[96:], verbose=0)
    assert loss == pytest.approx(fit.best_value, rel=1e-4)


def test_fit_to_best_with_datasets():
    tf = pytest.importorskip("tensorflow")
    keras.utils.set_random_seed(2)
    x, y = toy_data()
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    validation = tf.data.Dataset.from_tensor_slices(toy_data(32, 3)).batch(32)
    fit = fit_to_best(toy_model(), train, validation, epochs=3)
    assert fit.epochs_run == 3 and 1 <= fit.best_epoch <= 3


def test_at_best_names_what_the_history_has():
    fit = BestFit({"loss": [1.0, 0.5]}, "val_loss", 2, 0.4, 2)
    assert fit.at_best("loss") == 0.5
    with pytest.raises(KeyError, match="it has"):
        fit.at_best("accuracy")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 2.5}, ValueError, "epochs"),
        ({"epochs": 2, "patience": 0}, ValueError, "patience"),
        ({"epochs": 2, "monitor": "loss"}, ValueError, "val_"),
        ({"epochs": 2, "mode": "best"}, ValueError, "mode"),
        ({"epochs": 2, "validation_split": 0.1}, TypeError, "validation"),
    ],
)
def test_fit_to_best_rejects_bad_arguments(kwargs, error, message):
    x, y = toy_data(16)
    with pytest.raises(error, match=message):
        fit_to_best(toy_model(), (x, y), (x, y), **kwargs)


@pytest.mark.parametrize(
    "train, validation, error, message",
    [
        ("pair", 0.0, ValueError, "between 0 and 1"),
        ("pair", 1.5, ValueError, "between 0 and 1"),
        ("pair", None, TypeError, "validation must be"),
        ("pair", "test", TypeError, "validation must be"),
        ("short", 0.2, ValueError, "targets"),
        ([1, 2], 0.2, TypeError, "train must be"),
        ("dataset", 0.2, ValueError, "needs \\(x, y\\) arrays"),
    ],
)
def test_fit_to_best_rejects_bad_data(train, validation, error, message):
    x, y = toy_data(16)
    if train == "pair":
        train = (x, y)
    elif train == "short":
        train = (x, y[:-1])
    elif train == "dataset":
        train = keras.utils.PyDataset  # any non-pair object stands in
    with pytest.raises(error, match=message):
        fit_to_best(toy_model(), train, validation, epochs=1)


def test_fit_to_best_needs_a_compiled_model_and_a_known_metric():
    x, y = toy_data(16)
    bare = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compile the model"):
        fit_to_best(bare, (x, y), (x, y), epochs=1)
    with pytest.raises(ValueError, match="no .val_auc."):
        fit_to_best(toy_model(), (x, y), (x, y), epochs=1, monitor="val_auc")


# --- repeat_over_seeds ------------------------------------------------------


def test_repeat_over_seeds_seeds_every_generator():
    def run(seed):
        weights = keras.layers.Dense(3)
        weights.build((None, 2))
        kernel = keras.ops.convert_to_numpy(weights.kernel)
        return {"numpy": np.random.rand(), "keras": float(kernel[0, 0]),
                "seed": seed}

    first = repeat_over_seeds(run, [3, 4])
    again = repeat_over_seeds(run, [3, 4])
    assert first == again
    assert first["seed"] == [3.0, 4.0]
    assert first["numpy"][0] != first["numpy"][1]
    assert first["keras"][0] != first["keras"][1]


@pytest.mark.parametrize(
    "run, seeds, error, message",
    [
        (lambda s: {"a": 1}, [], ValueError, "at least one seed"),
        (lambda s: {"a": 1}, [1, 1], ValueError, "repeat"),
        (lambda s: {"a": 1}, [-1], ValueError, "whole numbers"),
        (lambda s: {"a": 1}, [1.5], ValueError, "whole numbers"),
        (lambda s: 0.5, [1], TypeError, "return a dict"),
        (lambda s: {"a": "high"}, [1], TypeError, "not a number"),
        (lambda s: {"a": 1} if s == 1 else {"b": 1}, [1, 2], ValueError,
         "same names"),
        ("run", [1], TypeError, "function"),
    ],
)
def test_repeat_over_seeds_rejects(run, seeds, error, message):
    with pytest.raises(error, match=message):
        repeat_over_seeds(run, seeds)


# --- summarise ---------------------------------------------------------------


@FEW
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=12))
def test_summarise_agrees_with_numpy(values):
    summary = summarise(values)
    assert summary.n == len(values)
    assert summary.mean == pytest.approx(np.mean(values), abs=1e-6)
    assert summary.std == pytest.approx(np.std(values, ddof=1), abs=1e-6)
    assert (summary.min, summary.max) == (min(values), max(values))
    assert summary.min <= summary.mean + 1e-6
    assert summary.mean <= summary.max + 1e-6


def test_summarise_one_value_and_formatting():
    single = summarise([0.5])
    assert single.n == 1 and math.isnan(single.std)
    assert str(single) == "0.500 (1 run)"
    summary = summarise([0.70, 0.72, 0.74])
    assert isinstance(summary, Summary)
    assert str(summary) == "0.720 ± 0.020 (0.700-0.740)"
    assert summary.format(1) == "0.7 ± 0.0 (0.7-0.7)"


@pytest.mark.parametrize("values", [[], [float("nan")], [1, float("inf")],
                                    ["0.5"], [True]])
def test_summarise_rejects(values):
    with pytest.raises(ValueError):
        summarise(values)


def test_summarise_rejects_non_lists():
    with pytest.raises(TypeError):
        summarise("0.5")


# --- comparison_table --------------------------------------------------------


ARMS = {
    "plain": {"test accuracy": [0.70, 0.72], "best epoch": [5, 7]},
    "augmented": {"test accuracy": [0.75, 0.77], "best epoch": [20, 30]},
}


def test_comparison_table_rows_columns_and_differences():
    table = comparison_table(ARMS, baseline="plain", digits=2)
    lines = table.split("\n")
    assert lines[0].split() == ["arm", "runs", "test", "accuracy", "best",
                                "epoch"]
    assert lines[2].startswith("plain") and lines[3].startswith("augmented")
    assert "0.71 ± 0.01 (0.70-0.72)" in lines[2]
    assert "0.76 ± 0.01 (0.75-0.77) [+0.05]" in lines[3]
    assert "25.00 ± 7.07 (20.00-30.00) [+19.00]" in lines[3]
    assert "[...]" not in lines[2] and "'plain'" in lines[-1]


def test_comparison_table_chooses_metrics():
    table = comparison_table(ARMS, ["best epoch"], digits=0)
    assert "test accuracy" not in table and "25 ± 7 (20-30)" in table


@pytest.mark.parametrize(
    "arms, kwargs, error, message",
    [
        ({}, {}, ValueError, "arms"),
        ({"a": [0.5]}, {}, TypeError, "metric names"),
        (ARMS, {"metrics": ["loss"]}, KeyError, "has no"),
        (ARMS, {"baseline": "dropout"}, KeyError, "not an arm"),
        (ARMS, {"digits": -1}, ValueError, "digits"),
        (ARMS, {"metrics": []}, ValueError, "no metrics"),
    ],
)
def test_comparison_table_rejects(arms, kwargs, error, message):
    with pytest.raises(error, match=message):
        comparison_table(arms, **kwargs)


def test_restore_malloc_thresholds_on_glibc():
    import platform

    from cnnbook.training import restore_malloc_thresholds

    assert restore_malloc_thresholds() is (platform.libc_ver()[0] == "glibc")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="only TensorFlow's trainer traces the step twice")
def test_build_for_fit_traces_the_step_once_with_the_same_numbers():
    x, y = toy_data()
    histories, traces = [], []
    for build_first in (False, True):
        keras.utils.set_random_seed(0)
        model = toy_model()
        calls = []
        step = model.train_step
        model.train_step = lambda data: calls.append(1) or step(data)
        if build_first:
            assert build_for_fit(model, (x, y)) is True
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                            validation_split=0.25)
        histories.append(history.history)
        traces.append(len(calls))
    assert traces == [2, 1], traces
    assert histories[0] == histories[1]


def test_build_for_fit_leaves_other_inputs_alone():
    model = toy_model()
    assert build_for_fit(model, object()) is False
