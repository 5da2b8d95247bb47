"""Reading the API server's timestamps.

``metav1.Time`` is RFC 3339 with second precision (``2026-11-27T04:22:21Z``) and ``metav1.MicroTime`` adds
microseconds (``2026-11-27T04:22:21.123456Z``, the ``eventTime`` of events). Both parse to an aware UTC
``datetime``. Anything else (a missing field, ``null``, garbage written by another client) reads as ``None``:
the controller never fails on data it reads.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: object) -> datetime | None:
    """The moment an API timestamp names, or ``None`` when there is none or it cannot be read."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def whole_seconds(moment: datetime) -> datetime:
    """``moment`` as it reads back after a round trip through a ``metav1.Time`` field."""
    return moment.replace(microsecond=0)
