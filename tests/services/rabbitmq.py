"""An isolated RabbitMQ node for tests, started from Debian's ``rabbitmq-server`` package.

Fixtures (this module is a pytest plugin):

- ``rabbitmq`` (session): a running :class:`RabbitMQNode`; stopped at the end of the session.
- ``rabbitmq_vhost`` (function): a fresh virtual host on that node, full permissions for ``guest``, deleted
  afterwards; yields a :class:`VirtualHost`. Tests that declare queues use it so that they never see each
  other's queues; ``fresh_vhost`` makes one for fixtures of other scopes.

The node is the real broker, with these differences from a production node (none of them changes AMQP or
management API behaviour):

- it runs as the current user from the unwrapped ``sbin/rabbitmq-server`` script (the Debian wrapper would
  switch to the ``rabbitmq`` user and use ``/var/lib/rabbitmq``), with its own data, log and cookie directory
  (``HOME``) under a fresh temporary directory;
- AMQP, management, Erlang distribution and its own ``epmd`` listen on 127.0.0.1 only, on ports chosen at run
  time, and the node is named ``<unique>@localhost``; so several nodes (parallel runs) never meet, and
  stopping this one never touches an ``epmd`` or node that someone else started;
- only the ``rabbitmq_management`` plugin is enabled; ``guest``/``guest`` works because clients are local;
- statistics are collected every 500 ms instead of 5 s; the management API still lags a few seconds behind
  (poll it with a deadline).

:meth:`RabbitMQNode.stop` (graceful) / :meth:`RabbitMQNode.kill` (a crash) and :meth:`RabbitMQNode.start` let
a test take the broker away and bring it back on the same ports with the same data.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.services.network import free_port

START_TIMEOUT = 120.0  # a cold start takes 4-7 s here; two cores shared with parallel runs can be much slower
STOP_TIMEOUT = 30.0


class RabbitMQUnavailable(RuntimeError):
    """The package is missing or the node did not come up; the message says why."""


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def _sbin() -> Path:
    candidates = sorted(Path("/usr/lib/rabbitmq/lib").glob("rabbitmq_server-*/sbin"))
    if not candidates:
        raise RabbitMQUnavailable("rabbitmq-server is not installed: run `bash .ci/system-deps` as root")
    return candidates[-1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@dataclass
class RabbitMQNode:
    """One broker process tree with its own ports and directories."""

    base_dir: Path
    node_name: str = field(default_factory=lambda: f"asyatest{uuid.uuid4().hex[:10]}@localhost")
    amqp_port: int = 0
    management_port: int = 0
    dist_port: int = 0
    epmd_port: int = 0
    username: str = "guest"
    password: str = "guest"
    _server: subprocess.Popen[bytes] | None = None
    _epmd: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        if not all((self.amqp_port, self.management_port, self.dist_port, self.epmd_port)):
            self.amqp_port, self.management_port, self.dist_port, self.epmd_port = _free_ports(4)
        (self.base_dir / "mnesia").mkdir(parents=True, exist_ok=True)
        (self.base_dir / "log").mkdir(parents=True, exist_ok=True)
        (self.base_dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\n"
            f"management.tcp.port = {self.management_port}\n"
            "collect_statistics_interval = 500\n"
        )
        (self.base_dir / "enabled_plugins").write_text("[rabbitmq_management].\n")

    # --- addresses -------------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def amqp_url(self) -> str:
        return f"amqp://{self.username}:{self.password}@{self.host}:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://{self.host}:{self.management_port}"

    # --- process control -------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOME=str(self.base_dir),
            RABBITMQ_CONF_ENV_FILE="/dev/null",
            RABBITMQ_NODENAME=self.node_name,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONFIG_FILE=str(self.base_dir / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base_dir / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.base_dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base_dir / "log"),
            RABBITMQ_PID_FILE=str(self.base_dir / "beam.pid"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_EPMD_PORT=str(self.epmd_port),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def _start_epmd(self) -> None:
        if self._epmd is not None and self._epmd.poll() is None:
            return
        epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
        # Our own epmd on our own port: stopping it later cannot disturb nodes started by anyone else.
        self._epmd = subprocess.Popen(
            [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not _listening(self.epmd_port):
            if self._epmd.poll() is not None or time.monotonic() > deadline:
                raise RabbitMQUnavailable(f"epmd did not start on 127.0.0.1:{self.epmd_port}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.poll() is None

    def start(self, *, timeout: float = START_TIMEOUT) -> None:
        """Start the node (same ports, same data) and wait until AMQP and the management API answer."""
        if self.running:
            return
        self._start_epmd()
        with (self.base_dir / "stdout.log").open("ab") as out:
            self._server = subprocess.Popen(
                [str(_sbin() / "rabbitmq-server")],
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so that kill() reaches beam and its helpers
            )
        self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RabbitMQUnavailable(f"rabbitmq-server exited during start-up:\n{self.log_tail()}")
            if _listening(self.amqp_port) and self._management_answers():
                return
            if time.monotonic() > deadline:
                raise RabbitMQUnavailable(
                    f"rabbitmq-server not ready after {timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _management_answers(self) -> bool:
        try:
            self.management("GET", "/api/overview", timeout=2)
        except (OSError, urllib.error.HTTPError):
            return False
        return True

    def stop(self, *, timeout: float = STOP_TIMEOUT) -> None:
        """Graceful stop (SIGTERM to the start script, as a service manager would do)."""
        if self._server is None:
            return
        if self._server.poll() is None:
            self._server.send_signal(signal.SIGTERM)
            try:
                self._server.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._reap_group()
        self._server = None

    def kill(self) -> None:
        """Hard crash of the whole node (SIGKILL to its process group): connections drop at once."""
        if self._server is None:
            return
        self._reap_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._server.wait(10)
        self._server = None
        deadline = time.monotonic() + 10
        while (
            _listening(self.amqp_port) or _listening(self.management_port)
        ) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _reap_group(self) -> None:
        assert self._server is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._server.pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop the node and the epmd this node started (and nothing else).

        The node's data is thrown away with its directory, so a crash-stop is as good as a graceful one and
        saves the several seconds a graceful shutdown takes.
        """
        self.kill()
        if self._epmd is not None:
            if self._epmd.poll() is None:
                self._epmd.terminate()
                try:
                    self._epmd.wait(5)
                except subprocess.TimeoutExpired:
                    self._epmd.kill()
                    self._epmd.wait(5)
            self._epmd = None

    def log_tail(self, lines: int = 40) -> str:
        texts = []
        for path in [self.base_dir / "stdout.log", *sorted((self.base_dir / "log").glob("*.log"))]:
            with contextlib.suppress(OSError):
                texts.append(
                    f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
                )
        return "\n".join(texts)

    # --- management API (synchronous: for fixtures and set-up steps) -----------------------------------

    def management(self, method: str, path: str, body: Any = None, *, timeout: float = 10) -> Any:
        """One call to the management API as ``guest``; returns the decoded JSON body, if any."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.management_url + path, data=data, method=method)
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def add_vhost(self, name: str) -> None:
        quoted = urllib.parse.quote(name, safe="")
        self.management("PUT", f"/api/vhosts/{quoted}", {})
        self.management("PUT", f"/api/permissions/{quoted}/{self.username}", _ALL_PERMISSIONS)

    def delete_vhost(self, name: str) -> None:
        with contextlib.suppress(urllib.error.HTTPError):
            self.management("DELETE", f"/api/vhosts/{urllib.parse.quote(name, safe='')}")

    def add_user(self, name: str, password: str, *, vhost: str, tags: str = "") -> None:
        """A user with all permissions on ``vhost``; a tag such as ``monitoring`` opens the management API."""
        quoted = urllib.parse.quote(name, safe="")
        self.management("PUT", f"/api/users/{quoted}", {"password": password, "tags": tags})
        self.management(
            "PUT", f"/api/permissions/{urllib.parse.quote(vhost, safe='')}/{quoted}", _ALL_PERMISSIONS
        )

    def delete_user(self, name: str) -> None:
        with contextlib.suppress(urllib.error.HTTPError):
            self.management("DELETE", f"/api/users/{urllib.parse.quote(name, safe='')}")


_ALL_PERMISSIONS = {"configure": ".*", "write": ".*", "read": ".*"}


@dataclass(frozen=True)
class VirtualHost:
    """A virtual host of a test node, with the addresses a client needs."""

    node: RabbitMQNode
    name: str

    @property
    def amqp_url(self) -> str:
        return self.node.amqp_url + urllib.parse.quote(self.name, safe="")


@contextlib.contextmanager
def running_node() -> Iterator[RabbitMQNode]:
    """A started node in a fresh temporary directory, stopped and removed on exit."""
    base = Path(tempfile.mkdtemp(prefix="asya-rabbitmq-"))
    node = RabbitMQNode(base_dir=base)
    try:
        node.start()
        yield node
    finally:
        node.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[RabbitMQNode]:
    """The session's RabbitMQ node (started on first use)."""
    with running_node() as node:
        yield node


@contextlib.contextmanager
def fresh_vhost(node: RabbitMQNode, prefix: str = "t") -> Iterator[VirtualHost]:
    """A new virtual host on ``node``, deleted on exit; the node is (re)started first if it is down."""
    node.start()
    vhost = VirtualHost(node=node, name=f"{prefix}-{uuid.uuid4().hex[:12]}")
    node.add_vhost(vhost.name)
    yield vhost
    if node.running:
        node.delete_vhost(vhost.name)


@pytest.fixture
def rabbitmq_vhost(rabbitmq: RabbitMQNode) -> Iterator[VirtualHost]:
    """A fresh virtual host on the session node; the node is (re)started first if a test left it down."""
    with fresh_vhost(rabbitmq) as vhost:
        yield vhost
