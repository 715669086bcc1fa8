"""The hub's server option: transcripts in PostgreSQL, surviving a hub restart."""

from __future__ import annotations

import psycopg2
import pytest

from scripts.stack import Stack, start_hub
from tests.hub.support import Chat, bot_text

pytestmark = pytest.mark.rasa


async def test_transcripts_in_postgresql_survive_a_hub_restart(
    stack: Stack,
    postgres_database: str,
) -> None:
    hub = start_hub(stack, {"HUB_DB_URL": postgres_database})
    try:
        chat = await Chat.open(hub)
        await chat.say("my receipt number is EAC9999103403")
        await chat.close()
        hub.restart()
        again = await Chat.open(hub, token=chat.token)
        assert again.welcome["resumed"] is True
        history = again.welcome["history"]
        assert history[0]["text"] == "my receipt number is EAC******3403"
        assert "Hi! I'm Ellis" in bot_text(await again.say("hello"))
        await again.close()
    finally:
        hub.stop()
    with psycopg2.connect(postgres_database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT text FROM hub_entries WHERE role = 'visitor' ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [
            "my receipt number is EAC******3403",
            "hello",
        ]
