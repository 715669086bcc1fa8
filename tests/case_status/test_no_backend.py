"""Without a case-status backend (no CASE_STATUS_URL) the assistant still answers: it points to
the official online tool instead of asking for a receipt number it could not use."""

from __future__ import annotations

import uuid

import pytest

from scripts.stack import Stack
from tests.conftest import texts

pytestmark = pytest.mark.rasa


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [({}, "You can check your case"), ({"language": "es"}, "Puede consultar su caso")],
)
def test_without_a_backend_the_official_tool_is_offered(
    stack: Stack, metadata: dict, expected: str
) -> None:
    reply = texts(stack.send(f"no-backend-{uuid.uuid4().hex}", "/check_case_status", metadata))
    assert expected in reply
    assert "https://egov.uscis.gov/casestatus" in reply
    assert "receipt number?" not in reply and "número de recibo?" not in reply
