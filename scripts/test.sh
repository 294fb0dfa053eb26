#!/usr/bin/env bash
# Set everything up and run all tests: the helper package's unit tests, the
# book-wide rules, every chapter notebook executed top to bottom in fast
# mode (nbval), and every solution notebook executed once by the harness
# that proves each exercise check rejects blank and wrong answers. Runs on
# two pytest-xdist workers. Extra arguments go to pytest, e.g.
# `bash scripts/test.sh -k convolution` (add `-n 0` to run in one process).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/setup.sh
# site: npm packages and Debian's Chromium for tests/site/ (the browser test)
bash scripts/site_setup.sh --browser
setup_seconds=$((SECONDS - started))
export CNNBOOK_MODE=fast TF_CPP_MIN_LOG_LEVEL=2
if [ -z "${CNNBOOK_DATA_MIRROR:-}" ] && [ -d ../shared/data ]; then
    export CNNBOOK_DATA_MIRROR="$(cd ../shared/data && pwd)"
fi
status=0
.venv/bin/python -m pytest -ra -n 2 --dist loadgroup "$@" || status=$?
test_seconds=$((SECONDS - started - setup_seconds))
total=$((SECONDS - started))
echo "time: set-up ${setup_seconds} s + tests ${test_seconds} s =" \
    "${total} s (budget for the finished book: 600 s on 2 cores)"
exit $status
