"""Find a receipt number in what a visitor typed, however it is formatted.

"my receipt # is eac-21-901-23456", "EAC 21 901 23456" and "IOE*123456789" all work; the result
is the API's form: upper case, no spaces or dashes.
"""

from __future__ import annotations

import re

from privacy.redact import RECEIPT_RE

# Dashes other than "-" that phones and word processors put in.
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE63\uFF0D]")
VALID_RE = re.compile(r"^[A-Z]{3}(?:\d{10}|\*\d{9})$")


def normalize(receipt: str) -> str:
    """Upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", _DASHES.sub("-", receipt)).upper()


def is_valid(receipt: str) -> bool:
    """3 letters and 10 digits (or the IOE*123456789 form), already normalized."""
    return bool(VALID_RE.match(receipt))


def find_receipt(text: str | None) -> str | None:
    """The first well-formed receipt number in `text`, normalized; None when there is none."""
    if not text:
        return None
    match = RECEIPT_RE.search(_DASHES.sub("-", text))
    if match is None:
        return None
    receipt = normalize(match.group(0))
    return receipt if is_valid(receipt) else None
