"""Events as the cluster's components record them, sent in the background.

Two recorders, as in client-go; both end up in the one Event storage the controller watches through core/v1:
- the legacy recorder (kubelet, workload controllers, HPA, KEDA; client-go `tools/record`): `source`
  {component, host}, `firstTimestamp`/`lastTimestamp`, `count`, `reportingComponent`/`reportingInstance`,
  `eventTime: null`; an event identical in source, object, type, reason and message to one sent in the last
  10 minutes is not sent again: its `count` and `lastTimestamp` are patched (`EventCorrelator`'s
  aggregation, which remembers the last 4096 series, least recently used first out). The spam filter
  allows a burst of 25 events per source and object, refilled one per 5 min.
- the events.k8s.io/v1 recorder (the scheduler) writes through events.k8s.io/v1: `eventTime`
  (microseconds), `regarding`, `note`, `action`, `reportingController`/`reportingInstance`; repeats become a
  `series` {count, lastObservedTime}. Read through core/v1 (one storage, as on a real server) these have an
  empty `source` and no `firstTimestamp`/`lastTimestamp`/`count`.

Simplifications: similar-but-not-identical events are not combined (`(combined from similar events)`), and
the spam filter's refill period is multiplied by the cluster's `backoff_scale` so that compressed tests see
the proportions of real time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.kubeapi.sim.client import EVENTS, EVENTS_V1, ApiError, Kube
from tests.kubeapi.sim.informer import WorkQueue
from tests.kubeapi.sim.naming import event_name

log = logging.getLogger(__name__)

AGGREGATION_WINDOW = 600.0
SPAM_BURST = 25
SPAM_REFILL = 300.0
MAX_ATTEMPTS = 12
CACHE_ENTRIES = 4096


def rfc3339(moment: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if moment is None else moment, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def micro_time(moment: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if moment is None else moment, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def reference(obj: Mapping[str, Any], field_path: str | None = None) -> dict[str, Any]:
    metadata = obj["metadata"]
    ref = {
        "apiVersion": obj.get("apiVersion", "v1"),
        "kind": obj.get("kind", ""),
        "name": metadata["name"],
        "namespace": metadata.get("namespace", ""),
        "uid": metadata.get("uid", ""),
        "resourceVersion": metadata.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return ref


@dataclass(slots=True)
class _Series:
    name: str
    namespace: str
    count: int
    first: float
    last: float
    created: asyncio.Event | None  # set while the Event is being created; None once it exists


class EventRecorder:
    """Records events for one component; `record` never blocks and never fails the caller."""

    def __init__(
        self,
        kube: Kube,
        *,
        component: str,
        host: str = "",
        modern: bool = False,
        action: str = "",
        spam_refill: float = SPAM_REFILL,
        workers: int = 4,
    ) -> None:
        self.kube = kube
        self.component = component
        self.host = host
        self.modern = modern
        self._resource = EVENTS_V1 if modern else EVENTS
        self.action = action
        self._spam_refill = spam_refill
        self._series: OrderedDict[tuple[Any, ...], _Series] = OrderedDict()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._pending: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self._serial = 0
        self._sending = 0
        self._idle = asyncio.Event()
        self._last_ns = 0
        self.queue: WorkQueue[int] = WorkQueue(f"events-{component}", self._send, workers=workers)

    def _allowed(self, uid: str) -> bool:
        now = time.monotonic()
        tokens, since = self._buckets.get(uid, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - since) / self._spam_refill)
        if tokens < 1:
            self._buckets[uid] = (tokens, now)
            return False
        self._buckets[uid] = (tokens - 1, now)
        return True

    def record(
        self,
        obj: Mapping[str, Any],
        type_: str,
        reason: str,
        message: str,
        *,
        field_path: str | None = None,
        host: str | None = None,
        action: str | None = None,
    ) -> None:
        involved = reference(obj, field_path)
        if not self._allowed(involved["uid"] or involved["name"]):
            return
        source_host = self.host if host is None else host
        key = (involved["uid"], involved["name"], field_path, type_, reason, message, source_host)
        now = time.time()
        self._serial += 1
        self._pending[self._serial] = (
            key,
            {
                "involved": involved,
                "type": type_,
                "reason": reason,
                "message": message,
                "host": source_host,
                "now": now,
                "action": self.action if action is None else action,
            },
        )
        self.queue.add(self._serial)

    def _unique_ns(self) -> int:
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        return self._last_ns

    def _body(self, item: Mapping[str, Any], name: str) -> dict[str, Any]:
        involved = item["involved"]
        metadata = {"name": name, "namespace": involved["namespace"] or "default"}
        if self.modern:
            return {
                "apiVersion": "events.k8s.io/v1",
                "kind": "Event",
                "metadata": metadata,
                "eventTime": micro_time(item["now"]),
                "regarding": involved,
                "reason": item["reason"],
                "note": item["message"],
                "type": item["type"],
                "action": item["action"],
                "reportingController": self.component,
                "reportingInstance": f"{self.component}-{item['host'] or 'sim'}",
            }
        source = {"component": self.component}
        if item["host"]:
            source["host"] = item["host"]
        stamp = rfc3339(item["now"])
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": metadata,
            "involvedObject": involved,
            "reason": item["reason"],
            "message": item["message"],
            "type": item["type"],
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": item["host"],
        }

    async def _send(self, serial: int) -> None:
        entry = self._pending.pop(serial, None)
        if entry is None:
            return
        self._sending += 1
        try:
            await self._write(serial, *entry)
        finally:
            self._sending -= 1
            if not self.backlog:
                self._idle.set()

    async def _write(self, serial: int, key: tuple[Any, ...], item: dict[str, Any]) -> None:
        series = self._series.get(key)
        now = item["now"]
        if series is not None and now - series.last < AGGREGATION_WINDOW:
            self._series.move_to_end(key)
            if series.created is not None:
                await series.created.wait()
            series.count += 1
            series.last = now
            patch: dict[str, Any]
            if self.modern:
                patch = {"series": {"count": series.count, "lastObservedTime": micro_time(now)}}
            else:
                patch = {"count": series.count, "lastTimestamp": rfc3339(now)}
            try:
                if await self.kube.patch(self._resource, series.namespace, series.name, patch) is not None:
                    return
            except ApiError as error:
                log.debug("event patch failed: %s", error)
        name = event_name(item["involved"]["name"], self._unique_ns())
        body = self._body(item, name)
        created = asyncio.Event()
        series = _Series(name, body["metadata"]["namespace"], 1, now, now, created)
        self._series[key] = series
        if len(self._series) > CACHE_ENTRIES:
            self._series.popitem(last=False)
        try:
            await self.kube.create(self._resource, series.namespace, body)
        except Exception as error:
            self._series.pop(key, None)
            attempts = item.get("attempts", 0) + 1
            # a namespace being deleted takes its events with it; other failures are retried a few times,
            # then dropped, as client-go's recorder does
            gone = isinstance(error, ApiError) and error.status == 404
            if not gone and attempts < MAX_ATTEMPTS:
                self._pending[serial] = (key, {**item, "attempts": attempts})
                raise
            log.debug("event dropped: %s", error)
        finally:
            series.created = None
            created.set()

    @property
    def backlog(self) -> int:
        """Events recorded but not yet written."""
        return len(self._pending) + self._sending

    async def drained(self) -> None:
        """Returns once every event recorded so far has been written (or dropped)."""
        while self.backlog:
            self._idle.clear()
            await self._idle.wait()

    def forget(self, uid: str) -> None:
        """Drops the aggregation state of an object that is gone."""
        self._buckets.pop(uid, None)
        for key in [k for k in self._series if k[0] == uid]:
            del self._series[key]

    async def run(self) -> None:
        await self.queue.run()
