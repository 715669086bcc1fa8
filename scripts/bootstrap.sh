#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the locked dependency set.
# Idempotent: does nothing when the lock file has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.installed-lock

find_python310() {
    if [ -n "${PYTHON310:-}" ]; then echo "$PYTHON310"; return; fi
    if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
        command -v python3.10; return
    fi
    # pyenv keeps versions it has not activated out of PATH; look there too.
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    local candidate
    candidate=$(ls -d "$root"/versions/3.10*/bin/python3.10 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$candidate" ]; then echo "$candidate"; return; fi
    for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10; do
        if [ -x "$candidate" ]; then echo "$candidate"; return; fi
    done
}

if [ ! -x "$VENV/bin/python" ]; then
    PY=$(find_python310)
    if [ -z "$PY" ]; then
        echo "error: Python 3.10 is required (Rasa 3.6 does not run on 3.11+). Install it, e.g. 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv', or set PYTHON310=/path/to/python3.10." >&2
        exit 1
    fi
    echo "Creating $VENV with $PY"
    "$PY" -m venv "$VENV"
fi

if [ ! -f "$STAMP" ] || [ requirements.lock -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    echo "Installing locked dependencies (requirements.lock)"
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip --upgrade >/dev/null
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
    "$VENV/bin/uv" pip install --quiet -p "$VENV/bin/python" -r requirements.lock
    "$VENV/bin/uv" pip install --quiet -p "$VENV/bin/python" --no-deps -e .
    touch "$STAMP"
fi
