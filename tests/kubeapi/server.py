"""``KubeAPI``: the emulator as an async context manager, serving HTTP on 127.0.0.1 at a free port.

    async with KubeAPI() as api:
        async with api.api_client() as client:        # a configured kubernetes_asyncio ApiClient
            await CoreV1Api(client).list_namespace()
        subprocess.run(["kubectl", "get", "ns"], env={"KUBECONFIG": str(api.kubeconfig_path), ...})
        api.faults.fail(503, fraction=0.1, verb="list")
        api.requests.count(verb="list", resource="pods")

It also answers non-Kubernetes paths under ``/_emulator/`` for tools driving it over HTTP (the CLI):
``POST /_emulator/faults`` with ``{"action": "fail"|"delay"|"cut_watches"|"stall_watches", ...keyword
arguments of that Faults method}`` → ``{"id": N}``; ``DELETE /_emulator/faults[/N]``;
``POST /_emulator/close-watches`` and ``POST /_emulator/compact`` (optional ``{"resource": plural}``);
``GET /_emulator/requests`` → ``{"count": N, "summary": {...}}`` and ``DELETE`` to clear the log.
Plain HTTP, no authentication and no authorisation (every client may do everything).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from aiohttp import web

from tests.kubeapi import errors
from tests.kubeapi.cluster import PATCH_TYPES, Cluster
from tests.kubeapi.controllers import Controllers
from tests.kubeapi.faults import Faults, Rule
from tests.kubeapi.handlers import handle_discovery, handle_resource, respond, status_response
from tests.kubeapi.requestlog import Request, RequestLog
from tests.kubeapi.routing import parse, verb_of
from tests.kubeapi.watch import WatchStream

logger = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # the API server's request body limit


class KubeAPI:
    """A Kubernetes API server emulator; see the package docstring for what it does and does not do."""

    def __init__(
        self,
        *,
        port: int = 0,
        kubeconfig_path: str | Path | None = None,
        history: int = 1000,
        bookmark_interval: float = 60.0,
        seed: int = 0,
        request_log_limit: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``history``: watch events kept per resource; ``bookmark_interval``: seconds between bookmarks;
        ``seed``: for generated names and fault fractions; ``request_log_limit``: keep only the newest
        requests; ``clock``: wall-clock seconds for timestamps (creation, deletion, managedFields)."""
        self.cluster = Cluster(history=history, seed=seed, clock=clock)
        self.requests = RequestLog(limit=request_log_limit)
        self.faults = Faults(seed=seed, compact=self._compact, close_watches=self._close_watches)
        self.bookmark_interval = bookmark_interval
        self.rng = random.Random(seed)
        self.watches: set[WatchStream] = set()
        self.port = port
        self._kubeconfig = Path(kubeconfig_path) if kubeconfig_path else None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.ServerRunner | None = None
        self._controllers: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def kubeconfig_path(self) -> Path:
        if self._kubeconfig is None:
            raise RuntimeError("the emulator is not started")
        return self._kubeconfig

    async def start(self) -> None:
        # The low-level server: one handler for every path, without the application router's cost.
        loop = asyncio.get_running_loop()

        def request_factory(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            return web.BaseRequest(message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY)

        server = web.Server(self._handle, handler_cancellation=True, request_factory=request_factory)
        self._runner = web.ServerRunner(server, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        listener = site._server
        assert listener is not None
        sockets = getattr(listener, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        if self._kubeconfig is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="kubeapi-")
            self._kubeconfig = Path(self._tmpdir.name) / "kubeconfig"
        self._kubeconfig.write_text(yaml.safe_dump(self.kubeconfig()))
        self._controllers = asyncio.create_task(Controllers(self.cluster).run(), name="kubeapi-controllers")

    async def stop(self) -> None:
        self._close_watches(None)
        if self._controllers is not None:
            self._controllers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._controllers
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    async def __aenter__(self) -> KubeAPI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def kubeconfig(self) -> dict[str, Any]:
        """A kubeconfig for this server: context ``kubeapi``, namespace ``default``, a dummy token."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubeapi", "cluster": {"server": self.url}}],
            "users": [{"name": "kubeapi", "user": {"token": "kubeapi-emulator"}}],
            "contexts": [
                {
                    "name": "kubeapi",
                    "context": {"cluster": "kubeapi", "user": "kubeapi", "namespace": "default"},
                }
            ],
            "current-context": "kubeapi",
            "preferences": {},
        }

    def api_client(self) -> Any:
        """A ``kubernetes_asyncio.client.ApiClient`` for this server (an async context manager; close it)."""
        from kubernetes_asyncio import client

        configuration = client.Configuration(host=self.url)
        return client.ApiClient(configuration)

    # Faults' one-shot actions

    def _compact(self, resource: str | None) -> None:
        if resource is None:
            self.cluster.store.compact()
            return
        for key, _ in self.cluster.store.buckets():
            if key[1] == resource:
                self.cluster.store.compact(key)

    def _close_watches(self, resource: str | None) -> int:
        closing = [w for w in self.watches if resource is None or w.rt.plural == resource]
        for stream in closing:
            stream.close()
        return len(closing)

    # HTTP

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_emulator/"):
            try:
                return await self._control(request)
            except (TypeError, ValueError, KeyError) as exc:
                return respond({"error": str(exc)}, 400)
        target = parse(path)
        query = dict(request.query)
        verb = verb_of(request.method, target, query) if target is not None else "discovery"
        rt = None
        if target is not None and not target.is_discovery:
            rt = self.cluster.registry.lookup(target.group, target.version, target.plural)
        content_type = request.headers.get("Content-Type", "")

        def log(status: int) -> None:
            self.requests.record(
                Request(
                    verb=verb,
                    method=request.method,
                    path=path,
                    query=query,
                    status=status,
                    group=target.group if target else "",
                    version=target.version if target else "",
                    resource=target.plural if target else "",
                    subresource=target.subresource if target else "",
                    namespace=(target.namespace or "") if target else "",
                    name=target.name if target else "",
                    content_type=content_type.split(";")[0].strip(),
                    patch_type=PATCH_TYPES.get(content_type.split(";")[0].strip(), "")
                    if verb == "patch"
                    else "",
                    user_agent=request.headers.get("User-Agent", ""),
                )
            )

        delay, fail_status, rule = self.faults.for_request(
            verb=verb,
            resource=target.plural if target else "",
            namespace=(target.namespace or "") if target else "",
            path=path,
        )
        if delay:
            await asyncio.sleep(delay)
        if fail_status is not None and rule is not None:
            log(fail_status)
            response = respond(Faults.status_body(fail_status, rule.retry_after), fail_status)
            if rule.retry_after is not None:
                response.headers["Retry-After"] = str(rule.retry_after)
            return response
        try:
            if target is None or target.is_discovery:
                result: web.StreamResponse = await handle_discovery(request, self, target)
            elif rt is None:
                raise errors.path_not_found(path)
            elif verb == "watch":
                return await handle_resource(request, self, target, verb, rt, on_start=log)
            else:
                result = await handle_resource(request, self, target, verb, rt)
        except errors.StatusError as exc:
            log(exc.code)
            return status_response(exc)
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as exc:  # a defect of the emulator: answer as the server does, keep serving
            logger.exception("%s %s failed", request.method, path)
            log(500)
            return status_response(
                errors.StatusError(500, "InternalError", f"Internal error occurred: {exc!r}")
            )
        log(result.status)
        return result

    async def _control(self, request: web.BaseRequest) -> web.Response:
        parts = request.path.removeprefix("/_emulator/").strip("/").split("/")
        body = await request.json() if request.can_read_body else {}
        if parts[0] == "faults":
            if request.method == "DELETE":
                if len(parts) > 1:
                    for rule in list(self.faults.rules):
                        if rule.id == int(parts[1]):
                            self.faults.remove(rule)
                else:
                    self.faults.clear()
                return respond({"rules": len(self.faults.rules)})
            action = body.pop("action")
            for name in ("after_seconds", "seconds"):
                if isinstance(body.get(name), list):
                    body[name] = tuple(body[name])
            methods: dict[str, Callable[..., Rule]] = {
                "fail": self.faults.fail,
                "delay": self.faults.delay,
                "cut_watches": self.faults.cut_watches,
                "stall_watches": self.faults.stall_watches,
            }
            method = methods[action]
            return respond({"id": method(**body).id})
        if parts[0] == "close-watches":
            return respond({"closed": self.faults.close_watches(body.get("resource"))})
        if parts[0] == "compact":
            self.faults.compact(body.get("resource"))
            return respond({"compacted": True})
        if parts[0] == "requests":
            if request.method == "DELETE":
                self.requests.clear()
            return respond({"count": len(self.requests), "summary": self.requests.summary()})
        return respond({"error": "unknown control path"}, 404)
