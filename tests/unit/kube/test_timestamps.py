"""API timestamps read as aware UTC moments, and bad ones as nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from controller.kube.timestamps import parse_time, whole_seconds

MOMENT = datetime(2026, 11, 27, 4, 22, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T04:22:21Z", MOMENT),
        ("2026-11-27T04:22:21.123456Z", MOMENT + timedelta(microseconds=123456)),
        ("2026-11-27T06:22:21+02:00", MOMENT),
        ("2026-11-27T04:22:21", MOMENT),
    ],
    ids=["time", "microtime", "offset", "naive-is-utc"],
)
def test_api_timestamps_parse_to_the_moment_they_name(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("value", [None, "", "yesterday", 1764217341, {"time": "x"}])
def test_missing_or_malformed_timestamps_read_as_none(value: object) -> None:
    assert parse_time(value) is None


def test_datetimes_pass_through_and_naive_ones_become_utc() -> None:
    assert parse_time(MOMENT.astimezone(timezone(timedelta(hours=5)))) == MOMENT
    assert parse_time(MOMENT.replace(tzinfo=None)) == MOMENT


def test_whole_seconds_is_what_a_metav1_time_field_gives_back() -> None:
    assert whole_seconds(MOMENT + timedelta(microseconds=999_999)) == MOMENT
