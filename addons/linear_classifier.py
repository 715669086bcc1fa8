"""NLU component: intents and knowledge topics from one linear model over word and letter n-grams.

Why not DIET and the ResponseSelector: on this data (about 50 short examples per topic, 45
topics, a large out-of-scope class) a linear support vector machine over TF-IDF word and
character n-grams scores better on the held-out questions, trains in seconds instead of minutes
and parses a message in a few milliseconds (docs/nlu-pipeline.md, "Current: one linear
classifier"). It is scikit-learn's own parts put together; this module only connects them to Rasa.

One model decides among every intent, with each knowledge topic as its own label (`faq/fees`).
Its output has the shapes Rasa's classifiers give: `intent` and `intent_ranking` with the base
intent (`faq`), and `response_selector.faq` with the topic, which Rasa's retrieval action
(`utter_faq`) reads to pick the answer. The confidences are calibrated probabilities
(`CalibratedClassifierCV`, sigmoid, cross-validated), so the FallbackClassifier's threshold
means what it says.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import OrderedDict
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_classifier.skops"
TRUSTED_MODULES = ("sklearn.", "numpy.", "scipy.sparse.")
# Long digit runs (receipt numbers, A-numbers, phone numbers) become zeros: what matters is that
# a message holds one, not which one. Form numbers (i-130, n-400) keep their digits.
LONG_NUMBER = re.compile(r"\d{5,}")


def normalize(text: str) -> str:
    """Lower case, long numbers as zeros of the same length."""
    return LONG_NUMBER.sub(lambda match: "0" * len(match.group()), text.lower())


def label_of(message: Message) -> str | None:
    """The label a training example teaches: `faq/fees` for a topic, else the intent."""
    return message.get(INTENT_RESPONSE_KEY) or message.get(INTENT)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Intent and topic from a calibrated linear SVM over TF-IDF n-grams."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Regularisation of the SVM; chosen by docs/nlu-pipeline.md's comparison.
            "C": 1.0,
            "char_ngram_range": [1, 4],
            "word_ngram_range": [1, 2],
            # Folds for the probability calibration; every label needs at least this many examples.
            "calibration_folds": 5,
            "ranking_length": 10,
            # Messages whose probabilities are kept (see _probabilities); NLU_CACHE_SIZE in the
            # environment overrides it, 0 turns the cache off.
            "cache_size": 1024,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "skops"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        size = os.environ.get("NLU_CACHE_SIZE", "").strip()
        self._cache_size = int(size) if size.isdigit() else int(self.config["cache_size"])
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def _pipeline(self) -> Pipeline:
        features = make_union(
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(self.config["char_ngram_range"]),
                sublinear_tf=True,
            ),
            TfidfVectorizer(ngram_range=tuple(self.config["word_ngram_range"]), sublinear_tf=True),
        )
        classifier = CalibratedClassifierCV(
            LinearSVC(C=self.config["C"], random_state=0),  # seeded: one training, one model
            cv=self.config["calibration_folds"],
            method="sigmoid",
            # One SVM on all the data decides; the folds only fit the calibration.
            ensemble=False,
        )
        return make_pipeline(features, classifier)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(TEXT) and label_of(example)
        ]
        if not examples:
            logger.debug("No intent examples: the linear classifier stays untrained.")
            return self._resource
        texts = [normalize(example.get(TEXT)) for example in examples]
        labels = np.array([label_of(example) for example in examples])
        self.model = self._pipeline().fit(texts, labels)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        labels = [str(label) for label in self.model.classes_]
        for message in messages:
            self._set_prediction(message, labels, self._probabilities(message.get(TEXT) or ""))
        return messages

    def _probabilities(self, text: str) -> np.ndarray:
        """The model's probabilities for one message, kept for the messages seen most recently.

        The model is fixed once trained, so a text seen before gets exactly the same answer;
        many messages recur word for word (greetings, thanks, yes and no, button payloads).
        The cache is keyed by a hash of the normalized text, so no text is kept in memory.
        """
        normalized = normalize(text)
        if not self._cache_size:
            return self.predict_proba([normalized])[0]
        key = hashlib.blake2b(normalized.encode("utf-8"), digest_size=16).digest()
        row = self._cache.get(key)
        if row is not None:
            self._cache.move_to_end(key)
            return row
        row = self.predict_proba([normalized])[0]
        row.flags.writeable = False  # shared by every later hit
        self._cache[key] = row
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return row

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """The pipeline's predict_proba without FeatureUnion's joblib dispatch.

        FeatureUnion.transform sends each vectorizer through joblib even with one job; for one
        short message that costs as much as the vectorizing (a third of the classifier's
        time under load). The same transforms, stacked as FeatureUnion stacks them.
        """
        assert self.model is not None
        union, classifier = self.model.steps[0][1], self.model.steps[-1][1]
        parts = [transformer.transform(texts) for _, transformer in union.transformer_list]
        return classifier.predict_proba(scipy.sparse.hstack(parts).tocsr())

    def _set_prediction(self, message: Message, labels: list[str], row: np.ndarray) -> None:
        order = np.argsort(-row)
        # Intent ranking: each base intent once, with its best label's confidence.
        ranking: list[dict[str, Any]] = []
        seen: set[str] = set()
        topics: dict[str, list[dict[str, Any]]] = {}
        for index in order:
            label, confidence = labels[index], float(row[index])
            base, _, topic = label.partition("/")
            if topic:
                topics.setdefault(base, []).append(
                    {
                        "id": int(index),
                        PREDICTED_CONFIDENCE_KEY: confidence,
                        INTENT_RESPONSE_KEY: label,
                    }
                )
            if base not in seen:
                seen.add(base)
                ranking.append({INTENT_NAME_KEY: base, PREDICTED_CONFIDENCE_KEY: confidence})
        ranking = ranking[: self.config["ranking_length"]]
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        selectors: dict[str, Any] = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: sorted(topics)}
        for base, ranked in topics.items():
            best = ranked[0]
            selectors[base] = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: [],
                    PREDICTED_CONFIDENCE_KEY: best[PREDICTED_CONFIDENCE_KEY],
                    INTENT_RESPONSE_KEY: best[INTENT_RESPONSE_KEY],
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best[INTENT_RESPONSE_KEY]}",
                },
                RESPONSE_SELECTOR_RANKING_KEY: ranked[: self.config["ranking_length"]],
            }
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        import skops.io as sio

        with model_storage.read_from(resource) as directory:
            path = directory / MODEL_FILE
            # skops loads only types it is told to trust; ours are scikit-learn's, numpy's and
            # scipy's. Anything else means the file is not ours: refuse to serve with it.
            untrusted = sio.get_untrusted_types(file=path)
            foreign = [t for t in untrusted if not t.startswith(TRUSTED_MODULES)]
            if foreign:
                raise RasaException(f"Unexpected types in {MODEL_FILE}: {foreign}")
            model = sio.load(path, trusted=untrusted)
        return cls(config, model_storage, resource, model)
