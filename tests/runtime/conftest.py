"""Runtime test fixtures: handler modules on disk, shared runtimes per test module, fresh ones per test."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.runtime.handlers import write_modules
from tests.runtime.process import Runtime, start_runtime

RuntimeFactory = Callable[..., Runtime]


@pytest.fixture(scope="session")
def handler_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_modules(tmp_path_factory.mktemp("handlers"))


@pytest.fixture(scope="module")
def shared_runtime(handler_dir: Path) -> Iterator[RuntimeFactory]:
    """A runtime per (handler, env) kept for the whole test module; for tests that need no fresh process."""
    started: dict[tuple[str, tuple[tuple[str, str], ...]], Runtime] = {}

    def get(handler: str, **env: str) -> Runtime:
        key = (handler, tuple(sorted(env.items())))
        runtime = started.get(key)
        if runtime is None or not runtime.running():
            runtime = started[key] = start_runtime(handler, handler_dir=handler_dir, env=env)
        return runtime

    yield get
    for runtime in started.values():
        runtime.close()


@pytest.fixture
def fresh_runtime(handler_dir: Path) -> Iterator[Callable[..., Runtime]]:
    """Starts runtimes for one test (keywords as for ``start_runtime``) and stops them after it."""
    started: list[Runtime] = []

    def start(handler: str | None, **options: object) -> Runtime:
        runtime = start_runtime(handler, handler_dir=handler_dir, **options)  # type: ignore[arg-type]
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.close()


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A fresh directory with a short path (Unix socket paths are limited to about 100 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="asya-sock-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
