"""Add, update and list the service's cases: `python -m services.case_status.cli --help`.

Uses the same store as the service (CASE_STATUS_DB_URL, SQLite by default), so changes show in
the API at once. Statuses are picked by key (`statuses` lists them) and worded in both languages.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime

from services.case_status.app import RECEIPT_RE, case_body
from services.case_status.seed import make_case, seed
from services.case_status.settings import DEFAULT_DB_URL
from services.case_status.statuses import BY_KEY, STATUSES
from services.case_status.store import CaseStore


def _receipt(text: str) -> str:
    receipt = re.sub(r"[\s\-]", "", text).upper()
    if not RECEIPT_RE.match(receipt):
        raise argparse.ArgumentTypeError("a receipt number is 3 letters and 10 digits")
    return receipt


def _status(key: str) -> str:
    if key not in BY_KEY:
        raise argparse.ArgumentTypeError(f"unknown status {key!r}; see the `statuses` command")
    return key


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(
            "use a date like 2024-05-01 or 2024-05-01T14:30"
        ) from problem


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m services.case_status.cli", description=__doc__)
    main.add_argument("--db", default=None, help=f"database URL (default: {DEFAULT_DB_URL})")
    commands = main.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list cases")
    listing.add_argument("--prefix", default="", help="only receipts starting with this")
    listing.add_argument("--limit", type=int, default=100)
    show = commands.add_parser("show", help="print one case as the API returns it")
    show.add_argument("receipt", type=_receipt)
    add = commands.add_parser("add", help="add a case")
    add.add_argument("receipt", type=_receipt)
    add.add_argument("--form", required=True, help="form type, e.g. I-130")
    add.add_argument("--status", type=_status, default="received")
    add.add_argument("--date", type=_when, default=None, help="filing date (default: now)")
    update = commands.add_parser("update", help="move a case to a new status, keeping history")
    update.add_argument("receipt", type=_receipt)
    update.add_argument("--status", type=_status, required=True)
    update.add_argument(
        "--date", type=_when, default=None, help="date of the change (default: now)"
    )
    commands.add_parser("statuses", help="list the status keys and their titles")
    commands.add_parser("seed", help="add the seeded cases that are missing")
    return main


def run(argv: list[str] | None = None, database_url: str | None = None) -> int:
    import os

    args = parser().parse_args(argv)
    if args.command == "statuses":
        for status in STATUSES:
            print(f"{status.key:26} {status.title_en} / {status.title_es}")
        return 0
    url = args.db or database_url or os.environ.get("CASE_STATUS_DB_URL") or DEFAULT_DB_URL
    store = CaseStore(url)
    try:
        return _run(args, store)
    finally:
        store.close()


def _run(args: argparse.Namespace, store: CaseStore) -> int:
    if args.command == "seed":
        print(f"added {seed(store)} cases")
        return 0
    if args.command == "list":
        for case in store.list(args.prefix, args.limit):
            changed = case.modified_at.strftime("%Y-%m-%d") if case.modified_at else "-"
            print(f"{case.receipt_number}  {case.form_type:7} {changed}  {case.status_en}")
        return 0
    existing = store.get(args.receipt)
    if args.command == "show":
        if existing is None:
            print(f"no case {args.receipt}", file=sys.stderr)
            return 1
        print(json.dumps(case_body(existing), indent=2, ensure_ascii=False))
        return 0
    now = args.date or datetime.now().replace(microsecond=0)
    if args.command == "add":
        if existing is not None:
            print(f"{args.receipt} exists; use `update`", file=sys.stderr)
            return 1
        store.put(make_case(args.receipt, BY_KEY[args.status], args.form, now, now, False))
        print(f"added {args.receipt}: {BY_KEY[args.status].title_en}")
        return 0
    if existing is None:  # update
        print(f"no case {args.receipt}; use `add`", file=sys.stderr)
        return 1
    history = list(existing.history or [])
    history.append(
        {
            "date": (existing.modified_at or now).strftime("%Y-%m-%d"),
            "completed_text_en": existing.desc_en,
            "completed_text_es": existing.desc_es,
        }
    )
    case = make_case(
        args.receipt,
        BY_KEY[args.status],
        existing.form_type,
        existing.submitted_at or now,
        now,
        False,
    )
    case.history = history
    store.put(case)
    print(f"updated {args.receipt}: {BY_KEY[args.status].title_en}")
    return 0


if __name__ == "__main__":
    sys.exit(run())
