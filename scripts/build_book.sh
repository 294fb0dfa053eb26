#!/usr/bin/env bash
# Set everything up and build the site into _build/html. The site shows the
# full-mode outputs committed with the notebooks: nothing is re-trained.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/jupyter-book build . --warningiserror --keep-going
echo "The book is in _build/html/index.html"
