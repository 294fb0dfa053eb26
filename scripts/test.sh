#!/usr/bin/env bash
# Set everything up and run all tests: the helper package's unit tests, the
# book-wide rules, every exercise check, and every chapter and solution
# notebook executed top to bottom in fast mode (nbval). Extra arguments go
# to pytest, e.g. `bash scripts/test.sh -k convolution`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CNNBOOK_MODE=fast TF_CPP_MIN_LOG_LEVEL=2
if [ -z "${CNNBOOK_DATA_MIRROR:-}" ] && [ -d ../shared/data ]; then
    export CNNBOOK_DATA_MIRROR="$(cd ../shared/data && pwd)"
fi
exec .venv/bin/python -m pytest -ra "$@"
