"""Failed checks that say what they compared, in which mode, on which backend.

The chapters check what their text states with plain ``assert`` statements.
Many are short sums such as ``assert conv.count_params() == 1520``, and
Python reports a failed one as a bare ``AssertionError`` with the line:
the line says what was expected, not what was found. ``setup_notebook``
(every chapter's Setup cell) therefore asks IPython to rewrite, in every
cell that follows, each ``assert`` written without a message, so that a
failure also prints the values of the expressions it compared and the run
mode and Keras backend::

    AssertionError: conv.count_params() == 1520
      conv.count_params() = 1521
      (fast mode, backend tensorflow)

The rewritten check evaluates the same expressions, once each and in the
same order, and only formats a message when it fails; what the cell shows
and computes is unchanged. An ``assert`` that has its own message keeps
it, with the mode and backend added unless it names them already. Outside
IPython (a plain Python script) nothing is rewritten.
"""

from __future__ import annotations

import ast

__all__ = [
    "AssertExplainer",
    "Operands",
    "explain_failed_asserts",
    "with_where",
]

_LONGEST_VALUE = 300  # characters of a value's repr shown in a message


def _is_literal(node: ast.AST) -> bool:
    """Whether ``node`` is written as its own value (``1520``, ``(7, 7)``):
    printing it again would add nothing."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _shown(value) -> str:
    """A value as a failed check prints it: a NumPy number as a number, an
    array with its shape, anything else by its repr, cut to a few lines."""
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray) and value.ndim > 0:
        text = (
            f"array of shape {value.shape}, {value.dtype}: "
            f"{np.array2string(value, threshold=20, edgeitems=3)}"
        )
    else:
        text = repr(value)
    if len(text) > _LONGEST_VALUE:
        text = text[: _LONGEST_VALUE - 4] + " ..."
    return text.replace("\n", "\n    ")


class Operands:
    """What one rewritten ``assert`` evaluated, for its message.

    ``seen(i, value)`` records the ``i``-th operand and returns it
    unchanged; ``message`` is called only when the check fails.
    """

    def __init__(self):
        self.values = {}

    def seen(self, index: int, value):
        self.values[index] = value
        return value

    def message(self, check: str, labels: tuple) -> str:
        lines, shown = [check], set()
        for index, label in enumerate(labels):
            if index in self.values and label not in shown:
                shown.add(label)
                lines.append(f"  {label} = {_shown(self.values[index])}")
        lines.append(f"  ({_where()})")
        return "\n".join(lines)


def _mode_and_backend() -> tuple[str, str]:
    """The run mode's name and the Keras backend's, or what went wrong."""
    from cnnbook.config import run_mode

    try:
        mode = str(run_mode())
    except ValueError as error:
        mode = str(error)
    try:
        import keras

        backend = keras.backend.backend()
    except Exception:  # the check itself must still fail, with a message
        backend = "unknown"
    return mode, backend


def _where() -> str:
    """The run mode and backend, as a failed check reports them."""
    mode, backend = _mode_and_backend()
    return f"{mode} mode, backend {backend}"


def _operands(test: ast.expr) -> list[ast.expr]:
    """The sub-expressions of an assertion worth printing: both sides of
    each comparison (also inside ``and``/``or``/``not``), the arguments of
    a call (``np.allclose(a, b)``), or the expression itself."""
    if isinstance(test, ast.Compare):
        return [test.left, *test.comparators]
    if isinstance(test, ast.BoolOp):
        return [node for value in test.values for node in _operands(value)]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _operands(test.operand)
    if isinstance(test, ast.Call):
        return [a for a in test.args if not isinstance(a, ast.Starred)]
    return [test]


def with_where(message) -> str:
    """An assertion's own message, with the mode and backend added unless
    it names them already."""
    text = str(message)
    mode, backend = _mode_and_backend()
    if mode in text and backend in text:
        return text
    return f"{text}\n  ({_where()})"


# Rewritten code finds this module by importing it, not by a name in the
# notebook's namespace (which ``%reset`` would clear).
_THIS_MODULE = "__import__('cnnbook.asserts', fromlist=['Operands'])"


def _parsed(source: str, lineno: int, mode: str = "eval"):
    """The nodes of one line of ``source``, placed on line ``lineno``: a
    traceback then points at the line the reader wrote."""
    tree = ast.parse(source, mode=mode)
    for child in ast.walk(tree):
        if hasattr(child, "lineno"):
            child.lineno = child.end_lineno = lineno
    return tree.body


class _Wrap(ast.NodeTransformer):
    """Replace chosen operand nodes by ``<store>.seen(i, operand)``."""

    def __init__(self, store: str, chosen: dict[int, int]):
        self.store = store
        self.chosen = chosen  # id(node) -> index

    def visit(self, node):
        index = self.chosen.get(id(node))
        if index is None:
            return super().visit(node)
        call = _parsed(f"{self.store}.seen({index}, None)", node.lineno)
        call.args[1] = node
        return call


class AssertExplainer(ast.NodeTransformer):
    """An IPython AST transformer: give each ``assert`` without a message
    one that shows the values it compared (see the module's docstring)."""

    store = "_cnnbook_operands"

    def visit_Assert(self, node: ast.Assert):
        line = node.lineno
        if node.msg is not None:
            message = _parsed(f"{_THIS_MODULE}.with_where(None)", line)
            message.args = [node.msg]
            return ast.copy_location(ast.Assert(node.test, message), node)
        check = ast.unparse(node.test)
        operands = [n for n in _operands(node.test) if not _is_literal(n)]
        labels = tuple(ast.unparse(n) for n in operands)
        test = _Wrap(
            self.store, {id(n): i for i, n in enumerate(operands)}
        ).visit(node.test)
        create = _parsed(
            f"{self.store} = {_THIS_MODULE}.Operands()", line, mode="exec"
        )[0]
        message = _parsed(
            f"{self.store}.message({check!r}, {labels!r})", line
        )
        return [create, ast.copy_location(ast.Assert(test, message), node)]


def explain_failed_asserts() -> bool:
    """Make IPython rewrite the bare asserts of the cells that follow.

    Returns ``False`` outside IPython, where nothing changes. Calling it
    again adds nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - notebooks always have IPython
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if not any(isinstance(t, AssertExplainer) for t in shell.ast_transformers):
        shell.ast_transformers.append(AssertExplainer())
    return True
