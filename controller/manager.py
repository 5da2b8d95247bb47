"""The manager: watchers → cache → queue → workers for one reconciler, with leader election, probes, shutdown.

Contract:
- ``Manager(client=..., primary=..., watches=[...], settings=...)`` builds one ``Cache`` store per ``Watch``
  (with its trim, indexes, retention), one supervised ``Watcher`` per watch and namespace, one ``WorkQueue``,
  an ``Applier`` and an ``EventRecorder`` that the reconciler uses (``manager.cache``, ``manager.applier``,
  ``manager.events``, ``manager.metrics``). Every change in the cache goes through its watch's ``keys`` mapper
  into the queue, except the echo of the applier's own status write (``Applier.echoes``): it tells the
  reconciler nothing it did not know, and reconciling it again would only find everything in place.
  A change of a watched CustomResourceDefinition also makes every optional watcher waiting on a resource that
  was not served try again at once (``Watcher.retry_absent``): installing KEDA is noticed in a moment.
  ``run(reconciler)`` runs until ``stop()`` (or SIGTERM/SIGINT) and returns 0.
- Workers (``max_concurrent_reconciles``) run only while leading (always, without leader election), and only
  once every cache has synced. Gaining leadership enqueues every primary key; losing it cancels the workers at
  once. Every ``resync_period`` (jittered by 10 %) every primary key is enqueued again.
- ``Reconciler.reconcile(key)`` results, as controller-runtime treats them: an exception → rate-limited retry
  (``result="error"``, logged with its traceback); ``TerminalError`` → no retry; ``Result(requeue_after=s)`` →
  forget the backoff, run again in ``s``; ``Result(requeue=True)`` → rate-limited retry; otherwise → forget
  the backoff (``result="success"``). ``reconcile_timeout`` cuts a reconcile that runs too long (an error,
  counted in ``controller_runtime_reconcile_timeouts_total``). Every log line of a reconcile carries ``key``,
  ``namespace`` and ``name``.
- ``/healthz`` fails when a watcher is wedged or its task died, a worker task died, or a reconcile has run
  longer than ``stuck_after``; ``/readyz`` succeeds once every cache has synced.
- Shutdown: stop taking keys, let in-flight reconciles finish within ``shutdown_timeout`` (then cancel them),
  stop campaigning and release the Lease, flush pending Events, stop watchers and the HTTP server, run the
  cleanups given to ``add_cleanup`` (transport sessions), close the API client.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from controller.kube.apply import DEFAULT_DIGEST_ANNOTATION, Applier
from controller.kube.backoff import Backoff
from controller.kube.cache import Cache, Change, KeyMapper, Retention, Store
from controller.kube.client import KubeClient
from controller.kube.events import EventRecorder, EventSettings
from controller.kube.leader import LeaderElector, LeaderSettings
from controller.kube.objects import IndexFn, TrimFn
from controller.kube.queue import QueueSettings, QueueShutDown, WorkQueue
from controller.kube.resources import Resource, split_key
from controller.kube.watch import Watcher, WatchSettings
from controller.logs import get_logger
from controller.metrics import Health, HttpServer, Metrics

log = get_logger(__name__)

CRD_PLURAL = "customresourcedefinitions"


@dataclass(frozen=True, slots=True)
class Result:
    """What a reconcile asks for next; the default asks for nothing."""

    requeue_after: float | None = None
    """Run the key again after this many seconds (the backoff is forgotten)."""
    requeue: bool = False
    """Run the key again after its backoff (as after an error, without counting one)."""


class TerminalError(Exception):
    """A reconcile error that retrying cannot fix; the key is not requeued."""


class Reconciler(Protocol):
    async def reconcile(self, key: str) -> Result | None: ...


@dataclass(frozen=True, kw_only=True)
class Watch:
    """One resource to watch and cache, and how its changes map to primary keys."""

    resource: Resource
    trim: TrimFn | None = None
    indexes: Mapping[str, IndexFn] = field(default_factory=dict)
    keys: KeyMapper | None = None
    """Primary keys a change concerns; ``None`` caches the resource without enqueueing anything."""
    retention: Retention | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    optional: bool = False
    """The resource may not be served (a CRD not installed): then it counts as synced and empty."""


@dataclass(frozen=True, kw_only=True)
class ManagerSettings:
    name: str = "controller"
    """The ``controller`` label of the metrics and the name of the queue."""
    field_manager: str = "controller"
    digest_annotation: str = DEFAULT_DIGEST_ANNOTATION
    max_concurrent_reconciles: int = 10
    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty means all."""
    leader: LeaderSettings | None = None
    """Lease settings; ``None`` runs without leader election."""
    metrics_bind: str | None = ":8080"
    probes_bind: str | None = ":8081"
    shutdown_timeout: float = 30.0
    """Bound on letting in-flight reconciles finish at shutdown (controller-runtime: 30 s)."""
    reconcile_timeout: float | None = None
    stuck_after: float = 600.0
    """A reconcile running longer than this fails ``/healthz`` (seconds)."""
    resync_period: float = 36000.0
    """Every primary key is enqueued again this often (controller-runtime: 10 h)."""
    handle_signals: bool = True
    queue: QueueSettings = field(default_factory=QueueSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    events: EventSettings = field(default_factory=EventSettings)


class Manager:
    """See the module docstring."""

    def __init__(
        self,
        *,
        client: KubeClient,
        primary: Resource,
        watches: Sequence[Watch],
        settings: ManagerSettings | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.client = client
        self.primary = primary
        self.settings = s = settings or ManagerSettings()
        self.metrics = metrics or Metrics(controller=s.name)
        self.cache = Cache()
        self._watches = {w.resource: w for w in watches}
        if primary not in self._watches:
            raise ValueError(f"the primary resource {primary} must be among the watches")
        self.watchers: list[Watcher] = []
        for w in watches:
            namespaces: tuple[str | None, ...] = (
                s.namespaces if s.namespaces and w.resource.namespaced else (None,)
            )
            store = self.cache.add(
                Store(
                    resource=w.resource,
                    trim=w.trim,
                    indexes=w.indexes,
                    retention=w.retention,
                    namespaces=namespaces,
                )
            )
            self.metrics.cache_objects.labels(controller=s.name, resource=w.resource.name).set_function(
                store.__len__
            )
            for namespace in namespaces:
                self.watchers.append(
                    Watcher(
                        client=client,
                        resource=w.resource,
                        sink=self.cache,
                        namespace=namespace,
                        label_selector=w.label_selector,
                        field_selector=w.field_selector,
                        settings=s.watch,
                        metrics=self.metrics,
                        optional=w.optional,
                    )
                )
        self.cache.subscribe(self._enqueue_change)
        self.queue: WorkQueue[str] = WorkQueue(
            name=s.name, settings=s.queue, metrics=self.metrics.workqueue(s.name)
        )
        self.applier = Applier(
            client=client,
            field_manager=s.field_manager,
            cache=self.cache,
            digest_annotation=s.digest_annotation,
            metrics=self.metrics,
        )
        self.events = EventRecorder(client=client, settings=s.events, metrics=self.metrics)
        self.health = Health()
        self.health.add_liveness("watchers", self._watchers_problem)
        self.health.add_liveness("workers", self._workers_problem)
        self.health.add_readiness("caches", lambda: None if self.synced else "caches not synced yet")
        self.http = HttpServer(metrics=self.metrics, health=self.health)
        self.metrics.max_concurrent.labels(controller=s.name).set(s.max_concurrent_reconciles)
        self.elector: LeaderElector | None = None
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._lead_task: asyncio.Task[None] | None = None
        self._in_flight: dict[str, float] = {}
        self._reconciler: Reconciler | None = None

    # -- public --

    @property
    def synced(self) -> bool:
        return all(w.synced.is_set() for w in self.watchers)

    @property
    def leading(self) -> bool:
        """Whether workers may run: leader election is off or this replica holds the Lease."""
        if self.settings.leader is None:
            return True
        return self.elector is not None and self.elector.is_leader

    def add_cleanup(self, cleanup: Callable[[], Awaitable[None]]) -> None:
        """Run ``cleanup`` at shutdown, after the workers stopped (close transport sessions here)."""
        self._cleanups.append(cleanup)

    def stop(self) -> None:
        """Ask ``run`` to shut down gracefully."""
        self._stop.set()

    async def wait_synced(self) -> None:
        await asyncio.gather(*(w.synced.wait() for w in self.watchers))

    def enqueue_all(self) -> None:
        """Make every primary key ready now (on gaining leadership, on resync)."""
        for key in self.cache.store(self.primary):
            self.queue.add_after(key, 0)

    async def run(self, reconciler: Reconciler) -> int:
        """Run until stopped; 0 after a clean shutdown."""
        s = self.settings
        self._reconciler = reconciler
        loop = asyncio.get_running_loop()
        handled = self._install_signals(loop) if s.handle_signals else []
        try:
            await self.http.start(metrics_bind=s.metrics_bind, probes_bind=s.probes_bind)
            for watcher in self.watchers:
                self._spawn(f"watch {watcher.name}", watcher.run)
            self._spawn("events", self.events.run)
            self._spawn("resync", self._resync)
            if any(w.retention for w in self._watches.values()):
                self._spawn("expiry", self._expire)
            if s.leader is not None:
                self.elector = LeaderElector(
                    client=self.client,
                    settings=s.leader,
                    on_started=self._start_leading,
                    on_stopped=self._stop_leading,
                    metrics=self.metrics,
                )
                self._spawn("leader election", self.elector.run)
            else:
                self._start_leading()
            await self._stop.wait()
            log.info("shutting down")
        finally:
            await self._shutdown()
            for sig in handled:
                loop.remove_signal_handler(sig)
        return 0

    # -- leadership and workers --

    def _start_leading(self) -> None:
        if self._lead_task is None or self._lead_task.done():
            self._lead_task = asyncio.create_task(self._lead(), name="lead")

    def _stop_leading(self) -> None:
        log.warning("stopping the workers: leadership lost")
        if self._lead_task is not None:
            self._lead_task.cancel()
        for worker in self._workers:
            worker.cancel()
        self._workers = []

    async def _lead(self) -> None:
        await self.wait_synced()
        if self.queue.shutting_down:
            return
        log.info("caches synced; starting workers", workers=self.settings.max_concurrent_reconciles)
        self.enqueue_all()
        self._workers = [
            asyncio.create_task(self._work(), name=f"worker {i}")
            for i in range(self.settings.max_concurrent_reconciles)
        ]

    async def _work(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self._reconcile(key)
            except Exception:  # a failure around the reconcile (not in it) must not shrink the pool
                log.exception("worker failed around a reconcile", key=key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    async def _reconcile(self, key: str) -> None:
        assert self._reconciler is not None
        s, m, loop = self.settings, self.metrics, asyncio.get_running_loop()
        namespace, name = split_key(key)
        started = loop.time()
        self._in_flight[key] = started
        m.active_workers.labels(controller=s.name).inc()
        outcome = "error"
        with structlog.contextvars.bound_contextvars(key=key, namespace=namespace, name=name):
            try:
                deadline = asyncio.timeout(s.reconcile_timeout)
                async with deadline:
                    result = await self._reconciler.reconcile(key) or Result()
            except TerminalError as exc:
                m.terminal_errors.labels(controller=s.name).inc()
                self.queue.forget(key)
                log.error("reconcile failed for good; not retrying", error=str(exc))
            except TimeoutError:
                if not deadline.expired():
                    raise
                m.reconcile_timeouts.labels(controller=s.name).inc()
                self.queue.add_rate_limited(key)
                log.error("reconcile timed out", timeout=s.reconcile_timeout)
            except Exception:
                self.queue.add_rate_limited(key)
                log.exception("reconcile failed; retrying with backoff")
            else:
                if result.requeue_after is not None and result.requeue_after > 0:
                    outcome = "requeue_after"
                    self.queue.forget(key)
                    self.queue.add_after(key, result.requeue_after)
                elif result.requeue:
                    outcome = "requeue"
                    self.queue.add_rate_limited(key)
                else:
                    outcome = "success"
                    self.queue.forget(key)
            finally:
                self._in_flight.pop(key, None)
                m.active_workers.labels(controller=s.name).dec()
                m.reconcile_time.labels(controller=s.name).observe(loop.time() - started)
        if outcome == "error":
            m.reconcile_errors.labels(controller=s.name).inc()
        m.reconcile_total.labels(controller=s.name, result=outcome).inc()

    # -- background --

    def _enqueue_change(self, change: Change) -> None:
        if change.resource.group == "apiextensions.k8s.io" and change.resource.plural == CRD_PLURAL:
            # A CRD appeared or became established: resources that were not served may be now.
            for watcher in self.watchers:
                if watcher.optional:
                    watcher.retry_absent()
        mapper = self._watches[change.resource].keys
        if mapper is not None and not self.applier.echoes(change):
            for key in mapper(change, self.cache):
                self.queue.add(key)

    async def _resync(self) -> None:
        period = self.settings.resync_period
        while True:
            await asyncio.sleep(period * random.uniform(0.9, 1.1))
            if self.leading and self.synced:
                log.info("resync: enqueueing every primary key")
                self.enqueue_all()

    async def _expire(self) -> None:
        ages = [w.retention.max_age for w in self._watches.values() if w.retention is not None]
        interval = max(1.0, min(60.0, min(ages) / 10))
        while True:
            await asyncio.sleep(interval)
            self.cache.expire()

    def _spawn(self, name: str, target: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks[name] = asyncio.create_task(self._supervise(name, target), name=name)

    async def _supervise(self, name: str, target: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``target`` forever: whatever ends it (other than cancellation) restarts it after a backoff."""
        backoff = Backoff()
        loop = asyncio.get_running_loop()
        while True:
            try:
                await target()
                log.error("background task ended unexpectedly; restarting", task=name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task crashed; restarting", task=name)
            await asyncio.sleep(backoff.next(loop.time()))

    # -- health --

    def _watchers_problem(self) -> str | None:
        problems = [p for w in self.watchers if (p := w.problem())]
        problems += [f"task {name!r} has ended" for name, task in self._tasks.items() if task.done()]
        return "; ".join(problems) or None

    def _workers_problem(self) -> str | None:
        dead = sum(w.done() for w in self._workers)
        if dead and not self.queue.shutting_down:
            return f"{dead} worker task(s) ended"
        if not self._in_flight:
            return None
        now = asyncio.get_running_loop().time()
        key, started = min(self._in_flight.items(), key=lambda item: item[1])
        if now - started > self.settings.stuck_after:
            return f"reconcile of {key} running for {now - started:.0f}s"
        return None

    # -- shutdown --

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> list[signal.Signals]:
        handled = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stop)
                handled.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such support
                log.debug("cannot handle a signal here", signal=sig.name)
        return handled

    async def _shutdown(self) -> None:
        s = self.settings
        self.queue.shutdown()
        if self._lead_task is not None:
            self._lead_task.cancel()
        workers = list(self._workers)
        if workers:
            _, pending = await asyncio.wait(workers, timeout=s.shutdown_timeout)
            if pending:
                log.warning("in-flight reconciles cut at the shutdown bound", count=len(pending))
                await _cancel(pending)
        self._workers = []
        elector_task = self._tasks.pop("leader election", None)
        if elector_task is not None:
            await _cancel([elector_task])
        if self.elector is not None:
            await self.elector.release()
        events_task = self._tasks.pop("events", None)
        if events_task is not None:
            await _cancel([events_task])
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(5.0, s.shutdown_timeout)):
                await self.events.flush()
        await _cancel(list(self._tasks.values()))
        self._tasks.clear()
        await self.http.stop()
        for cleanup in self._cleanups:
            try:
                await cleanup()
            except Exception:
                log.exception("cleanup failed")
        await self.client.close()
        log.info("stopped")


async def _cancel(tasks: Iterable[asyncio.Task[Any]]) -> None:
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
