"""Personal identifiers never reach a store in full."""

import pytest

from privacy import mask_receipt, redact_text, redact_value
from privacy.redact import plain_strings


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("my receipt is EAC9999103403", "EAC******3403", "9999103"),
        ("receipt # eac-21-901-23456 please", "EAC******3456", "901"),
        ("IOE 0912345678", "IOE******5678", "0912"),
        ("A-number A123456789", "A-******789", "123456"),
        ("my a# is A 12 345 678", "A-*****678", "345"),
        ("ssn 123-45-6789", "***-**-6789", "123-45"),
        ("ssn 123456789", "***-**-6789", "12345"),
    ],
)
def test_identifiers_are_masked(text: str, kept: str, gone: str) -> None:
    redacted = redact_text(text)
    assert kept in redacted
    assert gone not in redacted


def test_ordinary_text_and_phone_numbers_are_kept() -> None:
    text = "Call 800-375-5283 on 09-05-2023 about Form I-130"
    assert redact_text(text) == text


def test_nested_event_data_is_redacted() -> None:
    event = {"text": "EAC9999103403", "parse_data": {"entities": [{"value": "EAC9999103403"}]}}
    assert "9999103403" not in str(redact_value(event))


def test_known_names_skip_the_checks_but_never_a_value_that_needs_masking() -> None:
    # The tracker store passes the domain's names as `plain`; one that redaction would change
    # (here a receipt-shaped name) must still be masked.
    plain = plain_strings(["greet", "utter_faq/fees", "EAC9999103403", "my password is abc123"])
    assert plain == {"greet", "utter_faq/fees"}
    event = {
        "text": "EAC9999103403",
        "parse_data": {"intent": {"name": "greet"}, "text": "EAC9999103403"},
        "metadata": {"note": "my password is abc123"},
    }
    assert redact_value(event, plain) == redact_value(event)
    assert "9999103403" not in str(redact_value(event, plain))
    assert "abc123" not in str(redact_value(event, plain))
    # The events of one save share a memo: a string met in an earlier event is masked the same.
    memo: dict = {}
    first, second = redact_value(event, plain, memo), redact_value(event, plain, memo)
    assert first == second == redact_value(event) and "9999103403" not in str(second)


def test_mask_receipt_keeps_prefix_and_last_four() -> None:
    assert mask_receipt("lin 99 991 06498") == "LIN******6498"


def test_a_phone_number_after_three_letters_is_not_a_receipt() -> None:
    text = "TTY 800-767-1833 or TTY: 800.767.1833"
    assert redact_text(text) == text


@pytest.mark.parametrize(
    "probe",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(document.cookie)</script>",
        '<a href="javascript:alert(1)">click</a>',
    ],
)
def test_markup_is_kept_as_text_not_hidden_as_a_password(probe: str) -> None:
    assert redact_text(probe) == probe


def test_a_password_next_to_markup_is_still_hidden() -> None:
    assert "Azul$5566" not in redact_text("<b>hi</b> my password is Azul$5566")
