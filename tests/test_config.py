"""Run modes, seeds and the Setup printout."""

import os

import keras
import numpy as np
import pytest

import cnnbook


def test_run_mode(monkeypatch):
    monkeypatch.setenv("CNNBOOK_MODE", "fast")
    assert cnnbook.run_mode().fast
    assert cnnbook.by_mode(fast=1, full=2) == 1
    monkeypatch.setenv("CNNBOOK_MODE", "FULL")
    assert cnnbook.run_mode().full
    assert cnnbook.by_mode(fast=1, full=2) == 2
    monkeypatch.delenv("CNNBOOK_MODE")
    assert str(cnnbook.run_mode()) == "full"
    monkeypatch.setenv("CNNBOOK_MODE", "quick")
    with pytest.raises(ValueError, match="fast, full|full, fast"):
        cnnbook.run_mode()


def test_seed_repeats_keras_and_numpy():
    from cnnbook.config import set_seed

    set_seed(7)
    first = (
        np.random.rand(),
        keras.ops.convert_to_numpy(keras.random.normal((2,))).tolist(),
    )
    set_seed(7)
    second = (
        np.random.rand(),
        keras.ops.convert_to_numpy(keras.random.normal((2,))).tolist(),
    )
    assert first == second


def test_tests_run_in_fast_mode():
    assert os.environ["CNNBOOK_MODE"] == "fast"
