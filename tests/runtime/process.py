"""The runtime script run as a separate process, the way the ``asya-runtime`` container runs it.

The interpreter is ``$ASYA_RUNTIME_PYTHON`` (default: the one running the tests), so the same suite checks
the script under the old Pythons that actor images carry. Each process gets its own short socket directory
under /tmp (Unix socket paths are limited to about 100 bytes) and a clean environment: only ``PATH``,
``PYTHONPATH`` (the handler modules) and the ``ASYA_*`` variables a test sets. stdout and stderr go to files
so tests can read the logs while the process runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import controller.runtime
from tests.runtime import sidecar

SCRIPT = Path(controller.runtime.__file__).with_name("asya_runtime.py")
DEADLINE = 30.0


def runtime_python() -> str:
    return os.environ.get("ASYA_RUNTIME_PYTHON") or sys.executable


def wait_for(predicate: Callable[[], Any], *, what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@dataclass
class Runtime:
    process: subprocess.Popen[bytes]
    socket_dir: Path
    workdir: Path
    owns_socket_dir: bool = True

    @property
    def socket_path(self) -> Path:
        return self.socket_dir / "asya-runtime.sock"

    @property
    def marker_path(self) -> Path:
        return self.socket_dir / "runtime-ready"

    def logs(self, since: int = 0) -> str:
        return (self.workdir / "stderr").read_bytes()[since:].decode("utf-8", "replace")

    def log_mark(self) -> int:
        return (self.workdir / "stderr").stat().st_size

    def stdout(self) -> str:
        return (self.workdir / "stdout").read_text("utf-8", "replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def call(self, request: Any, *, slice_size: int | None = None) -> list[dict[str, Any]]:
        return sidecar.call(self.socket_path, request, slice_size=slice_size)

    def exchange(self, body: bytes, *, slice_size: int | None = None) -> bytes:
        return sidecar.exchange(self.socket_path, body, slice_size=slice_size)

    def wait_ready(self) -> Runtime:
        wait_for(
            lambda: self.marker_path.exists() or not self.running(),
            what=f"the runtime's readiness marker; logs:\n{self.logs()}",
        )
        assert self.running(), f"the runtime exited with {self.process.returncode}:\n{self.logs()}"
        return self

    def wait_exit(self, timeout: float = DEADLINE) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the runtime did not exit within {timeout} s:\n{self.logs()}") from None

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def close(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.owns_socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_runtime(
    handler: str | None,
    *,
    handler_dir: Path,
    env: dict[str, str] | None = None,
    socket_dir: Path | None = None,
    umask: int = -1,
    cwd: Path | None = None,
    wait: bool = True,
) -> Runtime:
    """Start the script with ``ASYA_HANDLER=handler`` (None: unset); wait for its marker if ``wait``."""
    workdir = Path(tempfile.mkdtemp(prefix="asya-rt-"))
    owns = socket_dir is None
    if socket_dir is None:
        socket_dir = Path(tempfile.mkdtemp(prefix="asya-sock-", dir="/tmp"))
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(handler_dir)}
    environment["ASYA_SOCKET_DIR"] = str(socket_dir)
    if handler is not None:
        environment["ASYA_HANDLER"] = handler
    environment.update(env or {})
    with (workdir / "stdout").open("wb") as stdout, (workdir / "stderr").open("wb") as stderr:
        process = subprocess.Popen(
            [runtime_python(), str(SCRIPT)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd or workdir,
            umask=umask,
        )
    runtime = Runtime(process=process, socket_dir=socket_dir, workdir=workdir, owns_socket_dir=owns)
    if wait:
        try:
            runtime.wait_ready()
        except BaseException:
            runtime.close()
            raise
    return runtime
