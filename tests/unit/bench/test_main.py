"""The benchmark runner: each module in a process of its own, figures gathered in one table."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from tests.bench import Figure
from tests.bench.__main__ import figures_from, table

ROOT = Path(__file__).resolve().parents[3]


def test_figures_written_by_a_child_are_read_back_and_other_lines_ignored() -> None:
    figure = Figure("round trips", 4465.2, "msg/s", "≥ 1 000")
    output = f"starting\n{json.dumps(dataclasses.asdict(figure))}\ndone\n"
    assert figures_from(output) == [figure]


def test_the_table_lines_up_area_figure_value_unit_and_target() -> None:
    lines = table([("runtime", Figure("round trips", 4465.2, "msg/s", "≥ 1 000"))]).splitlines()
    assert lines[0].split() == ["area", "figure", "value", "unit", "target"]
    assert lines[1].split() == ["runtime", "round", "trips", "4,465", "msg/s", "≥", "1", "000"]


def test_running_one_module_prints_its_figures_in_the_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "runtime"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[1:]
    assert rows
    assert all(row.startswith("runtime ") for row in rows)
    assert any("round trips, 1 KiB" in row for row in rows)
