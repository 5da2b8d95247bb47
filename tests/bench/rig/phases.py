"""The steady-state measurements of the controller's benchmark, each on a stage whose actors are Running.

See :mod:`tests.bench.bench_controller` for what each measures and how; these functions return raw
numbers, the caller turns them into figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.actor import resources as r
from controller.app import Controller, build
from controller.kube.cache import Change
from controller.kube.client import KubeClient
from controller.kube.resources import Obj
from controller.manager import Result
from controller.settings import Settings
from tests.bench.rig.actors import Board, crashed, recovered, status_changes, status_is
from tests.bench.rig.process import ControllerProcess, metric_sum
from tests.bench.rig.stage import NAMESPACE, Stage, wait_for
from tests.kubeapi.sim.events import rfc3339

CONTROLLER_AGENT = "OpenAPI-Generator"
"""The User-Agent the controller's client sends (kubernetes-asyncio's default)."""


def controller_writes(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """``"verb resource[/subresource] name"`` of every write the controller's client sent."""
    return [
        " ".join((row["verb"], "/".join(filter(None, (row["resource"], row["subresource"]))), row["name"]))
        for row in rows
        if str(row["agent"]).startswith(CONTROLLER_AGENT)
    ]


_MINIMUM = {
    ("asyncactors", ""): "finalizer",
    ("deployments", ""): "workload",
    ("asyncactors", "status"): "status",
}


def requests_answered(rows: Iterable[Mapping[str, Any]], names: Iterable[str]) -> float | None:
    """The wall time by which the controller had, for each actor of ``names``, the answers to the requests
    the baseline sends for it (finalizer patch, Deployment apply, a status apply), from the emulator's log of
    writes; ``None`` while one is missing."""
    first: dict[tuple[str, str], float] = {}
    for row in rows:
        what = _MINIMUM.get((row["resource"], row["subresource"]))
        mine = str(row["agent"]).startswith(CONTROLLER_AGENT)
        if what and row["verb"] == "patch" and row["status"] < 300 and mine:
            first.setdefault((row["name"], what), row["time"])
    times = [first.get((name, what)) for name in names for what in set(_MINIMUM.values())]
    return None if None in times else max(t for t in times if t is not None)


async def actor_pods(stage: Stage) -> dict[str, Obj]:
    """One pod of each actor, by actor name."""
    pods = await stage.list(r.PODS, labelSelector="asya.sh/asya")
    return {pod["metadata"]["labels"]["asya.sh/asya"]: pod for pod in pods}


# -- reaction --


@dataclass
class Reaction:
    crash: list[float] = field(default_factory=list)
    """Seconds from a crash written to RuntimeError shown."""
    recover: list[float] = field(default_factory=list)
    """Seconds from a recovery written to Running shown."""
    pod: list[float] = field(default_factory=list)
    """Seconds from each write to the pod change itself arriving on a watch (the emulator's share)."""


async def reaction(stage: Stage, *, actors: list[str], rounds: int, parallel: int) -> Reaction:
    """Seconds from a pod status write to the actor's status change arriving on the watch."""
    pods = await actor_pods(stage)
    chosen = random.Random(7).sample(actors, rounds * parallel)
    measured = Reaction()
    seen = Board()
    watch = stage.watch(r.PODS, seen)

    async def change(name: str, pod: str, status: Obj, expected: str) -> float:
        """Seconds until the actor shows ``expected`` after ``status`` is written to its pod."""
        shown = stage.actors.when(NAMESPACE, name, status_is(expected))
        conditions = status["conditions"]
        written = seen.when(
            NAMESPACE, pod, lambda obj: (obj or {}).get("status", {}).get("conditions") == conditions
        )
        sent = time.time()
        await stage.patch(r.PODS, pod, {"status": status}, subresource="status")
        measured.pod.append(await wait_for(written, within=30, what=f"pod {pod} changed") - sent)
        return await wait_for(shown, within=30, what=f"{name} {expected}") - sent

    async def one(name: str) -> None:
        pod = pods[name]
        pod_name = pod["metadata"]["name"]
        broken = crashed(pod["status"], pod=pod_name, now=rfc3339())
        measured.crash.append(await change(name, pod_name, broken, "RuntimeError"))
        measured.recover.append(await change(name, pod_name, recovered(broken, now=rfc3339()), "Running"))

    try:
        await asyncio.sleep(1)  # the pod watch lists and settles
        for start in range(0, len(chosen), parallel):
            await asyncio.gather(*(one(name) for name in chosen[start : start + parallel]))
    finally:
        watch.cancel()
    return measured


# -- memory --

EXTRA = {"asya.sh/bench": "extra"}


@dataclass
class Memory:
    rss_mib: float
    cached: dict[str, float]


async def memory(stage: Stage, controller: ControllerProcess, *, pods: int, events: int) -> Memory:
    """The controller's resident set once it holds ``pods`` pods and ``events`` Events of its actors; the
    extra pods and Events are removed again afterwards (and the actors are Running again)."""
    existing = await stage.list(r.PODS, labelSelector="asya.sh/asya")
    copies = max(0, -(-pods // len(existing)) - 1)
    await stage.cluster.copy_pods(
        namespace=NAMESPACE,
        selector="asya.sh/asya",
        copies=copies,
        drop_label="app",  # outside the Deployment's selector: no simulated controller takes them over
        labels=EXTRA,
        node="bench-external",  # no simulated kubelet runs them
    )
    names = [pod["metadata"]["name"] for pod in await stage.list(r.PODS, labelSelector="asya.sh/asya")]
    await stage.cluster.create_events(
        namespace=NAMESPACE,
        pods=names,
        count=events,
        reason="Unhealthy",
        message="Readiness probe failed: test -S /var/run/asya/asya-runtime.sock: exit status 1",
        labels=EXTRA,
    )
    deadline = time.monotonic() + 120
    while True:
        samples = await controller.wait_idle(at_least=0)
        cached = {
            kind: metric_sum(samples, "controller_cache_objects", resource=kind)
            for kind in (r.ASYNC_ACTORS.name, r.PODS.name, r.EVENTS.name)
        }
        if (cached["pods"] >= len(names) and cached["events"] >= events) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    rss = controller.rss_mib()
    selector = ",".join(f"{k}={v}" for k, v in EXTRA.items())
    for resource in (r.PODS, r.EVENTS):
        await stage.client.request(
            "DELETE",
            resource.path(namespace=NAMESPACE),
            query={"labelSelector": selector, "gracePeriodSeconds": 0},
        )
    return Memory(rss_mib=rss, cached=cached)


# -- idle cost --


@dataclass
class Idle:
    writes: list[str]
    """``"verb resource name"`` of each write the controller sent."""
    changes: list[str]
    """What those writes changed in the actors' statuses (``status_changes``)."""


async def restart_writes(
    stage: Stage, controller: ControllerProcess, *, actors: int
) -> tuple[ControllerProcess, Idle]:
    """Stops ``controller``, starts a new one, waits until it has reconciled every actor and is idle; the
    new controller and the writes it sent."""
    await controller.stop()
    _, mark = await stage.cluster.writes()
    before = dict(stage.actors.objects)
    fresh = stage.controller("restarted")
    try:
        await fresh.start()
        await fresh.wait_ready()
        await fresh.wait_idle(at_least=actors)
    except BaseException:
        await fresh.stop()
        raise
    rows, _ = await stage.cluster.writes(mark)
    return fresh, Idle(controller_writes(rows), status_changes(before, stage.actors.objects))


class CountingReconciler:
    """The real reconciler, counting its calls per key; and the pod changes its cache took, per pod."""

    def __init__(self, controller: Controller) -> None:
        self.inner = controller.reconciler
        self.counts: Counter[str] = Counter()
        self.pod_changes: Counter[str] = Counter()
        controller.manager.cache.subscribe(self._seen)

    def _seen(self, change: Change) -> None:
        if change.resource == r.PODS:
            self.pod_changes[change.key] += 1

    async def reconcile(self, key: str) -> Result | None:
        self.counts[key] += 1
        return await self.inner.reconcile(key)


@contextlib.asynccontextmanager
async def in_process(stage: Stage) -> AsyncIterator[tuple[Controller, CountingReconciler]]:
    """The controller built as ``asya-controller run`` builds it, running in this process."""
    client = await KubeClient.connect(kubeconfig=str(stage.kubeconfig))
    settings = Settings(metrics_bind="0", probes_bind="0")
    controller = build(settings, client=client, env=stage.env(), handle_signals=False)
    counting = CountingReconciler(controller)
    task = asyncio.create_task(controller.manager.run(counting))
    try:
        await wait_for(controller.manager.wait_synced(), within=60, what="in-process caches synced")
        yield controller, counting
    finally:
        controller.manager.stop()
        await asyncio.wait_for(task, 60)


async def quiet(
    counting: CountingReconciler, *, at_least: int, quiet: float = 1.5, within: float = 120
) -> None:
    """Until ``at_least`` reconciles ran and none ran for ``quiet`` seconds."""
    deadline = time.monotonic() + within
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        total = sum(counting.counts.values())
        if total != last or total < at_least:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the in-process controller did not go idle within {within:g} s")


async def resync_writes(
    stage: Stage, controller: Controller, counting: CountingReconciler, *, actors: int
) -> list[str]:
    """Writes of a resync (every actor enqueued again) once the in-process controller is idle."""
    await quiet(counting, at_least=actors)
    _, mark = await stage.cluster.writes()
    objects = dict(stage.actors.objects)
    before = sum(counting.counts.values())
    controller.manager.enqueue_all()
    await quiet(counting, at_least=before + actors)
    rows, _ = await stage.cluster.writes(mark)
    return Idle(controller_writes(rows), status_changes(objects, stage.actors.objects))


@dataclass
class Coalescing:
    reconciles: list[int] = field(default_factory=list)
    spread_ms: list[float] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    """Changes of the pod the controller's cache took (at most ``changes``: the watch may merge none)."""


async def coalescing(
    stage: Stage, counting: CountingReconciler, *, actors: list[str], changes: int = 20
) -> Coalescing:
    """Reconciles of one actor after a burst of ``changes`` changes of its pod, for each of ``actors``."""
    pods = await actor_pods(stage)
    measured = Coalescing()
    for name in actors:
        await quiet(counting, at_least=0, quiet=1.5)
        key = f"{NAMESPACE}/{name}"
        before = counting.counts[key]
        pod_name = pods[name]["metadata"]["name"]
        seen = counting.pod_changes[f"{NAMESPACE}/{pod_name}"]
        took = await stage.cluster.touch_pod(namespace=NAMESPACE, name=pod_name, count=changes)
        measured.spread_ms.append(took * 1000)
        await asyncio.sleep(2.5)  # the debounce's longest delay (1 s) and a reconcile, with room
        measured.reconciles.append(counting.counts[key] - before)
        measured.seen.append(counting.pod_changes[f"{NAMESPACE}/{pod_name}"] - seen)
    return measured
