"""Signed session tokens that bind a conversation to one visitor's browser.

The widget keeps the token in the page's localStorage and presents it when it (re)connects.
Ids are random and the token is signed with HUB_SECRET, so a conversation can only be read by
the browser the hub handed its token to.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"


def new_id() -> str:
    """An unguessable id (128 bits), safe in URLs and as Rasa's sender id."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Session:
    visitor_id: str
    conversation_id: str


class SessionSigner:
    def __init__(self, secret: str, days: int = 30) -> None:
        self._secret = secret
        self._lifetime = days * 86400

    def issue(self, session: Session) -> str:
        now = int(time.time())
        claims = {
            "vid": session.visitor_id,
            "cid": session.conversation_id,
            "iat": now,
            "exp": now + self._lifetime,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: object) -> Session | None:
        """The session a token names, or None for a missing, forged or expired token."""
        if not isinstance(token, str) or not token or len(token) > 1000:
            return None
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM])
        except jwt.PyJWTError:
            return None
        visitor, conversation = claims.get("vid"), claims.get("cid")
        if not (isinstance(visitor, str) and isinstance(conversation, str)):
            return None
        return Session(visitor, conversation)
