"""Case-status fixtures: the real service process (services/case_status/) on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from scripts.stack import CaseStatusService, start_case_status, stop

# Generous limits, so that only the rate-limit tests meet them.
UNLIMITED = {"CASE_STATUS_RATE_PER_SECOND": "100000", "CASE_STATUS_RATE_PER_DAY": "1000000"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStatusService]:
    running = start_case_status(tmp_path_factory.mktemp("case-status"), UNLIMITED)
    try:
        yield running
    finally:
        running.set_down(False)
        stop(running.process)


def get_token(service: CaseStatusService, client_id: str = "", secret: str = "") -> str:
    reply = requests.post(
        f"{service.url}/oauth/accesstoken",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id or service.client_id,
            "client_secret": secret or service.client_secret,
        },
        timeout=10,
    )
    reply.raise_for_status()
    return reply.json()["access_token"]


def lookup(service: CaseStatusService, receipt: str, token: str) -> requests.Response:
    return requests.get(
        f"{service.url}/case-status/{receipt}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
