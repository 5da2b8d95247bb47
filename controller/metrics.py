"""Prometheus metrics, health checks, and the HTTP server for ``/metrics``, ``/healthz`` and ``/readyz``.

Contract:
- ``Metrics`` owns one ``CollectorRegistry`` (several managers in one process never collide) and every metric
  of the machinery, with the exact controller-runtime / client-go names dashboards use:
  ``controller_runtime_reconcile_total{controller,result}`` (pre-initialised to 0 for every result),
  ``controller_runtime_reconcile_errors_total``, ``controller_runtime_terminal_reconcile_errors_total``,
  ``controller_runtime_reconcile_timeouts_total``, ``controller_runtime_reconcile_time_seconds`` (the 40
  controller-runtime buckets), ``controller_runtime_max_concurrent_reconciles``,
  ``controller_runtime_active_workers``; ``workqueue_{depth,adds_total,queue_duration_seconds,
  work_duration_seconds,unfinished_work_seconds,longest_running_processor_seconds,retries_total}{name,controller}``;
  ``rest_client_requests_total{code,method,host}``, ``rest_client_request_duration_seconds{verb,host}``;
  ``leader_election_master_status{name}``. The machinery adds its own, prefixed ``controller_``:
  ``controller_watch_restarts_total{controller,resource,cause}``, ``controller_watch_events_total{controller,
  resource,type}``, ``controller_cache_objects{controller,resource}``, ``controller_applies_total{controller,
  resource,result=done|skipped}``,
  ``controller_deletes_total{controller,resource,result=done|absent|skipped}``,
  ``controller_kube_events_total{controller,result=created|updated|dropped|failed}``.
- ``Health`` holds named liveness and readiness checks; a check returns ``None`` when fine, else the reason.
- ``HttpServer`` serves ``/metrics`` on the metrics address and ``/healthz``, ``/readyz`` (and
  ``/healthz/<check>``, ``/readyz/<check>``) on the probe address; one address may serve both. Addresses are
  ``host:port`` (``:8080`` means every interface; port 0 picks a free port); ``"0"`` or ``""`` disables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import prometheus_client
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

RECONCILE_RESULTS = ("success", "error", "requeue", "requeue_after")
RECONCILE_BUCKETS = (
    *(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    *(1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 15.0, 20.0, 25.0),
    *(30.0, 40.0, 50.0, 60.0),
)
WORKQUEUE_BUCKETS = tuple(10e-9 * 10**i for i in range(12))
REST_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class _Children:
    """A metric's ``labels(...)`` looked up once per label set: the library validates and joins the values
    on every call, and the controller asks for the same few children with every request, watch event,
    apply and reconcile (61 calls per actor while 1 000 actors converged)."""

    _memo: dict[tuple[tuple[object, ...], tuple[tuple[str, object], ...]], Any]

    def labels(self, *labelvalues: object, **labelkwargs: object) -> Any:
        memo = self.__dict__.setdefault("_memo", {})
        key = (labelvalues, tuple(labelkwargs.items()))
        child = memo.get(key)
        if child is None:
            child = memo[key] = super().labels(*labelvalues, **labelkwargs)  # type: ignore[misc]
        return child

    def remove(self, *labelvalues: Any) -> None:
        self.__dict__.pop("_memo", None)
        super().remove(*labelvalues)  # type: ignore[misc]

    def remove_by_labels(self, labels: dict[str, str]) -> None:
        self.__dict__.pop("_memo", None)
        super().remove_by_labels(labels)  # type: ignore[misc]

    def clear(self) -> None:
        self.__dict__.pop("_memo", None)
        super().clear()  # type: ignore[misc]


class _Counter(_Children, Counter):
    pass


class _Gauge(_Children, Gauge):
    pass


class _Histogram(_Children, Histogram):
    pass


class WorkqueueMetrics:
    """The ``workqueue_*`` series of one queue; the queue calls these as things happen."""

    def __init__(self, metrics: Metrics, name: str) -> None:
        labels = {"name": name, "controller": metrics.controller}
        self._depth = metrics.workqueue_depth.labels(**labels)
        self._adds = metrics.workqueue_adds.labels(**labels)
        self._queued = metrics.workqueue_queue_duration.labels(**labels)
        self._worked = metrics.workqueue_work_duration.labels(**labels)
        self._retries = metrics.workqueue_retries.labels(**labels)
        self._unfinished = metrics.workqueue_unfinished.labels(**labels)
        self._longest = metrics.workqueue_longest.labels(**labels)

    def added(self, depth: int) -> None:
        self._adds.inc()
        self._depth.set(depth)

    def taken(self, depth: int, waited: float) -> None:
        self._depth.set(depth)
        self._queued.observe(waited)

    def finished(self, worked: float) -> None:
        self._worked.observe(worked)

    def retried(self) -> None:
        self._retries.inc()

    def track_processing(self, unfinished: Callable[[], float], longest: Callable[[], float]) -> None:
        """Compute the two in-flight gauges at scrape time from the queue's own bookkeeping."""
        self._unfinished.set_function(unfinished)
        self._longest.set_function(longest)


class Metrics:
    """Every metric of the machinery, in one registry, labelled with ``controller``."""

    def __init__(self, *, controller: str, registry: CollectorRegistry | None = None) -> None:
        self.controller = controller
        self.registry = registry or CollectorRegistry()
        counter, gauge, histogram = self._counter, self._gauge, self._histogram
        c, q = ("controller",), ("name", "controller")
        self.reconcile_total = counter(
            "controller_runtime_reconcile_total", "Reconciles by result.", *c, "result"
        )
        self.reconcile_errors = counter("controller_runtime_reconcile_errors_total", "Reconcile errors.", *c)
        self.terminal_errors = counter(
            "controller_runtime_terminal_reconcile_errors_total", "Terminal reconcile errors.", *c
        )
        self.reconcile_timeouts = counter(
            "controller_runtime_reconcile_timeouts_total", "Reconciles cut by their timeout.", *c
        )
        self.reconcile_time = histogram(
            "controller_runtime_reconcile_time_seconds", "Time per reconcile.", RECONCILE_BUCKETS, *c
        )
        self.max_concurrent = gauge(
            "controller_runtime_max_concurrent_reconciles", "Most reconciles at once.", *c
        )
        self.active_workers = gauge("controller_runtime_active_workers", "Workers reconciling now.", *c)
        for result in RECONCILE_RESULTS:
            self.reconcile_total.labels(controller=controller, result=result)
        for metric in (
            self.reconcile_errors,
            self.terminal_errors,
            self.reconcile_timeouts,
            self.active_workers,
        ):
            metric.labels(controller=controller)
        self.workqueue_depth = gauge("workqueue_depth", "Keys ready and waiting for a worker.", *q)
        self.workqueue_adds = counter("workqueue_adds_total", "Keys made ready.", *q)
        self.workqueue_queue_duration = histogram(
            "workqueue_queue_duration_seconds", "Time a key waits ready for a worker.", WORKQUEUE_BUCKETS, *q
        )
        self.workqueue_work_duration = histogram(
            "workqueue_work_duration_seconds", "Time a worker holds a key.", WORKQUEUE_BUCKETS, *q
        )
        self.workqueue_unfinished = gauge(
            "workqueue_unfinished_work_seconds", "Seconds of work in progress.", *q
        )
        self.workqueue_longest = gauge(
            "workqueue_longest_running_processor_seconds", "Age of the longest key in progress.", *q
        )
        self.workqueue_retries = counter("workqueue_retries_total", "Rate-limited re-adds.", *q)
        self.rest_requests = counter("rest_client_requests_total", "API requests.", "code", "method", "host")
        self.rest_duration = histogram(
            "rest_client_request_duration_seconds", "API request latency.", REST_BUCKETS, "verb", "host"
        )
        self.leader_status = gauge("leader_election_master_status", "1 while holding the lease.", "name")
        self.watch_restarts = counter(
            "controller_watch_restarts_total", "Watch streams restarted.", *c, "resource", "cause"
        )
        self.watch_events = counter(
            "controller_watch_events_total", "Watch events received.", *c, "resource", "type"
        )
        self.cache_objects = gauge("controller_cache_objects", "Objects held in the cache.", *c, "resource")
        self.applies = counter(
            "controller_applies_total", "Applies done or skipped.", *c, "resource", "result"
        )
        self.deletes = counter(
            "controller_deletes_total", "Deletes done, absent, skipped.", *c, "resource", "result"
        )
        self.kube_events = counter(
            "controller_kube_events_total", "Kubernetes Events written or not.", *c, "result"
        )

    def _counter(self, name: str, doc: str, *labels: str) -> Counter:
        return _Counter(name, doc, labels, registry=self.registry)

    def _gauge(self, name: str, doc: str, *labels: str) -> Gauge:
        return _Gauge(name, doc, labels, registry=self.registry)

    def _histogram(self, name: str, doc: str, buckets: tuple[float, ...], *labels: str) -> Histogram:
        return _Histogram(name, doc, labels, buckets=buckets, registry=self.registry)

    def workqueue(self, name: str) -> WorkqueueMetrics:
        return WorkqueueMetrics(self, name)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return prometheus_client.generate_latest(self.registry)


Check = Callable[[], str | None]


@dataclass
class Health:
    """Named checks; ``None`` from a check means healthy, a string is the reason it is not."""

    liveness: dict[str, Check] = field(default_factory=dict)
    readiness: dict[str, Check] = field(default_factory=dict)

    def add_liveness(self, name: str, check: Check) -> None:
        self.liveness[name] = check

    def add_readiness(self, name: str, check: Check) -> None:
        self.readiness[name] = check


def run_checks(checks: dict[str, Check], only: str | None = None) -> tuple[bool, str]:
    """Run ``checks`` (or only ``only``): ``(ok, body)``, a ``[+]name ok``/``[-]name failed`` line each."""
    lines: list[str] = []
    ok = True
    for name, check in checks.items():
        if only is not None and name != only:
            continue
        try:
            problem = check()
        except Exception as exc:  # a broken check is a failing check, not a crashed server
            problem = f"check raised {type(exc).__name__}: {exc}"
        ok = ok and problem is None
        lines.append(f"[+]{name} ok" if problem is None else f"[-]{name} failed: {problem}")
    if only is not None and not lines:
        return False, f"no check named {only!r}\n"
    lines.append("healthz check passed" if ok else "healthz check failed")
    return ok, "\n".join(lines) + "\n"


def parse_bind(address: str | None) -> tuple[str, int] | None:
    """``":8080"`` → ``("0.0.0.0", 8080)``, ``"127.0.0.1:0"`` → ``("127.0.0.1", 0)``, ``"0"`` → ``None``."""
    if address is None or address.strip() in ("", "0"):
        return None
    host, sep, port = address.strip().rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"bind address {address!r} is not host:port")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class HttpServer:
    """``/metrics`` on one address, the probes on another (or the same); ``addresses`` once started."""

    def __init__(self, *, metrics: Metrics, health: Health) -> None:
        self._metrics = metrics
        self._health = health
        self._runners: list[web.AppRunner] = []
        self.addresses: dict[str, tuple[str, int]] = {}

    async def start(self, *, metrics_bind: str | None, probes_bind: str | None) -> None:
        metrics_at, probes_at = parse_bind(metrics_bind), parse_bind(probes_bind)
        if metrics_at is not None and metrics_at == probes_at and metrics_at[1] != 0:
            await self._serve(metrics_at, ("metrics", "probes"))
            return
        if metrics_at is not None:
            await self._serve(metrics_at, ("metrics",))
        if probes_at is not None:
            await self._serve(probes_at, ("probes",))

    async def _serve(self, bind: tuple[str, int], roles: tuple[str, ...]) -> None:
        app = web.Application()
        if "metrics" in roles:
            app.router.add_get("/metrics", self._serve_metrics)
        if "probes" in roles:
            for kind in ("healthz", "readyz"):
                app.router.add_get(f"/{kind}", self._serve_probe)
                app.router.add_get(f"/{kind}/{{check}}", self._serve_probe)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, bind[0], bind[1])
        await site.start()
        port = bind[1]
        for address in runner.addresses:
            port = int(address[1])
        for role in roles:
            self.addresses[role] = (bind[0], port)

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def _serve_metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._metrics.exposition(), content_type="text/plain", charset="utf-8")

    async def _serve_probe(self, request: web.Request) -> web.Response:
        checks = self._health.liveness if request.path.startswith("/healthz") else self._health.readiness
        ok, body = run_checks(checks, request.match_info.get("check"))
        return web.Response(status=200 if ok else 500, text=body)
