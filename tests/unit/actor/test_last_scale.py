"""lastScaleFormatted shows the age of the last scale and is never more than one display unit stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.actor.last_scale import format_last_scale, next_change

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
S, M, H, D = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("age", "direction", "text"),
    [
        (30 * S, "up", "30s ago (up)"),
        (5 * M, "down", "5m ago (down)"),
        (2 * H, "up", "2h ago (up)"),
        (3 * D, "down", "3d ago (down)"),
    ],
)
def test_the_contracts_examples(age: timedelta, direction: str, text: str) -> None:
    assert format_last_scale(NOW - age, direction, now=NOW) == text


def test_never_scaled_reads_as_a_dash() -> None:
    assert format_last_scale(None, None, now=NOW) == "-"


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (0 * S, "0s ago (up)"),
        (14 * S, "0s ago (up)"),
        (15 * S, "15s ago (up)"),
        (44 * S, "30s ago (up)"),
        (59 * S, "45s ago (up)"),
        (60 * S, "1m ago (up)"),
        (59 * M + 59 * S, "59m ago (up)"),
        (H, "1h ago (up)"),
        (23 * H + 59 * M, "23h ago (up)"),
        (D, "1d ago (up)"),
        (400 * D, "400d ago (up)"),
    ],
)
def test_age_is_rounded_down_in_the_largest_unit_that_fits(age: timedelta, text: str) -> None:
    assert format_last_scale(NOW - age, "up", now=NOW) == text


def test_scale_time_ahead_of_the_clock_reads_as_just_now() -> None:
    assert format_last_scale(NOW + 3 * S, "down", now=NOW) == "0s ago (down)"
    assert next_change(NOW + 3 * S, now=NOW) == NOW + 18 * S


@pytest.mark.parametrize(
    ("age", "due_in"),
    [
        (0 * S, 15 * S),
        (50 * S, 10 * S),
        (5 * M + 10 * S, 50 * S),
        (59 * M + 30 * S, 30 * S),
        (2 * H, H),
        (3 * D + 5 * H, 19 * H),
    ],
)
def test_next_change_is_the_next_unit_boundary(age: timedelta, due_in: timedelta) -> None:
    assert next_change(NOW - age, now=NOW) == NOW + due_in


def _unit(age: timedelta) -> timedelta:
    return 15 * S if age < M else M if age < H else H if age < D else D


@given(age=st.timedeltas(min_value=timedelta(0), max_value=900 * D))
def test_text_holds_until_next_change_and_changes_then_within_one_unit(age: timedelta) -> None:
    at = NOW - age
    due = next_change(at, now=NOW)
    assert NOW < due <= NOW + _unit(age)
    shown = format_last_scale(at, "up", now=NOW)
    assert format_last_scale(at, "up", now=due - timedelta(microseconds=1)) == shown
    assert format_last_scale(at, "up", now=due) != shown
