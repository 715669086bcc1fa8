"""Shared fixtures: a real Rasa server and action server, started once per test session, and a
throw-away PostgreSQL database for the tests of every server option."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from urllib.parse import urlparse

import psycopg2
import pytest
from playwright.sync_api import Browser, sync_playwright

from scripts.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Rasa (trained model, REST channel, token-protected API) and the action server."""
    with running_stack() as running:
        yield running


# Debian's Chromium (browsers cannot be downloaded here), headless, with no calls to the outside.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium driven by Playwright, one per test module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# The PostgreSQL server running on this machine (trust auth); tests make their own databases.
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    name = f"assistant_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(f"{POSTGRES}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def drop_connections(database_url: str) -> int:
    """What a restart or an outage does to every client of the database at `database_url`:
    their open connections die. Returns how many were dropped."""
    name = urlparse(database_url).path.lstrip("/")
    with closing(psycopg2.connect(f"{POSTGRES}/postgres")) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            return cursor.fetchone()[0]


def texts(messages: list[dict]) -> str:
    """All bot texts of one reply, joined, for assertions on what the visitor reads."""
    return "\n".join(message.get("text", "") for message in messages)
