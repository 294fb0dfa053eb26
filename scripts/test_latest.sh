#!/usr/bin/env bash
# Run the tests against the newest releases of everything the book uses,
# ignoring the upper bounds in requirements.txt and the lock file: a drift
# in Keras or TensorFlow shows here before readers (in Colab) meet it.
# Uses its own environment, .venv-latest; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-install
if [ ! -x .venv-latest/bin/python ]; then
    .venv/bin/uv venv --quiet --python .venv/bin/python .venv-latest
fi
export VIRTUAL_ENV="$PWD/.venv-latest"
# Drop every upper bound ("<2.22", ",<4") but keep markers and lower
# bounds; pytest and jupyter-book keep theirs (see requirements.txt).
sed -E '/^(pytest|jupyter-book)>/!s/,?<[0-9][^;#]*//' requirements.txt > .venv-latest/requirements.txt
.venv/bin/uv pip install --quiet --compile-bytecode --upgrade -r .venv-latest/requirements.txt
.venv/bin/uv pip install --quiet --no-deps -e .
.venv-latest/bin/python -c 'import importlib.metadata as m
for p in ("keras", "tensorflow-cpu", "jax", "numpy"):
    try: print(f"latest: {p} {m.version(p)}")
    except m.PackageNotFoundError: pass'
export CNNBOOK_MODE=fast TF_CPP_MIN_LOG_LEVEL=2
if [ -z "${CNNBOOK_DATA_MIRROR:-}" ] && [ -d ../shared/data ]; then
    export CNNBOOK_DATA_MIRROR="$(cd ../shared/data && pwd)"
fi
exec .venv-latest/bin/python -m pytest -ra -n 2 --dist loadgroup "$@"
