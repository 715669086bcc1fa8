"""The case store on SQLite (default) and on the running PostgreSQL, and the CLI that edits it."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from actions.case_status.messages import status_group
from scripts.stack import ROOT, CaseStatusService, start_case_status, stop
from services.case_status.seed import seed, seed_cases
from services.case_status.statuses import STATUSES
from services.case_status.store import CaseStore
from tests.case_status.conftest import UNLIMITED, get_token, lookup


def _store_round_trip(url: str) -> None:
    store = CaseStore(url)
    try:
        assert seed(store) == len(seed_cases())
        assert seed(store) == 0  # seeding twice adds nothing
        case = store.get("EAC9999103403")
        assert case is not None and case.status_en == "Case Was Approved"
        assert case.history and case.history[0]["date"] == "2023-01-09"
        assert store.get("LIN9999106501").history is None
        case.status_en = "Case Was Denied"
        case.modified_at = datetime(2024, 2, 3, 4, 5, 6)
        store.put(case)
        assert store.get("EAC9999103403").status_en == "Case Was Denied"
        assert store.get("EAC9999103403").modified_at == datetime(2024, 2, 3, 4, 5, 6)
        assert [c.receipt_number[:3] for c in store.list("lin")] == ["LIN"] * 7
        assert store.count() == len(seed_cases())
    finally:
        store.close()


def test_sqlite_store(tmp_path: Path) -> None:
    _store_round_trip(f"sqlite:///{tmp_path}/cases.db")


def test_postgresql_store(postgres_database: str) -> None:
    _store_round_trip(postgres_database)


def test_the_service_serves_cases_from_postgresql(postgres_database: str, tmp_path: Path) -> None:
    running: CaseStatusService = start_case_status(
        tmp_path, {**UNLIMITED, "CASE_STATUS_DB_URL": postgres_database}
    )
    try:
        reply = lookup(running, "SRC9999102777", get_token(running))
        assert reply.status_code == 200
        assert reply.json()["case_status"]["receiptNumber"] == "SRC9999102777"
    finally:
        stop(running.process)


def test_the_seed_covers_every_status_group_in_both_languages() -> None:
    cases = seed_cases()
    groups = {status_group(case.status_en) for case in cases}
    assert groups == {
        "received", "biometrics", "review", "evidence", "interview", "approved", "card",
        "closed", "other",
    }  # fmt: skip
    assert {case.status_en for case in cases} == {status.title_en for status in STATUSES}
    assert all(case.status_es and case.desc_es for case in cases)
    assert any(case.history for case in cases) and any(case.history is None for case in cases)


def cli(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.case_status.cli", "--db", db, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_adds_updates_and_lists_cases(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    added = cli("add", "wac-24-123-45678", "--form", "I-765", "--date", "2024-05-01", db=db)
    assert added.returncode == 0, added.stderr
    again = cli("add", "WAC2412345678", "--form", "I-765", db=db)
    assert again.returncode == 1 and "exists" in again.stderr
    updated = cli(
        "update", "WAC2412345678", "--status", "card_mailed", "--date", "2024-07-01", db=db
    )
    assert updated.returncode == 0, updated.stderr
    listed = cli("list", "--prefix", "WAC24", db=db)
    assert "WAC2412345678" in listed.stdout and "Card Was Mailed To Me" in listed.stdout
    shown = cli("show", "WAC2412345678", db=db)
    assert '"modifiedDate": "07-01-2024 00:00:00"' in shown.stdout
    assert "Case Was Received" not in shown.stdout.split('"hist_case_status"')[0]
    assert "we received your Form I-765" in shown.stdout.split('"hist_case_status"')[1]


@pytest.mark.parametrize(
    "args",
    [
        ("add", "not-a-receipt", "--form", "I-130"),
        ("update", "WAC2412345678", "--status", "no_such_status"),
        ("update", "ZZZ0000000001", "--status", "approved"),
    ],
)
def test_cli_refuses_bad_input_politely(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = cli(*args, db=f"sqlite:///{tmp_path}/cli.db")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()
