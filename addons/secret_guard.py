"""NLU component that decides the `share_secret` intent by rule, not by the classifier.

A visitor stuck at a sign-in page may paste a password or a verification code. Whether a message
looks like one is a pattern question (privacy.looks_like_secret), which a statistical classifier
answers poorly for strings it has never seen. This component runs after the intent classifier
and before the FallbackClassifier: a message that looks like a secret gets `share_secret` (the
assistant then says not to share it, data/account/rules.yml); a message that does not can never keep
`share_secret`, its next-ranked intent takes over and the FallbackClassifier judges that one.
The text itself is never stored: the tracker store hides it (privacy.redact_text).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from privacy.secrets import looks_like_secret

SECRET_INTENT = "share_secret"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SecretGuard(GraphComponent, IntentClassifier):
    """Sets `share_secret` exactly when the text looks like a password or a code."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SecretGuard:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != SECRET_INTENT
            ]
            if looks_like_secret(message.get(TEXT)):
                top = {INTENT_NAME_KEY: SECRET_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, top, add_to_output=True)
                # Alone in the ranking: the FallbackClassifier must not find it "ambiguous".
                message.set(INTENT_RANKING_KEY, [top], add_to_output=True)
            elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == SECRET_INTENT:
                nothing = {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}
                top = ranking[0] if ranking else nothing
                message.set(INTENT, dict(top), add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
