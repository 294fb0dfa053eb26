#!/usr/bin/env bash
# Set everything up and build the site into _build/html. The site shows the
# full-mode outputs committed with the notebooks: nothing is re-trained.
# The site is complete offline (MathJax and TensorFlow.js from npm, copied
# in by cnnbook/authoring/site.py); serve it to read it, e.g.
# `python -m http.server -d _build/html`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the npm packages the site serves (MathJax, TensorFlow.js): site_setup.sh
bash scripts/site_setup.sh
.venv/bin/jupyter-book build . --warningiserror --keep-going
echo "The book is in _build/html/index.html"
