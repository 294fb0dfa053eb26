"""Stratified subsets keep class proportions."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import data


def test_stratified_subset_keeps_proportions():
    y = np.repeat(np.arange(3), [600, 300, 100])
    x = np.arange(len(y)) * 10
    x_sub, y_sub = data.stratified_subset(x, y, 100)
    assert np.bincount(y_sub).tolist() == [60, 30, 10]
    assert np.all(y[x_sub // 10] == y_sub)  # pairs stay together
    again, _ = data.stratified_subset(x, y, 100)
    np.testing.assert_array_equal(again, x_sub)  # deterministic
    _, y_col = data.stratified_subset(x, y.reshape(-1, 1), 10)
    assert y_col.shape == (10, 1)
    with pytest.raises(ValueError):
        data.stratified_subset(x, y, 1001)
    with pytest.raises(ValueError):
        data.stratified_subset(x, y, 2)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    fraction=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_stratified_subset_property(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    x = np.arange(len(y))
    k, total = len(counts), len(y)
    n = k + int(round(fraction * (total - k)))
    x_sub, y_sub = data.stratified_subset(x, y, n, seed=seed)
    assert len(x_sub) == n == len(set(x_sub.tolist()))
    assert np.all(y[x_sub] == y_sub)
    got = np.bincount(y_sub, minlength=k)
    exact = n * np.array(counts) / total
    assert np.all(got >= 1) and np.all(got <= counts)
    if np.all(exact >= 1):  # no class needed topping up to one sample
        assert np.all(np.abs(got - exact) < 1)


def test_stratified_subset_refuses_one_hot_labels_and_odd_sizes():
    x = np.zeros((20, 2))
    one_hot = np.eye(4)[np.arange(20) % 4]
    with pytest.raises(ValueError, match=r"argmax\(axis=1\)"):
        data.stratified_subset(x, one_hot, 8)
    with pytest.raises(TypeError, match="whole number"):
        data.stratified_subset(x, np.arange(20) % 4, 8.0)
    with pytest.raises(ValueError, match="exceeds"):
        data.stratified_subset(x, np.arange(20) % 4, 21)
