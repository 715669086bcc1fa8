"""Rasa's REST channel behind a bearer token, with client metadata passed through.

Stock RestInput accepts any caller and drops metadata; the chat hub needs neither. A message
whose metadata carries a `message_id` already in the conversation is answered from the tracker,
not handled twice: in production mode nginx resends a message to another Rasa replica when the
first one died, which may have been after it had handled it. The check runs on the tracker Rasa
reads anyway, under the conversation's lock (`install` wraps `MessageProcessor.log_message`), so
a new message costs no query of its own, and a resend waits for the turn it repeats to end.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons import endpoint_session
from services.collector import freeze_when_started


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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(handle_once(on_new_message))
        # The kept-alive sessions to the action server close with the server that used them.
        webhook.listener("after_server_stop")(_close_endpoint_sessions)
        # After the model has loaded (Rasa loads it before the server starts): keep it out of
        # the garbage collector's full collections (services/collector.py).
        webhook.listener("after_server_start")(freeze_when_started)

        @webhook.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if request.path.endswith("/webhook") and not (
                self.token and hmac.compare_digest(_provided_token(request), self.token)
            ):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return webhook


def _bot_messages_after(events: list[Any], message_id: str) -> list[dict[str, Any]] | None:
    """The bot's messages that answered the visitor message `message_id`; None if it is new."""
    for index, event in enumerate(events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            answers = []
            for later in events[index + 1 :]:
                if isinstance(later, UserUttered):
                    break
                if isinstance(later, BotUttered):
                    answers.append({"text": later.text, **(later.data or {})})
            return answers
    return None


# The hub's id of the message this task is handling, while `handle_once` waits for Rasa.
_ANSWER_ONCE: ContextVar[str | None] = ContextVar("answer_once", default=None)


class AlreadyAnswered(Exception):
    """The message was handled before (a resend); these were its answers."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        super().__init__("message already handled")
        self.answers = answers


def handle_once(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap Rasa's handler: a repeated `message_id` gets the stored answers again."""

    async def handle(message: UserMessage) -> Any:
        message_id = (message.metadata or {}).get("message_id")
        if not isinstance(message_id, str) or not message_id or len(message_id) > 100:
            return await on_new_message(message)
        message.message_id = message_id
        marked = _ANSWER_ONCE.set(message_id)
        try:
            return await on_new_message(message)
        except AlreadyAnswered as repeated:
            for answer in repeated.answers:
                answer = {key: value for key, value in answer.items() if value is not None}
                await message.output_channel.send_response(message.sender_id, answer)
            return None
        finally:
            _ANSWER_ONCE.reset(marked)

    return handle


async def log_message_once(
    self: MessageProcessor, message: UserMessage, should_save_tracker: bool = True
) -> DialogueStateTracker:
    """Rasa's `log_message`; for a message `handle_once` marked, first a look in the tracker
    it has just read: a message already there is not handled again (AlreadyAnswered)."""
    tracker = await self.fetch_tracker_and_update_session(
        message.sender_id, message.output_channel, message.metadata
    )
    if message.message_id is not None and message.message_id == _ANSWER_ONCE.get():
        answers = _bot_messages_after(list(tracker.events), message.message_id)
        if answers is not None:
            raise AlreadyAnswered(answers)
    await self._handle_message_with_tracker(message, tracker)
    if should_save_tracker:
        await self.save_tracker(tracker)
    return tracker


async def _close_endpoint_sessions(*_: Any) -> None:
    await endpoint_session.close_all()


def install() -> None:
    MessageProcessor.log_message = log_message_once  # type: ignore[method-assign]
