"""Handing a conversation to a person, and the service request a visitor can leave instead.

`action_handoff` runs when the visitor asks for a person. It decides, with rules set in the
environment (HANDOFF_* below), whether to first say what the bot can do or to hand off at once,
then asks the chat hub (HUB_INTERNAL_URL, HUB_INTERNAL_TOKEN) for a live agent. When the hub
accepts, Rasa's tracker records a pause (`ConversationPaused`): the bot stays silent until the
hub posts a `resume` event when the agent ends the chat. When nobody can take the chat, the
visitor gets the other routes (phone, TTY, secure messaging) and the bot keeps helping.

The summary sent to the hub names only intents and actions (what was asked, what was tried):
never the visitor's words, so no personal data reaches the agent's queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.language import language_of
from privacy.secrets import looks_like_secret

log = logging.getLogger(__name__)

FALLBACK_ACTIONS = {"action_default_fallback", "action_two_stage_fallback"}
# Actions that are bookkeeping, not something the visitor saw.
_QUIET_ACTIONS = {"action_listen", "action_session_start"}
EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
MAX_QUESTION_CHARS = 1000


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class HandoffRules:
    """When the bot hands off; every rule can be changed in the environment."""

    enabled: bool = True
    # The first request for a person gets a short "here is what I can do" and the offer.
    offer_first: bool = True
    # A request right after the fallback gave up hands off at once (the bot already failed).
    at_once_after_fallback: bool = True
    # Topics only a person can handle (office appointments, emergency travel) -> their queue.
    person_only_topics: tuple[tuple[str, str], ...] = (
        ("faq/field_office", "tier_2"),
        ("faq/emergency_travel", "tier_2"),
        ("faq/proof_of_status", "tier_2"),
    )
    # Technical problems the self-help steps did not fix (the account help sets the slot
    # `handoff_queue`, e.g. technical_help_desk) -> that queue, at once.
    at_once_after_self_help: bool = True
    default_queue: str = "tier_1"
    hub_url: str = ""
    hub_token: str = ""
    timeout: float = 4.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandoffRules:
        env = os.environ if env is None else env
        defaults = cls()
        topics = defaults.person_only_topics
        if env.get("HANDOFF_PERSON_ONLY_TOPICS") is not None:
            pairs = []
            for item in env["HANDOFF_PERSON_ONLY_TOPICS"].split(","):
                name, _, queue = item.strip().partition(":")
                if name:
                    pairs.append((name, queue or "tier_2"))
            topics = tuple(pairs)
        try:
            timeout = float(env.get("HANDOFF_HUB_TIMEOUT") or defaults.timeout)
        except ValueError:
            timeout = defaults.timeout
        return cls(
            enabled=_flag(env, "HANDOFF_ENABLED", True),
            offer_first=_flag(env, "HANDOFF_OFFER_FIRST", True),
            at_once_after_fallback=_flag(env, "HANDOFF_AT_ONCE_AFTER_FALLBACK", True),
            person_only_topics=topics,
            at_once_after_self_help=_flag(env, "HANDOFF_AT_ONCE_AFTER_SELF_HELP", True),
            hub_url=(env.get("HUB_INTERNAL_URL") or "").rstrip("/"),
            hub_token=env.get("HUB_INTERNAL_TOKEN") or "",
            timeout=timeout,
        )


# --- reading the conversation (intents and action names only)
def _topic(event: dict[str, Any]) -> str | None:
    parse = event.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    if intent == "faq":
        selector = (parse.get("response_selector") or {}).get("faq") or {}
        return (selector.get("response") or {}).get("intent_response_key") or "faq"
    return intent


def topics_asked(events: list[dict[str, Any]]) -> list[str]:
    """Distinct intents of the visitor's messages, oldest first, without the handoff request."""
    seen: list[str] = []
    for event in events:
        if event.get("event") != "user":
            continue
        topic = _topic(event)
        if topic and topic not in seen and topic not in ("request_human", "nlu_fallback"):
            seen.append(topic)
    return seen


def what_was_tried(events: list[dict[str, Any]]) -> list[str]:
    """The bot's own attempts worth telling an agent about."""
    tried: list[str] = []
    fallbacks = sum(
        1 for e in events if e.get("event") == "action" and e.get("name") in FALLBACK_ACTIONS
    )
    if fallbacks:
        tried.append(f"fallback x{fallbacks}")
    for event in events:
        name = event.get("name") if event.get("event") == "action" else None
        if name and name.startswith(("utter_faq", "action_check_case_status", "action_account")):
            label = "faq answer" if name.startswith("utter_faq") else name
            if label not in tried:
                tried.append(label)
    return tried


def came_from_fallback(events: list[dict[str, Any]]) -> bool:
    """Did the bot's last visible step before this message give up (the exhausted fallback)?"""
    user_seen = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if user_seen:
                return False
            user_seen = True
            continue
        if user_seen and kind == "action" and event.get("name") not in _QUIET_ACTIONS:
            return event.get("name") in FALLBACK_ACTIONS
    return False


def recent_topics(events: list[dict[str, Any]], count: int = 3) -> list[str]:
    topics = [_topic(e) for e in events if e.get("event") == "user"]
    return [t for t in topics if t and t != "request_human"][-count:]


@dataclass(frozen=True)
class Decision:
    handoff: bool
    reason: str
    queue: str


QUEUES = ("tier_1", "tier_2", "technical_help_desk")


def decide(
    rules: HandoffRules,
    events: list[dict[str, Any]],
    offered: bool,
    self_help_queue: str | None = None,
) -> Decision:
    """Offer first, or hand off now, and to which queue."""
    recent = recent_topics(events)
    for topic, queue in rules.person_only_topics:
        if topic in recent:
            return Decision(True, "needs_a_person", queue if queue in QUEUES else "tier_2")
    if rules.at_once_after_self_help and self_help_queue in QUEUES:
        return Decision(True, "self_help_failed", self_help_queue)
    if rules.at_once_after_fallback and came_from_fallback(events):
        return Decision(True, "fallback", rules.default_queue)
    if offered or not rules.offer_first:
        return Decision(True, "asked" if not offered else "asked_again", rules.default_queue)
    return Decision(False, "offer", rules.default_queue)


# --- what the visitor reads
OFFER = {
    "en": (
        "I'm a virtual assistant: I can answer general questions, check a case status and help "
        "with online accounts. If you'd still like a person, I can connect you with a live agent "
        "here, or you can call the USCIS Contact Center at 800-375-5283 (TTY: 800-767-1833). More "
        "ways to get help: https://www.uscis.gov/contactcenter"
    ),
    "es": (
        "Soy un asistente virtual: respondo preguntas generales, consulto el estado de un caso y "
        "ayudo con las cuentas en línea. Si aún prefiere una persona, puedo comunicarle con un "
        "agente aquí mismo, o puede llamar al Centro de Contacto de USCIS al 800-375-5283 "
        "(TTY: 800-767-1833). Más formas de obtener ayuda: https://www.uscis.gov/es/contactenos"
    ),
}
CONNECT_BUTTON = {"en": "Connect me with a person", "es": "Comuníqueme con una persona"}
LEAVE_BUTTON = {"en": "Leave a question by e-mail", "es": "Dejar una pregunta por correo"}
CANCEL_BUTTON = {
    "en": "Cancel and stay with the assistant",
    "es": "Cancelar y seguir con el asistente",
}
QUEUED = {
    "en": (
        "I'm connecting you with a person. You are number {position} in line. Please stay on "
        "this page; you can keep typing and the agent will see your messages."
    ),
    "es": (
        "Le estoy comunicando con una persona. Usted es el número {position} en la fila. "
        "Quédese en esta página; puede seguir escribiendo y el agente verá sus mensajes."
    ),
}
ALREADY = {
    "en": "You're already waiting for a person or talking with one.",
    "es": "Ya está esperando a una persona o hablando con una.",
}
OTHER_ROUTES = {
    "en": (
        "You can call the USCIS Contact Center at 800-375-5283 (TTY: 800-767-1833; from outside "
        "the U.S., +1 212-620-3418), Monday to Friday, 8 a.m. to 8 p.m. Eastern, or send a secure "
        "message from your USCIS online account (https://my.uscis.gov). You can also leave your "
        "question here and get the answer by e-mail. I'm still here for other questions."
    ),
    "es": (
        "Puede llamar al Centro de Contacto de USCIS al 800-375-5283 (TTY: 800-767-1833; desde "
        "fuera de EE. UU., +1 212-620-3418), de lunes a viernes, de 8 a. m. a 8 p. m., hora del "
        "Este, o enviar un mensaje seguro desde su cuenta en línea de USCIS "
        "(https://my.uscis.gov). También puede dejar aquí su pregunta y recibir la respuesta por "
        "correo electrónico. Sigo aquí para otras preguntas."
    ),
}
WHY_NOT = {
    "closed": {
        "en": "Live chat with a person is closed right now.",
        "es": "El chat en vivo con una persona está cerrado en este momento.",
    },
    "no_agent": {
        "en": "No agent is free to chat right now.",
        "es": "No hay ningún agente disponible para chatear en este momento.",
    },
    "unreachable": {
        "en": "Live chat with a person isn't available right now.",
        "es": "El chat en vivo con una persona no está disponible en este momento.",
    },
    "disabled": {
        "en": "Live chat with a person isn't offered here.",
        "es": "Aquí no se ofrece chat en vivo con una persona.",
    },
}
SR_SAVED = {
    "en": (
        "Thank you. Your service request number is {number}. A person will answer by e-mail "
        "within {hours} hours. Is there anything else I can help with?"
    ),
    "es": (
        "Gracias. Su número de solicitud de servicio es {number}. Una persona le responderá por "
        "correo electrónico en un plazo de {hours} horas. ¿Hay algo más en lo que le pueda ayudar?"
    ),
}
SR_FAILED = {
    "en": (
        "Sorry, I couldn't save your question right now. Please send it as a secure message "
        "from your USCIS online account (https://my.uscis.gov) or call 800-375-5283 "
        "(TTY: 800-767-1833)."
    ),
    "es": (
        "Lo siento, no pude guardar su pregunta en este momento. Envíela como mensaje seguro "
        "desde su cuenta en línea de USCIS (https://my.uscis.gov) o llame al 800-375-5283 "
        "(TTY: 800-767-1833)."
    ),
}
BAD_EMAIL = {
    "en": "That doesn't look like an e-mail address. Please type it like name@example.com.",
    "es": "Eso no parece un correo electrónico. Escríbalo así: nombre@ejemplo.com.",
}
BAD_QUESTION = {
    "en": "Please type your question in a sentence or two (up to 1,000 characters).",
    "es": "Escriba su pregunta en una o dos oraciones (hasta 1.000 caracteres).",
}
SECRET_QUESTION = {
    "en": "Please don't send passwords or codes. Type your question without them.",
    "es": "No envíe contraseñas ni códigos. Escriba su pregunta sin ellos.",
}


def _leave_button(lang: str) -> dict[str, str]:
    return {"title": LEAVE_BUTTON[lang], "payload": "/leave_service_request"}


async def _post_hub(rules: HandoffRules, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """POST to the hub's internal API; None when it is not configured, down or refuses."""
    if not (rules.hub_url and rules.hub_token):
        return None
    headers = {"Authorization": f"Bearer {rules.hub_token}"}
    timeout = aiohttp.ClientTimeout(total=rules.timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(f"{rules.hub_url}{path}", json=body, headers=headers) as reply,
        ):
            if reply.status >= 500 or reply.status in (401, 403, 404):
                log.warning("hub answered HTTP %s to %s", reply.status, path)
                return None
            data = await reply.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        log.warning("hub unreachable for %s: %s", path, type(error).__name__)
        return None
    return data if isinstance(data, dict) else None


class ActionHandoff(Action):
    """A request for a person: offer first, or ask the hub for a live agent."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rules = HandoffRules.from_env()
        lang = language_of(tracker)
        events = list(tracker.events)
        decision = decide(
            rules,
            events,
            bool(tracker.get_slot("handoff_offered")),
            tracker.get_slot("handoff_queue"),
        )
        if not decision.handoff:
            dispatcher.utter_message(
                text=OFFER[lang],
                buttons=[
                    {"title": CONNECT_BUTTON[lang], "payload": "/request_human"},
                    _leave_button(lang),
                ],
            )
            return [SlotSet("handoff_offered", True)]
        if not rules.enabled:
            return self._other_routes(dispatcher, lang, "disabled")
        body = {
            "conversation_id": tracker.sender_id,
            "reason": decision.reason,
            "language": lang,
            "queue": decision.queue,
            "summary": {"topics": topics_asked(events), "tried": what_was_tried(events)},
        }
        answer = await _post_hub(rules, "/internal/handoff", body)
        status = (answer or {}).get("status")
        if status == "queued":
            position = answer.get("position") if isinstance(answer.get("position"), int) else 1
            dispatcher.utter_message(
                text=QUEUED[lang].format(position=position),
                buttons=[{"title": CANCEL_BUTTON[lang], "payload": "/stop"}],
            )
            return [
                SlotSet("handoff_offered", False),
                SlotSet("handoff_queue", None),
                ConversationPaused(),
            ]
        if status == "already":
            dispatcher.utter_message(text=ALREADY[lang])
            return [ConversationPaused()]
        why = answer.get("why") if answer and answer.get("why") in WHY_NOT else "unreachable"
        return self._other_routes(dispatcher, lang, why)

    @staticmethod
    def _other_routes(dispatcher: CollectingDispatcher, lang: str, why: str) -> list[EventType]:
        dispatcher.utter_message(
            text=f"{WHY_NOT[why][lang]} {OTHER_ROUTES[lang]}", buttons=[_leave_button(lang)]
        )
        return [SlotSet("handoff_offered", True)]


ASK_QUESTION = {
    "en": (
        "Please type your question in a sentence or two. Don't include your A-number, Social "
        "Security number, receipt number or any password."
    ),
    "es": (
        "Escriba su pregunta en una o dos oraciones. No incluya su número A, su número de Seguro "
        "Social, su número de recibo ni contraseñas."
    ),
}
ASK_EMAIL = {
    "en": "What e-mail address should the answer go to?",
    "es": "¿A qué correo electrónico le enviamos la respuesta?",
}
NEVER_MIND = {"en": "Never mind", "es": "Olvídelo"}


class _AskAction(Action):
    """A question of the service request form, with a way out."""

    slot = ""
    texts: dict[str, str] = {}

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(
            text=self.texts[lang], buttons=[{"title": NEVER_MIND[lang], "payload": "/stop"}]
        )
        return []


class ActionAskServiceRequestQuestion(_AskAction):
    slot = "service_request_question"
    texts = ASK_QUESTION


class ActionAskServiceRequestEmail(_AskAction):
    slot = "service_request_email"
    texts = ASK_EMAIL


class ValidateServiceRequestForm(FormValidationAction):
    """The question and the e-mail address of a service request, checked politely."""

    def name(self) -> str:
        return "validate_service_request_form"

    def validate_service_request_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = language_of(tracker)
        text = value.strip() if isinstance(value, str) else ""
        if looks_like_secret(text):
            dispatcher.utter_message(text=SECRET_QUESTION[lang])
            return {"service_request_question": None}
        if len(text) < 3 or len(text) > MAX_QUESTION_CHARS or text.startswith("/"):
            dispatcher.utter_message(text=BAD_QUESTION[lang])
            return {"service_request_question": None}
        return {"service_request_question": text}

    def validate_service_request_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = value.strip() if isinstance(value, str) else ""
        match = EMAIL_RE.search(text)
        if not match or len(match.group(0)) > 254:
            dispatcher.utter_message(text=BAD_EMAIL[language_of(tracker)])
            return {"service_request_email": None}
        return {"service_request_email": match.group(0)}


class ActionSubmitServiceRequest(Action):
    """Send the filled form to the hub's service-request queue and give the visitor the number."""

    def name(self) -> str:
        return "action_submit_service_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        body = {
            "conversation_id": tracker.sender_id,
            "question": tracker.get_slot("service_request_question"),
            "email": tracker.get_slot("service_request_email"),
            "language": lang,
        }
        answer = await _post_hub(HandoffRules.from_env(), "/internal/service_requests", body)
        if answer and answer.get("number"):
            hours = answer.get("due_hours") if isinstance(answer.get("due_hours"), int) else 48
            dispatcher.utter_message(
                text=SR_SAVED[lang].format(number=answer["number"], hours=hours)
            )
        else:
            dispatcher.utter_message(text=SR_FAILED[lang])
        # The address and the question are not kept in the conversation's slots.
        return [SlotSet("service_request_question", None), SlotSet("service_request_email", None)]
