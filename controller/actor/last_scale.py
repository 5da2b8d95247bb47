"""``status.lastScaleFormatted``: the age of the last scale with its direction (contract §1.2). Pure.

``30s ago (up)``, ``5m ago (down)``, ``2h ago (up)``, ``3d ago (down)``; ``-`` when the actor never scaled.
The age is shown in the largest unit that fits and rounded down: seconds in steps of 15 s, then whole
minutes, hours and days. The text is a function of the scale time and the current time only, so a restart
of the controller computes the same text and writes nothing; :func:`next_change` is the moment the text
changes next, when the status must be recomputed to stay at most one display unit stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

NEVER: Final = "-"

_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
# (shown while the age is below, display step, unit of the number shown, suffix)
_UNITS: Final = (
    (_MINUTE, timedelta(seconds=15), _SECOND, "s"),
    (_HOUR, _MINUTE, _MINUTE, "m"),
    (_DAY, _HOUR, _HOUR, "h"),
    (timedelta.max, _DAY, _DAY, "d"),
)


def _age(at: datetime, now: datetime) -> timedelta:
    # A scale time ahead of our clock (another replica's clock) reads as just now.
    return max(now - at, timedelta(0))


def _unit(age: timedelta) -> tuple[timedelta, timedelta, str]:
    for below, step, unit, suffix in _UNITS:
        if age < below:
            return step, unit, suffix
    raise AssertionError("the last unit has no upper bound")


def format_last_scale(at: datetime | None, direction: str | None, *, now: datetime) -> str:
    """The Last-Scale column's text for a scale at ``at`` in ``direction`` (``up`` / ``down``)."""
    if at is None:
        return NEVER
    age = _age(at, now)
    step, unit, suffix = _unit(age)
    shown = (age // step) * step // unit
    return f"{shown}{suffix} ago ({direction})" if direction else f"{shown}{suffix} ago"


def next_change(at: datetime, *, now: datetime) -> datetime:
    """The first moment after ``now`` at which :func:`format_last_scale` shows another text."""
    age = _age(at, now)
    step, _, _ = _unit(age)
    return at + (age // step + 1) * step
