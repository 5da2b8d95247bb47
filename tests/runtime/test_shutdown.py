"""Signals and graceful shutdown (§13): stop accepting, answer the request in flight, clean up, exit 0."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.handlers import HeldRequest
from tests.runtime.process import Runtime, wait_for
from tests.runtime.sidecar import envelope

Start = Callable[..., Runtime]


def neighbours(directory: Path) -> set[str]:
    """Files a sidecar or another container may keep in the shared socket volume."""
    (directory / "sidecar.state").write_text("not the runtime's")
    (directory / "subdir").mkdir()
    return {"sidecar.state", "subdir"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_idle_runtime_exits_0_and_removes_only_its_socket_and_marker(
    fresh_runtime: Start, signum: int
) -> None:
    runtime = fresh_runtime("payload_handlers.echo")
    others = neighbours(runtime.socket_dir)
    runtime.signal(signum)
    assert runtime.wait_exit() == 0
    assert {path.name for path in runtime.socket_dir.iterdir()} == others
    assert f"{signal.Signals(signum).name} received: shutting down" in runtime.logs()


class InFlight(HeldRequest):
    """A held request sent from ``pool``; returns once the handler runs."""

    def __init__(self, runtime: Runtime, directory: Path, pool: ThreadPoolExecutor) -> None:
        super().__init__(directory)
        self.reply: Future[list[dict[str, Any]]] = pool.submit(runtime.call, envelope(self.payload))
        wait_for(self.started.exists, what="the handler to start")


def test_sigterm_during_a_request_lets_it_finish_and_reply(fresh_runtime: Start, tmp_path: Path) -> None:
    runtime = fresh_runtime("payload_handlers.slow")
    others = neighbours(runtime.socket_dir)
    with ThreadPoolExecutor(1) as pool:
        in_flight = InFlight(runtime, tmp_path, pool)
        runtime.signal(signal.SIGTERM)
        # Stops accepting at once: the socket file is still there, but nobody listens any more.
        wait_for(lambda: refuses(runtime.socket_path), what="the listener to close")
        assert runtime.running()
        assert not in_flight.reply.done()
        in_flight.release.touch()
        assert in_flight.reply.result(30)[0]["payload"] == {"finished": True}
    assert runtime.wait_exit() == 0
    assert {path.name for path in runtime.socket_dir.iterdir()} == others
    assert "SIGTERM received: the request in flight was answered; shutting down" in runtime.logs()


def test_a_second_signal_during_the_drain_exits_at_once(fresh_runtime: Start, tmp_path: Path) -> None:
    runtime = fresh_runtime("payload_handlers.slow")
    with ThreadPoolExecutor(1) as pool:
        in_flight = InFlight(runtime, tmp_path, pool)
        runtime.signal(signal.SIGTERM)
        wait_for(lambda: refuses(runtime.socket_path), what="the listener to close")
        runtime.signal(signal.SIGTERM)
        assert runtime.wait_exit() == 128 + signal.SIGTERM
        with pytest.raises((EOFError, ConnectionResetError)):
            in_flight.reply.result(30)
    assert not runtime.socket_path.exists()
    assert not runtime.marker_path.exists()
    assert "a second signal during shutdown: exiting at once" in runtime.logs()


def refuses(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)  # a full backlog makes connect wait rather than refuse
        try:
            probe.connect(str(path))
        except ConnectionRefusedError:
            return True
        except TimeoutError:
            return False
        return False
