"""One supervised list+watch loop per resource (and namespace), feeding a sink such as the cache.

Contract (client-go's reflector, ``tools/cache/reflector.go``):
- LIST first (``resourceVersion=0``, paginated by ``limit``/``continue``), hand the whole list to
  ``sink.replace`` (which reports deletions of objects that vanished), then set ``synced``.
- WATCH from the list's resourceVersion with ``allowWatchBookmarks=true`` and a server ``timeoutSeconds``
  drawn in [5, 10] min; ``ADDED``/``MODIFIED`` go to ``sink.upsert``, ``DELETED`` to ``sink.delete``; every
  event and every ``BOOKMARK`` advances the resourceVersion to resume from.
- A stream that ends (server timeout) or is cut (the connection breaks after the stream began) is re-opened
  from the last resourceVersion at once: no LIST.
- A stream silent for ``inactivity_timeout`` (no event, no bookmark) is *stalled*: it is closed and re-opened
  from the last resourceVersion, as kubernetes-asyncio's own stream can hang forever (its issue #360).
- 410 Gone/Expired (an ``ERROR`` event or a response): relist with the last resourceVersion (not older than
  what we saw), and if that LIST is refused as expired too, with ``resourceVersion=""`` (a quorum read).
- Errors back off 0.8 s → 30 s, doubling, jittered, forgotten after 2 min of health; 429 waits for its
  ``Retry-After`` when it gives one. A benign restart (stream ended or cut, stalled, expired) is immediate
  unless the previous restart was less than ``min_restart_interval`` ago, when it waits that long: a server
  that cuts every stream at once cannot make the loop spin. Anything unexpected is logged with its traceback
  and the loop starts over from a LIST. ``run`` returns only when cancelled.
- An *optional* resource whose LIST answers 404 (a CRD not installed, say KEDA's) counts as synced and empty;
  the loop keeps retrying with backoff and fills the cache once the resource is served; ``retry_absent()``
  (called when a CRD appears or changes) cuts that wait short, so a resource installed later is picked up at
  once rather than after up to 30 s of backoff. A watch answered 404 (a CRD deleted) starts over from a LIST.
- ``problem()`` (for ``/healthz``) reports a wedged loop: connected yet silent for twice the inactivity bound,
  which the watchdog should have broken at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from controller.kube.backoff import Backoff
from controller.kube.client import ApiError, KubeClient
from controller.kube.resources import Obj, Resource
from controller.logs import get_logger
from controller.metrics import Metrics

log = get_logger(__name__)

BENIGN = frozenset({"closed", "cut", "stalled", "expired"})


class WatchSink(Protocol):
    def replace(self, resource: Resource, raws: Iterable[Obj], *, namespace: str | None = None) -> None: ...
    def upsert(self, resource: Resource, raw: Obj) -> None: ...
    def delete(self, resource: Resource, raw: Obj) -> None: ...


@dataclass(frozen=True, kw_only=True)
class WatchSettings:
    server_timeout: tuple[float, float] = (300.0, 600.0)
    """Range of the server-side ``timeoutSeconds`` of one watch request; drawn anew each time (seconds)."""
    inactivity_timeout: float = 90.0
    """A stream with no event and no bookmark for this long is stalled (the API server bookmarks about
    every 60 s, an observation rather than a contract) (seconds)."""
    page_size: int = 500
    """``limit`` of one LIST page."""
    list_timeout: float = 60.0
    """Total time for one LIST page (seconds)."""
    backoff_initial: float = 0.8
    backoff_max: float = 30.0
    backoff_reset_after: float = 120.0
    min_restart_interval: float = 1.0
    """A benign restart sooner than this after the previous one backs off instead (seconds)."""


class _Stalled(Exception):
    pass


class _Malformed(Exception):
    pass


class _Cut(Exception):
    pass


class Watcher:
    """The list+watch loop of one resource in one namespace (or all); see the module docstring."""

    def __init__(
        self,
        *,
        client: KubeClient,
        resource: Resource,
        sink: WatchSink,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        settings: WatchSettings | None = None,
        metrics: Metrics | None = None,
        optional: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.optional = optional
        self.resource = resource
        self.sink = sink
        self.namespace = namespace
        self.selectors = {"labelSelector": label_selector, "fieldSelector": field_selector}
        self.settings = settings or WatchSettings()
        self.metrics = metrics
        self.rng = rng or random.Random()
        self.synced = asyncio.Event()
        self.resource_version: str | None = None
        self.connected = False
        self.last_activity = 0.0
        self.lists = 0
        self.restarts: Counter[str] = Counter()
        self._backoff = Backoff(
            initial=self.settings.backoff_initial,
            maximum=self.settings.backoff_max,
            reset_after=self.settings.backoff_reset_after,
            rng=self.rng,
        )
        self._last_restart: float | None = None
        self._absent_wait: asyncio.Event | None = None

    def retry_absent(self) -> None:
        """If this optional resource is waiting because it is not served, try again now."""
        if self._absent_wait is not None:
            self._absent_wait.set()

    @property
    def name(self) -> str:
        return f"{self.resource}" + (f"@{self.namespace}" if self.namespace else "")

    def problem(self) -> str | None:
        """Why this loop looks wedged, or ``None``."""
        if not self.connected:
            return None
        silent = asyncio.get_running_loop().time() - self.last_activity
        if silent > 2 * self.settings.inactivity_timeout:
            return f"watch of {self.name} silent for {silent:.0f}s while connected"
        return None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        list_rv: str = "0"
        need_list = True
        while True:
            cause = "closed"
            retry_after: float | None = None
            listing = need_list
            try:
                if need_list:
                    self.resource_version = await self._list(list_rv)
                    need_list = False
                    listing = False
                    self.synced.set()
                await self._watch()
            except asyncio.CancelledError:
                self.connected = False
                raise
            except _Stalled:
                cause = "stalled"
            except _Cut as exc:
                cause = "cut"
                log.info("watch stream cut", resource=self.name, error=str(exc))
            except ApiError as exc:
                if exc.gone:
                    cause = "expired"
                    # A LIST from our last resourceVersion that is itself expired falls back to a quorum read.
                    list_rv = "" if listing else (self.resource_version or "")
                    need_list = True
                elif exc.throttled:
                    cause, retry_after = "throttled", exc.retry_after
                elif exc.not_found and listing and self.optional:
                    cause = "absent"
                    self._absent()
                elif exc.not_found:  # the resource stopped being served (a CRD deleted): start over
                    cause, need_list, list_rv = "error", True, ""
                else:
                    cause = "error"
                # An optional resource that stays absent (no KEDA, say) is retried for ever: say so once.
                repeated_absence = cause == "absent" and self.restarts["absent"] > 0
                log.log(
                    logging.DEBUG
                    if repeated_absence
                    else logging.INFO
                    if cause in BENIGN or cause == "absent"
                    else logging.WARNING,
                    "watch request refused",
                    resource=self.name,
                    status=exc.status,
                    reason=exc.reason,
                    message=exc.message,
                )
            except (OSError, TimeoutError, aiohttp.ClientError, _Malformed) as exc:
                cause = "malformed" if isinstance(exc, _Malformed) else "error"
                log.warning("watch failed", resource=self.name, error=f"{type(exc).__name__}: {exc}")
            except Exception:
                cause = "crash"
                need_list, list_rv = True, ""
                log.exception("watch loop crashed; starting over from a list", resource=self.name)
            self.connected = False
            self.restarts[cause] += 1
            if self.metrics is not None:
                self.metrics.watch_restarts.labels(
                    controller=self.metrics.controller, resource=self.resource.name, cause=cause
                ).inc()
            now = loop.time()
            quick = (
                self._last_restart is not None
                and now - self._last_restart < self.settings.min_restart_interval
            )
            self._last_restart = now
            if cause in BENIGN:
                delay = self.settings.min_restart_interval if quick else 0.0
            else:
                delay = self._backoff.next(now)
            if retry_after is not None:
                delay = max(delay, retry_after)
            if delay > 0 and cause == "absent":
                self._absent_wait = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._absent_wait.wait()
                self._absent_wait = None
            elif delay > 0:
                await asyncio.sleep(delay)

    def _absent(self) -> None:
        """An optional resource is not served (its CRD is not installed): it holds nothing, and is synced."""
        self.sink.replace(self.resource, [], namespace=self.namespace)
        self.synced.set()

    def _query(self, **extra: Any) -> dict[str, Any]:
        return {**self.selectors, **extra}

    async def _list(self, resource_version: str) -> str:
        path = self.resource.path(namespace=self.namespace)
        items: list[Obj] = []
        token: str | None = None
        list_rv = ""
        while True:
            query = self._query(limit=self.settings.page_size, resourceVersion=resource_version or None)
            if token:
                query = self._query(limit=self.settings.page_size, **{"continue": token})
            page = await self.client.request(
                "GET", path, query=query, request_timeout=self.settings.list_timeout
            )
            for item in page.get("items") or []:
                if isinstance(item, dict):
                    item.setdefault("apiVersion", self.resource.api_version)
                    item.setdefault("kind", self.resource.kind)
                    items.append(item)
            meta = page.get("metadata") or {}
            list_rv = str(meta.get("resourceVersion") or list_rv)
            token = meta.get("continue") or None
            if not token:
                break
        self.lists += 1
        self.sink.replace(self.resource, items, namespace=self.namespace)
        if self.metrics is not None:
            self.metrics.watch_events.labels(
                controller=self.metrics.controller, resource=self.resource.name, type="LISTED"
            ).inc(len(items))
        log.debug("listed", resource=self.name, count=len(items), resource_version=list_rv)
        return list_rv

    async def _watch(self) -> None:
        low, high = self.settings.server_timeout
        server_timeout = int(self.rng.uniform(low, high))
        query = self._query(
            watch=True,
            allowWatchBookmarks=True,
            resourceVersion=self.resource_version,
            timeoutSeconds=server_timeout,
        )
        inactivity = self.settings.inactivity_timeout
        loop = asyncio.get_running_loop()
        async with self.client.stream(
            self.resource.path(namespace=self.namespace),
            query=query,
            total_timeout=server_timeout + inactivity,
        ) as response:
            self.connected = True
            self.last_activity = loop.time()
            watchdog = asyncio.timeout(inactivity)
            try:
                async with watchdog:
                    while True:
                        try:
                            line = await response.content.readline()
                        except (aiohttp.ClientError, OSError) as exc:
                            raise _Cut(f"{type(exc).__name__}: {exc}") from exc
                        if not line:
                            return
                        self.last_activity = loop.time()
                        watchdog.reschedule(self.last_activity + inactivity)
                        if line.strip():
                            self._handle(line)
            except TimeoutError:
                if watchdog.expired():
                    raise _Stalled from None
                raise

    def _handle(self, line: bytes) -> None:
        try:
            event = json.loads(line)
            kind = event["type"]
            obj = event["object"]
        except (ValueError, KeyError, TypeError) as exc:
            raise _Malformed(f"unreadable watch line: {line[:120]!r}") from exc
        if not isinstance(obj, dict):
            raise _Malformed(f"watch event {kind!r} without an object")
        if kind == "ERROR":
            raise ApiError(
                int(obj.get("code") or 500),
                reason=str(obj.get("reason", "")),
                message=str(obj.get("message", "")),
            )
        if self.metrics is not None:
            self.metrics.watch_events.labels(
                controller=self.metrics.controller, resource=self.resource.name, type=kind
            ).inc()
        if kind in ("ADDED", "MODIFIED"):
            self.sink.upsert(self.resource, obj)
        elif kind == "DELETED":
            self.sink.delete(self.resource, obj)
        elif kind != "BOOKMARK":
            log.warning("unknown watch event type ignored", resource=self.name, type=kind)
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self.resource_version = str(rv)
