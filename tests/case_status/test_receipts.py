"""Receipt numbers as visitors type them: what the form accepts, and what it asks again for."""

from __future__ import annotations

import pytest

from actions.case_status.receipt import find_receipt

ACCEPTED = [
    ("EAC9999103403", "EAC9999103403"),
    ("eac9999103403", "EAC9999103403"),
    ("my receipt # is eac-21-901-23456", "EAC2190123456"),
    ("EAC 21 901 23456", "EAC2190123456"),
    ("EAC-21-901-23456", "EAC2190123456"),
    ("EAC–21–901–23456", "EAC2190123456"),  # en dashes from a phone keyboard
    ("  lin 9999106498  ", "LIN9999106498"),
    ("receipt:SRC9999102777.", "SRC9999102777"),
    ("Receipt Number: WAC-24-123-45678, thanks", "WAC2412345678"),
    ("mi número de recibo es ioe0912345678", "IOE0912345678"),
    ("IOE*123456789", "IOE*123456789"),
    ("el recibo es IOE*123456789 gracias", "IOE*123456789"),
    ("NBC 2390 300 301", "NBC2390300301"),
    ("first EAC9999103403 then LIN9999106498", "EAC9999103403"),
]
REFUSED = [
    "",
    "hello",
    "i don't have it",
    "EAC99991034",  # 8 digits
    "EAC999910340311",  # 12 digits
    "EA9999103403",  # 2 letters
    "1234567890",
    "123-45-6789",  # looks like a Social Security number
    "A123456789",  # an A-number
    "EACX999103403",
    "IOE*12345678",
]


@pytest.mark.parametrize(("typed", "expected"), ACCEPTED)
def test_a_receipt_is_found_however_it_is_typed(typed: str, expected: str) -> None:
    assert find_receipt(typed) == expected


@pytest.mark.parametrize("typed", REFUSED)
def test_text_without_a_well_formed_receipt_is_refused(typed: str) -> None:
    assert find_receipt(typed) is None
