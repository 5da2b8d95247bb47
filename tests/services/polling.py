"""Waiting for asynchronous effects: poll with a generous deadline instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    until: Callable[[T], bool],
    *,
    within: float = 30.0,
    interval: float = 0.2,
) -> T:
    """Call ``probe`` until ``until(result)`` holds; returns that result, or fails with the last one seen."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within:g} s; last value: {result!r}")
        await asyncio.sleep(interval)
