"""Live-agent handoff: queues, the agent console, and the way back to the bot.

The chat hub mounts it with one call, `attach(app)`, after creating its own `app.ctx.hub`
(see docs/handoff.md). Everything the handoff needs from the hub goes through
`services.handoff.hubport.HubPort`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.handoff.settings import HandoffSettings


def attach(app: Any, settings: HandoffSettings | None = None) -> None:
    """Mount the console and internal API on the hub's Sanic `app`.

    Call it after the hub registered its own `before_server_start` listener (which creates
    `app.ctx.hub`): listeners run in the order they were added.
    """
    from services.handoff.api import blueprint
    from services.handoff.hubport import HubAdapter
    from services.handoff.service import Handoff
    from services.handoff.store import HandoffStore

    chosen = settings or HandoffSettings.from_env()

    @app.listener("before_server_start")
    async def start_handoff(app: Any, _loop: object) -> None:
        store = await asyncio.to_thread(HandoffStore, chosen.db_url)
        handoff = Handoff(chosen, store, HubAdapter(app.ctx.hub))
        await handoff.start()
        app.ctx.handoff = handoff

    @app.listener("after_server_stop")
    async def stop_handoff(app: Any, _loop: object) -> None:
        handoff = getattr(app.ctx, "handoff", None)
        if handoff is not None:
            await handoff.stop()
            handoff.store.close()

    app.blueprint(blueprint(lambda running: running.ctx.handoff))
