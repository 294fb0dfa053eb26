"""bench.time_to_accuracy in smoke mode: end to end on a tiny subset."""

import json

import numpy as np
import pytest

from bench import time_to_accuracy as tta


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    return tta.main(["--task", "mnist", "--smoke", "--seeds", "2",
                     "--out", str(out)])


def test_smoke_record_has_the_fields_a_result_needs(record):
    saved = json.loads(open(record["path"]).read())
    for field in ("task", "target", "smoke", "device", "versions", "date",
                  "data", "settings", "result", "command"):
        assert field in saved, f"record lacks {field!r}"
    assert saved["smoke"] is True and saved["task"] == "mnist"
    assert saved["versions"]["backend"] in ("tensorflow", "jax", "torch")
    assert saved["data"]["train_images"] == 256
    assert saved["data"]["test_images"] == 128
    assert saved["target"] == 0.99
    assert saved["settings"]["recipe"] == tta.RECIPE


def test_smoke_run_computes_an_accuracy(record):
    result = record["result"]
    assert result["epochs_run"] == 1
    acc = result["history"][0]["test_accuracy"]
    # 128 test images: accuracy is a multiple of 1/128 in [0, 1]
    assert 0 <= acc <= 1 and float(acc * 128).is_integer(), acc
    assert result["best_accuracy"] == acc
    assert np.isfinite(result["history"][0]["loss"])
    assert result["reached"] == (acc >= record["target"])
    assert result["history"][0]["train_seconds"] > 0
    # 256 images in batches of 128: two steps, no partial batch
    assert result["steps_per_epoch"] == 2


def test_seeds_repeat_the_run_and_record_each(record):
    assert record["settings"]["seed"] == 0
    assert record["settings"]["seeds"] == 2
    assert record["result"]["seed"] == 0
    assert [r["seed"] for r in record["other_seeds"]] == [1]
    assert record["other_seeds"][0]["epochs_run"] == 1


def test_whitening_kernel_whitens_patches():
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 3)).astype("float32")
    x[..., 1] = 0.5 * x[..., 0] + 0.5 * x[..., 1]  # correlated channels
    kernel = tta.whitening_kernel(x, size=2, eps=0.0)
    assert kernel.shape == (2, 2, 3, 24)
    patches = np.stack([x[:, i:7 + i, j:7 + j] for i in range(2)
                        for j in range(2)], axis=3).reshape(-1, 12)
    patches = patches - patches.mean(axis=0)
    projected = patches @ kernel.reshape(12, 24)[:, :12]
    covariance = projected.T @ projected / len(projected)
    assert np.allclose(covariance, np.eye(12), atol=1e-3)


def test_initial_weights_are_airbenchs():
    draw = tta.fan_in_uniform(np.random.default_rng(0), dirac=True)
    kernel = draw((3, 3, 4, 6))
    # the first filters, one per input channel, are the identity
    identity = np.zeros((3, 3, 4, 4))
    identity[1, 1] = np.eye(4)
    assert np.array_equal(kernel[..., :4], identity)
    # the others uniform within 1 / sqrt(fan_in), fan_in = 3 * 3 * 4
    rest = kernel[..., 4:]
    assert np.abs(rest).max() <= 1 / 6 and np.abs(rest).max() > 0.1
    plain = tta.fan_in_uniform(np.random.default_rng(0))((256, 10))
    assert np.abs(plain).max() <= 1 / 16 and np.abs(plain).min() < 0.01
    again = tta.fan_in_uniform(np.random.default_rng(0), dirac=True)
    assert np.array_equal(again((3, 3, 4, 6)), kernel)


def test_weight_decay_is_coupled_and_airbenchs():
    x = np.random.default_rng(0).random((64, 32, 32, 3)).astype("float32")
    model = tta.build("cifar10", x, set(tta.PARTS), seed=0)
    kernels = [layer for layer in model.layers
               if hasattr(layer, "kernel") and layer.kernel.trainable]
    assert len(kernels) == 7  # six convolutions and the dense layer
    for layer in kernels:
        l2 = layer.kernel_regularizer.l2
        # the penalty l2 * w**2 adds 2 * l2 * w to the gradient
        assert np.isclose(2 * l2, tta.DECAY), (layer.name, l2)
    assert model.get_layer("whiten").kernel_regularizer is None
    # airbench: weight decay 0.0153 and learning rate 11.5 per 1024 images
    assert np.isclose(tta.DECAY * 11.5, 0.0153)


def test_augment_keeps_shapes_and_pixels():
    rng = np.random.default_rng(0)
    x = rng.random((10, 6, 6, 3)).astype("float32")
    out = tta.augment(x, rng, np.arange(10) % 2 == 0, translate=2)
    assert out.shape == x.shape
    # translations with reflect padding draw pixels from the image
    assert set(np.unique(out[0])) <= set(np.unique(x[0]))


def _mirrored(out, x):
    """Per image of ``out``, whether it is ``x``'s mirror image (False:
    ``x`` itself; neither: an error)."""
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    same = np.all(out == x, axis=(1, 2, 3))
    assert np.all(flipped != same), "neither the image nor its mirror"
    return flipped


def test_flips_alternate_between_epochs():
    mask = np.array([True, False, False, True, True, False])
    assert list(tta.alternating_flips(mask, 1)) == list(mask)
    assert list(tta.alternating_flips(mask, 2)) == list(~mask)
    assert list(tta.alternating_flips(mask, 3)) == list(mask)
    # through epoch_data: shuffled, each image is mirrored in epochs 1 and
    # 3 where the mask says so, and in epoch 2 where it does not
    n, w = len(mask), 5
    x = np.arange(n * w * w, dtype="float32").reshape(n, w, w, 1)
    labels = np.arange(n)  # which image each output is
    rng = np.random.default_rng(0)
    seen = []
    for epoch in (1, 2, 3):
        out, which = tta.epoch_data(x, labels, rng, epoch, batch=n,
                                    flip_mask=mask, translate=0)
        assert sorted(which) == list(range(n))
        seen.append(_mirrored(out, x[which]) == mask[which])
    assert seen[0].all() and not seen[1].any() and seen[2].all()


def test_each_epoch_drops_the_last_partial_batch():
    x = np.zeros((10, 4, 4, 1), "float32")
    labels = np.arange(10)
    rng = np.random.default_rng(0)
    assert tta.steps_per_epoch(10, 4) == 2
    assert tta.steps_per_epoch(3, 4) == 1  # one short batch
    kept = []
    for epoch in (1, 2):
        out, which = tta.epoch_data(x, labels, rng, epoch, batch=4,
                                    flip_mask=None, translate=2)
        assert len(out) == len(which) == 8 and len(set(which)) == 8
        kept.append(list(which))
    assert kept[0] != kept[1]  # shuffled again each epoch
    # the same seed draws the same epochs
    again = tta.epoch_data(x, labels, np.random.default_rng(0), 1, 4, None,
                           2)[1]
    assert list(again) == kept[0]
    small = tta.epoch_data(x[:3], labels[:3], rng, 1, 4, None, 0)[1]
    assert sorted(small) == [0, 1, 2]


def test_fit_runs_exactly_the_schedules_steps(monkeypatch):
    import keras

    fitted = []
    original = keras.Model.fit

    def spy(model, x, y, **kwargs):
        history = original(model, x, y, **kwargs)
        fitted.append((len(x), kwargs.get("shuffle"),
                       int(model.optimizer.iterations)))
        return history

    monkeypatch.setattr(keras.Model, "fit", spy)
    rng = np.random.default_rng(0)
    x = rng.random((300, 12, 12, 1)).astype("float32")
    y = (np.arange(300) % 10).astype("int32")
    data = (x, y, x[:20], y[:20], {})
    result = tta.train_to_target("mnist", 1.01, {"translate"}, data,
                                 epochs=2, batch=128, lr=0.1, seed=0,
                                 log=lambda *a: None)
    # 300 images in batches of 128: 2 steps of 256 images per epoch, not 3
    assert result["steps_per_epoch"] == 2 and result["epochs_run"] == 2
    assert fitted == [(256, False, 2), (256, False, 4)]


def test_test_time_augmentation_weights_six_views():
    x = np.random.default_rng(0).random((3, 5, 5, 1)).astype("float32")
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    up_left, down_right = padded[:, :-2, :-2], padded[:, 2:, 2:]
    # the image moved one pixel up and left, and one down and right
    assert np.array_equal(up_left[:, 1:, 1:], x[:, :-1, :-1])
    assert np.array_equal(down_right[:, :-1, :-1], x[:, 1:, 1:])
    views = [x, x[:, :, ::-1], up_left, up_left[:, :, ::-1], down_right,
             down_right[:, :, ::-1]]

    class Model:  # "class" k scores 1 for view k, 0 for the others
        def predict(self, v, batch_size, verbose):
            found = [k for k, view in enumerate(views)
                     if np.array_equal(v, view)]
            assert len(found) == 1, "not one of the six views"
            return np.tile(np.eye(6, dtype="float32")[found[0]],
                           (len(v), 1))

    plain = tta.test_logits(Model(), x, tta=False, batch=8)
    assert np.array_equal(plain, np.tile(np.eye(6)[0], (3, 1)))
    weights = tta.test_logits(Model(), x, tta=True, batch=8)
    assert np.allclose(weights, [[1, 1, 0.5, 0.5, 0.5, 0.5]] * 3)
    assert tta.accuracy(Model(), x, np.zeros(3, int), tta=True,
                        batch=8) == 1.0


@pytest.mark.parametrize("argv, words", [
    (["--task", "mnist", "--target", "1.5"], "--target must be"),
    (["--task", "mnist", "--without", "lookahead"], "unknown parts"),
    (["--task", "imagenet"], "invalid choice"),
])
def test_bad_arguments_are_refused(argv, words, capsys):
    with pytest.raises(SystemExit):
        tta.main(argv)
    assert words in capsys.readouterr().err


def test_results_page_shows_committed_records_not_smoke_runs(record,
                                                             tmp_path):
    from cnnbook.authoring import results

    folder = tmp_path / results.BENCH_RESULTS
    folder.mkdir(parents=True)
    saved = json.loads(open(record["path"]).read())
    (folder / "smoke.json").write_text(json.dumps(saved))
    assert results.benchmark_records(tmp_path) == []
    assert "Not yet measured" in "\n".join(
        results.benchmark_markdown(tmp_path))
    saved["smoke"] = False
    saved["result"].update(reached=True, seconds_to_target=12.345,
                           epochs_run=3)
    saved["other_seeds"][0].update(reached=False, best_accuracy=0.25)
    saved["ablation"] = {"flip": dict(saved["result"], reached=False,
                                      best_accuracy=0.5)}
    (folder / "real.json").write_text(json.dumps(saved))
    page = "\n".join(results.benchmark_markdown(tmp_path))
    assert "12.3 s (epoch 3 of at most 1, seed 0)" in page
    assert "mnist to 99.0%" in page
    assert "seed 1" in page and "(of at most 1, seed 1); best 25.00%" in page
    assert ("without flip\n  - not reached in 3 epochs (of at most 1, "
            "seed 0); best 50.00%") in page
    assert "DAWNBench's rule" in page
    assert "earlier recipe" not in page.split(":::{list-table}")[1]
    # a record of another recipe (or of none: before 4 December 2026)
    # is marked
    saved["settings"]["recipe"] = "2026-12-03"
    (folder / "real.json").write_text(json.dumps(saved))
    page = "\n".join(results.benchmark_markdown(tmp_path))
    assert ", earlier recipe" in page.split(":::{list-table}")[1]
    del saved["settings"]["recipe"]
    (folder / "real.json").write_text(json.dumps(saved))
    page = "\n".join(results.benchmark_markdown(tmp_path))
    assert ", earlier recipe" in page.split(":::{list-table}")[1]
    # a CPU record does not count as the GPU measurement the goals ask for
    assert "Not yet measured on a GPU: cifar10, mnist." in page
    saved["device"] = "NVIDIA H200"
    (folder / "real.json").write_text(json.dumps(saved))
    page = "\n".join(results.benchmark_markdown(tmp_path))
    assert "Not yet measured on a GPU: cifar10." in page
    assert page.rstrip().endswith(":::")


def test_each_task_uses_only_the_parts_that_apply_to_it():
    assert tta.task_parts("mnist", tta.PARTS) == {"label_smoothing",
                                                  "translate"}
    assert tta.task_parts("cifar10", tta.PARTS) == set(tta.PARTS)
    assert tta.task_parts("mnist", {"flip"}) == set()


def test_docstring_states_what_the_committed_cpu_records_measured():
    """The module's comparison of the recipes of 3 and 4 December 2026 is
    read from their committed records."""
    from cnnbook.authoring import results

    runs = {saved["settings"].get("recipe", "earlier"): saved["result"]
            for saved in results.benchmark_records()
            if saved["task"] == "cifar10"
            and saved["settings"]["epochs_at_most"] == 12
            and saved["device"].startswith("CPU")}
    old, new = runs["earlier"], runs[tta.RECIPE]
    text = " ".join(tta.__doc__.split())
    for run in (old, new):
        assert f"{run['best_accuracy']:.2%}" in text, run["best_accuracy"]
    after_6 = [run["history"][5]["test_accuracy"] for run in (new, old)]
    assert "{:.1%} against {:.1%} after epoch 6".format(*after_6) in text
    assert abs(old["best_accuracy"] - new["best_accuracy"]) < 0.005
    listed = text.split("``--ablation`` runs")[1].split(")")[0]
    assert listed.count("``") == 2 * (len(tta.PARTS) + 1), listed
    assert all(f"``{part}``" in listed for part in tta.PARTS), listed
