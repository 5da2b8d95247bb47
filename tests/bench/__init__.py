"""Benchmarks: each ``bench_*.py`` module exposes ``async def run() -> list[Figure]``; see ``__main__``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One printed figure; ``target`` quotes the goal it is measured against, if any."""

    name: str
    value: float
    unit: str
    target: str = ""
