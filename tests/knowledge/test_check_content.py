"""`make check-content`: the real topics pass, and each kind of content mistake is reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_content.py"

ENGLISH = [
    "how do i get a widget permit",
    "widget permit",
    "form w-1",
    "apply for a widget permit online",
    "what do i need for a widget permit",
    "my widget permit expired",
    "renew the widget permit",
    "widget permit fee",
    "widgit permitt",
    "who can apply for a widget permit",
    "widget permit for my company",
    "is a widget permit required",
]
SPANISH = [
    "cómo obtengo un permiso de widget",
    "permiso de widget",
    "formulario w-1",
    "renovar el permiso de widget",
    "requisitos del permiso de widget",
    "se venció mi permiso de widget",
]
EN_ANSWER = "File Form W-1 to get a widget permit. https://www.uscis.gov/w-1"
ES_ANSWER = (
    "Presente el Formulario W-1 para obtener un permiso de widget. https://www.uscis.gov/es/w-1"
)


def topic(
    name: str = "widgets",
    english: list[str] | None = None,
    spanish: list[str] | None = None,
    en_answer: str = EN_ANSWER,
    es_answer: str | None = ES_ANSWER,
    buttons: list[dict] | None = None,
) -> dict:
    """A topic file's content, valid unless the arguments make it otherwise."""
    blocks = [
        {
            "intent": f"faq/{name}",
            "metadata": {"language": "en", "title": "Widget permits"},
            "examples": "".join(f"- {e}\n" for e in (ENGLISH if english is None else english)),
        }
    ]
    if spanish != []:
        blocks.append(
            {
                "intent": f"faq/{name}",
                "metadata": {"language": "es", "title": "Permisos de widget"},
                "examples": "".join(f"- {e}\n" for e in (spanish or SPANISH)),
            }
        )
    english_variation: dict = {"text": en_answer}
    if buttons:
        english_variation["buttons"] = buttons
    variations = [english_variation]
    if es_answer is not None:
        spanish_variation: dict = {
            "condition": [{"type": "slot", "name": "language", "value": "es"}],
            "text": es_answer,
        }
        if buttons:
            spanish_variation["buttons"] = buttons
        variations.append(spanish_variation)
    return {"version": "3.1", "nlu": blocks, "responses": {f"utter_faq/{name}": variations}}


def run_check(tmp_path: Path, files: dict[str, dict | str]) -> subprocess.CompletedProcess:
    topics = tmp_path / "data" / "topics"
    topics.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        (topics / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--topics", str(topics), "--data", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_real_topics_pass() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    count = int(result.stdout.split("check-content: ")[1].split()[0])
    assert count >= 40


def test_valid_fixtures_pass(tmp_path: Path) -> None:
    result = run_check(tmp_path, {"widgets.yml": topic(), "gadgets.yml": gadgets([])})
    assert result.returncode == 0, result.stdout
    assert "2 topics OK" in result.stdout


def gadgets(extra: list[str]) -> dict:
    """A second valid topic, distinct from the widgets one except for `extra` examples."""

    def swap(text: str) -> str:
        return text.replace("widget", "gadget").replace("widgit", "gadgit").replace("w-1", "g-1")

    return topic(
        "gadgets",
        english=[swap(text) for text in ENGLISH] + extra,
        spanish=[swap(text) for text in SPANISH],
    )


PROBLEMS = {
    "missing Spanish": (
        {"widgets.yml": topic(spanish=[], es_answer=None)},
        ["0 Spanish examples; at least 6 are needed", "no Spanish answer"],
    ),
    "too few English examples": (
        {"widgets.yml": topic(english=ENGLISH[:5])},
        ["5 English examples; at least 12 are needed"],
    ),
    "duplicate across topics": (
        {"widgets.yml": topic(), "gadgets.yml": gadgets(["Widget permit!"])},
        ["'Widget permit!' (faq/gadgets) duplicates 'widget permit' (faq/widgets)"],
    ),
    "near duplicate across topics": (
        {"widgets.yml": topic(), "gadgets.yml": gadgets(["how do i get a widget permit now"])},
        ["'how do i get a widget permit now' (faq/gadgets) nearly duplicates"],
    ),
    "http link": (
        {"widgets.yml": topic(en_answer="See http://www.uscis.gov/w-1 for details.")},
        ["link http://www.uscis.gov/w-1 must start with https://"],
    ),
    "link off the allowlist": (
        {"widgets.yml": topic(en_answer="See https://www.widget-help.com/w-1 for details.")},
        ["link https://www.widget-help.com/w-1 is not on an official domain"],
    ),
    "no link": (
        {"widgets.yml": topic(es_answer="Presente el Formulario W-1.")},
        ["the Spanish answer has no link"],
    ),
    "answer too long": (
        {"widgets.yml": topic(en_answer="Widgets. " * 70 + "https://www.uscis.gov/w-1")},
        ["the English answer is 655 characters; keep it to 600"],
    ),
    "personal data in examples": (
        {
            "widgets.yml": topic(
                english=[
                    *ENGLISH,
                    "my receipt is EAC2190123456",
                    "my a number is A123456789",
                    "ssn 123-45-6789 widget permit",
                ]
            )
        },
        ["contains a receipt number", "contains an A-number", "contains an SSN"],
    ),
    "button the assistant would not understand": (
        {"widgets.yml": topic(buttons=[{"title": "Gadgets", "payload": "tell me about gadgets"}])},
        ["button payload 'tell me about gadgets' is not a training example"],
    ),
    "intent not named after the file": (
        {"widgets.yml": topic("gizmos")},
        ["holds one intent named after the file, faq/widgets"],
    ),
    "broken YAML": (
        {"widgets.yml": "nlu:\n- intent: faq/widgets\n  examples: [unclosed\n"},
        ["not valid YAML"],
    ),
}


@pytest.mark.parametrize("case", PROBLEMS, ids=list(PROBLEMS))
def test_each_problem_is_reported(tmp_path: Path, case: str) -> None:
    files, messages = PROBLEMS[case]
    result = run_check(tmp_path, files)
    assert result.returncode == 1, result.stdout
    for message in messages:
        assert message in result.stdout, result.stdout
    assert "problem(s)" in result.stdout.splitlines()[-1]
