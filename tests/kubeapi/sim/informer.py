"""List-then-watch caches and a deduplicating work queue, the way client-go's informers and workqueue work.

An `Informer` lists a resource, then watches from the list's resourceVersion; it resumes a closed watch from
the last version it saw (bookmarks included) and relists on 410 Gone, reporting the difference as events, so
its handlers see every change exactly as a controller built on client-go would. Handlers are plain functions
called on the event loop: they only read the cache and add keys to queues. Cached objects are kept without
`metadata.managedFields` (the transform controller-runtime applies to save memory).

A `WorkQueue` holds each key at most once; a key added while it is being processed is processed again
afterwards; `add_after` schedules with the event loop's timer (no polling); failures are retried with
per-key exponential back-off (5 ms doubling, capped at `max_retry_delay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from tests.kubeapi.sim.client import Kube, Resource, WatchExpired

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Key = tuple[str, str]
Handler = Callable[[str, Obj, Obj | None], None]  # (ADDED|MODIFIED|DELETED, object, previous)
K = TypeVar("K", bound=Hashable)


def key_of(obj: Mapping[str, Any]) -> Key:
    metadata = obj["metadata"]
    return (metadata.get("namespace") or "", metadata["name"])


class Informer:
    """A cache of one resource kept current by a watch, with handlers and secondary indexes."""

    def __init__(self, kube: Kube, resource: Resource, *, namespace: str | None = None) -> None:
        self.kube = kube
        self.resource = resource
        self.namespace = namespace
        self.cache: dict[Key, Obj] = {}
        self.synced = asyncio.Event()
        self._handlers: list[Handler] = []
        self._indexes: dict[str, tuple[Callable[[Obj], Iterable[str]], dict[str, set[Key]]]] = {}

    def on_change(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def add_index(self, name: str, values: Callable[[Obj], Iterable[str]]) -> None:
        index: dict[str, set[Key]] = {}
        for key, obj in self.cache.items():
            for value in values(obj):
                index.setdefault(value, set()).add(key)
        self._indexes[name] = (values, index)

    def by_index(self, name: str, value: str) -> list[Obj]:
        keys = self._indexes[name][1].get(value, ())
        return [self.cache[key] for key in keys if key in self.cache]

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.cache.get((namespace, name))

    def items(self) -> list[Obj]:
        return list(self.cache.values())

    def _apply(self, kind: str, obj: Obj) -> None:
        obj["metadata"].pop("managedFields", None)
        key = key_of(obj)
        previous = self.cache.get(key)
        if kind == "DELETED":
            self.cache.pop(key, None)
        else:
            self.cache[key] = obj
        for values, index in self._indexes.values():
            if previous is not None:
                for value in values(previous):
                    index.get(value, set()).discard(key)
            if kind != "DELETED":
                for value in values(obj):
                    index.setdefault(value, set()).add(key)
        for handler in self._handlers:
            try:
                handler(kind, obj, previous)
            except Exception:
                log.exception("handler failed for %s %s/%s", kind, *key)

    async def _relist(self) -> str:
        items, version = await self.kube.list(self.resource, self.namespace)
        seen = set()
        for obj in items:
            obj.setdefault("apiVersion", self.resource.api_version)
            obj.setdefault("kind", self.resource.kind)
            seen.add(key_of(obj))
            old = self.cache.get(key_of(obj))
            if old is None or old["metadata"].get("resourceVersion") != obj["metadata"].get(
                "resourceVersion"
            ):
                self._apply("MODIFIED" if old is not None else "ADDED", obj)
        for key in list(self.cache.keys() - seen):
            self._apply("DELETED", self.cache[key])
        return version

    async def run(self) -> None:
        version = ""
        failures = 0
        while True:
            try:
                if not version:
                    version = await self._relist()
                    self.synced.set()
                async for event in self.kube.watch(self.resource, self.namespace, resource_version=version):
                    obj = event["object"]
                    version = str(obj.get("metadata", {}).get("resourceVersion") or version)
                    if event["type"] != "BOOKMARK":
                        obj.setdefault("apiVersion", self.resource.api_version)
                        obj.setdefault("kind", self.resource.kind)
                        self._apply(event["type"], obj)
                failures = 0
            except WatchExpired:
                version = ""
            except Exception as error:  # a broken stream surfaces as aiohttp's, OSError or ApiError
                failures += 1
                log.debug("watch of %s failed (%r); retrying", self.resource.plural, error)
                await asyncio.sleep(min(0.05 * 2**failures, 5.0))
                if failures > 3:
                    version = ""


class WorkQueue(Generic[K]):
    """Keys to reconcile, each at most once in the queue, handled by a few concurrent workers."""

    def __init__(
        self,
        name: str,
        handler: Callable[[K], Awaitable[None]],
        *,
        workers: int = 4,
        max_retry_delay: float = 30.0,
    ) -> None:
        self.name = name
        self._handler = handler
        self._workers = workers
        self._max_retry_delay = max_retry_delay
        self._queue: asyncio.Queue[K] = asyncio.Queue()
        self._queued: set[K] = set()
        self._processing: set[K] = set()
        self._dirty: set[K] = set()
        self._timers: dict[K, asyncio.TimerHandle] = {}
        self._failures: dict[K, int] = {}

    def add(self, key: K) -> None:
        if key in self._processing:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def add_after(self, key: K, delay: float) -> None:
        """Adds the key after `delay` seconds; an earlier pending timer for the key wins."""
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + delay
        timer = self._timers.get(key)
        if timer is not None and not timer.cancelled() and timer.when() <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = loop.call_at(when, self._fire, key)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def forget(self, key: K) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self._failures.pop(key, None)

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            self._processing.add(key)
            try:
                await self._handler(key)
                self._failures.pop(key, None)
            except Exception as error:
                count = self._failures.get(key, 0) + 1
                self._failures[key] = count
                log.debug("%s: %r failed (%r), retry %d", self.name, key, error, count)
                self.add_after(key, min(0.005 * 2**count, self._max_retry_delay))
            finally:
                self._processing.discard(key)
                if key in self._dirty:
                    self._dirty.discard(key)
                    self.add(key)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._work(), name=f"{self.name}-{i}") for i in range(self._workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for timer in self._timers.values():
                timer.cancel()
