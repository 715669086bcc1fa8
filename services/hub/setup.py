"""Before `make run` starts the processes: tell the developer where the demo page will be."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scripts.preflight import read_env

ROOT = Path(__file__).resolve().parents[2]


def demo_url(settings: dict[str, str]) -> str:
    host = settings.get("HUB_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{settings.get('HUB_PORT') or '8000'}/"


def main() -> int:
    settings = {**read_env(ROOT / "settings.env"), **os.environ}
    if not (ROOT / "node_modules" / "@uswds" / "uswds").is_dir():
        print("warning: node_modules is missing (run `npm ci`): the demo page has no styles")
    print(f"\n  Demo page with the chat widget: {demo_url(settings)}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
