"""Chapter 9's cell search space and search strategies."""

import itertools

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook.architectures import nas
from cnnbook.architectures.nas import (
    OPERATIONS,
    apply_cell,
    best_so_far,
    build_network,
    cell_decisions,
    check_cell,
    draw_cell,
    evaluate_cell,
    mutate,
    random_cell,
    random_search,
    regularized_evolution,
    reinforce_search,
    space_size,
    unused_states,
)

FEW = settings(max_examples=40, deadline=None)


def all_cells(n_blocks, operations):
    """Every cell of the space, by brute force (small spaces only)."""
    per_block = [
        list(itertools.product(range(b + 1), operations, range(b + 1),
                               operations))
        for b in range(n_blocks)
    ]
    return list(itertools.product(*per_block))


@pytest.mark.parametrize("n_blocks, ops", [(1, 3), (2, 2), (2, 3), (3, 2)])
def test_space_size_counts_every_cell(n_blocks, ops):
    operations = list(OPERATIONS)[:ops]
    cells = all_cells(n_blocks, operations)
    assert len(cells) == len(set(cells)) == space_size(n_blocks, ops)
    for cell in cells[:50]:
        check_cell(cell, operations)


def test_space_size_refuses_empty_spaces():
    with pytest.raises(ValueError, match="at least 1"):
        space_size(0)


@FEW
@given(seed=st.integers(0, 10_000), n_blocks=st.integers(1, 5))
def test_random_cells_and_mutations_are_valid(seed, n_blocks):
    rng = np.random.default_rng(seed)
    cell = random_cell(rng, n_blocks)
    assert check_cell(cell) == cell and len(cell) == n_blocks
    child = mutate(cell, rng)
    check_cell(child)
    changes = [(a, b) for x, y in zip(cell, child) for a, b in zip(x, y)
               if a != b]
    assert len(changes) == 1


def test_random_cells_cover_the_space():
    rng = np.random.default_rng(0)
    ops = {random_cell(rng, 1)[0][1] for _ in range(300)}
    assert ops == set(OPERATIONS)


@pytest.mark.parametrize(
    "cell, words",
    [
        ((), "non-empty tuple"),
        ([(0, "sep3x3", 0, "identity")], "non-empty tuple"),
        (((0, "sep3x3", 0),), "input, operation"),
        (((1, "sep3x3", 0, "identity"),), "may read"),
        (((0, "sep3x3", 0, "identity"), (2, "sep3x3", 0, "identity")),
         "may read"),
        (((0, "sep9x9", 0, "identity"),), "unknown operation"),
    ],
)
def test_check_cell_refuses_bad_cells(cell, words):
    with pytest.raises(ValueError, match=words):
        check_cell(cell)


def test_unused_states():
    cell = ((0, "sep3x3", 0, "identity"), (1, "conv1x1", 0, "max3x3"),
            (1, "avg3x3", 0, "sep5x5"))
    assert unused_states(cell) == [2, 3]


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_operation_keeps_the_shape(name):
    x = keras.Input((8, 8, 16))
    cell = ((0, name, 0, name), (1, name, 0, "identity"))
    y = apply_cell(x, cell, 16)
    assert tuple(y.shape[1:]) == (8, 8, 16)


def test_build_network_stages_and_refusals():
    cell = ((0, "sep3x3", 0, "identity"),)
    model = build_network(cell, (32, 32, 3), 10, channels=8, stages=3)
    assert model.output.shape[-1] == 10
    shapes = {tuple(layer.output.shape[1:]) for layer in model.layers
              if len(layer.output.shape) == 4}
    assert {(16, 16, 8), (8, 8, 16), (4, 4, 32)} <= shapes
    with pytest.raises(ValueError, match="channels"):
        build_network(cell, channels=0)
    with pytest.raises(ValueError, match="stages"):
        build_network(cell, stages=1.5)


def fake_evaluate(cell):
    """A deterministic score: the fraction of separable operations."""
    ops = [block[k] for block in cell for k in (1, 3)]
    return {"cell": cell,
            "accuracy": sum(op.startswith("sep") for op in ops) / len(ops)}


def test_random_search_evaluates_the_budget():
    history = random_search(fake_evaluate, 7, np.random.default_rng(0))
    assert len(history) == 7
    assert list(best_so_far(history)) == list(
        np.maximum.accumulate([r["accuracy"] for r in history]))


def test_regularized_evolution_climbs_and_ages():
    history = regularized_evolution(
        fake_evaluate, 120, np.random.default_rng(0), population_size=10,
        sample_size=4)
    assert len(history) == 120
    first = max(r["accuracy"] for r in history[:10])
    assert best_so_far(history)[-1] > first
    # every child after the first population is one mutation from a
    # member of the population at that time
    for child in history[10:20]:
        assert any(
            sum(a != b for x, y in zip(child["cell"], parent["cell"])
                for a, b in zip(x, y)) == 1
            for parent in history[:20]
        )


def test_regularized_evolution_refuses_bad_sizes():
    with pytest.raises(ValueError, match="sample_size"):
        regularized_evolution(fake_evaluate, 5, np.random.default_rng(0),
                              population_size=8)


def test_reinforce_learns_a_simple_reward():
    history, probs = reinforce_search(
        fake_evaluate, 400, np.random.default_rng(0), n_blocks=2,
        learning_rate=0.5)
    early = np.mean([r["accuracy"] for r in history[:50]])
    late = np.mean([r["accuracy"] for r in history[-50:]])
    assert late > early + 0.2
    names = list(OPERATIONS)
    sep = [names.index("sep3x3"), names.index("sep5x5")]
    op_probs = [p for p, n in zip(probs, cell_decisions(2))
                if n == len(names)]
    assert all(p[sep].sum() > 0.5 for p in op_probs)
    assert all(np.isclose(p.sum(), 1) for p in probs)


def test_reinforce_steps_do_not_depend_on_the_rewards_scale():
    # the advantage is measured in standard deviations of the rewards, so
    # accuracies a few hundredths apart move the controller as much as
    # scores that differ by a half
    def scored(shift, scale):
        return lambda cell: shift + scale * fake_evaluate(cell)["accuracy"]

    runs = [reinforce_search(scored(shift, scale), 30,
                             np.random.default_rng(3))
            for shift, scale in ((0, 1), (0.3, 0.02))]
    (wide, wide_probs), (narrow, narrow_probs) = runs
    assert [r["cell"] for r in wide] == [r["cell"] for r in narrow]
    assert all(np.allclose(a, b) for a, b in zip(wide_probs, narrow_probs))
    moved = max(np.abs(p - 1 / len(p)).max() for p in narrow_probs)
    assert moved > 0.1


def test_reinforce_first_update_is_zero():
    _, probs = reinforce_search(fake_evaluate, 1, np.random.default_rng(0))
    assert all(np.allclose(p, 1 / len(p)) for p in probs)


def test_reinforce_accepts_plain_numbers():
    history, _ = reinforce_search(lambda cell: 0.5, 3,
                                  np.random.default_rng(0))
    assert [r["accuracy"] for r in history] == [0.5] * 3


def test_cell_decisions():
    assert cell_decisions(2, 7) == [1, 7, 1, 7, 2, 7, 2, 7]
    assert np.prod(cell_decisions(3)) == space_size(3)


def test_evaluate_cell_on_real_data():
    from cnnbook.data import load_cifar10, stratified_subset

    (x, y), _ = load_cifar10()
    xs, ys = stratified_subset(x[:1000], y[:1000, 0], 64, seed=0)
    cell = ((0, "sep3x3", 0, "identity"),)
    record = evaluate_cell(cell, ((xs, ys), (xs, ys)), batch_size=32,
                           run_eagerly=True, keep_model=True, channels=4,
                           stages=2)
    assert 0 <= record["accuracy"] <= 1
    assert record["params"] == record["model"].count_params()
    assert record["cell"] == cell and record["seconds"] > 0


def test_draw_cell():
    import matplotlib

    matplotlib.use("Agg")
    cell = ((0, "sep3x3", 0, "identity"), (1, "conv1x1", 0, "max3x3"))
    ax = draw_cell(cell, title="t")
    texts = [t.get_text() for t in ax.texts]
    assert {"input", "concat", "sep3x3", "max3x3", "+1", "+2"} <= set(texts)


def test_module_docstring_names_the_chapter():
    assert "Chapter 9" in nas.__doc__
