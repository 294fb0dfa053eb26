"""Small builders shared by the tests (fixture notebooks)."""

import nbformat


def notebook(*cells):
    """A notebook from ("md"|"code", source) pairs."""
    made = []
    for kind, source in cells:
        if kind == "md":
            made.append(nbformat.v4.new_markdown_cell(source))
        else:
            made.append(nbformat.v4.new_code_cell(source))
    nb = nbformat.v4.new_notebook(cells=made)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
