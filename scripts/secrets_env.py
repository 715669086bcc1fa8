"""Write var/secrets.env: a random value for every secret the processes need and it lacks.

Existing values are kept (tokens stay valid across runs); a secret added by a newer version of
the product is appended on the next `make run`. The file is readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from scripts.preflight import read_env

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / "var" / "secrets.env"

# Every secret, with what it protects. The value is random unless the environment sets it.
REQUIRED: dict[str, str] = {
    "RASA_TOKEN": "Rasa's REST channel and HTTP API",
    "HUB_SECRET": "signs visitors' session tokens in the chat hub",
    "HUB_INTERNAL_TOKEN": "the action server's calls to the hub (handoff requests)",
    "CASE_STATUS_CLIENT_ID": "the action server's client id at the case-status service",
    "CASE_STATUS_CLIENT_SECRET": "the action server's client secret at the case-status service",
}


def ensure_secrets(path: Path = SECRETS_FILE) -> list[str]:
    """Append the missing secrets to `path`; return the names added."""
    path.parent.mkdir(parents=True, exist_ok=True)
    present = read_env(path) if path.exists() else {}
    missing = [name for name in REQUIRED if not present.get(name)]
    if missing:
        with path.open("a", encoding="utf-8") as handle:
            for name in missing:
                value = os.environ.get(name) or secrets.token_urlsafe(32)
                handle.write(f"# {REQUIRED[name]}\n{name}={value}\n")
    path.chmod(0o600)
    return missing


if __name__ == "__main__":
    added = ensure_secrets()
    if added:
        print(f"Wrote new secrets to {SECRETS_FILE.relative_to(ROOT)}: {', '.join(added)}")
    sys.exit(0)
