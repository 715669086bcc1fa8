"""Chat with a running assistant (`make run`) from the terminal, through the same REST channel
the hub uses. Type /es or /en to choose the language, /quit to leave."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import requests

from scripts.preflight import read_env

ROOT = Path(__file__).resolve().parent.parent


def render(message: dict) -> str:
    lines = [message.get("text", "")] if message.get("text") else []
    for index, button in enumerate(message.get("buttons") or [], start=1):
        lines.append(f"   [{index}] {button.get('title')}")
    return "\n".join(lines)


def main() -> int:
    settings = {**read_env(ROOT / "settings.env"), **read_env(ROOT / "var" / "secrets.env")}
    settings.update(os.environ)
    url = f"http://{settings['RASA_HOST']}:{settings['RASA_PORT']}/webhooks/rest/webhook"
    headers = {"Authorization": f"Bearer {settings['RASA_TOKEN']}"}
    sender = f"terminal-{uuid.uuid4().hex}"
    metadata: dict[str, str] = {}
    buttons: list[dict] = []
    print("Connected. Type a message (/es or /en sets the language, /quit leaves).")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text == "/quit":
            return 0
        if text in ("/es", "/en"):
            metadata["language"] = text[1:]
            continue
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            reply = requests.post(
                url,
                json={"sender": sender, "message": text, "metadata": metadata},
                headers=headers,
                timeout=30,
            )
            reply.raise_for_status()
        except requests.RequestException as error:
            print(f"error: the assistant is not reachable at {url} ({error}). Is `make run` up?")
            continue
        buttons = []
        for message in reply.json():
            buttons.extend(message.get("buttons") or [])
            if rendered := render(message):
                print(f"bot> {rendered}")


if __name__ == "__main__":
    sys.exit(main())
