#!/usr/bin/env bash
# Installs what the browser tests need and cannot come from PyPI: Debian's Chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
    echo "error: the browser tests need Debian's Chromium: run 'sudo apt-get install chromium'" >&2
    exit 1
fi
echo "Installing Debian's chromium for the browser tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
