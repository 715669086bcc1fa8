"""Before `make run`: one clear line for each thing that would stop the processes starting."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scripts.stack import MODEL, port_in_use

ROOT = Path(__file__).resolve().parent.parent


def read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def main() -> int:
    settings = {**read_env(ROOT / "settings.env"), **os.environ}
    problems = []
    if not MODEL.exists():
        problems.append(f"No trained model at {MODEL}: run `make train`.")
    for name in ("RASA_PORT", "ACTION_SERVER_PORT", "HUB_PORT", "CASE_STATUS_PORT"):
        port = settings.get(name)
        if port and port_in_use(int(port)):
            problems.append(
                f"Port {port} ({name}) is in use: stop what runs there "
                f"(`ss -ltnp | grep :{port}`) or set {name} to a free port."
            )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
