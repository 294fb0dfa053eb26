#!/usr/bin/env bash
# Create (or update) the virtual environment in .venv with exactly the
# versions in requirements.lock (TensorFlow for the CPU, Keras, JupyterLab,
# jupyter-book, the test tools) and the book's helper package. Safe to run
# again: it installs only when the lock file changed. `--no-install` only
# makes .venv and the installer (used by scripts/lock.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.9
started=$SECONDS
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
    # uv installs the locked versions in parallel: seconds, not minutes.
    .venv/bin/python -m pip install -q --disable-pip-version-check \
        "uv==$UV_VERSION" 2> >(grep -v "is ignored: it is neither" >&2)
fi
[ "${1:-}" = "--no-install" ] && exit 0

stamp=.venv/.cnnbook-installed
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] \
    || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing requirements.lock"
    export VIRTUAL_ENV="$PWD/.venv"
    # --no-deps: the lock already lists every package; resolving again
    # would add back what it leaves out (requirements-excludes.txt).
    .venv/bin/uv pip install --quiet --no-deps -r requirements.lock
    .venv/bin/uv pip install --quiet --no-deps -e .
    # Bytecode for the three packages every kernel imports, on both cores
    # (12 s). Without it, and where PYTHONDONTWRITEBYTECODE=1 is set (CI
    # sets it), every kernel compiles TensorFlow's sources again (import
    # keras: 20 s instead of 6 s). The rest of the 12,000 files is compiled
    # when first imported (scripts/test.sh lets Python write it): uv's
    # --compile-bytecode compiled all of them, unused ones included (49 s).
    # CI's whole run takes about as long either way (fresh clones, same
    # machine: 601 s against 602 s; the test phase compiles what set-up no
    # longer does); a reader's first set-up is ~20 s shorter.
    packages=$(.venv/bin/python -c \
        'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    .venv/bin/python -m compileall -q -j 0 "$packages/tensorflow" \
        "$packages/keras" "$packages/jax" >/dev/null || true
    touch "$stamp"
fi

# keras.utils.plot_model draws architecture diagrams with Graphviz.
if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing graphviz"
        (apt-get install -y -qq graphviz || (apt-get update -qq \
            && apt-get install -y -qq graphviz)) >/dev/null 2>&1 \
            || echo "setup: could not install graphviz (plot_model needs it)"
    else
        echo "setup: install Graphviz (e.g. apt install graphviz) for plot_model"
    fi
fi
echo "setup: ready in $((SECONDS - started)) s ($(.venv/bin/python -c \
    'import importlib.metadata as m; print("keras", m.version("keras"))'))"
