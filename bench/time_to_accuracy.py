"""Time to accuracy: train until the test accuracy reaches a target.

    python -m bench.time_to_accuracy --task mnist            # 99.0%
    python -m bench.time_to_accuracy --task cifar10          # 94%
    python -m bench.time_to_accuracy --task cifar10 --ablation
    python -m bench.time_to_accuracy --task mnist --smoke --out /tmp/b

Keras 3, any backend (``KERAS_BACKEND``). The test accuracy is measured at
the end of every epoch (evaluation time not counted as training time) and
training stops at the first epoch that reaches the target. The clock counts
everything the training needs, first-epoch compilation included (reported
apart as ``first_epoch_seconds``), and waits for the device (the loss is
read back at the end of each epoch). A JSON record goes to ``--out``
(default ``bench/results/``) with device, backend, versions and date; the
results page (``python -m cnnbook.authoring results``) shows the committed
records.

The CIFAR-10 recipe takes from airbench94 (Jordan 2024) what fits Keras:
a first 2 x 2 convolution initialised to whiten image patches and frozen
(``whiten``), a small fast network (three groups of two 3 x 3
convolutions, widths 64-256-256, batch norm with momentum 0.6 and no
scale, GELU), label smoothing 0.2 (``label_smoothing``), random flips
(``flip``) and 2-pixel translations (``translate``), test-time flip
augmentation (``tta``), Nesterov SGD with a triangular learning-rate
schedule and batches of 1024. Not taken: lookahead (an exponential moving
average of the weights copied back every few steps; Keras's JAX trainer
keeps its state outside the model during ``fit``), a separate learning
rate for batch-norm biases, and channels-last half-precision tricks.
``--ablation`` runs the recipe once more for each of the parts named in
parentheses above that the task uses (MNIST's run uses no flips and no
whitening), with that part switched off, and records what each
contributes.

``--smoke`` (CI): a few hundred images, one epoch, to check that the
script works end to end and computes an accuracy; its record says
``"smoke": true`` and is not a benchmark result.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

TASKS = {
    # target, epochs at most, batch size, base learning rate
    "mnist": dict(target=0.99, epochs=16, batch=256, lr=0.2),
    "cifar10": dict(target=0.94, epochs=12, batch=1024, lr=1.5),
}
PARTS = ("whiten", "label_smoothing", "flip", "translate", "tta")
RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------- data


def load(task: str, smoke: bool):
    """Float images in [0, 1] (N, H, W, C) and int labels, with a short
    description of the data."""
    from cnnbook import data

    if task == "mnist":
        (x, y), (xt, yt) = data.load_mnist()
        x, xt = x[..., None], xt[..., None]
    else:
        (x, y), (xt, yt) = data.load_cifar10()
    y, yt = y.reshape(-1).astype("int32"), yt.reshape(-1).astype("int32")
    source = data.SOURCES.get(task)
    described = "cnnbook.data"
    if source is not None:
        origin = source.built_from or source.origin
        described = f"{origin} ({source.n_train} train, {source.n_test} test)"
        if source.note:
            described += f"; {source.note}"
    if smoke:
        x, y = data.stratified_subset(x, y, 256, seed=0)
        xt, yt = data.stratified_subset(xt, yt, 128, seed=0)
    info = {
        "train_images": int(len(x)),
        "test_images": int(len(xt)),
        "source": described,
    }
    return (
        (x / 255.0).astype("float32"),
        y,
        (xt / 255.0).astype("float32"),
        yt,
        info,
    )


def augment(x, rng, flip: bool, translate: int):
    """Random horizontal flips and translations by up to ``translate``
    pixels (reflect padding), on the host, once per epoch."""
    if flip:
        mask = rng.random(len(x)) < 0.5
        x = np.where(mask[:, None, None, None], x[:, :, ::-1], x)
    if translate:
        r = translate
        padded = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)), mode="reflect")
        h, w = x.shape[1:3]
        shifts = rng.integers(0, 2 * r + 1, (len(x), 2))
        out = np.empty_like(x)
        for dy in range(2 * r + 1):
            for dx in range(2 * r + 1):
                pick = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
                out[pick] = padded[pick, dy : dy + h, dx : dx + w]
        x = out
    return x


# ---------------------------------------------------------------- model


def whitening_kernel(x, size=2, eps=5e-4):
    """A (size, size, C, 2 * size * size * C) kernel whose filters project
    image patches on the eigenvectors of their covariance, scaled to unit
    variance, with both signs (as in airbench)."""
    n, h, w, c = x.shape
    patches = np.stack(
        [
            x[:, i : h - size + 1 + i, j : w - size + 1 + j, :]
            for i in range(size)
            for j in range(size)
        ],
        axis=3,
    )  # (n, h', w', size*size, c)
    flat = patches.reshape(-1, size * size * c).astype("float64")
    flat = flat - flat.mean(axis=0)
    covariance = flat.T @ flat / len(flat)
    values, vectors = np.linalg.eigh(covariance)
    filters = vectors / np.sqrt(values + eps)  # columns: whitening filters
    kernel = filters.reshape(size, size, c, size * size * c)
    return np.concatenate([kernel, -kernel], axis=-1).astype("float32")


def glorot_uniform(rng):
    """Keras's default kernel initializer (Glorot uniform), drawn by NumPy
    from ``rng``: the same initial weights on every backend, and under JAX
    no compilation of its random generator for each kernel shape (1-2 s
    of CPU each on a 2-core CPU, inside the clock)."""

    def draw(shape, dtype=None):
        receptive = math.prod(shape[:-2])
        fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
        limit = math.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(dtype or "float32")

    return draw


def seed_everything(seed: int):
    """Seed what the training draws from: the initial weights are NumPy's
    (``glorot_uniform``); ``fit`` shuffles with NumPy under JAX, with
    TensorFlow under TensorFlow. Under JAX, not
    ``keras.utils.set_random_seed``: it imports TensorFlow only to seed
    it (3 s of CPU, inside the clock)."""
    import random

    import keras

    if keras.backend.backend() == "jax":
        random.seed(seed)
        np.random.seed(seed)
    else:
        keras.utils.set_random_seed(seed)


def build(task: str, x_train, parts: set, seed: int):
    import keras
    from keras import layers

    seed_everything(seed)
    init = glorot_uniform(np.random.default_rng(seed))

    def bn():
        return layers.BatchNormalization(momentum=0.6, epsilon=1e-5,
                                         scale=False)

    def group(t, width):
        t = layers.Conv2D(width, 3, padding="same", use_bias=False,
                          kernel_initializer=init)(t)
        t = layers.MaxPooling2D()(t)
        t = layers.Activation("gelu")(bn()(t))
        t = layers.Conv2D(width, 3, padding="same", use_bias=False,
                          kernel_initializer=init)(t)
        return layers.Activation("gelu")(bn()(t))

    inputs = keras.Input(x_train.shape[1:])
    if task == "mnist":
        t = inputs
        widths = (32, 64, 128)
    else:
        mean = x_train.mean(axis=(0, 1, 2))
        std = x_train.std(axis=(0, 1, 2))
        t = layers.Normalization(mean=mean, variance=std**2)(inputs)
        widths = (64, 256, 256)
        if "whiten" in parts:
            sample = (x_train[:5000] - mean) / std
            kernel = whitening_kernel(sample)
            conv = layers.Conv2D(kernel.shape[-1], 2, name="whiten",
                                 kernel_initializer="zeros")  # see below
            t = conv(t)
            conv.kernel.assign(kernel)
            conv.kernel.trainable = False
            t = layers.Activation("gelu")(t)
    for width in widths:
        t = group(t, width)
    t = layers.GlobalMaxPooling2D()(t)
    t = layers.Dense(10, use_bias=False, kernel_initializer=init)(t)
    outputs = layers.Rescaling(1 / 9)(t)
    return keras.Model(inputs, outputs)


def triangle(base, steps, start=0.2, peak=0.23, end=0.07):
    """Learning rate rising linearly from ``start * base`` to ``base`` at
    ``peak`` of the steps, then falling to ``end * base``."""
    import keras

    class Triangle(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            ops = keras.ops
            s = ops.cast(step, "float32")
            top = max(1.0, peak * steps)
            up = start + (1 - start) * s / top
            down = 1 + (end - 1) * (s - top) / max(1.0, steps - top)
            return base * ops.maximum(
                ops.where(s < top, up, down), end
            )

        def get_config(self):
            return {}

    return Triangle()


# ---------------------------------------------------------------- run


def describe_device() -> str:
    from cnnbook.config import describe_accelerator

    return describe_accelerator()


def versions() -> dict:
    import keras

    from cnnbook.config import backend_version

    return {
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "backend_version": backend_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def accuracy(model, x, y, tta: bool, batch: int) -> float:
    logits = model.predict(x, batch_size=batch, verbose=0)
    if tta:
        logits = logits + model.predict(x[:, :, ::-1], batch_size=batch,
                                         verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def task_parts(task, parts):
    """The parts of the recipe that apply to ``task``: MNIST's run leaves
    out the flips (digits are not mirror images) and the whitening."""
    return set(parts) - ({"flip", "tta", "whiten"} if task == "mnist"
                         else set())


def train_to_target(task, target, parts, data, *, epochs, batch, lr, seed,
                    smoke=False, log=print):
    """Train one recipe (``parts``: those of :func:`task_parts`); return
    its history and seconds to the target."""
    import keras

    x, y, xt, yt, _ = data
    parts = set(parts)
    started = time.perf_counter()
    model = build(task, x, parts, seed)
    steps_per_epoch = max(1, len(x) // batch)
    smoothing = 0.2 if task == "cifar10" else 0.1
    model.compile(
        optimizer=keras.optimizers.SGD(
            triangle(lr, epochs * steps_per_epoch),
            momentum=0.85,
            nesterov=True,
            weight_decay=5e-4 * 1024 / batch if not smoke else None,
        ),
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True,
            label_smoothing=smoothing if "label_smoothing" in parts else 0.0,
        ),
    )
    rng = np.random.default_rng(seed)
    onehot = np.eye(10, dtype="float32")[y]
    history, reached_at, train_seconds = [], None, 0.0
    setup_seconds = time.perf_counter() - started
    train_seconds += setup_seconds
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        xa = augment(x, rng, "flip" in parts,
                     2 if "translate" in parts else 0)
        fit = model.fit(xa, onehot, batch_size=batch, epochs=1,
                        shuffle=True, verbose=0)
        loss = float(fit.history["loss"][-1])  # read back: device done
        train_seconds += time.perf_counter() - start
        acc = accuracy(model, xt, yt, "tta" in parts, 2000)
        history.append({"epoch": epoch, "train_seconds": train_seconds,
                        "loss": loss, "test_accuracy": acc})
        log(f"  epoch {epoch:2d}: {train_seconds:7.1f} s, loss "
            f"{loss:.3f}, test accuracy {acc:.4f}")
        if not math.isfinite(loss):
            break
        if acc >= target:
            reached_at = train_seconds
            break
    return {
        "parts": sorted(parts),
        "reached": reached_at is not None,
        "seconds_to_target": reached_at,
        "best_accuracy": max(h["test_accuracy"] for h in history),
        "epochs_run": len(history),
        "setup_seconds": setup_seconds,
        "first_epoch_seconds": history[0]["train_seconds"] - setup_seconds,
        "history": history,
    }


def record_name(record: dict) -> str:
    device = re.sub(r"[^a-z0-9]+", "-", record["device"].lower()).strip("-")
    stamp = record["date"].replace(":", "").replace("-", "")[:13]
    kind = "smoke-" if record["smoke"] else ""
    return (f"{kind}{record['task']}-{record['versions']['backend']}-"
            f"{device[:40]}-{stamp}.json")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m bench.time_to_accuracy",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--task", choices=sorted(TASKS), required=True)
    parser.add_argument("--target", type=float, default=None,
                        help="test accuracy to reach (default: the task's)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="at most this many epochs")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--without", default="",
                        help=f"comma-separated parts to leave out: {PARTS}")
    parser.add_argument("--ablation", action="store_true",
                        help="also run once without each part")
    parser.add_argument("--smoke", action="store_true",
                        help="CI: tiny subset, one epoch")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    task = TASKS[args.task]
    target = task["target"] if args.target is None else args.target
    if not 0 < target <= 1:
        parser.error(f"--target must be in (0, 1], not {target}")
    without = {p for p in args.without.split(",") if p}
    unknown = without - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; known: {PARTS}")
    epochs = args.epochs or (1 if args.smoke else task["epochs"])
    batch = args.batch_size or (128 if args.smoke else task["batch"])
    if epochs < 1 or batch < 1:
        parser.error("--epochs and --batch-size must be at least 1")

    import keras  # noqa: F401  (after the arguments: --help is instant)

    data = load(args.task, args.smoke)
    record = {
        "task": args.task,
        "target": target,
        "smoke": args.smoke,
        "device": describe_device(),
        "versions": versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "host": platform.node(),
        "command": " ".join(["python -m bench.time_to_accuracy"]
                            + (argv if argv is not None else sys.argv[1:])),
        "data": data[4],
        "settings": {"epochs_at_most": epochs, "batch_size": batch,
                     "base_learning_rate": task["lr"], "seed": args.seed},
    }
    print(f"time to accuracy: {args.task} to {target:.2%} on "
          f"{record['device']}, {record['versions']['backend']}")
    parts = task_parts(args.task, set(PARTS) - without)
    run = dict(epochs=epochs, batch=batch, lr=task["lr"], seed=args.seed,
               smoke=args.smoke)
    record["result"] = train_to_target(args.task, target, parts, data,
                                       **run)
    if args.ablation:
        record["ablation"] = {}
        for part in sorted(parts):
            print(f"ablation: without {part}")
            record["ablation"][part] = train_to_target(
                args.task, target, parts - {part}, data, **run)
    result = record["result"]
    if result["reached"]:
        print(f"reached {target:.2%} in {result['seconds_to_target']:.1f} s"
              f" ({result['epochs_run']} epochs)")
    else:
        print(f"did not reach {target:.2%} in {result['epochs_run']} "
              f"epochs; best {result['best_accuracy']:.2%}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / record_name(record)
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"record: {path}")
    record["path"] = str(path)
    return record


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
