"""Readiness checks shared by the services' `/ready` routes (docs/deploy.md).

Liveness (`/health`, `/live`) only says the process answers; readiness says it can do its work
now, so an orchestrator sends it traffic. A check never raises and never waits long: a probe
that hangs on an unreachable database would count as a failure anyway, only later.
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sanic import response
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

log = logging.getLogger("readiness")

# Shorter than the probes' timeoutSeconds (deploy/kubernetes/), so the reply says why.
CHECK_SECONDS = 2.0


def _select_one(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


async def database_answers(engine: Engine, timeout: float = CHECK_SECONDS) -> bool:
    """True when the database runs a trivial query within `timeout` seconds."""
    try:
        await asyncio.wait_for(asyncio.to_thread(_select_one, engine), timeout)
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: database check failed: %s", type(error).__name__)
        return False
    return True


def readiness_reply(checks: dict[str, bool]) -> HTTPResponse:
    """200 when every check passed, else 503 naming the failed ones, in a short JSON body."""
    failed = [name for name, passed in checks.items() if not passed]
    body: dict[str, object] = {"status": "not ready" if failed else "ready"}
    body.update({name: "ok" if passed else "unavailable" for name, passed in checks.items()})
    if failed:
        body["reason"] = ", ".join(f"{name} unavailable" for name in failed)
    return response.json(body, status=503 if failed else 200)
