"""bench.time_to_accuracy in smoke mode: end to end on a tiny subset."""

import json

import numpy as np
import pytest

from bench import time_to_accuracy as tta


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    return tta.main(["--task", "mnist", "--smoke", "--out", str(out)])


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


def test_augment_keeps_shapes_and_pixels():
    rng = np.random.default_rng(0)
    x = rng.random((10, 6, 6, 3)).astype("float32")
    out = tta.augment(x, rng, flip=True, translate=2)
    assert out.shape == x.shape
    # translations with reflect padding draw pixels from the image
    assert set(np.unique(out[0])) <= set(np.unique(x[0]))


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
    saved["ablation"] = {"flip": dict(saved["result"], reached=False,
                                      best_accuracy=0.5)}
    (folder / "real.json").write_text(json.dumps(saved))
    page = "\n".join(results.benchmark_markdown(tmp_path))
    assert "12.3 s (3 epochs)" in page
    assert "mnist to 99.0%" in page
    assert "without flip" in page and "best 50.00%" in page
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
