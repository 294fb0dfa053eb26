"""The machinery that builds and checks the book (not for readers).

Readers import :mod:`cnnbook` to learn; authors and the tests use this
subpackage to keep the book honest:

- :mod:`~cnnbook.authoring.notebooks`: finding the book's notebooks and
  reading their cells;
- :mod:`~cnnbook.authoring.badges`: Colab badges and install cells;
- :mod:`~cnnbook.authoring.rules`: the standing rules (committed full-mode
  outputs, no Keras 2 idioms, 79 columns, every stated number asserted,
  figures with captions and alt text, folded checks, known citations);
- :mod:`~cnnbook.authoring.exercises`: exercise notebooks generated from
  solution notebooks, and the harness that proves every check rejects
  blank and wrong answers;
- :mod:`~cnnbook.authoring.results`: the results page;
- :mod:`~cnnbook.authoring.run`: executing a notebook in full mode;
- :mod:`~cnnbook.authoring.tidy`: badges and folded checks, in one command;
- :mod:`~cnnbook.authoring.site`: the site's Sphinx extension (offline
  MathJax and TensorFlow.js, figures, result and exercise boxes);
- :mod:`~cnnbook.authoring.grading`: an nbgrader course from the solution
  notebooks.

Its command line: ``python -m cnnbook.authoring --help``.
"""
