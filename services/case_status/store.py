"""The cases behind the API: SQLite by default, PostgreSQL when CASE_STATUS_DB_URL names one.

Calls are blocking (SQLAlchemy Core); the web app runs them in a worker thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from services.database import run_once, single_statement_engine

metadata = sa.MetaData()

cases = sa.Table(
    "case_status_cases",
    metadata,
    sa.Column("receipt_number", sa.String(16), primary_key=True),
    sa.Column("form_type", sa.String(16), nullable=False),
    sa.Column("submitted_at", sa.DateTime, nullable=True),
    sa.Column("modified_at", sa.DateTime, nullable=True),
    sa.Column("status_en", sa.Text, nullable=False),
    sa.Column("desc_en", sa.Text, nullable=False),
    sa.Column("status_es", sa.Text, nullable=False),
    sa.Column("desc_es", sa.Text, nullable=False),
    # JSON list of {date, completed_text_en, completed_text_es}; NULL means "no history".
    sa.Column("history", sa.Text, nullable=True),
)


@dataclass
class Case:
    receipt_number: str
    form_type: str
    submitted_at: datetime | None
    modified_at: datetime | None
    status_en: str
    desc_en: str
    status_es: str
    desc_es: str
    history: list[dict[str, str]] | None = field(default=None)

    def row(self) -> dict[str, Any]:
        values = dict(self.__dict__)
        values["history"] = None if self.history is None else json.dumps(self.history)
        return values

    @classmethod
    def from_row(cls, row: Any) -> Case:
        values = dict(row._mapping)
        history = values.pop("history")
        return cls(**values, history=None if history is None else json.loads(history))


# Built once, so SQLAlchemy reuses its compiled form.
_GET = sa.select(cases).where(cases.c.receipt_number == sa.bindparam("b_receipt"))


def create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(url, connect_args={"check_same_thread": False})
    return sa.create_engine(url, pool_pre_ping=True)


class CaseStore:
    """Read and write cases; `receipt_number` is the key, always upper case without dashes."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        metadata.create_all(self.engine)
        # A lookup is one statement: on PostgreSQL it goes alone, in one round trip
        # (services/database.py).
        self._single = single_statement_engine(self.engine)

    def get(self, receipt_number: str) -> Case | None:
        params = {"b_receipt": receipt_number}
        row = run_once(self._single, lambda db: db.execute(_GET, params).first())
        return None if row is None else Case.from_row(row)

    def put(self, case: Case) -> None:
        """Insert the case, or replace it when the receipt number exists."""
        with self.engine.begin() as connection:
            connection.execute(cases.delete().where(cases.c.receipt_number == case.receipt_number))
            connection.execute(cases.insert().values(**case.row()))

    def list(self, prefix: str = "", limit: int = 100) -> list[Case]:
        query = sa.select(cases).order_by(cases.c.receipt_number).limit(limit)
        if prefix:
            query = query.where(cases.c.receipt_number.startswith(prefix.upper()))
        with self.engine.connect() as connection:
            return [Case.from_row(row) for row in connection.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one()

    def close(self) -> None:
        self.engine.dispose()
        self._single.dispose()
