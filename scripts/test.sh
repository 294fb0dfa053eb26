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
# Let Python keep the bytecode it compiles (CI sets
# PYTHONDONTWRITEBYTECODE=1): what setup.sh did not compile is then
# compiled once, by the first process that imports it, not by every one.
unset PYTHONDONTWRITEBYTECODE
export CNNBOOK_MODE=fast TF_CPP_MIN_LOG_LEVEL=2
if [ -z "${CNNBOOK_DATA_MIRROR:-}" ] && [ -d ../shared/data ]; then
    export CNNBOOK_DATA_MIRROR="$(cd ../shared/data && pwd)"
fi
# The same notebooks under JAX (issue 13), for a set that fits the time
# budget: a theory chapter (2, the cheapest under JAX: 19 s against 46 s
# for chapter 3 on this CPU), the backend-neutral gradients and
# explanations of chapters 4 and 13 (their files then skip their own JAX
# subprocess: CNNBOOK_JAX_PASS=1 below), and chapter 14's helpers' tests.
# Chapter 5 under JAX takes minutes on this CPU; chapter 14 under JAX:
# scripts/run_all_jax.sh.
# CNNBOOK_JAX_SET replaces the set ("" skips it); all notebooks under JAX:
# scripts/run_all_jax.sh. pytest's exit status 5 (nothing selected, e.g.
# by -k) is not a failure here.
jax_set=${CNNBOOK_JAX_SET-notebooks/02_pooling.ipynb tests/test_gradients.py \
tests/test_explain.py tests/test_devices.py tests/test_bench.py}
jax_pass=0
[ -z "$jax_set" ] || jax_pass=1
status=0
jax_log=$(mktemp)
if [ -n "$jax_set" ]; then
    # The JAX set runs alongside the main run, on one worker of its own:
    # the main run leaves about a fifth of the two cores idle (kernels
    # starting, the browser waiting), and the JAX set fills much of it.
    # XLA's CPU code generation at its lowest optimisation: the set's many
    # small functions are compiled once and run briefly, so compiling
    # dominates (the set: ~73 -> ~48 CPU s); what they compute is the same.
    # Only here: TensorFlow's XLA in the main run would read them too.
    # shellcheck disable=SC2086  # the set is a list of paths
    XLA_FLAGS="--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false" \
        KERAS_BACKEND=jax .venv/bin/python -m pytest -ra -n 0 $jax_set "$@" \
        >"$jax_log" 2>&1 &
    jax_pid=$!
fi
CNNBOOK_JAX_PASS=$jax_pass \
    .venv/bin/python -m pytest -ra -n 2 --dist loadgroup "$@" || status=$?
test_seconds=$((SECONDS - started - setup_seconds))
if [ -n "$jax_set" ]; then
    wait $jax_pid || { rc=$?; [ $rc -eq 5 ] || status=$rc; }
    echo "JAX set (KERAS_BACKEND=jax, run alongside): $jax_set"
    cat "$jax_log"
fi
rm -f "$jax_log"
jax_seconds=$((SECONDS - started - setup_seconds - test_seconds))
total=$((SECONDS - started))
echo "time: set-up ${setup_seconds} s + tests ${test_seconds} s +" \
    "rest of the JAX set ${jax_seconds} s =" \
    "${total} s (budget for the finished book: 600 s on 2 cores)"
exit $status
