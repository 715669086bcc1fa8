"""`make prod`'s own path: the generated Procfile run by honcho, then Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from scripts.production import isolated_settings
from scripts.stack import ROOT, port_in_use, wait_for
from tests.hub.support import Chat
from tests.production.servers import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.rasa


class Started:
    """Enough of a hub for tests.hub.support.Chat: where the visitors' nginx listens."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"


def test_make_prod_serves_visitors_through_nginx_and_stops_on_ctrl_c(
    tmp_path: Path, redis_server: PrivateRedis, postgres_server: PrivatePostgres
) -> None:
    settings = isolated_settings(redis_server, postgres_server)
    # Databases that do not exist yet: `make prod` creates them.
    for name, database in (("TRACKER_STORE_URL", "new_tracker"), ("HUB_DB_URL", "new_hub")):
        settings[name] = postgres_server.url(database)
    env = {**os.environ, **settings, "PRODUCTION_RUN_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "scripts.production"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    output: list[str] = []
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            output.append(line)
            if "Agent console:" in line:
                break
        # Keep reading what honcho prints, or its pipe fills and the processes block.
        threading.Thread(target=output.extend, args=(process.stdout,), daemon=True).start()
        printed = "".join(output)
        assert f"http://127.0.0.1:{settings['HUB_PORT']}/" in printed, printed
        assert "2 Rasa and 2 hub replicas behind nginx" in printed
        rasa = f"http://127.0.0.1:{settings['RASA_PORT']}"
        try:
            wait_for(f"{rasa}/status?token={settings['RASA_TOKEN']}", timeout=300, process=process)
        except RuntimeError as error:  # say which process stopped honcho, from its own output
            raise AssertionError("".join(output)[-4000:]) from error
        page = requests.get(f"http://127.0.0.1:{settings['HUB_PORT']}/", timeout=10)
        assert page.status_code == 200 and "<script" in page.text

        async def greet() -> str:
            chat = await Chat.open(Started(int(settings["HUB_PORT"])))  # type: ignore[arg-type]
            entries = await chat.say("greet", payload="/greet")
            await chat.close()
            return " ".join(entry.get("text") or "" for entry in entries)

        assert "Ellis" in asyncio.run(greet())
        # The secrets honcho was given are readable by their owner only.
        assert (tmp_path / "settings.env").stat().st_mode & 0o077 == 0
    finally:
        with contextlib.suppress(ProcessLookupError):  # honcho may have stopped already
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    ports = [settings["HUB_PORT"], settings["RASA_PORT"], settings["ACTION_SERVER_PORT"]]
    ports += settings["RASA_REPLICA_PORTS"].split(",") + settings["HUB_REPLICA_PORTS"].split(",")
    assert [port for port in ports if port_in_use(int(port))] == []
