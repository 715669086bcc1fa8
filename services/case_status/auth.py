"""OAuth 2.0 client-credentials tokens that need no storage: signed, with their expiry inside.

A token is `<payload>.<signature>`, the payload naming the client and the expiry time and the
signature an HMAC keyed by that client's secret. Any instance of the service can check it, and a
token stops working when it expires or when the client's secret changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Tokens:
    clients: dict[str, str]
    ttl: int

    def check_client(self, client_id: str, client_secret: str) -> bool:
        expected = self.clients.get(client_id)
        return expected is not None and hmac.compare_digest(
            expected.encode(), client_secret.encode()
        )

    def _sign(self, client_id: str, payload: str) -> str:
        key = self.clients[client_id].encode()
        return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())

    def issue(self, client_id: str, now: float | None = None) -> dict[str, str]:
        """The token response, shaped like the API's (Apigee) one."""
        issued = time.time() if now is None else now
        claims = {"c": client_id, "e": int(issued) + self.ttl, "n": secrets.token_hex(8)}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return {
            "refresh_token_expires_in": "0",
            "api_product_list": "[Case Status API - Sandbox]",
            "organization_name": "uscis",
            "token_type": "Bearer",
            "issued_at": str(int(issued * 1000)),
            "client_id": client_id,
            "access_token": f"{payload}.{self._sign(client_id, payload)}",
            "scope": "",
            "expires_in": str(self.ttl),
            "status": "approved",
        }

    def client_of(self, token: str, now: float | None = None) -> str | None:
        """The client a valid, unexpired token belongs to; None for anything else."""
        payload, _, signature = token.partition(".")
        try:
            claims = json.loads(_unb64(payload))
            client_id, expires = str(claims["c"]), int(claims["e"])
        except (ValueError, KeyError, TypeError, OverflowError):  # e.g. an expiry of 1e400
            return None
        if client_id not in self.clients:
            return None
        if not hmac.compare_digest(signature, self._sign(client_id, payload)):
            return None
        return client_id if (time.time() if now is None else now) < expires else None
