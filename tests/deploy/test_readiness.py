"""The probes against real processes: `/ready` of the hub and the case-status service (200 when
they can work, 503 with the reason when their database or Rasa is gone, back to 200 when it
returns) and the Rasa readiness probe of the manifests (deploy/rasa_probe.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg2
import pytest
import requests

from scripts.stack import (
    Stack,
    free_port,
    spawn_rasa,
    start_case_status,
    start_hub,
    stop,
    wait_for,
    write_endpoints,
)
from tests.conftest import POSTGRES, drop_connections
from tests.deploy.support import ROOT, container


def probe(url: str) -> tuple[int, dict[str, Any]]:
    reply = requests.get(url, timeout=10)
    return reply.status_code, reply.json()


@contextlib.contextmanager
def unreachable(database_url: str) -> Iterator[None]:
    """The database refuses new connections and drops the open ones, as in an outage."""
    name = urlparse(database_url).path.lstrip("/")
    admin = psycopg2.connect(f"{POSTGRES}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        drop_connections(database_url)
        yield
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()


# --- the case-status service
def test_case_status_is_ready_with_its_default_store(tmp_path: Path) -> None:
    service = start_case_status(tmp_path)
    try:
        assert probe(f"{service.url}/ready") == (200, {"status": "ready", "database": "ok"})
    finally:
        stop(service.process)


def test_case_status_is_not_ready_while_its_database_is_unreachable(
    tmp_path: Path, postgres_database: str
) -> None:
    service = start_case_status(tmp_path, {"CASE_STATUS_DB_URL": postgres_database})
    try:
        assert probe(f"{service.url}/ready")[0] == 200
        with unreachable(postgres_database):
            status, body = probe(f"{service.url}/ready")
            assert status == 503
            assert body["database"] == "unavailable"
            assert "database" in body["reason"]
            # Still alive: the liveness probe must not restart it for its database's outage.
            assert probe(f"{service.url}/health")[0] == 200
        assert probe(f"{service.url}/ready") == (200, {"status": "ready", "database": "ok"})
    finally:
        stop(service.process)


# --- the chat hub
@pytest.mark.rasa
def test_hub_is_ready_when_its_database_and_rasa_answer(stack: Stack) -> None:
    hub = start_hub(stack)
    try:
        status, body = probe(f"{hub.url}/ready")
        assert (status, body["database"], body["rasa"]) == (200, "ok", "ok")
        assert probe(f"{hub.url}/live") == (200, {"status": "ok"})
    finally:
        hub.stop()


@pytest.mark.rasa
def test_hub_is_not_ready_without_rasa_but_stays_alive(stack: Stack) -> None:
    hub = start_hub(stack, {"RASA_URL": f"http://127.0.0.1:{free_port()}"})
    try:
        status, body = probe(f"{hub.url}/ready")
        assert (status, body["rasa"], body["database"]) == (503, "unavailable", "ok")
        assert body["reason"] == "rasa unavailable"
        assert probe(f"{hub.url}/live")[0] == 200
    finally:
        hub.stop()


@pytest.mark.rasa
def test_hub_is_not_ready_while_its_database_is_unreachable(
    stack: Stack, postgres_database: str
) -> None:
    hub = start_hub(stack, {"HUB_DB_URL": postgres_database})
    try:
        assert probe(f"{hub.url}/ready")[0] == 200
        with unreachable(postgres_database):
            status, body = probe(f"{hub.url}/ready")
            assert (status, body["database"], body["rasa"]) == (503, "unavailable", "ok")
            assert probe(f"{hub.url}/live")[0] == 200
        assert probe(f"{hub.url}/ready")[0] == 200
    finally:
        hub.stop()


# --- Rasa: the manifests' probes, run as the kubelet would run them
def run_readiness_probe(port: int, token: str) -> int:
    """The rasa container's exec readiness probe, with this environment's Python."""
    command = container("rasa").spec["readinessProbe"]["exec"]["command"]
    env = {**os.environ, "RASA_PORT": str(port), "RASA_TOKEN": token}
    return subprocess.run([sys.executable, *command[1:]], cwd=ROOT, env=env).returncode


def liveness_url(port: int) -> str:
    return f"http://127.0.0.1:{port}" + container("rasa").spec["livenessProbe"]["httpGet"]["path"]


@pytest.mark.rasa
def test_rasa_with_its_model_passes_both_probes(stack: Stack) -> None:
    assert requests.get(liveness_url(stack.rasa_port), timeout=10).status_code == 200
    assert run_readiness_probe(stack.rasa_port, stack.token) == 0
    assert run_readiness_probe(stack.rasa_port, "not-the-token") != 0
    assert run_readiness_probe(free_port(), stack.token) != 0


def test_rasa_without_a_model_is_alive_but_not_ready(tmp_path: Path) -> None:
    """What the exec probe is for: Rasa answers `/` before (here: without) a loaded model."""
    port, token = free_port(), "probe-test-token"
    no_model = tmp_path / "no-model"
    no_model.mkdir()
    env = {**os.environ, "TRACKER_STORE_URL": f"sqlite:///{tmp_path}/tracker.db"}
    endpoints = write_endpoints(tmp_path, free_port())
    process = spawn_rasa(port, endpoints, token, env, tmp_path / "rasa.log", model=no_model)
    try:
        wait_for(liveness_url(port), timeout=300, process=process)
        assert run_readiness_probe(port, token) != 0
    finally:
        stop(process)
