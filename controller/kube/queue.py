"""A deduplicating, debounced, rate-limited work queue of keys (client-go's workqueue, plus a debounce).

Contract (the client-go workqueue's, ``util/workqueue/doc.go``):
- *Stingy*: a key that is waiting or ready is held once however often it is added; a key is never handed to
  two workers at once; a key added while a worker holds it is handed out once more after ``done(key)``.
- *Fair*: ready keys are handed out in the order they became ready.
- *Debounce*: ``add(key)`` makes a key ready after a quiet window (``debounce``, default 100 ms) without
  further adds, and at most ``max_delay`` (default 1 s) after the first add of the burst, so a burst of
  changes costs one reconcile. ``add_after(key, delay)`` schedules it; ``add_rate_limited(key)`` schedules it
  after ``max(per-key backoff, global token bucket delay)``: the backoff is 5 ms * 2^failures up to 1000 s,
  the bucket 10 keys/s with a burst of 100 (``DefaultTypedControllerRateLimiter``); ``forget(key)`` resets the
  backoff.
- A key has one waiting entry: when its earliest time comes it becomes ready and the entry is gone, so a later
  scheduled time of the same entry (say, a backoff) is subsumed by the earlier run. Reconciles are
  level-triggered: that run decides its own next requeue. (client-go would run the key twice.)
- ``shutdown()`` stops handing out keys at once (``get`` raises ``QueueShutDown``), drops waiting and ready
  keys and ignores adds; ``drain()`` returns when no key is held by a worker any more.
- Time is the event loop's clock, so the queue runs under a fake loop clock (looptime) in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from controller.metrics import WorkqueueMetrics

K = TypeVar("K", bound=Hashable)

# A timer may run a hair before its deadline (the loop's clock resolution); within this it counts as due.
_DUE_TOLERANCE = 1e-3


class QueueShutDown(Exception):
    """The queue is shut down: no more keys will be handed out."""


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    debounce: float = 0.1
    """Quiet window after the last ``add`` before a key becomes ready (seconds)."""
    max_delay: float = 1.0
    """Longest a key waits after the first ``add`` of a burst, however busy the burst (seconds)."""
    backoff_base: float = 0.005
    """Delay of the first rate-limited re-add of a key (client-go: 5 ms)."""
    backoff_max: float = 1000.0
    """Cap of the per-key exponential backoff (client-go: 1000 s)."""
    rate: float = 10.0
    """Sustained rate of rate-limited re-adds over all keys (client-go: 10/s)."""
    burst: int = 100
    """Rate-limited re-adds allowed at once before the rate applies (client-go: 100)."""


def backoff_delay(failures: int, *, base: float, cap: float) -> float:
    """Delay before retry number ``failures + 1``: ``base * 2**failures``, at most ``cap``."""
    if failures >= 64:
        return cap
    return min(base * 2.0**failures, cap)


def debounced_at(*, first: float, last: float, quiet: float, max_delay: float) -> float:
    """When a burst of adds (first at ``first``, latest at ``last``) makes its key ready."""
    return min(last + quiet, first + max_delay)


class TokenBucket:
    """A token bucket that grants every reservation and says how long to wait for it (``rate.Limiter``)."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None

    def reserve(self, now: float) -> float:
        """Take a token; the delay until it is actually available (0 while the burst lasts)."""
        if self._last is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def allow(self, now: float) -> bool:
        """Take a token only if one is available now."""
        if self.reserve(now) == 0.0:
            return True
        self._tokens += 1.0  # a refused request does not use up the allowance
        return False


@dataclass
class _Waiting:
    burst_first: float | None = None
    burst_last: float = 0.0
    scheduled: float | None = None
    timer: asyncio.TimerHandle | None = None
    timer_at: float = 0.0

    def due(self, settings: QueueSettings) -> float:
        times = [] if self.scheduled is None else [self.scheduled]
        if self.burst_first is not None:
            times.append(
                debounced_at(
                    first=self.burst_first,
                    last=self.burst_last,
                    quiet=settings.debounce,
                    max_delay=settings.max_delay,
                )
            )
        return min(times)


class WorkQueue(Generic[K]):
    """Keys to work on; see the module docstring for the contract."""

    def __init__(
        self,
        *,
        name: str = "",
        settings: QueueSettings | None = None,
        metrics: WorkqueueMetrics | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or QueueSettings()
        self._metrics = metrics
        self._bucket = TokenBucket(rate=self.settings.rate, burst=self.settings.burst)
        self._waiting: dict[K, _Waiting] = {}
        self._ready: deque[K] = deque()
        self._dirty: set[K] = set()
        self._ready_since: dict[K, float] = {}
        self._processing: dict[K, float] = {}
        self._failures: dict[K, int] = {}
        self._getters: deque[asyncio.Future[None]] = deque()
        self._idle = asyncio.Event()
        self._idle.set()
        self._shut_down = False
        self._loop: asyncio.AbstractEventLoop | None = None
        if metrics is not None:
            metrics.track_processing(self._unfinished_seconds, self._longest_seconds)

    # -- adding ---------------------------------------------------------------------------------------------

    def add(self, key: K) -> None:
        """Make ``key`` ready after the debounce window (nothing if it is already ready)."""
        if self._shut_down or key in self._dirty:
            return
        now = self._now()
        entry = self._waiting.get(key)
        if entry is None:
            entry = self._waiting[key] = _Waiting()
        if entry.burst_first is None:
            entry.burst_first = now
        entry.burst_last = now
        self._arm(key, entry, now)

    def add_after(self, key: K, delay: float) -> None:
        """Make ``key`` ready in ``delay`` seconds (at once when ``delay <= 0``); the earliest time wins."""
        if self._shut_down:
            return
        if delay <= 0:
            self._make_ready(key)
            return
        now = self._now()
        entry = self._waiting.get(key)
        if entry is None:
            entry = self._waiting[key] = _Waiting()
        at = now + delay
        entry.scheduled = at if entry.scheduled is None else min(entry.scheduled, at)
        self._arm(key, entry, now)

    def add_rate_limited(self, key: K) -> None:
        """Retry ``key`` after its exponential backoff, within the global token bucket."""
        if self._shut_down:
            return
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay = max(
            backoff_delay(failures, base=self.settings.backoff_base, cap=self.settings.backoff_max),
            self._bucket.reserve(self._now()),
        )
        if self._metrics is not None:
            self._metrics.retried()
        self.add_after(key, delay)

    def forget(self, key: K) -> None:
        """Reset the backoff of ``key`` (call after it was processed successfully)."""
        self._failures.pop(key, None)

    def num_requeues(self, key: K) -> int:
        """How many rate-limited re-adds ``key`` had since it was last forgotten."""
        return self._failures.get(key, 0)

    # -- taking ---------------------------------------------------------------------------------------------

    async def get(self) -> K:
        """The next ready key, now held by the caller until ``done(key)``; raises ``QueueShutDown``."""
        while True:
            if self._shut_down:
                raise QueueShutDown
            if self._ready:
                break
            waiter: asyncio.Future[None] = self._loop_().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                with contextlib.suppress(ValueError):
                    self._getters.remove(waiter)
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # hand our wake-up to another getter
                raise
        key = self._ready.popleft()
        self._dirty.discard(key)
        now = self._now()
        self._processing[key] = now
        self._idle.clear()
        if self._metrics is not None:
            self._metrics.taken(len(self._ready), now - self._ready_since.pop(key, now))
        return key

    def done(self, key: K) -> None:
        """Release ``key``; if it was added meanwhile it becomes ready again."""
        started = self._processing.pop(key, None)
        if started is None:
            return
        if self._metrics is not None:
            self._metrics.finished(self._now() - started)
        if key in self._dirty and not self._shut_down:
            self._ready.append(key)
            self._wake_one()
        if not self._processing:
            self._idle.set()

    # -- lifecycle ------------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop handing out keys; waiting and ready keys are dropped, later adds ignored."""
        self._shut_down = True
        for entry in self._waiting.values():
            if entry.timer is not None:
                entry.timer.cancel()
        self._waiting.clear()
        self._ready.clear()
        self._dirty.clear()
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)

    async def drain(self) -> None:
        """Wait until no key is held by a worker."""
        await self._idle.wait()

    @property
    def shutting_down(self) -> bool:
        return self._shut_down

    def __len__(self) -> int:
        """Keys ready and not yet taken (``workqueue_depth``)."""
        return len(self._ready)

    @property
    def waiting(self) -> int:
        """Keys scheduled for later (debounced, delayed, or backing off)."""
        return len(self._waiting)

    @property
    def processing(self) -> frozenset[K]:
        return frozenset(self._processing)

    def oldest_processing(self) -> float:
        """Seconds the longest-held key has been held (0 when none)."""
        return self._longest_seconds()

    # -- internals ------------------------------------------------------------------------------------------

    def _loop_(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _now(self) -> float:
        return self._loop_().time()

    def _arm(self, key: K, entry: _Waiting, now: float) -> None:
        due = entry.due(self.settings)
        if due - now <= _DUE_TOLERANCE:
            self._make_ready(key)
            return
        # A timer set earlier than needed stays: when it fires it re-arms for the later time. Only an earlier
        # deadline needs a new timer; this keeps a burst of adds from piling cancelled timers on the loop.
        if entry.timer is not None and entry.timer_at <= due + _DUE_TOLERANCE:
            return
        if entry.timer is not None:
            entry.timer.cancel()
        entry.timer_at = due
        entry.timer = self._loop_().call_at(due, self._fire, key)

    def _fire(self, key: K) -> None:
        entry = self._waiting.get(key)
        if entry is None:
            return
        entry.timer = None
        self._arm(key, entry, self._now())

    def _make_ready(self, key: K) -> None:
        entry = self._waiting.pop(key, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()
        if key in self._dirty:
            return
        self._dirty.add(key)
        self._ready_since[key] = self._now()
        if key not in self._processing:
            self._ready.append(key)
            self._wake_one()
        if self._metrics is not None:
            self._metrics.added(len(self._ready))

    def _wake_one(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    def _unfinished_seconds(self) -> float:
        if not self._processing or self._loop is None:
            return 0.0
        now = self._now()
        return sum(now - started for started in self._processing.values())

    def _longest_seconds(self) -> float:
        if not self._processing or self._loop is None:
            return 0.0
        return self._now() - min(self._processing.values())
