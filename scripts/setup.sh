#!/usr/bin/env bash
# Create (or update) the virtual environment in .venv with everything the
# book needs: TensorFlow (CPU), Keras, jupyter-book, the test tools and the
# book's helper package. Safe to run again: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.cnnbook-installed
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] \
    || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing requirements (about a minute)"
    .venv/bin/python -m pip install -q --disable-pip-version-check \
        -r requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
    .venv/bin/python -m pip install -q --disable-pip-version-check \
        --no-deps -e . 2> >(grep -v "is ignored: it is neither" >&2)
    touch "$stamp"
fi

# keras.utils.plot_model draws architecture diagrams with Graphviz.
if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing graphviz"
        (apt-get update -qq && apt-get install -y -qq graphviz) >/dev/null \
            || echo "setup: could not install graphviz (plot_model needs it)"
    else
        echo "setup: install Graphviz (e.g. apt install graphviz) for plot_model"
    fi
fi
echo "setup: ready ($(.venv/bin/python -c 'import keras; print("keras", keras.__version__)'))"
