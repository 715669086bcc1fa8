"""Production mode for the fault tests: the `make prod` plan on private Redis and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest

from scripts.production import Production, isolated_settings, running_production
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


@pytest.fixture(scope="module")
def production(
    redis_server: PrivateRedis, postgres_server: PrivatePostgres
) -> Iterator[Production]:
    with running_production(isolated_settings(redis_server, postgres_server)) as running:
        yield running
