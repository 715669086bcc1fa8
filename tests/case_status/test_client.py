"""The action server's API client against the real service process: tokens, retries, limits,
outages, slowness and the circuit breaker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from actions.case_status.client import CaseStatusClient
from actions.case_status.settings import ClientSettings
from scripts.stack import CaseStatusService, free_port, start_case_status, stop
from tests.case_status.conftest import UNLIMITED, lookup


def settings_for(service: CaseStatusService, **overrides: float) -> ClientSettings:
    env = {key: str(value) for key, value in service.client_env().items()}
    base = ClientSettings.from_env(env)
    assert base is not None
    return ClientSettings(**{**base.__dict__, **overrides})


@contextlib.asynccontextmanager
async def open_client(
    service: CaseStatusService, **overrides: float
) -> AsyncIterator[CaseStatusClient]:
    running = CaseStatusClient(settings_for(service, **overrides))
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def client(service: CaseStatusService) -> AsyncIterator[CaseStatusClient]:
    async with open_client(service) as running:
        yield running


@pytest.fixture(scope="module")
def short_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStatusService]:
    running = start_case_status(
        tmp_path_factory.mktemp("short-tokens"), {**UNLIMITED, "CASE_STATUS_TOKEN_TTL": "2"}
    )
    yield running
    stop(running.process)


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStatusService]:
    running = start_case_status(
        tmp_path_factory.mktemp("client-throttled"),
        {"CASE_STATUS_RATE_PER_SECOND": "1", "CASE_STATUS_RATE_PER_DAY": "1000000"},
    )
    yield running
    stop(running.process)


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStatusService]:
    running = start_case_status(
        tmp_path_factory.mktemp("slow"), {**UNLIMITED, "CASE_STATUS_DELAY_SECONDS": "3"}
    )
    yield running
    stop(running.process)


async def test_found_case_comes_back_with_both_languages(client: CaseStatusClient) -> None:
    result = await client.get_case("EAC9999103403")
    assert result.outcome == "found"
    assert result.case["current_case_status_text_en"] == "Case Was Approved"
    assert result.case["current_case_status_text_es"] == "Caso Fue Aprobado"


async def test_unknown_and_malformed_receipts(client: CaseStatusClient) -> None:
    assert (await client.get_case("ZZZ0000000001")).outcome == "not_found"
    assert (await client.get_case("EAC-1")).outcome == "invalid"


async def test_the_token_is_cached_between_lookups(client: CaseStatusClient) -> None:
    for receipt in ("EAC9999103403", "LIN9999106498", "SRC9999102777"):
        assert (await client.get_case(receipt)).outcome == "found"
    assert client.token_requests == 1


async def test_a_refused_token_is_renewed_once(client: CaseStatusClient) -> None:
    assert (await client.get_case("EAC9999103403")).outcome == "found"
    client._token = "revoked-by-the-server"  # the API stops accepting the cached token
    assert (await client.get_case("EAC9999103403")).outcome == "found"
    assert client.token_requests == 2


async def test_an_expired_token_is_renewed(short_tokens: CaseStatusService) -> None:
    async with open_client(short_tokens) as client:
        assert (await client.get_case("EAC9999103403")).outcome == "found"
        first = client._token
        assert first is not None
        deadline = time.monotonic() + 15
        while lookup(short_tokens, "EAC9999103403", first).status_code != 401:
            assert time.monotonic() < deadline, "the service never expired the token"
            await asyncio.sleep(0.2)
        assert (await client.get_case("EAC9999103403")).outcome == "found"
        assert client.token_requests == 2


async def test_wrong_credentials_are_unavailable_not_a_crash(service: CaseStatusService) -> None:
    async with open_client(service, client_secret="wrong") as client:
        result = await client.get_case("EAC9999103403")
    assert (result.outcome, result.reason) == ("unavailable", "unauthorized")


async def test_429_is_retried_with_backoff_until_it_succeeds(throttled: CaseStatusService) -> None:
    receipts = ("EAC9999103403", "LIN9999106498", "SRC9999102777")
    async with open_client(throttled, budget=4.5) as client:
        results = await asyncio.gather(*(client.get_case(receipt) for receipt in receipts))
    assert [result.outcome for result in results] == ["found"] * 3


async def test_503_is_retried_then_reported_unavailable(
    service: CaseStatusService, client: CaseStatusClient
) -> None:
    service.set_down(True)
    try:
        result = await client.get_case("EAC9999103403")
    finally:
        service.set_down(False)
    assert (result.outcome, result.reason) == ("unavailable", "server_error")
    assert (await client.get_case("EAC9999103403")).outcome == "found"


async def test_a_slow_api_is_a_timeout(slow: CaseStatusService) -> None:
    async with open_client(slow, attempt_timeout=1.0, budget=2.0) as client:
        result = await client.get_case("EAC9999103403")
    assert (result.outcome, result.reason) == ("unavailable", "timeout")


async def test_no_server_at_all_is_unavailable() -> None:
    settings = ClientSettings(
        base_url=f"http://127.0.0.1:{free_port()}", client_id="x", client_secret="y"
    )
    client = CaseStatusClient(settings)
    result = await client.get_case("EAC9999103403")
    await client.close()
    assert (result.outcome, result.reason) == ("unavailable", "connection")


async def test_the_circuit_opens_then_closes_when_the_api_is_back(
    service: CaseStatusService,
) -> None:
    async with open_client(service, breaker_failures=2, breaker_cooldown=1.0) as client:
        hits_before = _lookups_logged(service)
        service.set_down(True)
        try:
            for _ in range(2):
                assert (await client.get_case("EAC9999103403")).reason == "server_error"
            assert client.breaker.is_open
            hits_when_open = _lookups_logged(service)
            result = await client.get_case("EAC9999103403")
            assert (result.outcome, result.reason) == ("unavailable", "circuit_open")
            assert _lookups_logged(service) == hits_when_open  # answered without the API
            assert hits_when_open > hits_before
        finally:
            service.set_down(False)
        deadline = time.monotonic() + 15
        while (await client.get_case("EAC9999103403")).outcome != "found":
            assert time.monotonic() < deadline, "the circuit never closed again"
            await asyncio.sleep(0.2)
        assert not client.breaker.is_open


def _lookups_logged(service: CaseStatusService) -> int:
    log = Path(service.db_url.removeprefix("sqlite:///")).with_suffix(".log")
    return sum("GET /case-status/" in line for line in log.read_text().splitlines())
