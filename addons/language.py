"""NLU component that keeps the `language` slot in step with the visitor, inside Rasa.

Which language to answer in: the client's explicit choice first (message metadata `language`),
then a request to switch ("in Spanish, please"; the other language when none is named), then the
text itself when it is clearly one language, then the page's language (metadata
`page_language`) while the conversation has none yet, else the language it had.

It runs last in the pipeline, so it sees the final intent, and reads the slot's current value
from the tracker Rasa hands NLU components. When the language changes it adds a `language`
entity, which the slot's `from_entity` mapping copies (domain.yml); Rasa's built-in slot
extraction does that, so no message needs a call to the action server for it. A button
payload (`/intent{...}`) is not text to detect a language in, and Rasa replaces a payload's
entities with the payload's own after the pipeline, so the entity is written into the payload.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    METADATA,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from actions.language import DEFAULT_LANGUAGE, SUPPORTED

SLOT = "language"
ENTITY = "language"
CHANGE_LANGUAGE = "change_language"
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
    """Explicit client choice > a request to switch > clear text > page hint > what we had.

    `latest_message` has the parsed message's `text` (None for a button payload), `intent`
    and `metadata`.
    """
    metadata = latest_message.get("metadata") or {}
    explicit = metadata.get("language")
    if explicit in SUPPORTED:
        return explicit
    text = latest_message.get("text")
    intent = (latest_message.get("intent") or {}).get("name")
    if intent == CHANGE_LANGUAGE:
        return requested_language(text, current or DEFAULT_LANGUAGE)
    detected = detect_language(text)
    if detected:
        return detected
    hint = metadata.get("page_language")
    if current is None and hint in SUPPORTED:
        return hint
    return current or DEFAULT_LANGUAGE


def _payload(text: str) -> re.Match[str] | None:
    """The parts of a button payload (`/intent`, `/intent{"entity": "value"}`), else None
    (also for typed text that merely starts with a slash: an intent name has no spaces)."""
    if not text.startswith("/"):
        return None
    match = YAMLStoryReader._regex_message_pattern().match(text)
    name = match.group(INTENT_NAME_KEY).strip() if match else ""
    if not name or any(ch.isspace() for ch in name):
        return None
    return match


def _with_entity(payload: re.Match[str], value: str) -> str | None:
    """The payload with `"language": value` among its entities; None if they don't parse."""
    try:
        entities = json.loads(payload.group(ENTITIES) or "{}")
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    entities.setdefault(ENTITY, value)
    intent = payload.group(INTENT_NAME_KEY)
    confidence = payload.group(PREDICTED_CONFIDENCE_KEY) or ""
    return f"/{intent}{confidence}{json.dumps(entities)}{payload.group('rest')}"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageTagger(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity when the visitor's language changes (module docstring)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageTagger:
        return cls()

    def process(self, messages: list[Message], tracker: DialogueStateTracker) -> list[Message]:
        # Rasa passes the conversation's tracker (an empty one to /model/parse).
        current = tracker.get_slot(SLOT) if SLOT in tracker.slots else None
        for message in messages:
            self._tag(message, current)
        return messages

    def _tag(self, message: Message, current: str | None) -> None:
        text = (message.get(TEXT) or "").strip()
        payload = _payload(text)
        intent = message.get(INTENT) or {}
        if payload is not None:
            intent = {INTENT_NAME_KEY: payload.group(INTENT_NAME_KEY).strip()}
        parsed = {
            "text": None if payload is not None else text,
            "intent": intent,
            "metadata": message.get(METADATA) or {},
        }
        chosen = choose_language(parsed, current)
        if chosen == current:
            return
        if payload is not None:
            rewritten = _with_entity(payload, chosen)
            if rewritten is not None:
                message.set(TEXT, rewritten)
            return
        entity = {
            ENTITY_ATTRIBUTE_TYPE: ENTITY,
            ENTITY_ATTRIBUTE_VALUE: chosen,
            ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            EXTRACTOR: self.__class__.__name__,
        }
        message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
