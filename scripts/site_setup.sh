#!/usr/bin/env bash
# What the site needs besides Python: the npm packages it serves from its
# own copy (MathJax, TensorFlow.js) and that its browser test injects
# (axe-core), locked in site/package-lock.json; with --browser, also
# Debian's Chromium for the browser test (never `playwright install`).
#
# The packages are installed once per lock file into
# ~/.cache/cnnbook-npm/site-<hash of the lock> (CNNBOOK_NPM_CACHE moves
# it), and site/node_modules links there, so a fresh clone on the same
# machine does not install them again. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

cache=${CNNBOOK_NPM_CACHE:-$HOME/.cache/cnnbook-npm}
lock=site/package-lock.json
hash=$( (cat site/package.json "$lock") | sha256sum | cut -c1-16)
prefix="$cache/site-$hash"
if [ ! -f "$prefix/.installed" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "site-setup: installing npm"
            (apt-get install -y -qq npm || (apt-get update -qq \
                && apt-get install -y -qq npm)) >/dev/null
        else
            echo "site-setup: install Node.js and npm (https://nodejs.org)" >&2
            exit 1
        fi
    fi
    echo "site-setup: installing the site's npm packages ($lock)"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    cp site/package.json "$lock" "$prefix/"
    (cd "$prefix" && npm ci --cache "$cache/npm" --prefer-offline \
        --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$prefix/.installed"
fi
if [ "$(readlink site/node_modules 2>/dev/null)" != "$prefix/node_modules" ]
then
    rm -rf site/node_modules
    ln -s "$prefix/node_modules" site/node_modules
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "site-setup: installing chromium (Debian's) for the browser test"
        export DEBIAN_FRONTEND=noninteractive
        (apt-get install -y -qq chromium || (apt-get update -qq \
            && apt-get install -y -qq chromium)) >/dev/null 2>&1 \
            || echo "site-setup: could not install chromium" >&2
    else
        echo "site-setup: install Chromium at /usr/bin/chromium (e.g." \
            "apt install chromium) for the browser test" >&2
    fi
fi
echo "site-setup: ready in $((SECONDS - started)) s"
