"""Production mode for the fault tests: the `make prod` plan on private Redis and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg2
import pytest

from scripts.production import Production, running_production
from scripts.stack import free_port
from tests.production.servers import PrivatePostgres, PrivateRedis

DATABASES = ("tracker", "hub", "case_status")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    connection = psycopg2.connect(server.url())
    connection.autocommit = True
    with connection.cursor() as cursor:
        for name in DATABASES:
            cursor.execute(f"CREATE DATABASE {name}")
    connection.close()
    yield server
    server.remove()


def production_overrides(redis: PrivateRedis, postgres: PrivatePostgres) -> dict[str, str]:
    """Everything on free ports and the private servers; settings otherwise as `make prod`."""
    hub_port, case_port = free_port(), free_port()
    return {
        "RASA_PORT": str(free_port()),
        "HUB_PORT": str(hub_port),
        "ACTION_SERVER_PORT": str(free_port()),
        "CASE_STATUS_PORT": str(case_port),
        "RASA_REPLICA_PORTS": f"{free_port()},{free_port()}",
        "HUB_REPLICA_PORTS": f"{free_port()},{free_port()}",
        "CASE_STATUS_URL": f"http://127.0.0.1:{case_port}",
        "HUB_INTERNAL_URL": f"http://127.0.0.1:{hub_port}",
        "HUB_ALLOWED_ORIGINS": f"http://127.0.0.1:{hub_port}",
        "TRACKER_STORE_URL": postgres.url("tracker"),
        "HUB_DB_URL": postgres.url("hub"),
        "CASE_STATUS_DB_URL": postgres.url("case_status"),
        "LOCK_STORE_URL": redis.url(0),
        "HUB_BUS_URL": redis.url(1),
        "CASE_STATUS_LIMITS_URL": redis.url(2),
        "RASA_TOKEN": secrets.token_urlsafe(24),
        "HUB_SECRET": secrets.token_urlsafe(32),
        "HUB_INTERNAL_TOKEN": secrets.token_urlsafe(24),
        "CASE_STATUS_CLIENT_ID": f"prod-{secrets.token_hex(4)}",
        "CASE_STATUS_CLIENT_SECRET": secrets.token_urlsafe(24),
        # Live chat open at any hour, so the handoff can be tested whenever the suite runs.
        "HANDOFF_HOURS": "Mon-Sun 00:00-24:00",
        "HANDOFF_FEDERAL_HOLIDAYS": "false",
        "HUB_MESSAGES_PER_MINUTE": "120",
    }


@pytest.fixture(scope="module")
def production(
    redis_server: PrivateRedis, postgres_server: PrivatePostgres
) -> Iterator[Production]:
    with running_production(production_overrides(redis_server, postgres_server)) as running:
        yield running
