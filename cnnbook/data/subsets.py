"""Stratified subsets: the small, class-balanced samples of fast mode."""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------
# Stratified subsets
# --------------------------------------------------------------------------


def _class_quotas(counts: np.ndarray, n: int) -> np.ndarray:
    """How many samples of each class an ``n``-sample subset gets: the
    proportional share rounded by largest remainder, at least 1 each."""
    exact = n * counts / counts.sum()
    quota = np.maximum(np.floor(exact).astype(int), 1)
    while quota.sum() < n:  # give the largest remainders one more
        room = np.where(quota < counts, exact - quota, -np.inf)
        quota[np.argmax(room)] += 1
    while quota.sum() > n:  # take back from the most over-served
        excess = np.where(quota > 1, quota - exact, -np.inf)
        quota[np.argmax(excess)] -= 1
    return quota


def stratified_subset(x, y, n, seed=0):
    """``n`` samples of ``(x, y)`` with the class proportions kept.

    Labels may have shape (N,) or (N, 1). Each class gets its share of
    ``n`` (rounded, at least one sample); the subset is shuffled with
    ``np.random.default_rng(seed)``, so the same call returns the same
    samples. Raises ``ValueError`` if ``n`` exceeds the number of samples
    or is smaller than the number of classes, and for one-hot labels
    (pass class indices: ``y.argmax(axis=1)``).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be a whole number of samples, got {n!r}")
    y_array = np.asarray(y)
    if y_array.ndim == 0 or y_array.ndim > 2 or (
        y_array.ndim == 2 and y_array.shape[1] != 1
    ):
        raise ValueError(
            f"labels of shape {y_array.shape}: stratified_subset needs class "
            f"indices of shape (N,) or (N, 1); for one-hot labels pass "
            f"y.argmax(axis=1)"
        )
    labels = y_array.reshape(len(y_array))
    if len(labels) != len(x):
        raise ValueError(f"{len(x)} samples but {len(labels)} labels")
    classes, counts = np.unique(labels, return_counts=True)
    if n > len(labels):
        raise ValueError(f"n={n} exceeds the {len(labels)} samples")
    if n < len(classes):
        raise ValueError(
            f"n={n} is smaller than the number of classes ({len(classes)})"
        )
    rng = np.random.default_rng(seed)
    chosen = []
    for label, quota in zip(classes, _class_quotas(counts, n)):
        members = np.flatnonzero(labels == label)
        chosen.append(rng.choice(members, size=quota, replace=False))
    index = rng.permutation(np.concatenate(chosen))
    if isinstance(x, np.ndarray):
        x_sub = x[index]
    else:
        x_sub = [x[i] for i in index]
    return x_sub, np.asarray(y)[index]
