"""Runs the benchmarks and prints their figures in one table.

Each ``tests/bench/bench_*.py`` module exposes ``async def run() -> list[Figure]``. ``python -m tests.bench``
runs them all in name order; ``python -m tests.bench queue cache`` runs the modules whose names contain one
of the words. Each module runs in a process of its own, so that one module's memory figures do not carry
what an earlier module left on the heap; a module that fails is reported and the others still run (the exit
status is then 1). Figures are printed, never asserted: timing belongs here, not in tests that flake on a
busy machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import pkgutil
import subprocess
import sys
import time

import tests.bench
from tests.bench import Figure

ONE = "--one"  # the child's flag: run one module and write its figures as JSON lines on stdout


def _modules(words: list[str]) -> list[str]:
    names = sorted(
        info.name for info in pkgutil.iter_modules(tests.bench.__path__) if info.name.startswith("bench_")
    )
    return [name for name in names if not words or any(word in name for word in words)]


def _format(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def table(rows: list[tuple[str, Figure]]) -> str:
    width = max((len(f.name) for _, f in rows), default=10)
    lines = [f"{'area':<12} {'figure':<{width}} {'value':>14}  {'unit':<10} target"]
    for area, figure in rows:
        value = _format(figure.value)
        lines.append(f"{area:<12} {figure.name:<{width}} {value:>14}  {figure.unit:<10} {figure.target}")
    return "\n".join(lines)


def figures_from(output: str) -> list[Figure]:
    """The figures a child wrote (one JSON object per line; other lines are not figures)."""
    figures = []
    for line in output.splitlines():
        if line.startswith("{"):
            figures.append(Figure(**json.loads(line)))
    return figures


def _run_one(name: str) -> int:
    module = importlib.import_module(f"tests.bench.{name}")
    figures: list[Figure] = asyncio.run(module.run())
    for figure in figures:
        print(json.dumps(dataclasses.asdict(figure)), flush=True)
    return 0


def _run_all(names: list[str]) -> int:
    rows: list[tuple[str, Figure]] = []
    failed: list[str] = []
    for name in names:
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "tests.bench", ONE, name], stdout=subprocess.PIPE, text=True, check=False
        )
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        if child.returncode:
            failed.append(name)
            continue
        for line in child.stdout.splitlines():
            if not line.startswith("{"):
                print(line, file=sys.stderr)
        rows.extend((name.removeprefix("bench_"), figure) for figure in figures_from(child.stdout))
    print(table(rows))
    for name in failed:
        print(f"# {name} failed; see its output above", file=sys.stderr)
    return 1 if failed or not rows else 0


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == [ONE]:
        return _run_one(args[1])
    return _run_all(_modules(args))


if __name__ == "__main__":
    raise SystemExit(main())
