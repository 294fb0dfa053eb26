"""A helper shown in a chapter and the package's copy are the same code."""

import ast
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest

from cnnbook.authoring.notebooks import without_magics

ROOT = Path(__file__).resolve().parents[2]
# Modules whose functions are taught in a chapter, line for line.
TAUGHT_MODULES = [
    "cnnbook.ops",
    "cnnbook.sizing",
    "cnnbook.backprop",
    "cnnbook.architectures.first",
    "cnnbook.architectures.classic",
    "cnnbook.architectures.modern",
    "cnnbook.architectures.efficient",
    "cnnbook.architectures.nas",
    "cnnbook.devices",
]
# Modules of which a chapter shows some functions (the others it imports).
PARTLY_TAUGHT_MODULES = ["cnnbook.explain"]


def taught_functions(modules=TAUGHT_MODULES):
    """name -> function, over the given modules that exist."""
    found = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for attr, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not attr.startswith("_"):
                found[attr] = function
    return found


SHOWN = taught_functions()
SHOWN_OR_IMPORTED = {**taught_functions(PARTLY_TAUGHT_MODULES), **SHOWN}


def functions_in(path):
    """Top-level functions a notebook defines: name -> source."""
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = without_magics(cell.source)
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = ast.get_source_segment(source, node)
    return found


CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_notebook_copies_match_the_package(path):
    for name, source in functions_in(path).items():
        if name in SHOWN_OR_IMPORTED:
            function = SHOWN_OR_IMPORTED[name]
            assert source.strip() == inspect.getsource(function).strip(), (
                f"{path.name} defines {name} differently from "
                f"{function.__module__}; change both together"
            )


def test_every_ops_helper_is_taught_somewhere():
    taught = set()
    for path in CHAPTERS:
        taught |= set(functions_in(path)) & set(SHOWN)
    missing = set(SHOWN) - taught
    assert not missing, f"never shown in a chapter: {sorted(missing)}"
