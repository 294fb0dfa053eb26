"""cnnbook.asserts: failed checks in notebooks say what they compared."""

import ast

import pytest

from cnnbook.asserts import AssertExplainer, explain_failed_asserts, with_where


def run(source: str, namespace: dict | None = None) -> dict:
    """Execute ``source`` as a rewritten notebook cell would be."""
    tree = AssertExplainer().visit(ast.parse(source))
    ast.fix_missing_locations(tree)
    namespace = {} if namespace is None else namespace
    exec(compile(tree, "<cell>", "exec"), namespace)
    return namespace


def failure(source: str, namespace: dict | None = None) -> str:
    with pytest.raises(AssertionError) as caught:
        run(source, namespace)
    return str(caught.value)


@pytest.fixture(autouse=True)
def fast_mode(monkeypatch):
    monkeypatch.setenv("CNNBOOK_MODE", "fast")


def test_a_failed_comparison_shows_its_values_mode_and_backend():
    import keras

    message = failure("x = 3\nassert x + 1 == 5")
    assert message.splitlines() == [
        "x + 1 == 5",
        "  x + 1 = 4",
        f"  (fast mode, backend {keras.backend.backend()})",
    ]


def test_values_of_and_not_and_calls_are_shown_once_without_literals():
    message = failure("a = 12\nassert a > 0 and a < 10")
    assert message.count("a = 12") == 1
    assert "0 =" not in message and "10 =" not in message
    message = failure("import numpy as np\nassert np.allclose(np.ones(2), 0)")
    assert "np.ones(2) = array of shape (2,), float64: [1. 1.]" in message
    assert "not a == 3" in failure("a = 3\nassert not a == 3")
    assert "ok = False" in failure("ok = False\nassert ok")


def test_numpy_numbers_and_long_values_are_shown_briefly():
    message = failure(
        "import numpy as np\ny = np.arange(10**6.)\nassert y.sum() == 0"
    )
    assert "y.sum() = 499999500000.0" in message
    message = failure("z = 'x' * 5000\nassert z == ''")
    assert max(len(line) for line in message.splitlines()) <= 310


def test_evaluation_order_count_and_short_circuit_are_unchanged():
    space = run(
        "calls = []\n"
        "def g(v):\n"
        "    calls.append(v)\n"
        "    return v\n"
        "assert g(1) < g(2) < g(3)\n"
        "assert g(4) == 5 or g(6) == 6\n"
        "assert not (g(7) == 8 and g(9) == 9)\n"
    )
    assert space["calls"] == [1, 2, 3, 4, 6, 7]
    message = failure("assert g(10) == 11 and g(12) == 12", space)
    assert "g(12)" not in message.splitlines()[1:] and space["calls"][-1] == 10


def test_asserts_inside_functions_and_classes_are_rewritten():
    space = run(
        "def f(a):\n    assert a < 10\n    return a\n"
        "class C:\n    assert f(1) == 1\n"
    )
    with pytest.raises(AssertionError, match="a = 12"):
        space["f"](12)
    assert space["f"](5) == 5


def test_an_own_message_is_kept_with_mode_and_backend_added_once():
    import keras

    backend = keras.backend.backend()
    assert failure("assert 1 == 2, 'ten classes'") == (
        f"ten classes\n  (fast mode, backend {backend})"
    )
    own = f"accuracy 0.1 < 0.5 (fast mode, {backend})"
    assert with_where(own) == own
    assert failure("assert 1 == 2, ('shape', (3, 4))").startswith(
        "('shape', (3, 4))"
    )


def test_a_traceback_points_at_the_line_the_reader_wrote():
    tree = AssertExplainer().visit(ast.parse("x = 1\n\nassert x == 2\n"))
    ast.fix_missing_locations(tree)
    lines = {node.lineno for node in ast.walk(tree) if hasattr(node, "lineno")}
    assert lines == {1, 3}
    with pytest.raises(AssertionError) as caught:
        exec(compile(tree, "<cell>", "exec"), {})
    assert caught.traceback[-1].lineno + 1 == 3  # pytest counts from 0


def test_ipython_rewrites_the_cells_that_follow(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell, "ast_transformers", [])
    assert explain_failed_asserts() and explain_failed_asserts()
    assert len(shell.ast_transformers) == 1
    result = shell.run_cell("n = 7\nassert n * 2 == 15", silent=True)
    assert isinstance(result.error_in_exec, AssertionError)
    assert "n * 2 = 14" in str(result.error_in_exec)
    assert shell.run_cell("assert n * 2 == 14", silent=True).success


def test_outside_ipython_nothing_is_rewritten(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert explain_failed_asserts() is False
