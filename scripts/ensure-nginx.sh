#!/usr/bin/env bash
# Production mode's load balancer: Debian's nginx (the fault tests and `make bench` use it too).
set -euo pipefail
if [ -x "${NGINX:-/usr/sbin/nginx}" ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
    echo "error: production mode needs nginx: run 'sudo apt-get install nginx-light' (or nginx)" >&2
    exit 1
fi
echo "Installing Debian's nginx for production mode"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
# Debian starts a default site on port 80; production mode runs its own nginx, so stop that one.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
if [ -f /run/nginx.pid ]; then /usr/sbin/nginx -s quit >/dev/null 2>&1 || true; fi
