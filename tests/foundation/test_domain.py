"""Whether a domain is empty is answered as Rasa answers it (addons/domain.py), for the empty
domain, ours, and domains that differ from the empty one in one part only."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain

import addons  # noqa: F401  (importing the package installs the shortcut)
from addons import domain


@pytest.mark.parametrize(
    "source",
    [
        {},
        {"intents": ["greet"]},
        {"responses": {"utter_greet": [{"text": "Hello"}]}},
        {"slots": {"name": {"type": "text", "mappings": [{"type": "from_text"}]}}},
        {"session_config": {"session_expiration_time": 5}},
    ],
)
def test_is_empty_answers_as_rasa(source: dict) -> None:
    loaded = Domain.from_dict(source)
    assert loaded.is_empty() == domain._is_empty(loaded)
    assert loaded.is_empty() == (source == {})


def test_our_domain_is_not_empty() -> None:
    assert not Domain.load("domain.yml").is_empty()
    assert Domain.empty().is_empty()
