#!/usr/bin/env bash
# Re-lock the exact versions the set-up installs, after an edit of
# requirements.txt: requirements.lock holds one resolution for every
# platform and Python >= 3.11 (uv's universal lock), without the packages
# in requirements-excludes.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-install
.venv/bin/uv pip compile requirements.txt --universal \
    --python-version 3.11 --excludes requirements-excludes.txt --quiet \
    -o requirements.lock
echo "lock: wrote requirements.lock; commit it with requirements.txt"
