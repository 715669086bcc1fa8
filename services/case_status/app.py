"""The HTTP API: the token endpoint and `GET /case-status/{receiptNumber}`, with the real API's
body shapes and error codes (docs/case-status.md)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import time
from http import HTTPStatus
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.case_status.dates import API_DATE
from privacy import mask_receipt
from services.case_status.auth import Tokens
from services.case_status.limits import RateLimiter
from services.case_status.seed import seed
from services.case_status.settings import ServiceSettings
from services.case_status.store import Case, CaseStore
from services.readiness import database_answers, readiness_reply

logger = logging.getLogger("case_status")

# The path parameter: 3 letters and 10 digits, or the IOE*123456789 form printed on some notices.
RECEIPT_RE = re.compile(r"^[A-Z]{3}(?:\d{10}|\*\d{9})$")
MESSAGES = {
    401: "Invalid Access Token",
    404: (
        "The receipt number entered could not be found. Please check the number and try again. "
        "If you still need help, call the USCIS Contact Center at 800-375-5283."
    ),
    422: "The receipt number must be 13 characters: a 3-letter prefix followed by 10 digits.",
    503: " The service is temporarily unavailable. Please try again later.",
}


def error(status: int, message: str | None = None, **headers: str) -> HTTPResponse:
    """The documented `{code, message}` envelope (with `errors` for 422)."""
    text = message or MESSAGES[status]
    body: dict[str, Any] = {"code": str(status), "message": text}
    if status == 422:
        body["errors"] = [{"message": text}]
    if status == 503:
        # What the live sandbox sends when it is down: nested, a string code, leading space.
        body = {"error": {"code": "503", "message": text}}
    return response.json(body, status=status, headers=headers or None)


def case_body(case: Case) -> dict[str, Any]:
    """The success body; IOE receipts use the variant without dates."""
    status: dict[str, Any] = {"receiptNumber": case.receipt_number, "formType": case.form_type}
    if not case.receipt_number.startswith("IOE"):
        for key, moment in (
            ("submittedDate", case.submitted_at),
            ("modifiedDate", case.modified_at),
        ):
            status[key] = moment.strftime(API_DATE) if moment else None
    status.update(
        {
            "current_case_status_text_en": case.status_en,
            "current_case_status_desc_en": case.desc_en,
            "current_case_status_text_es": case.status_es,
            "current_case_status_desc_es": case.desc_es,
            "hist_case_status": case.history,
        }
    )
    payload = {"receipt_number": case.receipt_number}
    return {"case_status": status, "message": f"Query was successful for payload {payload}"}


def _bearer(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _credentials(request: Request) -> tuple[str, str, str]:
    """grant_type, client_id, client_secret from the form body (or HTTP Basic for the last two)."""
    form = request.form or {}
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = request.headers.get("Authorization", "")
    if not client_id and auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
        except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8 inside
            decoded = ""
        client_id, _, secret = decoded.partition(":")
    return form.get("grant_type", ""), client_id, secret


def create_app(settings: ServiceSettings, name: str = "case_status") -> Sanic:
    app = Sanic(name)
    app.config.ACCESS_LOG = False  # Sanic's access log would write receipt numbers in full.
    app.config.FALLBACK_ERROR_FORMAT = "json"
    tokens = Tokens(settings.clients, settings.token_ttl)
    limiter = RateLimiter(settings.per_second, settings.per_day)

    @app.before_server_start
    async def open_store(app: Sanic, _: Any) -> None:
        app.ctx.store = await asyncio.to_thread(CaseStore, settings.db_url)
        added = await asyncio.to_thread(seed, app.ctx.store)
        logger.info("case store ready (%d seeded cases added)", added)

    @app.after_server_stop
    async def close_store(app: Sanic, _: Any) -> None:
        app.ctx.store.close()

    @app.middleware("request")
    async def started(request: Request) -> None:
        request.ctx.started = time.monotonic()

    @app.middleware("response")
    async def log_request(request: Request, reply: HTTPResponse) -> None:
        elapsed = (time.monotonic() - getattr(request.ctx, "started", time.monotonic())) * 1000
        path = request.path
        if path.startswith("/case-status/"):  # any receipt, even a malformed one, is masked
            path = "/case-status/" + mask_receipt(path[len("/case-status/") :])
        logger.info("%s %s %s %.0fms", request.method, path, reply.status, elapsed)

    @app.exception(NotFound, MethodNotSupported)
    async def no_such_route(request: Request, problem: NotFound) -> HTTPResponse:
        """A path or method the API lacks: JSON like every answer, never the path echoed back
        (Sanic's own page repeats it, receipt number included)."""
        status = int(getattr(problem, "status_code", 404))
        if status == 404 and request.path.startswith("/case-status/"):
            return error(404)
        return response.json({"code": str(status), "message": HTTPStatus(status).phrase}, status)

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/ready")
    async def ready(request: Request) -> HTTPResponse:
        """Ready for lookups: the case database answers (docs/deploy.md)."""
        return readiness_reply({"database": await database_answers(request.app.ctx.store.engine)})

    @app.post("/oauth/accesstoken")
    async def access_token(request: Request) -> HTTPResponse:
        grant_type, client_id, secret = _credentials(request)
        if grant_type != "client_credentials":
            return response.json(
                {"error": "unsupported_grant_type", "error_description": "Use client_credentials"},
                status=400,
            )
        if not tokens.check_client(client_id, secret):
            return response.json(
                {"error": "invalid_client", "error_description": "ClientId or secret is invalid"},
                status=401,
            )
        return response.json(tokens.issue(client_id))

    # ignore_body=False: Sanic reads a GET's body, if a client sent one, instead of logging
    # "<Request: GET /case-status/EAC...> body not consumed" with the receipt in full.
    @app.get("/case-status/<receipt_number:str>", ignore_body=False)
    async def case_status(request: Request, receipt_number: str) -> HTTPResponse:
        client_id = tokens.client_of(_bearer(request))
        if client_id is None:
            return error(401)
        verdict = limiter.check(client_id)
        if not verdict.allowed:
            return error(429, verdict.message, **{"Retry-After": str(verdict.retry_after)})
        if settings.maintenance_file and os.path.exists(settings.maintenance_file):
            return error(503)
        if settings.delay_seconds:
            await asyncio.sleep(settings.delay_seconds)
        if not RECEIPT_RE.match(receipt_number):
            return error(422)
        case = await asyncio.to_thread(request.app.ctx.store.get, receipt_number)
        if case is None:
            # Also what a receipt protected by 8 U.S.C. 1367 gets: nothing tells them apart.
            logger.info("not found: %s", mask_receipt(receipt_number))
            return error(404)
        return response.json(case_body(case))

    return app
