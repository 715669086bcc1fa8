"""Rasa's REST channel behind a bearer token, with client metadata passed through.

Stock RestInput accepts any caller and drops metadata; the chat hub needs neither.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


def _provided_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :]
    return request.args.get("token", "")


class TokenRestInput(RestInput):
    """REST channel (`/webhooks/rest/webhook`) that requires RASA_TOKEN."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or os.environ.get("RASA_TOKEN", "")

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        return cls(token=(credentials or {}).get("token"))

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Any) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if request.path.endswith("/webhook") and not (
                self.token and hmac.compare_digest(_provided_token(request), self.token)
            ):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return webhook
