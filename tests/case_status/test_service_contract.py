"""The service keeps the USCIS Case Status API's contract: tokens, body shapes, error codes,
per-client limits. Every test talks HTTP to the real service process."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import requests

from scripts.stack import CaseStatusService, start_case_status, stop
from services.case_status.seed import SANDBOX_WITH_HISTORY, SANDBOX_WITHOUT_HISTORY
from tests.case_status.conftest import UNLIMITED, get_token, lookup

API_DATE = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$")
STATUS_KEYS = {
    "current_case_status_text_en",
    "current_case_status_desc_en",
    "current_case_status_text_es",
    "current_case_status_desc_es",
}


def test_token_response_is_shaped_like_the_apis(service: CaseStatusService) -> None:
    reply = requests.post(
        f"{service.url}/oauth/accesstoken",
        data={
            "grant_type": "client_credentials",
            "client_id": service.client_id,
            "client_secret": service.client_secret,
        },
        timeout=10,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "1800"
    assert body["client_id"] == service.client_id
    assert body["status"] == "approved"
    assert body["access_token"]


def test_token_accepts_http_basic_credentials(service: CaseStatusService) -> None:
    reply = requests.post(
        f"{service.url}/oauth/accesstoken",
        data={"grant_type": "client_credentials"},
        auth=(service.client_id, service.client_secret),
        timeout=10,
    )
    assert reply.status_code == 200


@pytest.mark.parametrize(
    ("grant", "secret", "status"),
    [("client_credentials", "wrong", 401), ("password", None, 400)],
)
def test_bad_token_requests_are_refused(
    service: CaseStatusService, grant: str, secret: str | None, status: int
) -> None:
    reply = requests.post(
        f"{service.url}/oauth/accesstoken",
        data={
            "grant_type": grant,
            "client_id": service.client_id,
            "client_secret": secret or service.client_secret,
        },
        timeout=10,
    )
    assert reply.status_code == status
    assert "access_token" not in reply.json()


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_lookup_without_a_valid_token_is_401(
    service: CaseStatusService, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    reply = requests.get(f"{service.url}/case-status/EAC9999103403", headers=headers, timeout=10)
    assert reply.status_code == 401
    assert reply.json() == {"code": "401", "message": "Invalid Access Token"}


def test_success_body_has_the_apis_shape(service: CaseStatusService) -> None:
    reply = lookup(service, "EAC9999103403", get_token(service))
    assert reply.status_code == 200
    body = reply.json()
    assert body["message"] == "Query was successful for payload {'receipt_number': 'EAC9999103403'}"
    case = body["case_status"]
    assert case["receiptNumber"] == "EAC9999103403"
    assert case["formType"] == "I-130"
    assert case["current_case_status_text_en"] == "Case Was Approved"
    assert case["current_case_status_text_es"] == "Caso Fue Aprobado"
    assert case.keys() >= STATUS_KEYS
    assert API_DATE.match(case["submittedDate"]) and API_DATE.match(case["modifiedDate"])
    history = case["hist_case_status"]
    assert history and all(
        set(entry) == {"date", "completed_text_en", "completed_text_es"} for entry in history
    )
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", entry["date"]) for entry in history)


@pytest.mark.parametrize("receipt", SANDBOX_WITH_HISTORY + SANDBOX_WITHOUT_HISTORY)
def test_every_published_sandbox_receipt_answers(service: CaseStatusService, receipt: str) -> None:
    reply = lookup(service, receipt, get_token(service))
    assert reply.status_code == 200
    case = reply.json()["case_status"]
    assert case["receiptNumber"] == receipt
    if receipt in SANDBOX_WITHOUT_HISTORY:
        assert case["hist_case_status"] is None
    else:
        assert case["hist_case_status"]


def test_ioe_receipts_use_the_variant_without_dates(service: CaseStatusService) -> None:
    case = lookup(service, "IOE9100000501", get_token(service)).json()["case_status"]
    assert "submittedDate" not in case and "modifiedDate" not in case
    assert case.keys() >= STATUS_KEYS


def test_unknown_receipt_is_a_plain_404(service: CaseStatusService) -> None:
    reply = lookup(service, "ZZZ0000000001", get_token(service))
    assert reply.status_code == 404
    body = reply.json()
    assert body["code"] == "404"
    assert "800-375-5283" in body["message"]


@pytest.mark.parametrize("receipt", ["EAC-99-991-03403", "eac9999103403", "EAC99991034", "X"])
def test_malformed_receipt_is_422(service: CaseStatusService, receipt: str) -> None:
    reply = lookup(service, receipt, get_token(service))
    assert reply.status_code == 422
    body = reply.json()
    assert body["code"] == "422"
    assert body["errors"][0]["message"] == body["message"]


def test_maintenance_answers_503_with_the_live_nested_body(service: CaseStatusService) -> None:
    token = get_token(service)
    service.set_down(True)
    try:
        reply = lookup(service, "EAC9999103403", token)
    finally:
        service.set_down(False)
    assert reply.status_code == 503
    assert reply.json()["error"]["code"] == "503"
    assert lookup(service, "EAC9999103403", token).status_code == 200


def test_the_service_log_never_holds_a_full_receipt(service: CaseStatusService) -> None:
    token = get_token(service)
    for receipt in ("EAC9999103403", "ZZZ0000000001", "EAC999910340399"):
        lookup(service, receipt, token)
    log = Path(service.db_url.removeprefix("sqlite:///")).with_suffix(".log").read_text()
    assert "EAC******3403" in log
    for digits in ("9999103403", "0000000001", "999910340399"):
        assert digits not in log


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> CaseStatusService:
    running = start_case_status(
        tmp_path_factory.mktemp("throttled"),
        {"CASE_STATUS_RATE_PER_SECOND": "1", "CASE_STATUS_RATE_PER_DAY": "1000000"},
    )
    yield running
    stop(running.process)


def test_more_than_the_allowed_requests_per_second_get_429(throttled: CaseStatusService) -> None:
    token = get_token(throttled)
    replies = [lookup(throttled, "EAC9999103403", token) for _ in range(10)]
    codes = {reply.status_code for reply in replies}
    assert codes == {200, 429}
    refused = next(reply for reply in replies if reply.status_code == 429)
    assert refused.json() == {"code": "429", "message": "Spike Arrest Violation"}
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_daily_quota_is_per_client() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="case-status-quota-"))
    running = start_case_status(
        workdir,
        {
            **UNLIMITED,
            "CASE_STATUS_RATE_PER_DAY": "3",
            "CASE_STATUS_EXTRA_CLIENTS": "second-client:second-secret",
        },
    )
    try:
        token = get_token(running)
        assert [lookup(running, "EAC9999103403", token).status_code for _ in range(3)] == [200] * 3
        refused = lookup(running, "EAC9999103403", token)
        assert refused.status_code == 429
        assert refused.json()["message"] == "Quota Violation"
        other = get_token(running, "second-client", "second-secret")
        assert lookup(running, "EAC9999103403", other).status_code == 200
    finally:
        stop(running.process)


def test_the_service_refuses_to_start_without_credentials(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CASE_STATUS_")}
    result = subprocess.run(
        [sys.executable, "-m", "services.case_status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "CASE_STATUS_CLIENT_ID" in result.stderr
