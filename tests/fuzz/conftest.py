"""Real processes for the fuzz tests, started once per module: the case-status service, and a
hub (with the handoff mounted, a console account and a mailbox) in front of the real Rasa."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, settings

from scripts.stack import CaseStatusService, HubProcess, Stack, start_case_status, start_hub, stop
from tests.handoff.support import ALWAYS_OPEN, Mailbox, create_account

# Every fuzz test: no example database in the work tree (a failure prints its reproduction
# blob instead), no per-example deadline (the machine is shared), fixtures reused on purpose.
FUZZ = settings(
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
INTERNAL_TOKEN = "fuzz-internal-" + secrets.token_urlsafe(16)
AGENT = "fuzzagent"


# FUZZ_SCALE=10 runs ten times as many examples: a longer campaign than the test suite's.
SCALE = float(os.environ.get("FUZZ_SCALE") or 1)


def fuzz(examples: int) -> settings:
    """FUZZ with a number of examples sized to what one example costs."""
    return settings(FUZZ, max_examples=max(1, round(examples * SCALE)))


@pytest.fixture(scope="module")
def case_status(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStatusService]:
    """No rate limits: the fuzz tests send hundreds of requests a second."""
    limits = {"CASE_STATUS_RATE_PER_SECOND": "0", "CASE_STATUS_RATE_PER_DAY": "0"}
    service = start_case_status(tmp_path_factory.mktemp("fuzz-case-status"), limits)
    try:
        yield service
    finally:
        stop(service.process)


def service_log(service: CaseStatusService) -> Path:
    """Where scripts/stack.py sends the service's output."""
    return Path(service.maintenance_file).parent / f"case_status-{service.port}.log"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    try:
        yield box
    finally:
        box.stop()


@contextlib.contextmanager
def fuzz_hub(stack: Stack, mailbox: Mailbox, db_url: str | None = None) -> Iterator[HubProcess]:
    """The hub as `make run` starts it, with the internal API on, live chat always open and
    an agent account; on its own SQLite file unless `db_url` names another database."""
    extra = {
        **ALWAYS_OPEN,
        "HUB_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "HANDOFF_SMTP_PORT": str(mailbox.port),
        "HUB_MESSAGES_PER_MINUTE": "100000",
        # A busy machine's Rasa may be slow: the fuzz tests want its answers, not the apology.
        "HUB_RASA_TIMEOUT": "60",
        **({"HUB_DB_URL": db_url} if db_url else {}),
    }
    running = start_hub(stack, extra)
    try:
        create_account(running, AGENT, "Fuzz Agent")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def hub(stack: Stack, mailbox: Mailbox) -> Iterator[HubProcess]:
    with fuzz_hub(stack, mailbox) as running:
        yield running


def assert_healthy(hub: HubProcess) -> None:
    reply = requests.get(f"{hub.url}/health", timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json()["store"] == "ok"
    assert hub.process is not None and hub.process.poll() is None, "the hub process died"
