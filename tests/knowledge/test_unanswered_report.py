"""The unanswered-questions report, on a tracker store filled by real conversations."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from scripts.stack import Stack

pytestmark = pytest.mark.rasa

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "unanswered_report.py"
# Strings no training example resembles. The model answers most of them as out of scope; the test
# uses those it is unsure about, which go to the fallback.
GIBBERISH = [
    "zxqv plmokn wertyu",
    "qwfp zxcv bnmlkj",
    "vvvx qqqz jjjk",
    "plugh xyzzy frobozz",
    "asdf jkl qwerty",
    "ñññ",
]
# Out-of-scope training examples (data/out_of_scope/nlu.yml, data/core/nlu.yml).
OFF_TOPIC = ["can you find me a recipe for quiche", "order me a pizza", "tell me a joke"]


def sender() -> str:
    return f"report-{uuid.uuid4().hex}"


def parse(stack: Stack, text: str) -> str:
    reply = requests.post(
        f"{stack.rasa_url}/model/parse",
        params={"token": stack.token},
        json={"text": text},
        timeout=60,
    )
    reply.raise_for_status()
    return reply.json()["intent"]["name"]


def report(stack: Stack, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", stack.env["TRACKER_STORE_URL"], *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def group_line(output: str, label: str) -> str:
    lines = [line for line in output.splitlines() if f"'{label}'" in line]
    assert lines, output
    return lines[0]


def test_unanswered_messages_are_grouped_with_counts_and_dates(
    stack: Stack, tmp_path: Path
) -> None:
    # Out of scope, asked three times in two wordings by three visitors.
    off_topic = [text for text in OFF_TOPIC if parse(stack, text) == "out_of_scope"]
    assert off_topic, "the model answers none of its out-of-scope examples as out of scope"
    question = off_topic[0]
    stack.send(sender(), question)
    stack.send(sender(), question)
    stack.send(sender(), question.capitalize() + "?")
    # A question answered, then a request for a person: the question is what staff need to see.
    handoff = sender()
    stack.send(handoff, "how do i renew my green card")
    stack.send(handoff, "i want to talk to a person")
    # Something the model does not understand at all.
    not_understood = [text for text in GIBBERISH if parse(stack, text) == "nlu_fallback"]
    assert not_understood, "the model sends none of the gibberish strings to the fallback"
    stack.send(sender(), not_understood[0])
    # Button clicks and answered questions are not in the report.
    stack.send(sender(), "/greet")
    stack.send(sender(), "what is tps")

    html_path = tmp_path / "report.html"
    output = report(stack, "--html", str(html_path))

    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    line = group_line(output, question)
    count = int(re.search(r" x(\d+) ", line).group(1))
    assert count >= 3  # three here; other tests sharing the store may ask it too
    assert f"{today} .. {today}" in line
    assert "out of scope" in line
    assert "asked for a person" in group_line(output, "how do i renew my green card")
    assert "not understood" in group_line(output, not_understood[0])
    assert "'what is tps'" not in output
    assert "'/greet'" not in output

    page = html_path.read_text(encoding="utf-8")
    assert "<h1>Unanswered questions</h1>" in page
    assert question in page


def test_a_store_that_cannot_be_read_gets_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", f"sqlite:///{tmp_path}/missing/none.db"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Cannot read the tracker store" in result.stdout
