"""The linear classifier gives Rasa what DIET and the ResponseSelector gave: the base intent, a
ranking, and the knowledge topic where Rasa's retrieval action reads it; it survives being saved
into a model and loaded back, and refuses a model file holding types that are not its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.linear_classifier import MODEL_FILE, LinearIntentClassifier, normalize

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hola", "buenos días", "hey"],
    "faq/fees": [
        "how much is the fee",
        "filing fee",
        "can i pay by card",
        "cuánto cuesta",
        "fee for the i-90",
        "price of the n-400",
    ],
    "faq/foia": [
        "copy of my a-file",
        "foia request",
        "get my immigration records",
        "pedir mi expediente",
        "freedom of information",
        "records request",
    ],
    "check_case_status": [
        "status of my case",
        "check my case EAC1234567890",
        "case status",
        "estado de mi caso",
        "where is my case",
        "receipt IOE0987654321",
    ],
}


def training_data() -> TrainingData:
    messages = []
    for label, texts in EXAMPLES.items():
        intent, _, topic = label.partition("/")
        for text in texts:
            data = {"text": text, "intent": intent}
            if topic:
                data["intent_response_key"] = label
            messages.append(Message(data=data))
    return TrainingData(training_examples=messages)


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


CONTEXT = ExecutionContext(GraphSchema({}), node_name="linear")


def trained(storage: LocalModelStorage) -> LinearIntentClassifier:
    component = LinearIntentClassifier.create(
        {"calibration_folds": 3}, storage, Resource("linear"), CONTEXT
    )
    component.train(training_data())
    return component


def parse(component: LinearIntentClassifier, text: str) -> Message:
    return component.process([Message(data={"text": text})])[0]


def test_a_topic_question_gives_the_faq_intent_and_the_topic_for_the_retrieval_action(
    storage: LocalModelStorage,
) -> None:
    message = parse(trained(storage), "how much is the filing fee")
    assert message.get("intent")["name"] == "faq"
    selected = message.get("response_selector")["faq"]["response"]
    assert selected["intent_response_key"] == "faq/fees"
    assert selected["utter_action"] == "utter_faq/fees"
    assert message.get("response_selector")["all_retrieval_intents"] == ["faq"]


def test_the_ranking_names_each_intent_once_with_probabilities(
    storage: LocalModelStorage,
) -> None:
    message = parse(trained(storage), "hello")
    ranking = message.get("intent_ranking")
    names = [entry["name"] for entry in ranking]
    assert names[0] == "greet"
    assert len(names) == len(set(names)) == 3  # greet, faq, check_case_status
    assert all(0 <= entry["confidence"] <= 1 for entry in ranking)
    assert ranking[0]["confidence"] == message.get("intent")["confidence"]


def test_an_unseen_receipt_number_reads_as_a_case_status_question(
    storage: LocalModelStorage,
) -> None:
    assert normalize("WAC2190012345") == "wac0000000000"
    assert normalize("form i-130") == "form i-130"  # form numbers keep their digits
    assert parse(trained(storage), "WAC2190054321").get("intent")["name"] == "check_case_status"


def test_the_model_is_saved_and_loaded_back(storage: LocalModelStorage) -> None:
    component = trained(storage)
    loaded = LinearIntentClassifier.load({}, storage, Resource("linear"), CONTEXT)
    for text in ("foia request for my file", "hola", "cuánto cuesta la i-90"):
        assert parse(loaded, text).get("intent") == parse(component, text).get("intent")


def test_a_model_file_with_foreign_types_is_refused(storage: LocalModelStorage) -> None:
    trained(storage)
    with storage.write_to(Resource("linear")) as directory:
        sio.dump({"payload": Path("/etc/passwd")}, directory / MODEL_FILE)
    with pytest.raises(RasaException, match="Unexpected types"):
        LinearIntentClassifier.load({}, storage, Resource("linear"), CONTEXT)


def test_the_fast_path_gives_exactly_the_pipelines_probabilities(
    storage: LocalModelStorage,
) -> None:
    component = trained(storage)
    assert component.model is not None
    texts = ["how much is the filing fee", "hola", "wac0000000000", "", "asdf qwer"]
    assert (component.predict_proba(texts) == component.model.predict_proba(texts)).all()


def test_a_repeated_message_gets_the_same_answer_from_the_cache(
    storage: LocalModelStorage,
) -> None:
    component = trained(storage)
    component._cache_size = 2
    texts = ["how much is the filing fee", "hello", "WAC2190054321", "hello"]
    first = [parse(component, text).get("intent_ranking") for text in texts]
    again = [parse(component, text).get("intent_ranking") for text in texts]
    assert first == again
    assert len(component._cache) == 2  # bounded: the least recently used went
    # Keyed by a hash of the normalized text: nothing a visitor wrote is kept.
    assert all(isinstance(key, bytes) and len(key) == 16 for key in component._cache)
    uncached = trained(storage)
    uncached._cache_size = 0
    assert [parse(uncached, text).get("intent_ranking") for text in texts] == first
    assert not uncached._cache
