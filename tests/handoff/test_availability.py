"""Opening hours of live chat: weekdays, the time zone, federal and extra holidays."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from services.handoff.availability import HoursError, OpeningHours, federal_holidays
from services.handoff.settings import HandoffSettings, SettingsError

EASTERN = ZoneInfo("America/New_York")


def eastern(*args: int) -> datetime:
    return datetime(*args, tzinfo=EASTERN)


def test_default_hours_are_weekdays_8_to_8_eastern() -> None:
    hours = HandoffSettings.from_env({}).hours
    assert hours.is_open(eastern(2026, 11, 24, 8, 0))  # a Tuesday
    assert hours.is_open(eastern(2026, 11, 24, 19, 59))
    assert not hours.is_open(eastern(2026, 11, 24, 20, 0))
    assert not hours.is_open(eastern(2026, 11, 24, 7, 59))
    assert not hours.is_open(eastern(2026, 11, 28, 12, 0))  # Saturday
    # 13:30 UTC on a summer Monday is 9:30 in New York (daylight time): open.
    assert hours.is_open(datetime(2026, 6, 1, 13, 30, tzinfo=timezone.utc))
    # 12:30 UTC on a winter Monday is 7:30 in New York: still closed.
    assert not hours.is_open(datetime(2026, 1, 5, 12, 30, tzinfo=timezone.utc))


def test_federal_holidays_close_live_chat_on_their_observed_day() -> None:
    hours = HandoffSettings.from_env({}).hours
    assert not hours.is_open(eastern(2026, 11, 26, 12, 0))  # Thanksgiving
    assert not hours.is_open(eastern(2026, 7, 3, 12, 0))  # July 4th is a Saturday
    assert hours.is_open(eastern(2026, 7, 2, 12, 0))
    assert not hours.is_open(eastern(2027, 12, 31, 12, 0))  # New Year 2028 is a Saturday
    assert date(2026, 1, 19) in federal_holidays(2026)  # Martin Luther King Jr. Day
    assert date(2026, 5, 25) in federal_holidays(2026)  # Memorial Day
    assert len(federal_holidays(2026)) == 11


def test_hours_days_holidays_and_zone_are_configurable() -> None:
    hours = OpeningHours.parse(
        "Mon-Fri 09:00-17:00; Sat 10:00-12:00", "America/Los_Angeles", "2026-12-24", False
    )
    pacific = ZoneInfo("America/Los_Angeles")
    assert hours.is_open(datetime(2026, 11, 28, 11, 0, tzinfo=pacific))  # Saturday morning
    assert not hours.is_open(datetime(2026, 11, 28, 12, 0, tzinfo=pacific))
    assert not hours.is_open(datetime(2026, 12, 24, 10, 0, tzinfo=pacific))  # extra holiday
    assert hours.is_open(datetime(2026, 11, 26, 10, 0, tzinfo=pacific))  # federal ones are off
    always = OpeningHours.parse("Mon-Sun 00:00-24:00", "UTC", "", False)
    assert always.is_open(datetime(2026, 12, 25, 23, 59, tzinfo=timezone.utc))
    assert not OpeningHours.parse("", "UTC").is_open()
    # honcho drops the space of an unquoted value in settings.env: still understood.
    squeezed = OpeningHours.parse("Mon-Fri08:00-20:00", "America/New_York")
    assert squeezed.windows == HandoffSettings.from_env({}).hours.windows
    quoted = OpeningHours.parse('"Mon-Fri 08:00-20:00"', "America/New_York")
    assert quoted.windows == squeezed.windows


@pytest.mark.parametrize(
    "env",
    [
        {"HANDOFF_HOURS": "weekdays"},
        {"HANDOFF_HOURS": "Mon-Fri 8-20"},
        {"HANDOFF_HOURS": "Mon-Fri 25:00-26:00"},
        {"HANDOFF_TIMEZONE": "Mars/Olympus"},
        {"HANDOFF_HOLIDAYS": "Christmas"},
        {"HANDOFF_SERVICE_REQUEST_HOURS": "two days"},
        {"HUB_INTERNAL_TOKEN": "short"},
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as error:
        HandoffSettings.from_env(env)
    assert str(error.value)
    assert isinstance(error.value, ValueError)
    assert not isinstance(error.value, HoursError)
