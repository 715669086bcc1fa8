"""The language to answer in, as the actions read it.

The `language` slot is set inside Rasa on every message (addons/language.py), so actions only
read it.
"""

from __future__ import annotations

from rasa_sdk import Tracker

SUPPORTED = ("en", "es")
DEFAULT_LANGUAGE = "en"


def language_of(tracker: Tracker) -> str:
    """The language to answer in."""
    value = tracker.get_slot("language")
    return value if value in SUPPORTED else DEFAULT_LANGUAGE
