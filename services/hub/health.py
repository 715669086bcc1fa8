"""The hub's probes: `/live` (the process answers) and `/ready` (it can serve a visitor now).

`/health` stays as it was for people and scripts; it fails when the database does, so an
orchestrator restarting on it would drop every open chat during a database outage. That is
why liveness has its own route that checks nothing but the process (docs/deploy.md).
"""

from __future__ import annotations

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from services.readiness import database_answers, readiness_reply


async def live(request: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


async def ready(request: Request) -> HTTPResponse:
    """Ready when the transcript database answers and Rasa answers (behind its Service, only
    Rasa pods with a loaded model answer, so this also means "a model is loaded")."""
    hub = request.app.ctx.hub
    database_ok = await database_answers(hub.store.engine)
    rasa_ok = await hub.rasa.reachable()
    return readiness_reply({"database": database_ok, "rasa": rasa_ok})


def add_probes(app: Sanic) -> None:
    """Register the probe routes on the hub's app."""
    app.add_route(live, "/live", methods=["GET"], name="probe_live")
    app.add_route(ready, "/ready", methods=["GET"], name="probe_ready")
