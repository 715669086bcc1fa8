"""Find and mask personal identifiers in free text.

Every store (Rasa's tracker store, the hub's transcripts, logs) passes text through
`redact_text` so that a receipt number, A-number or SSN is never kept in full, and a message that
looks like a password or a verification code is not kept at all.
"""

from __future__ import annotations

import re
from typing import Any

# A receipt number: three letters and ten digits, as people type it (spaces, dashes, lower case),
# or the IOE*123456789 form printed on some notices.
RECEIPT_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{3})[\s\-]*((?:\d[\s\-]*){9}\d|\*(?:\d[\s\-]*){8}\d)(?![0-9])"
)
# An A-number: the letter A and 8 or 9 digits, with optional dash or spaces.
A_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])[Aa][\s\-#]*((?:\d[\s\-]?){7,8}\d)(?![0-9])")
# An SSN in the usual 3-2-4 layout, or nine digits in a row.
SSN_RE = re.compile(r"(?<![0-9])(\d{3})[\s\-]?(\d{2})[\s\-]?(\d{4})(?![0-9])")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask_receipt(receipt: str) -> str:
    """Keep the prefix and the last four digits: enough for a person to recognise it."""
    compact = re.sub(r"[\s\-]", "", receipt).upper()
    if len(compact) < 8:
        return "*" * len(compact)
    return compact[:3] + "*" * (len(compact) - 7) + compact[-4:]


# Ten digits laid out as a U.S. phone number ("TTY 800-767-1833") are a phone number, not a receipt.
_PHONE_LAYOUT_RE = re.compile(r"\d{3}([\s.\-])\d{3}\1\d{4}")


def _mask_receipt_match(match: re.Match[str]) -> str:
    if _PHONE_LAYOUT_RE.fullmatch(match.group(2).strip()):
        return match.group(0)
    return mask_receipt(match.group(0))


def _mask_a_number(match: re.Match[str]) -> str:
    digits = _digits(match.group(1))
    return "A-" + "*" * (len(digits) - 3) + digits[-3:]


def _mask_ssn(match: re.Match[str]) -> str:
    return "***-**-" + match.group(3)


def redact_text(text: str | None) -> str | None:
    """Mask every receipt number, A-number and SSN in `text`, and hide the whole text when it
    looks like a password or a code (privacy/secrets.py); other text is kept as it is."""
    if not text:
        return text
    # Imported here: privacy.secrets builds on this module's patterns.
    from privacy.secrets import SECRET_PLACEHOLDER, looks_like_secret

    if looks_like_secret(text):
        return SECRET_PLACEHOLDER
    text = RECEIPT_RE.sub(_mask_receipt_match, text)
    text = A_NUMBER_RE.sub(_mask_a_number, text)
    return SSN_RE.sub(_mask_ssn, text)


def redact_value(
    value: Any, plain: frozenset[str] = frozenset(), memo: dict[str, str | None] | None = None
) -> Any:
    """Redact strings anywhere inside JSON-like data (event dicts, slot values, metadata).

    Strings in `plain` are known to come out unchanged (see `plain_strings`) and are not
    checked again: most strings of a Rasa event are intent, action and response names. A
    string that occurs several times (a message's text, its id) is checked once per call, or
    once for all the calls that share a `memo` (the events of one save: each carries the
    model's id). Keep a memo only as long as the data it was filled from.
    """
    done: dict[str, str | None] = {} if memo is None else memo

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            if item in plain:
                return item
            if item not in done:
                done[item] = redact_text(item)
            return done[item]
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        return item

    return walk(value)


def plain_strings(candidates: Any) -> frozenset[str]:
    """The candidates that redaction leaves unchanged, for `redact_value(..., plain)`."""
    return frozenset(text for text in candidates if redact_text(text) == text)
