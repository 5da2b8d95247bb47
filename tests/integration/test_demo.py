"""``make demo`` works as the README says: every demo actor settles in the status it is there to show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.demo import ACTORS

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_reaches_every_status_it_shows(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.demo", "--fast", "--check", "--timeout", "150", "--dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[2:] if line.strip()}
    assert rows == {name: status for name, (_, status) in ACTORS.items()}
    assert (tmp_path / "kubeconfig").is_file()
    assert "caches synced" in (tmp_path / "controller.log").read_text()
