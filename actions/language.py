"""Which language to answer in: the client's explicit choice first, then the text itself.

Fills the `language` slot on every user message (custom slot mapping in domain.yml).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

SUPPORTED = ("en", "es")
DEFAULT_LANGUAGE = "en"
# lingua's confidence needed to switch language on text alone (see docs/nlu-pipeline.md).
MIN_CONFIDENCE = 0.8

# Words that, in this assistant's domain, almost only occur in one of the two languages.
# They settle the short messages where a statistical detector is unsure ("hola", "thanks").
_MARKERS = {
    "es": set(
        "hola buenas buenos días dias gracias adiós adios sí por favor quiero necesito puedo "
        "cómo como qué que cuál cual dónde donde cuándo cuando mi mis tengo tarjeta caso estado "
        "ayuda ayúdame persona agente hablar español espanol usted soy eres estás estas está "
        "con para una uno los las del pero también tambien ciudadanía ciudadania permiso "
        "trabajo dirección direccion cuenta contraseña contrasena número numero recibo".split()
    ),
    "en": set(
        "hello hi hey thanks thank you bye goodbye yes please want need can how what which where "
        "when my have card case status help person agent talk english the is are am with for "
        "and but also citizenship permit work address account password number receipt".split()
    ),
}
_WORD_RE = re.compile(r"[a-záéíóúüñ]+", re.IGNORECASE)
_SPANISH_ONLY_CHARS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
_NAMES = {
    "es": ("spanish", "español", "espanol", "castellano"),
    "en": ("english", "inglés", "ingles"),
}


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH).build()


def detect_language(text: str | None) -> str | None:
    """Return "en" or "es" when the text clearly is that language, else None."""
    if not text:
        return None
    words = [word.lower() for word in _WORD_RE.findall(text)]
    if not words:
        return None
    votes = {lang: sum(word in markers for word in words) for lang, markers in _MARKERS.items()}
    if _SPANISH_ONLY_CHARS.search(text):
        votes["es"] += 1
    if votes["es"] != votes["en"] and min(votes.values()) == 0:
        return max(votes, key=votes.__getitem__)
    if len(words) < 3:
        return None
    best = max(_detector().compute_language_confidence_values(text), key=lambda c: c.value)
    if best.value < MIN_CONFIDENCE:
        return None
    return "es" if best.language.name == "SPANISH" else "en"


def requested_language(text: str | None, current: str) -> str:
    """The language a "change language" request names; the other one when it names none."""
    lowered = (text or "").lower()
    for lang, names in _NAMES.items():
        if any(name in lowered for name in names):
            return lang
    return "en" if current == "es" else "es"


def choose_language(latest_message: dict[str, Any], current: str | None) -> str:
    """Explicit client choice > a request to switch > clear text > page hint > what we had."""
    metadata = latest_message.get("metadata") or {}
    explicit = metadata.get("language")
    if explicit in SUPPORTED:
        return explicit
    text = latest_message.get("text")
    intent = (latest_message.get("intent") or {}).get("name")
    if intent == "change_language":
        return requested_language(text, current or DEFAULT_LANGUAGE)
    detected = detect_language(text)
    if detected:
        return detected
    hint = metadata.get("page_language")
    if current is None and hint in SUPPORTED:
        return hint
    return current or DEFAULT_LANGUAGE


class ActionDetectLanguage(Action):
    """Keeps the `language` slot in step with the visitor."""

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        current = tracker.get_slot("language")
        chosen = choose_language(tracker.latest_message, current)
        return [] if chosen == current else [SlotSet("language", chosen)]


def language_of(tracker: Tracker) -> str:
    """The language to answer in."""
    value = tracker.get_slot("language")
    return value if value in SUPPORTED else DEFAULT_LANGUAGE
