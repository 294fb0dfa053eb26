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


def test_record_result_prints_a_line_the_results_page_parses(capsys):
    cnnbook.record_result("MNIST, test accuracy", "99.1%", "10k (mirror)")
    line = capsys.readouterr().out.strip()
    assert line == "Result: MNIST, test accuracy = 99.1% (data: 10k (mirror))"
    assert cnnbook.config.parse_result(line) == {
        "description": "MNIST, test accuracy",
        "value": "99.1%",
        "data": "10k (mirror)",
    }
    assert cnnbook.config.parse_result("Result: no separator") is None


@pytest.mark.parametrize(
    "description, value", [("a = b", "1"), ("a", "1 (data: x)"), ("a\nb", "1")]
)
def test_record_result_refuses_what_it_cannot_print_on_one_line(
    description, value
):
    with pytest.raises(ValueError):
        cnnbook.record_result(description, value, "data")


def test_setup_printout_names_backend_version_and_hardware(capsys):
    cnnbook.setup_notebook()
    out = capsys.readouterr().out
    backend = keras.backend.backend()
    version = cnnbook.config.backend_version()
    assert f"backend {backend} {version}," in out
    assert version != "?"
    assert "CPU (" in out or "GPU" in out


def test_a_missing_backend_says_what_to_install():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import cnnbook"],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "torch"},  # not installed here
    )
    assert result.returncode != 0
    assert "`pip install tensorflow`" in result.stderr
