"""A small NASNet-style cell search space and three search strategies.

Chapter 9. A *cell* is a list of blocks; each block picks two hidden
states (the cell's input, or the output of an earlier block), applies an
operation to each and adds the two results. The cell's output
concatenates the blocks that no later block uses (projected back to the
cell's width by a 1 x 1 convolution when there are several), as in
NASNet (Zoph et al. 2018). A network stacks the same cell in stages, with
a fixed strided reduction between stages. Three strategies search the
space: random search, regularised evolution (Real et al. 2019) and a
REINFORCE controller (Williams 1992; the policy-gradient idea of NAS).
Chapter 9 shows every function here line for line.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import layers

#: The operations a block may apply to a hidden state, NASNet's list cut
#: down to eight: name -> what it is. Every one keeps the map's size and
#: its number of channels.
OPERATIONS = {
    "identity": "the state itself",
    "conv1x1": "ReLU, 1 x 1 convolution, batch norm",
    "conv3x3": "ReLU, 3 x 3 convolution, batch norm",
    "sep3x3": "ReLU, 3 x 3 depthwise separable convolution, batch norm",
    "sep5x5": "ReLU, 5 x 5 depthwise separable convolution, batch norm",
    "dil3x3": "ReLU, 3 x 3 convolution with dilation 2, batch norm",
    "avg3x3": "3 x 3 average pooling, stride 1",
    "max3x3": "3 x 3 max pooling, stride 1",
}


def check_cell(cell, operations=OPERATIONS):
    """Check that ``cell`` is a tuple of blocks (input, op, input, op) whose
    inputs name the cell input (0) or an earlier block (b for block b - 1)
    and whose operations are known; return it. Chapter 9."""
    if not isinstance(cell, tuple) or not cell:
        raise ValueError(
            f"a cell is a non-empty tuple of blocks, not {cell!r}"
        )
    for b, block in enumerate(cell):
        if len(block) != 4:
            raise ValueError(
                f"block {b} is {block!r}: a block is (input, operation, "
                f"input, operation)"
            )
        for source, op in (block[:2], block[2:]):
            if source not in range(b + 1):
                earlier = ("" if b == 0 else " or 1 (block 0)" if b == 1
                           else f" or 1 to {b} (blocks 0 to {b - 1})")
                raise ValueError(
                    f"block {b} reads state {source!r}: it may read state "
                    f"0 (the cell input){earlier}"
                )
            if op not in operations:
                raise ValueError(
                    f"block {b}: unknown operation {op!r}; choose from "
                    f"{', '.join(operations)}"
                )
    return cell


def space_size(n_blocks, n_operations=len(OPERATIONS)):
    """How many cells of ``n_blocks`` blocks the space holds (Chapter 9).

    Block b (from 0) chooses each of its two inputs among b + 1 states and
    each of its two operations among K, so the count is the product of
    ((b + 1) K)^2. Cells that differ only in the order of a block's two
    branches compute the same function, but are counted apart, as the
    controller samples them apart.
    """
    if n_blocks < 1 or n_operations < 1:
        raise ValueError(
            f"n_blocks={n_blocks}, n_operations={n_operations}: both must "
            f"be at least 1"
        )
    return math.prod(((b + 1) * n_operations) ** 2 for b in range(n_blocks))


def random_cell(rng, n_blocks=3, operations=OPERATIONS):
    """A cell drawn uniformly from the space (Chapter 9)."""
    names = list(operations)
    cell = []
    for b in range(n_blocks):
        source_a, source_b = (int(i) for i in rng.integers(b + 1, size=2))
        op_a, op_b = (names[i] for i in rng.integers(len(names), size=2))
        cell.append((source_a, op_a, source_b, op_b))
    return tuple(cell)


def mutate(cell, rng, operations=OPERATIONS):
    """A copy of ``cell`` with one choice changed: one input or one
    operation of one block, always to a different value (Real et al.'s
    mutation). Chapter 9."""
    check_cell(cell, operations)
    blocks = [list(block) for block in cell]
    while True:
        b, slot = int(rng.integers(len(blocks))), int(rng.integers(4))
        options = list(range(b + 1)) if slot in (0, 2) else list(operations)
        options.remove(blocks[b][slot])
        if options:  # block 0 has only one possible input
            blocks[b][slot] = options[rng.integers(len(options))]
            return tuple(tuple(block) for block in blocks)


def apply_operation(x, name, channels):
    """Apply one operation of :data:`OPERATIONS` to the state ``x``, keeping
    its size and its ``channels`` channels. Chapter 9."""
    if name == "identity":
        return x
    if name in ("avg3x3", "max3x3"):
        pool = {"avg3x3": layers.AveragePooling2D,
                "max3x3": layers.MaxPooling2D}[name]
        return pool(3, strides=1, padding="same")(x)
    size = {"conv1x1": 1, "conv3x3": 3, "dil3x3": 3, "sep3x3": 3,
            "sep5x5": 5}[name]
    x = layers.ReLU()(x)
    if name.startswith("sep"):
        x = layers.SeparableConv2D(channels, size, padding="same",
                                   use_bias=False)(x)
    else:
        x = layers.Conv2D(channels, size, padding="same", use_bias=False,
                          dilation_rate=2 if name == "dil3x3" else 1)(x)
    return layers.BatchNormalization(momentum=0.9)(x)


def unused_states(cell):
    """The blocks (numbered from 1) whose output no later block reads: the
    ones the cell's output concatenates. Chapter 9."""
    read = {source for block in cell for source in (block[0], block[2])}
    return [b for b in range(1, len(cell) + 1) if b not in read]


def apply_cell(x, cell, channels):
    """Apply a cell to ``x`` (which has ``channels`` channels). Chapter 9."""
    states = [x]
    for source_a, op_a, source_b, op_b in check_cell(cell):
        a = apply_operation(states[source_a], op_a, channels)
        b = apply_operation(states[source_b], op_b, channels)
        states.append(layers.Add()([a, b]))
    outputs = [states[b] for b in unused_states(cell)]
    if len(outputs) == 1:
        return outputs[0]
    x = layers.ReLU()(layers.Concatenate()(outputs))
    x = layers.Conv2D(channels, 1, use_bias=False)(x)
    return layers.BatchNormalization(momentum=0.9)(x)


def build_network(cell, input_shape=(32, 32, 3), classes=10, channels=16,
                  stages=3, cells_per_stage=1, stem_strides=2):
    """A network of ``stages`` stages of ``cells_per_stage`` copies of
    ``cell``; between stages a fixed reduction (a separable 3 x 3
    convolution with stride 2) halves the map and doubles the channels.
    The stem, a 3 x 3 convolution with ``stem_strides``, halves the image
    first by default, to make the proxy task cheap. Chapter 9."""
    for name, value in (("channels", channels), ("stages", stages),
                        ("cells_per_stage", cells_per_stage),
                        ("classes", classes)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, "
                             f"not {value!r}")
    inputs = keras.Input(input_shape)
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(channels, 3, strides=stem_strides, padding="same",
                      use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    for stage in range(stages):
        if stage:
            channels *= 2
            x = layers.ReLU()(x)
            x = layers.SeparableConv2D(channels, 3, strides=2,
                                       padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
        for _ in range(cells_per_stage):
            x = apply_cell(x, cell, channels)
    x = layers.GlobalAveragePooling2D()(layers.ReLU()(x))
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def evaluate_cell(cell, data, epochs=1, batch_size=64, seed=0,
                  learning_rate=3e-3, run_eagerly=False, keep_model=False,
                  best_epoch=False, **network):
    """The proxy task: train a network of ``cell`` for ``epochs`` on the
    training part of ``data`` = ((x_train, y_train), (x_val, y_val)) and
    return a record with its validation accuracy, parameters and seconds
    (and the trained model, with ``keep_model=True``). With
    ``best_epoch=True`` the weights of the epoch with the best validation
    accuracy are restored at the end. ``run_eagerly=True`` skips compiling
    the training step, which pays off only over many steps. Chapter 9."""
    (x_train, y_train), (x_val, y_val) = data
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    model = build_network(cell, x_train.shape[1:], int(y_train.max()) + 1,
                          **network)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    watch = [keras.callbacks.EarlyStopping(
        "val_accuracy", patience=epochs, restore_best_weights=True)]
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
              validation_data=(x_val, y_val) if best_epoch else None,
              callbacks=watch if best_epoch else [], verbose=0)
    _, accuracy = model.evaluate(x_val, y_val, batch_size=500, verbose=0)
    record = {"cell": cell, "accuracy": float(accuracy),
              "params": model.count_params(),
              "seconds": time.perf_counter() - start}
    if keep_model:
        record["model"] = model
    return record


def random_search(evaluate, n_candidates, rng, n_blocks=3):
    """Evaluate ``n_candidates`` cells drawn at random; return the records
    in the order they were evaluated. Chapter 9."""
    return [evaluate(random_cell(rng, n_blocks))
            for _ in range(n_candidates)]


def regularized_evolution(evaluate, n_candidates, rng, n_blocks=3,
                          population_size=8, sample_size=3):
    """Regularised (aging) evolution (Real et al. 2019). Chapter 9.

    Start from ``population_size`` random cells; then, until
    ``n_candidates`` cells have been evaluated, pick ``sample_size``
    members of the population at random, mutate the best of them, add the
    child and remove the *oldest* member (not the worst). Returns every
    record in the order evaluated.
    """
    if not 1 <= sample_size <= population_size <= n_candidates:
        raise ValueError(
            f"need 1 <= sample_size ({sample_size}) <= population_size "
            f"({population_size}) <= n_candidates ({n_candidates})"
        )
    history = [evaluate(random_cell(rng, n_blocks))
               for _ in range(population_size)]
    population = list(history)
    while len(history) < n_candidates:
        picked = rng.choice(len(population), sample_size, replace=False)
        parent = max((population[i] for i in picked),
                     key=lambda record: record["accuracy"])
        child = evaluate(mutate(parent["cell"], rng))
        history.append(child)
        population = population[1:] + [child]
    return history


def cell_decisions(n_blocks=3, n_operations=len(OPERATIONS)):
    """The number of choices of each decision that builds a cell, in the
    controller's order: input, operation, input, operation, block by
    block. Chapter 9."""
    return [n for b in range(n_blocks)
            for n in (b + 1, n_operations, b + 1, n_operations)]


def reinforce_search(reward, n_candidates, rng, n_blocks=3,
                     learning_rate=0.5, baseline_decay=0.9):
    """A REINFORCE controller (Williams 1992) over the cell space.

    Chapter 9. The controller holds one softmax per decision (NAS's RNN
    controller, with each step's inputs removed). For every sampled cell
    it nudges the logits by learning_rate A (onehot - p), the gradient of
    A log p(cell). The advantage A = (R - b) / s compares the reward R
    with b, a moving average of the earlier rewards, in units of s, the
    standard deviation of the rewards so far, so that rewards a few
    hundredths apart move the controller as much as rewards far apart
    (the first advantage is 0). ``reward`` maps a cell to a number (or a
    record with an ``accuracy``). Returns the records and the final
    probabilities.
    """
    names = list(OPERATIONS)
    logits = [np.zeros(n) for n in cell_decisions(n_blocks, len(names))]
    history, rewards, baseline = [], [], None
    for _ in range(n_candidates):
        probs = [np.exp(z - z.max()) / np.exp(z - z.max()).sum()
                 for z in logits]
        picks = [int(rng.choice(len(p), p=p)) for p in probs]
        cell = tuple(
            (picks[i], names[picks[i + 1]], picks[i + 2], names[picks[i + 3]])
            for i in range(0, len(picks), 4)
        )
        record = reward(cell)
        if not isinstance(record, dict):
            record = {"cell": cell, "accuracy": float(record)}
        value = record["accuracy"]
        rewards.append(value)
        spread = np.std(rewards)
        advantage = 0.0 if baseline is None or spread == 0 else (
            (value - baseline) / spread)
        baseline = value if baseline is None else (
            baseline_decay * baseline + (1 - baseline_decay) * value)
        for z, p, k in zip(logits, probs, picks):
            z += learning_rate * advantage * (np.eye(len(p))[k] - p)
        history.append(record)
    probs = [np.exp(z - z.max()) / np.exp(z - z.max()).sum() for z in logits]
    return history, probs


def best_so_far(history):
    """The best validation accuracy after each evaluation. Chapter 9."""
    return np.maximum.accumulate([r["accuracy"] for r in history])


def draw_cell(cell, ax=None, title=None):
    """Draw a cell as a graph: the input on the left, each block's two
    operations feeding its sum (+), and the concatenation of the unused
    blocks on the right. Returns the axes. Chapter 9."""
    import matplotlib.pyplot as plt

    check_cell(cell)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * len(cell) + 2.2, 3.2))
    box = {"boxstyle": "round", "fc": "white", "ec": "0.3"}
    where = {0: (0.0, 0.0)}

    def arrow(start, end, rad=0.0, color="0.3", shrink=(14, 14)):
        ax.annotate("", end, start, arrowprops={
            "arrowstyle": "->", "color": color, "shrinkA": shrink[0],
            "shrinkB": shrink[1], "connectionstyle": f"arc3,rad={rad}"})

    ax.text(0, 0, "input", ha="center", va="center", bbox=box)
    for b, (src_a, op_a, src_b, op_b) in enumerate(cell, start=1):
        x = 2.0 * b
        for src, op, y in ((src_a, op_a, 0.9), (src_b, op_b, -0.9)):
            bend = 0.1 * (b - src) * (1 if y > 0 else -1)
            arrow(where[src], (x - 0.8, y), -bend, "0.55",
                  (22 if src == 0 else 12, 20))
            ax.text(x - 0.8, y, op, ha="center", va="center", fontsize=8,
                    bbox={**box, "fc": "0.88"})
            arrow((x - 0.8, y), (x, 0.0), shrink=(8, 12))
        ax.text(x, 0, f"+{b}", ha="center", va="center",
                bbox={"boxstyle": "circle", "fc": "white", "ec": "0.3"})
        where[b] = (x, 0.0)
    end = 2.0 * len(cell) + 1.6
    for b in unused_states(cell):
        arrow(where[b], (end, 0.0), -0.3 * (len(cell) - b), shrink=(12, 26))
    ax.text(end, 0, "concat", ha="center", va="center", bbox=box)
    ax.set_xlim(-0.8, end + 0.8)
    ax.set_ylim(-1.6, 1.6)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return ax
