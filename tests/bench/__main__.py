"""Runs the benchmarks and prints their figures in one table.

Each ``tests/bench/bench_*.py`` module exposes ``async def run() -> list[Figure]``. ``python -m tests.bench``
runs them all in name order; ``python -m tests.bench queue cache`` runs the modules whose names contain one
of the words. Figures are printed, never asserted: timing belongs here, not in tests that flake on a busy
machine.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
import time

import tests.bench
from tests.bench import Figure


def _modules(words: list[str]) -> list[str]:
    names = sorted(
        info.name for info in pkgutil.iter_modules(tests.bench.__path__) if info.name.startswith("bench_")
    )
    return [name for name in names if not words or any(word in name for word in words)]


def _format(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


async def _run_all(names: list[str]) -> int:
    rows: list[tuple[str, Figure]] = []
    for name in names:
        module = importlib.import_module(f"tests.bench.{name}")
        started = time.perf_counter()
        figures = await module.run()
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        rows.extend((name.removeprefix("bench_"), figure) for figure in figures)
    width = max((len(f.name) for _, f in rows), default=10)
    print(f"{'area':<12} {'figure':<{width}} {'value':>14}  {'unit':<10} target")
    for area, figure in rows:
        value = _format(figure.value)
        print(f"{area:<12} {figure.name:<{width}} {value:>14}  {figure.unit:<10} {figure.target}")
    return 0 if rows else 1


def main() -> int:
    return asyncio.run(_run_all(_modules(sys.argv[1:])))


if __name__ == "__main__":
    raise SystemExit(main())
