"""Kubernetes Events on objects, with repeats aggregated so that a crash loop does not flood the API.

Contract:
- ``record(obj, type=..., reason=..., message=...)`` returns at once; a background task (``run``) writes.
  The message is redacted (``logs.redact_text``) and cut to 1 024 characters: secrets never reach an Event.
- A *series* is one (involved object, type, reason, message). Its first occurrence creates a core/v1 Event
  (``count: 1``). Repeats within ``series_window`` only count up locally; the Event's ``count`` and
  ``lastTimestamp`` are patched at most once per ``update_interval``, carrying every repeat since the last
  write (client-go's EventCorrelator patches each repeat). A repeat after the window starts a new series.
- Per involved object, new series are limited by a token bucket (client-go's spam filter: burst 25, one more
  every 5 min); a series beyond it is dropped and counted.
- If the Event to patch is gone (the API server expires Events after an hour), a new one is created with the
  current count. Write failures are logged and counted, never raised; pending writes are bounded: what goes
  beyond is dropped and counted, with one warning per ``drop_log_interval`` carrying how many (a burst of
  actors dropped hundreds, and a log line each cost more than the Event it was about).
- Up to ``writers`` Events are written at once (a series is never written by two at a time): a burst of new
  actors brings a couple of Events each, and one write at a time fell behind and dropped hundreds.
- ``flush()`` writes what is pending now (at shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from controller.kube.client import MERGE_PATCH, ApiError, KubeClient
from controller.kube.queue import TokenBucket
from controller.kube.resources import Obj
from controller.logs import get_logger, redact_text
from controller.metrics import Metrics

EventType = Literal["Normal", "Warning"]
SeriesKey = tuple[str, str, str, str, str, str]

log = get_logger(__name__)

MAX_MESSAGE = 1024


@dataclass(frozen=True, kw_only=True)
class EventSettings:
    component: str = "controller"
    """``source.component`` and ``reportingComponent`` of every Event."""
    instance: str = ""
    """``source.host`` and ``reportingInstance`` (the pod name, say)."""
    series_window: float = 600.0
    """Repeats within this many seconds of the last one add to the same Event (seconds)."""
    update_interval: float = 30.0
    """Shortest time between two writes of one series (seconds)."""
    burst: int = 25
    """New series per involved object allowed at once."""
    refill: float = 300.0
    """Seconds until the per-object allowance grows by one again."""
    max_pending: int = 1000
    """Writes waiting for the writers beyond this are dropped."""
    writers: int = 4
    """Events written at once."""
    drop_log_interval: float = 10.0
    """Shortest time between two warnings about dropped writes (seconds)."""
    request_timeout: float = 10.0


def micro_time(at: float) -> str:
    """``at`` (seconds since the epoch) as a Kubernetes timestamp, second precision (``…Z``)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference(obj: Obj) -> Obj:
    """The ``involvedObject`` reference of ``obj`` (apiVersion, kind, namespace, name, uid)."""
    meta = obj.get("metadata") or {}
    ref = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "uid": meta.get("uid", ""),
    }
    return {key: value for key, value in ref.items() if value}


def _object_id(ref: Obj) -> str:
    return str(ref.get("uid") or f"{ref.get('kind')}/{ref.get('namespace')}/{ref.get('name')}")


@dataclass
class Series:
    """What is known of one aggregated Event."""

    ref: Obj
    type: EventType
    reason: str
    message: str
    name: str
    first: float
    last: float
    count: int = 1
    written_count: int = 0
    written_at: float | None = None
    created: bool = False
    pending: bool = False


@dataclass
class Aggregator:
    """The pure bookkeeping of series: which observation needs which write, and when."""

    settings: EventSettings
    series: dict[SeriesKey, Series] = field(default_factory=dict)
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def observe(
        self, ref: Obj, *, type: EventType, reason: str, message: str, now: float
    ) -> tuple[Literal["write", "wait", "drop"], Series | None]:
        """Count one occurrence: ``write`` when its series is due for a write, ``wait`` when a write is
        pending or not yet allowed, ``drop`` when the object used up its allowance of new series."""
        obj_key = _object_id(ref)
        key: SeriesKey = (obj_key, ref.get("kind", ""), ref.get("name", ""), type, reason, message)
        series = self.series.get(key)
        if series is not None and now - series.last <= self.settings.series_window:
            series.count += 1
            series.last = now
            if series.pending or not self.due(series, now):
                return "wait", series
            return "write", series
        bucket = self.buckets.get(obj_key)
        if bucket is None:
            bucket = self.buckets[obj_key] = TokenBucket(
                rate=1.0 / self.settings.refill, burst=self.settings.burst
            )
        if not bucket.allow(now):
            return "drop", None
        series = Series(
            ref=ref,
            type=type,
            reason=reason,
            message=message,
            name=f"{ref.get('name', 'object')}.{time.time_ns():x}",
            first=now,
            last=now,
        )
        self.series[key] = series
        return "write", series

    def due(self, series: Series, now: float) -> bool:
        return series.written_at is None or now - series.written_at >= self.settings.update_interval

    def forget_old(self, now: float) -> None:
        """Drop series (and idle buckets) older than the window so memory stays bounded."""
        window = self.settings.series_window
        for key in [k for k, s in self.series.items() if now - s.last > window and not s.pending]:
            del self.series[key]
        if len(self.buckets) > 10 * max(1, len(self.series)):
            live = {_object_id(s.ref) for s in self.series.values()}
            self.buckets = {k: b for k, b in self.buckets.items() if k in live}


class EventRecorder:
    """Posts Events in the background; see the module docstring."""

    def __init__(
        self,
        *,
        client: KubeClient,
        settings: EventSettings | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self._clock = clock
        self.settings = settings or EventSettings()
        self.metrics = metrics
        self.aggregator = Aggregator(self.settings)
        self._writes: deque[Series] = deque()
        self._wakeup = asyncio.Event()
        self._dropped = 0
        self._drop_logged_at: float | None = None

    def record(self, obj: Obj, *, type: EventType, reason: str, message: str) -> None:
        """Note that ``reason: message`` happened to ``obj``; written soon, aggregated with its repeats."""
        clean = redact_text(message)[:MAX_MESSAGE]
        decision, series = self.aggregator.observe(
            reference(obj), type=type, reason=reason, message=clean, now=self._now()
        )
        if decision == "drop" or series is None:
            self._count("dropped")
            return
        if decision == "write":
            self._enqueue(series)

    def normal(self, obj: Obj, reason: str, message: str) -> None:
        self.record(obj, type="Normal", reason=reason, message=message)

    def warning(self, obj: Obj, reason: str, message: str) -> None:
        self.record(obj, type="Warning", reason=reason, message=message)

    async def run(self) -> None:
        """Write Events until cancelled; also writes repeats held back by ``update_interval``."""
        tick = max(0.05, min(self.settings.update_interval / 4, 5.0))
        while True:
            await self._write_pending()
            self._release_due()
            if self._writes:
                continue
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(tick):
                    await self._wakeup.wait()

    async def flush(self) -> None:
        """Write everything pending, due or not (at shutdown)."""
        for series in list(self.aggregator.series.values()):
            if series.count > series.written_count and not series.pending:
                self._enqueue(series)
        await self._write_pending()

    def _now(self) -> float:
        return self._clock()

    async def _write_pending(self) -> None:
        """Write what is queued, ``writers`` at a time; ``_write`` never raises."""
        while self._writes:
            batch = [self._writes.popleft() for _ in range(min(self.settings.writers, len(self._writes)))]
            await asyncio.gather(*(self._write(series) for series in batch))

    def _enqueue(self, series: Series) -> None:
        if len(self._writes) >= self.settings.max_pending:
            self._count("dropped")
            self._dropped += 1
            now = self._now()
            last = self._drop_logged_at
            if last is None or now - last >= self.settings.drop_log_interval:
                log.warning("too many Events pending; dropping", dropped=self._dropped, reason=series.reason)
                self._dropped, self._drop_logged_at = 0, now
            return
        series.pending = True
        self._writes.append(series)
        self._wakeup.set()

    def _release_due(self) -> None:
        now = self._now()
        for series in list(self.aggregator.series.values()):
            if (
                series.count > series.written_count
                and not series.pending
                and self.aggregator.due(series, now)
            ):
                self._enqueue(series)
        self.aggregator.forget_old(now)

    async def _write(self, series: Series) -> None:
        count, last = series.count, series.last
        try:
            if series.created:
                try:
                    await self._patch(series, count, last)
                    self._count("updated")
                except ApiError as exc:
                    if not exc.not_found:
                        raise
                    series.name = f"{series.ref.get('name', 'object')}.{time.time_ns():x}"
                    await self._create(series, count, last)
                    self._count("created")
            else:
                await self._create(series, count, last)
                series.created = True
                self._count("created")
            series.written_count = count
            series.written_at = self._now()
        except (ApiError, OSError, TimeoutError) as exc:
            self._count("failed")
            log.warning("could not write an Event", reason=series.reason, error=str(exc))
            series.written_at = self._now()  # try again after update_interval, not in a tight loop
        except Exception as exc:  # an unexpected client failure must not kill the writer
            self._count("failed")
            log.warning("could not write an Event", reason=series.reason, error=repr(exc))
            series.written_at = self._now()
        finally:
            series.pending = False

    def _namespace(self, series: Series) -> str:
        return str(series.ref.get("namespace") or "default")

    async def _create(self, series: Series, count: int, last: float) -> None:
        namespace = self._namespace(series)
        source = {"component": self.settings.component}
        if self.settings.instance:
            source["host"] = self.settings.instance
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": series.name, "namespace": namespace},
            "involvedObject": series.ref,
            "type": series.type,
            "reason": series.reason,
            "message": series.message,
            "count": count,
            "firstTimestamp": micro_time(series.first),
            "lastTimestamp": micro_time(last),
            "source": source,
            "reportingComponent": self.settings.component,
            "reportingInstance": self.settings.instance,
        }
        await self.client.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/events",
            body=body,
            request_timeout=self.settings.request_timeout,
        )

    async def _patch(self, series: Series, count: int, last: float) -> None:
        await self.client.request(
            "PATCH",
            f"/api/v1/namespaces/{self._namespace(series)}/events/{series.name}",
            body={"count": count, "lastTimestamp": micro_time(last)},
            content_type=MERGE_PATCH,
            request_timeout=self.settings.request_timeout,
        )

    def _count(self, result: str) -> None:
        if self.metrics is not None:
            self.metrics.kube_events.labels(controller=self.metrics.controller, result=result).inc()
