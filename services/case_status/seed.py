"""The cases a fresh store starts with: USCIS's published sandbox receipt numbers, plus a spread
of other service centers and IOE receipts, over every kind of status, some with history."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.case_status.statuses import BY_KEY, PATH, STATUSES, Status
from services.case_status.store import Case, CaseStore


def _numbers(prefix: str, start: int, *suffixes: int) -> list[str]:
    return [f"{prefix}{start + suffix:010d}" for suffix in suffixes]


# developer.uscis.gov sandbox receipts (USCIS_FACTS.md 2.6).
SANDBOX_WITH_HISTORY = [
    *_numbers("EAC", 9999103400, 3, 4, 5, 10, 11, 16, 19),
    *_numbers("LIN", 9999106400, 98, 99, 104, 105, 106),
    *_numbers("SRC", 9999102777, *range(11)),
    *_numbers("SRC", 9999132700, 10, 19),
]
SANDBOX_WITHOUT_HISTORY = [
    *_numbers("EAC", 9999103400, 0, 2, 6, 7, 8, 9, 12, 13, 14, 15, 20, 21, 24, 25, 26, 28, 29),
    *_numbers("EAC", 9999103400, 31, 32),
    *_numbers("LIN", 9999106500, 1, 7),
    *_numbers("SRC", 9999132600, 94, 95, 106, 107),
    "WAC0000000000",
    "IOE1234567890",
]
# Other offices and the electronic system (IOE), with history.
SPREAD = [
    *_numbers("WAC", 2190100000, 101, 102, 103),
    *_numbers("MSC", 2291200000, 201, 202),
    *_numbers("NBC", 2390300000, 301, 302),
    *_numbers("YSC", 2490400000, 401),
    *_numbers("IOE", 9100000000, 501, 502, 503, 504),
]
FORMS = [
    "I-130", "I-485", "I-765", "I-131", "N-400", "I-90", "I-129", "I-140", "I-751", "I-821D",
    "N-600", "I-539", "N400", "I-765",
]  # fmt: skip
FIXED = {"EAC9999103403": ("approved", "I-130")}  # the example in the API's documentation
BASE = datetime(2023, 1, 9, 8, 15, 0)


def _history(
    status: Status, form: str, receipt: str, start: datetime, end: datetime
) -> list[dict[str, str]]:
    """The steps before `status` on the usual road, oldest first, dated from `start` on."""
    before = PATH[: PATH.index(status.key)] if status.key in PATH else PATH[:3]
    steps = [BY_KEY[key] for key in before] or [BY_KEY["received"]]
    history = []
    for position, step in enumerate(steps):
        moment = start + (end - start) * position / len(steps)
        text_en, text_es = step.describe(moment, form, receipt)
        history.append(
            {
                "date": moment.strftime("%Y-%m-%d"),
                "completed_text_en": text_en,
                "completed_text_es": text_es,
            }
        )
    return history


def make_case(
    receipt: str, status: Status, form: str, submitted: datetime, modified: datetime, history: bool
) -> Case:
    desc_en, desc_es = status.describe(modified, form.replace("N400", "N-400"), receipt)
    return Case(
        receipt_number=receipt,
        form_type=form,
        submitted_at=submitted,
        modified_at=modified,
        status_en=status.title_en,
        desc_en=desc_en,
        status_es=status.title_es,
        desc_es=desc_es,
        history=_history(status, form, receipt, submitted, modified) if history else None,
    )


def seed_cases() -> list[Case]:
    """Every seeded case; the same list on every run."""
    receipts = [(r, True) for r in SANDBOX_WITH_HISTORY]
    receipts += [(r, False) for r in SANDBOX_WITHOUT_HISTORY]
    receipts += [(r, True) for r in SPREAD]
    result = []
    for index, (receipt, with_history) in enumerate(receipts):
        key, form = FIXED.get(receipt, (STATUSES[index % len(STATUSES)].key, FORMS[index % 14]))
        submitted = BASE + timedelta(days=5 * index, hours=index % 9, minutes=7 * index % 60)
        modified = submitted + timedelta(days=90 + 11 * (index % 13), seconds=index)
        result.append(make_case(receipt, BY_KEY[key], form, submitted, modified, with_history))
    return result


def seed(store: CaseStore) -> int:
    """Add the seeded cases that are missing; returns how many were added."""
    added = 0
    for case in seed_cases():
        if store.get(case.receipt_number) is None:
            store.put(case)
            added += 1
    return added
