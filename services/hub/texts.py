"""Everything the hub itself says to a visitor, in English and Spanish.

The bot's answers come from Rasa; these are the hub's own notices and errors.
"""

from __future__ import annotations

SUPPORTED = ("en", "es")

TEXTS: dict[str, dict[str, str]] = {
    "bot_unavailable": {
        "en": (
            "Sorry, I can't answer right now. Please try again in a minute. If you need help "
            "today, you can call the USCIS Contact Center at 800-375-5283."
        ),
        "es": (
            "Lo siento, no puedo responder en este momento. Inténtelo de nuevo en un minuto. "
            "Si necesita ayuda hoy, puede llamar al Centro de Contacto de USCIS al 800-375-5283."
        ),
    },
    "no_answer": {
        "en": "Sorry, I don't have an answer for that right now. Could you say it another way?",
        "es": "Lo siento, ahora no tengo una respuesta para eso. ¿Puede decirlo de otra manera?",
    },
    "too_long": {
        "en": "Your message is too long ({length} characters). Please keep it under {limit}.",
        "es": "Su mensaje es demasiado largo ({length} caracteres). El límite es {limit}.",
    },
    "empty": {
        "en": "Your message is empty. Please type a question.",
        "es": "Su mensaje está vacío. Escriba una pregunta, por favor.",
    },
    "too_many": {
        "en": "You're sending messages very quickly. Please wait {seconds} seconds and try again.",
        "es": "Está enviando mensajes muy rápido. Espere {seconds} segundos e inténtelo de nuevo.",
    },
    "bad_frame": {
        "en": "The chat could not read that message. Please reload the page and try again.",
        "es": "El chat no pudo leer ese mensaje. Vuelva a cargar la página e inténtelo de nuevo.",
    },
    "store_unavailable": {
        "en": (
            "Sorry, the chat can't take messages right now, so yours was not sent. Please try "
            "again in a minute. If you need help today, you can call the USCIS Contact Center "
            "at 800-375-5283."
        ),
        "es": (
            "Lo siento, el chat no puede recibir mensajes en este momento, así que el suyo no se "
            "envió. Inténtelo de nuevo en un minuto. Si necesita ayuda hoy, puede llamar al "
            "Centro de Contacto de USCIS al 800-375-5283."
        ),
    },
    "hello_first": {
        "en": "The chat is still connecting. Please try again in a moment.",
        "es": "El chat todavía se está conectando. Inténtelo de nuevo en un momento.",
    },
}


def language_or_default(language: object) -> str:
    return language if isinstance(language, str) and language in SUPPORTED else "en"


def say(key: str, language: object, **values: object) -> str:
    """The notice `key` in the visitor's language (English when unknown)."""
    return TEXTS[key][language_or_default(language)].format(**values)
