"""Readiness probe of the Rasa server, run inside its container (an exec probe).

Rasa's `/` answers as soon as the web server is up, before the model is loaded, and `/status`
(which needs the model) wants the API token as a query parameter: an httpGet probe would have to
write the token into the manifest. This script reads RASA_TOKEN from the container's environment
and exits 0 only when `/status` names a loaded model. Standard library only: it starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import urlencode
from urllib.request import urlopen


def model_loaded(port: str, token: str, timeout: float = 3.0) -> bool:
    url = f"http://127.0.0.1:{port}/status?{urlencode({'token': token})}"
    try:
        with urlopen(url, timeout=timeout) as reply:  # noqa: S310 (a fixed local http URL)
            body = json.load(reply)
    except (OSError, ValueError) as error:  # refused, 401, 409 (no model yet), not JSON
        print(f"rasa not ready: {error}", file=sys.stderr)
        return False
    return bool(isinstance(body, dict) and body.get("model_id"))


def main() -> int:
    port = os.environ.get("RASA_PORT") or "5005"
    return 0 if model_loaded(port, os.environ.get("RASA_TOKEN", "")) else 1


if __name__ == "__main__":
    sys.exit(main())
