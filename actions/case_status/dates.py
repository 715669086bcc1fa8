"""Dates as the API writes them and as people read them, in English and Spanish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MONTHS = {
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
    "es": [
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ],
}  # fmt: skip
API_DATE = "%m-%d-%Y %H:%M:%S"


def long_date(moment: datetime, lang: str) -> str:
    """ "September 5, 2023" or "5 de septiembre de 2023"."""
    month = MONTHS[lang][moment.month - 1]
    if lang == "es":
        return f"{moment.day} de {month} de {moment.year}"
    return f"{month} {moment.day}, {moment.year}"


def parse_date(value: Any) -> datetime | None:
    """The API's MM-DD-YYYY HH:MM:SS (not ISO), or a history entry's YYYY-MM-DD."""
    for layout in (API_DATE, "%m-%d-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(value).strip(), layout)
        except ValueError:
            continue
    return None
