"""When live chat is open: weekly opening hours in one time zone, minus holidays.

Defaults follow the USCIS Contact Center: Monday to Friday, 8 a.m. to 8 p.m. Eastern, closed on
federal holidays. `HANDOFF_HOURS` takes a list like "Mon-Fri 08:00-20:00; Sat 09:00-13:00".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC_RE = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s*(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


class HoursError(ValueError):
    """Opening hours that cannot be read; the message shows the expected form."""


def _clock(text: str) -> time | None:
    """A wall-clock time; None stands for 24:00 (the end of the day)."""
    hours, minutes = (int(part) for part in text.split(":"))
    if (hours, minutes) == (24, 0):
        return None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise HoursError(f"{text!r} is not a time of day")
    return time(hours, minutes)


@dataclass(frozen=True)
class Window:
    weekday: int  # Monday is 0
    start: time
    end: time | None  # None: until midnight

    def contains(self, moment: datetime) -> bool:
        if moment.weekday() != self.weekday:
            return False
        clock = moment.time()
        return self.start <= clock and (self.end is None or clock < self.end)


def parse_hours(spec: str) -> tuple[Window, ...]:
    """'Mon-Fri 08:00-20:00; Sat 09:00-13:00' -> one window per day; '' -> always closed."""
    windows: list[Window] = []
    spec = (spec or "").strip().strip("\"'")  # as written in settings.env, quotes and all
    for part in (p.strip().lower() for p in re.split(r"[;,]", spec)):
        if not part:
            continue
        match = _SPEC_RE.match(part)
        if not match or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
            raise HoursError(f"cannot read hours {part!r}; write e.g. 'Mon-Fri 08:00-20:00'")
        first = DAYS.index(match["first"])
        last = DAYS.index(match["last"]) if match["last"] else first
        start, end = _clock(match["start"]), _clock(match["end"])
        if start is None:
            raise HoursError(f"{part!r}: opening time 24:00 is not a time of day")
        for day in range(first, last + 1):
            windows.append(Window(day, start, end))
    return tuple(windows)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A holiday on Saturday is observed on Friday, on Sunday on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> set[date]:
    """The eleven U.S. federal holidays as observed (5 U.S.C. 6103)."""
    fixed = [date(year, 1, 1), date(year, 6, 19), date(year, 7, 4), date(year, 11, 11)]
    fixed.append(date(year, 12, 25))
    days = {_observed(day) for day in fixed}
    days |= {
        _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _last_weekday(year, 5, 0),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
    }
    # New Year's Day of next year falling on a Saturday is observed on Dec 31 of this one.
    if date(year + 1, 1, 1).weekday() == 5:
        days.add(date(year, 12, 31))
    return days


@dataclass(frozen=True)
class OpeningHours:
    windows: tuple[Window, ...]
    zone: ZoneInfo
    holidays: frozenset[date] = field(default_factory=frozenset)
    federal: bool = True

    @classmethod
    def parse(cls, spec: str, zone: str, holidays: str = "", federal: bool = True) -> OpeningHours:
        try:
            tz = ZoneInfo(zone)
        except Exception as error:  # ZoneInfoNotFoundError, ValueError
            raise HoursError(f"unknown time zone {zone!r}") from error
        extra: set[date] = set()
        for item in (h.strip() for h in re.split(r"[,;\s]+", holidays or "")):
            if item:
                try:
                    extra.add(date.fromisoformat(item))
                except ValueError as error:
                    raise HoursError(f"holiday {item!r} is not a date like 2026-12-24") from error
        return cls(parse_hours(spec), tz, frozenset(extra), federal)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (self.federal and day in federal_holidays(day.year))

    def is_open(self, now: datetime | None = None) -> bool:
        """Is live chat open at `now` (default: this instant)?"""
        local = (now or datetime.now(timezone.utc)).astimezone(self.zone)
        if self.is_holiday(local.date()):
            return False
        return any(window.contains(local) for window in self.windows)
