"""The first stage of the two-stage fallback: confirm the likely intent with buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.language import language_of
from actions.topics import topic_labels

# What each non-topic intent means, as a visitor would say it.
INTENT_LABELS: dict[str, dict[str, str]] = {
    "greet": {"en": "Say hello", "es": "Saludar"},
    "goodbye": {"en": "Say goodbye", "es": "Despedirse"},
    "thank_you": {"en": "Say thanks", "es": "Dar las gracias"},
    "bot_challenge": {"en": "Ask whether I am a bot", "es": "Preguntar si soy un robot"},
    "ask_capabilities": {"en": "Ask what I can do", "es": "Preguntar qué puedo hacer"},
    "request_human": {"en": "Talk to a person", "es": "Hablar con una persona"},
    "change_language": {"en": "Change the language", "es": "Cambiar el idioma"},
    "browse_topics": {"en": "See common topics", "es": "Ver temas frecuentes"},
    "check_case_status": {"en": "Check my case status", "es": "Consultar el estado de mi caso"},
    "account_help": {
        "en": "Help with my online account",
        "es": "Ayuda con mi cuenta en línea",
    },
    "account_forgot_password": {"en": "I forgot my password", "es": "Olvidé mi contraseña"},
    "account_locked": {"en": "My account is locked", "es": "Mi cuenta está bloqueada"},
    "account_two_step": {
        "en": "A problem with the verification code",
        "es": "Un problema con el código de verificación",
    },
    "account_access_code": {
        "en": "Link a paper case (Online Access Code)",
        "es": "Vincular un caso en papel (código de acceso en línea)",
    },
    "account_forgot_user_id": {"en": "I forgot my user ID", "es": "Olvidé mi nombre de usuario"},
    "leave_service_request": {
        "en": "Leave a question by e-mail",
        "es": "Dejar una pregunta por correo electrónico",
    },
}
TEXT = {
    "en": {"ask": "Did you mean: {label}?", "no": "No, something else"},
    "es": {"ask": "¿Quiso decir: {label}?", "no": "No, otra cosa"},
}
# Intents not worth confirming: a "yes" to them would not help the visitor.
NOT_CONFIRMED = {
    "nlu_fallback",
    "out_of_scope",
    "affirm",
    "deny",
    "stop",
    "share_secret",
    "account_choose_type",
}


def _candidate(latest_message: dict[str, Any]) -> str | None:
    """The most likely real intent, with the FAQ sub-intent when it is the FAQ."""
    for ranked in latest_message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name in NOT_CONFIRMED:
            continue
        if name == "faq":
            selector = (latest_message.get("response_selector") or {}).get("faq") or {}
            return (selector.get("response") or {}).get("intent_response_key")
        return name
    return None


class ActionDefaultAskAffirmation(Action):
    """Asks "did you mean ...?" with the candidate as a button and a way out."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        candidate = _candidate(tracker.latest_message)
        buttons: list[dict[str, str]] = []
        label = None
        if candidate and candidate.startswith("faq/"):
            topic = topic_labels().get((candidate, lang)) or topic_labels().get((candidate, "en"))
            if topic:
                label = topic.title
                buttons.append({"title": label, "payload": topic.example})
        elif candidate in INTENT_LABELS:
            label = INTENT_LABELS[candidate][lang]
            buttons.append({"title": label, "payload": f"/{candidate}"})
        if label is None:
            dispatcher.utter_message(text=REPHRASE[lang])
            return []
        buttons.append({"title": TEXT[lang]["no"], "payload": "/out_of_scope"})
        dispatcher.utter_message(text=TEXT[lang]["ask"].format(label=label), buttons=buttons)
        return []


REPHRASE = {
    "en": "Sorry, I didn't quite understand. Could you say it another way, in a few words?",
    "es": "Perdón, no entendí bien. ¿Podría decirlo de otra forma, en pocas palabras?",
}
GIVE_UP = {
    "en": "I'm sorry, I still can't help with that. Here are other ways forward:",
    "es": "Lo siento, todavía no puedo ayudarle con eso. Estas son otras opciones:",
}
OTHER_ROUTES = ("browse_topics", "check_case_status", "request_human")


class ActionDefaultAskRephrase(Action):
    """Second stage: ask the visitor to say it another way."""

    def name(self) -> str:
        return "action_default_ask_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=REPHRASE[language_of(tracker)])
        return []


class ActionDefaultFallback(Action):
    """Final fallback: never a dead end, offer the other routes as buttons."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        buttons = [
            {"title": INTENT_LABELS[intent][lang], "payload": f"/{intent}"}
            for intent in OTHER_ROUTES
        ]
        dispatcher.utter_message(text=GIVE_UP[lang], buttons=buttons)
        return [UserUtteranceReverted()]
