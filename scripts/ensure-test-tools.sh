#!/usr/bin/env bash
# Installs what the tests need and cannot come from PyPI: Debian's Chromium for the browser
# tests, and the npm packages (package-lock.json) the hub serves and the browser tests inject
# (USWDS for the demo page, axe-core), and the offline Kubernetes manifest linter in its own
# environment (.venv-lint: kubernetes-validate needs an attrs that rasa 3.6 forbids).
set -euo pipefail
cd "$(dirname "$0")/.."

LINT=.venv-lint
if [ ! -f $LINT/.installed ] || [ deploy/lint-requirements.lock -nt $LINT/.installed ]; then
    echo "Installing the manifest linter (deploy/lint-requirements.lock) into $LINT"
    [ -x $LINT/bin/python ] || .venv/bin/python -m venv $LINT
    .venv/bin/uv pip install --quiet -p $LINT/bin/python -r deploy/lint-requirements.lock
    touch $LINT/.installed
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
        || [ package.json -nt node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: npm is needed for the web chat's packages: install Node.js 20+ (e.g. 'apt-get install nodejs npm')" >&2
        exit 1
    fi
    echo "Installing the locked npm packages (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.package-lock.json
fi

if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
    echo "error: the browser tests need Debian's Chromium: run 'sudo apt-get install chromium'" >&2
    exit 1
fi
echo "Installing Debian's chromium for the browser tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
