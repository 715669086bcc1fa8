"""The human-paced bench's arrivals: the open loop must offer the load it claims to."""

from __future__ import annotations

import itertools

import pytest

from scripts.loadgen import open_loop_schedule


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
