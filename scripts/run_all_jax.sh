#!/usr/bin/env bash
# Run every chapter and solution notebook (or the ones named) top to bottom
# under the JAX backend, one at a time, and print a pass/fail table with the
# seconds each took. Made for a machine with a GPU (JAX finds it by itself);
# also usable on the CPU in fast mode.
#
#   bash scripts/run_all_jax.sh                        # fast mode, all
#   CNNBOOK_MODE=full bash scripts/run_all_jax.sh      # full mode (a GPU)
#   bash scripts/run_all_jax.sh notebooks/05_first_convnet.ipynb
#
# Each notebook is executed by nbval (`pytest --nbval-lax`, as CI does for
# chapters); a solution notebook is executed the same way, once (the harness
# that also tries blank and wrong answers is tests/book/). Options from the
# environment: CNNBOOK_MODE (fast, the default here, or full), TIMEOUT
# (seconds per notebook; default 900, 0 for none), REPORT (a file that also
# gets the table as tab-separated values). Exit status: 0 when all pass.
set -uo pipefail
cd "$(dirname "$0")/.."

export KERAS_BACKEND=jax
export CNNBOOK_MODE=${CNNBOOK_MODE:-fast}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
if [ -z "${CNNBOOK_DATA_MIRROR:-}" ] && [ -d ../shared/data ]; then
    export CNNBOOK_DATA_MIRROR="$(cd ../shared/data && pwd)"
fi
TIMEOUT=${TIMEOUT:-900}
PYTHON=${PYTHON:-.venv/bin/python}

if [ $# -gt 0 ]; then
    paths=("$@")
else
    paths=(notebooks/*.ipynb solutions/*.ipynb)
fi

logs=$(mktemp -d)
device=$("$PYTHON" - 2>/dev/null <<'EOF'
import jax
d = jax.devices()[0]
print(f"{d.platform}: {getattr(d, 'device_kind', d)} x{jax.device_count()}")
EOF
) || device="jax not importable"
echo "run_all_jax: backend jax, mode $CNNBOOK_MODE, device $device," \
    "$(date -u +%Y-%m-%dT%H:%MZ)"

rows=()
failed=0
for path in "${paths[@]}"; do
    [ -f "$path" ] || { echo "run_all_jax: no such notebook: $path" >&2
                        exit 2; }
    log="$logs/$(basename "$(dirname "$path")")_$(basename "$path" .ipynb).log"
    start=$(date +%s%N)
    if [ "$TIMEOUT" -gt 0 ]; then
        timeout "$TIMEOUT" "$PYTHON" -m pytest -q -n 0 -p no:cacheprovider \
            "$path" >"$log" 2>&1
    else
        "$PYTHON" -m pytest -q -n 0 -p no:cacheprovider "$path" >"$log" 2>&1
    fi
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    seconds=$((ms / 1000)).$(((ms % 1000) / 100))
    case $rc in
        0) result=pass ;;
        124) result="timeout (${TIMEOUT} s)"; failed=$((failed + 1)) ;;
        *) result=FAIL; failed=$((failed + 1)) ;;
    esac
    row=$(printf '%s\t%s\t%.1f' "$path" "$result" "$seconds")
    rows+=("$row")
    printf '%-48s %-10s %7.1f s\n' "$path" "$result" "$seconds"
    if [ "$result" != pass ]; then
        # the first error nbval reports, to say why without the whole log
        grep -m 3 -E "Error|assert" "$log" | sed 's/^/    /' | cut -c1-160
        echo "    log: $log"
    fi
done

echo "run_all_jax: ${#paths[@]} notebooks, $failed failed" \
    "(backend jax, mode $CNNBOOK_MODE, device $device)"
if [ -n "${REPORT:-}" ]; then
    {
        printf '# backend jax, mode %s, device %s, %s\n' "$CNNBOOK_MODE" \
            "$device" "$(date -u +%Y-%m-%dT%H:%MZ)"
        printf 'notebook\tresult\tseconds\n'
        printf '%s\n' "${rows[@]}"
    } >"$REPORT"
fi
[ $failed -eq 0 ]
