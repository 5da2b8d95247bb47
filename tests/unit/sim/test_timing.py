"""The kubelet's back-off schedules and Go's duration format."""

from __future__ import annotations

import pytest

from tests.kubeapi.sim.timing import Timings, crash_backoff, go_duration, image_backoff, mount_backoff


def test_first_restart_is_immediate_then_doubles_from_ten_seconds_to_five_minutes() -> None:
    assert [crash_backoff(n) for n in range(8)] == [0, 10, 20, 40, 80, 160, 300, 300]


def test_image_pull_back_off_doubles_from_ten_seconds_and_caps_at_five_minutes() -> None:
    assert [image_backoff(n) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


def test_mount_retries_start_at_half_a_second_and_cap_at_two_minutes_two_seconds() -> None:
    assert mount_backoff(1) == 0.5
    assert mount_backoff(2) == 1.0
    assert mount_backoff(20) == 122.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (10, "10s"),
        (80, "1m20s"),
        (300, "5m0s"),
        (160, "2m40s"),
        (0.5, "500ms"),
        (1.5, "1.5s"),
        (3725, "1h2m5s"),
    ],
)
def test_durations_print_like_go(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_fast_timings_compress_back_off_and_autoscaling_but_keep_defaults_real() -> None:
    assert Timings().backoff_scale == 1.0
    assert Timings.fast().backoff_scale < 0.1
