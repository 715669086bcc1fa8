"""What the visitor reads about a case: the API's own words in their language, the date of the
last change, and what to do next for that kind of status."""

from __future__ import annotations

import pytest

from actions.case_status.messages import ADVICE, answer, status_group
from services.case_status.app import case_body
from services.case_status.seed import seed_cases

CASES = {case.receipt_number: case_body(case)["case_status"] for case in seed_cases()}


def test_english_answer_has_title_description_date_and_next_step() -> None:
    text = answer(CASES["EAC9999103403"], "EAC9999103403", "en")
    assert "Case Was Approved" in text
    assert "we approved your Form I-130" in text
    assert "Last updated: April 9, 2023." in text
    assert ADVICE["approved"]["en"] in text
    assert "9999103403" not in text  # the receipt is masked, also inside the description


def test_spanish_answer_uses_the_apis_spanish_text() -> None:
    text = answer(CASES["EAC9999103403"], "EAC9999103403", "es")
    assert "Caso Fue Aprobado" in text
    assert "aprobamos su Formulario I-130" in text
    assert "Última actualización: 9 de abril de 2023." in text
    assert ADVICE["approved"]["es"] in text
    assert "Case Was Approved" not in text


def test_ioe_answer_dates_the_last_change_from_history() -> None:
    case = CASES["IOE9100000501"]
    assert "modifiedDate" not in case
    newest = max(entry["date"] for entry in case["hist_case_status"])
    year = newest[:4]
    text = answer(case, "IOE9100000501", "en")
    assert "Last updated:" in text and year in text


def test_ioe_case_without_history_has_no_date_line() -> None:
    text = answer(CASES["IOE1234567890"], "IOE1234567890", "en")
    assert "Last updated" not in text
    assert "What to do next:" in text


def test_form_type_without_hyphen_is_shown_with_one() -> None:
    case = {**CASES["EAC9999103403"], "formType": "N400"}
    assert "(Form N-400)" in answer(case, "EAC9999103403", "en")


@pytest.mark.parametrize(
    ("title", "group"),
    [
        ("Request for Evidence Was Sent", "evidence"),
        ("Notice Of Intent To Deny Was Sent", "evidence"),
        ("Case Was Denied", "closed"),
        ("Case Rejected Because I Sent An Incorrect Fee", "closed"),
        ("Interview Was Scheduled", "interview"),
        ("Fingerprint Fee Was Received", "biometrics"),
        ("Card Was Mailed To Me", "card"),
        ("Case Was Approved", "approved"),
        ("Case Was Received", "received"),
        ("Case Is Being Actively Reviewed By USCIS", "review"),
        ("Something New USCIS Invented", "other"),
    ],
)
def test_status_titles_map_to_their_stage(title: str, group: str) -> None:
    assert status_group(title) == group


def test_an_unknown_status_still_gets_advice_in_both_languages() -> None:
    case = {**CASES["EAC9999103403"], "current_case_status_text_en": "Something New"}
    assert ADVICE["other"]["en"] in answer(case, "EAC9999103403", "en")
    assert ADVICE["other"]["es"] in answer(case, "EAC9999103403", "es")
