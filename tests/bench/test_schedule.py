"""The human-paced bench's arrivals: the open loop must offer the load it claims to."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scripts.bench import Measured, Plan, Side, _measure, midpoint
from scripts.loadgen import Turn, open_loop_schedule


def test_each_visitor_sends_about_every_period_within_the_step() -> None:
    schedule = open_loop_schedule(visitors=50, seconds=60, period=5.0, jitter=0.2, seed=3)
    assert len(schedule) == 50
    for times in schedule:
        assert times == sorted(times)
        assert 0 <= times[0] < 5.0
        assert times[-1] < 60
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(4.0 <= gap <= 6.0 for gap in gaps)


def test_the_offered_rate_is_visitors_over_period() -> None:
    schedule = open_loop_schedule(visitors=200, seconds=60, period=5.0, jitter=0.2, seed=1)
    sent = sum(len(times) for times in schedule)
    # 200 visitors, one message per 5 s, for 60 s: 2400 messages, give or take the phases.
    assert 2200 <= sent <= 2600


def test_first_messages_are_spread_over_the_first_period() -> None:
    firsts = sorted(times[0] for times in open_loop_schedule(100, 30, period=5.0, seed=2))
    assert firsts[0] < 0.5 and firsts[-1] > 4.5  # not everyone at once


def test_the_same_seed_gives_the_same_arrivals_to_both_assistants() -> None:
    assert open_loop_schedule(20, 30, seed=7) == open_loop_schedule(20, 30, seed=7)
    assert open_loop_schedule(20, 30, seed=7) != open_loop_schedule(20, 30, seed=8)


def test_no_jitter_means_exactly_one_period_apart() -> None:
    for times in open_loop_schedule(5, 20, period=4.0, jitter=0.0, seed=0):
        assert [round(b - a, 9) for a, b in itertools.pairwise(times)] == [4.0] * (len(times) - 1)


def test_nothing_to_send_in_an_empty_step() -> None:
    assert open_loop_schedule(0, 30) == []
    assert open_loop_schedule(3, 0) == [[], [], []]


@pytest.mark.parametrize("bad", [{"period": 0}, {"jitter": 1.0}, {"visitors": -1}])
def test_impossible_schedules_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        open_loop_schedule(**{"visitors": 3, "seconds": 10, **bad})


def test_capacity_refinement_halves_the_gap_between_held_and_missed() -> None:
    assert midpoint(240, 320) == 280
    assert midpoint(480, 640) == 560
    assert midpoint(560, 640) == 600
    assert midpoint(20, 30) is None  # nothing to the nearest 10 strictly between
    assert midpoint(30, 40) is None


class _Server:
    """A pretend assistant that answers at once up to `holds` visitors and slowly beyond; every
    conversation it opens or closes goes into `events` as (its name, "open" or "close", when)."""

    def __init__(self, name: str, holds: int, events: list[tuple[str, str, float]]) -> None:
        self.name, self.holds, self.events = name, holds, events
        self.open = 0

    def opener_for(self, _connections: int) -> Any:
        server = self

        class Chat:
            async def say(self, turn: Turn, timeout: float) -> bool:
                await asyncio.sleep(0.6 if server.open > server.holds else 0.0)
                return True

            async def close(self) -> None:
                server.open -= 1
                server.events.append((server.name, "close", time.monotonic()))

        @contextlib.asynccontextmanager
        async def context() -> AsyncIterator[Any]:
            async def opener() -> Chat:
                server.open += 1
                server.events.append((server.name, "open", time.monotonic()))
                return Chat()

            yield opener

        return context()

    def side(self) -> Side:
        return Side(Measured(self.name, "none"), self.opener_for, lambda _: [Turn("hi")])


PLAN = Plan((1,), 0.3, (10, 20, 40, 80), 1.0, 0.25, 1.0, 0.1, 2, 0.0)


def test_the_capacity_is_refined_between_the_last_step_held_and_the_first_missed() -> None:
    side = _Server("fake", holds=55, events=[]).side()
    asyncio.run(_measure([side], PLAN))
    # The ladder misses 80; halfway to 40 is 60 (missed), then 50 (held).
    assert [result.concurrency for result in side.measured.paced] == [10, 20, 40, 80, 60, 50]
    assert side.measured.capacity == 50


def test_the_two_assistants_take_turns_and_each_climbs_its_own_ladder() -> None:
    events: list[tuple[str, str, float]] = []
    sides = [_Server("slow", 15, events).side(), _Server("fast", 55, events).side()]
    asyncio.run(_measure(sides, PLAN))
    steps = {side.measured.name: [r.concurrency for r in side.measured.paced] for side in sides}
    # The slow one misses 20 and there is nothing to the nearest 10 between 10 and 20.
    assert steps == {"slow": [10, 20], "fast": [10, 20, 40, 80, 60, 50]}
    assert (sides[0].measured.capacity, sides[1].measured.capacity) == (10, 50)
    # Never two under load at once, and in turn: the warm-ups, the saturated level, then the
    # paced steps 10 and 20 alternate; once the slow one is done the fast one climbs on alone.
    opened = [name for name, kind, _ in events if kind == "open"]
    assert [name for name, _ in itertools.groupby(opened)] == ["slow", "fast"] * 4


def test_after_a_missed_step_the_next_one_waits_whoever_runs_it() -> None:
    events: list[tuple[str, str, float]] = []
    sides = [_Server("slow", 15, events).side(), _Server("fast", 55, events).side()]
    asyncio.run(_measure(sides, dataclasses.replace(PLAN, settle_seconds=0.6)))
    # The slow one's step of 20 visitors is missed and is its last; the fast one's step of 20
    # comes next and starts only after the pause (without it, within a few milliseconds).
    last_close_of_missed = max(t for name, kind, t in events if (name, kind) == ("slow", "close"))
    opens_after = [
        t
        for name, kind, t in events
        if (name, kind) == ("fast", "open") and t > last_close_of_missed
    ]
    assert min(opens_after) - last_close_of_missed >= 0.5
