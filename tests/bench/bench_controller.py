"""The figures the controller is measured by (architecture.md), against the emulator, in one run.

Set-up, on two cores shared by everything: the API emulator in a child process and the simulated cluster (fast
timings, 40 nodes, KEDA installed) in another (:mod:`tests.bench.rig.cluster`); the controller as shipped,
``asya-controller run`` with its defaults (10 workers, every namespace), in a third; a real RabbitMQ node;
and this process, which creates and changes objects through its own API client and sees the controller's
answers on its own watch of the AsyncActors. The emulator's request log tells the controller's writes from
the others' by their User-Agent.

1. Convergence: 1 000 actors (1 replica each) exist when the controller starts; the clock runs from the
   moment it is ready (``/readyz``: caches synced, workers starting) until the watch shows every actor
   ``Running`` for its generation. The baseline runs first on a fresh emulator and simulated cluster with
   the same 1 000 actors: :mod:`tests.bench.rig.baseline` (its docstring lists what it sends: per actor the
   finalizer patch, the queue declaration and binding, the Deployment apply and one status apply) with the
   controller's API client and 10 requests in flight, from its start to its last answer. The simulated
   cluster then needs time of its own to make the pods Ready, which no controller can beat: that floor
   (the baseline's start until every pod is Ready, seen on a watch) is printed too, and so are, in the
   controller's run, the moment the controller had the answers to the same minimum requests for every
   actor, and the moment every pod was Ready.
2. Reaction: 5 actors at a time, 100 in all, have a pod's ``asya-runtime`` crash (the pod's status patched
   as a kubelet writes it: CrashLoopBackOff, not Ready) and then recover; from just before each patch is
   sent until the actor's status (RuntimeError, then Running) arrives on the watch.
3. Memory: each actor's pod is copied twice (3 000 pods; the copies are outside the Deployments' selector,
   on a node no simulated kubelet runs) and 10 000 Warning Events about them are created (reason
   ``Unhealthy``, which does not make a pod failing), straight in the emulator's store; once the controller
   is idle its resident set is read from ``/proc``. The copies and Events are deleted afterwards.
4. Idle cost: the controller is stopped (SIGTERM) and started again; once it has reconciled every actor and
   is idle, the writes its client sent are counted. Then a resync: the controller runs in this process,
   built by ``controller.app.build`` as ``asya-controller run`` builds it, and once it is idle every actor is
   enqueued again (``Manager.enqueue_all``, what the resync timer does); its writes are counted.
5. Coalescing: with the in-process controller, one pod's ``status.message`` (a field the cache keeps) is
   changed 20 times in a row straight in the emulator's store (a burst well inside 100 ms, whatever the
   HTTP path's latency; its duration is printed); the real reconciler, wrapped to count its calls, tells how
   many reconciles of the actor followed. Five actors one after another; the worst count is the figure.
6. Fault recovery: ``asya-controller run`` again, under the faults of :mod:`tests.bench.rig.faults`, while
   100 actors are created, 100 deleted and 100 scaled to 2 replicas: the time until every actor shows what
   it should, then, faults lifted, everything a fresh list and the broker say is wrong.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from controller import logs
from controller.actor import resources as r
from tests.bench import Figure
from tests.bench.rig.actors import Board, percentile, pod_ready, status_is
from tests.bench.rig.faults import Plan, recover
from tests.bench.rig.floor import measure_floor
from tests.bench.rig.phases import (
    Idle,
    coalescing,
    in_process,
    memory,
    reaction,
    requests_answered,
    restart_writes,
    resync_writes,
)
from tests.bench.rig.process import ControllerProcess, metric_sum
from tests.bench.rig.procfs import cpu_seconds
from tests.bench.rig.stage import Stage, actor_name, wait_for
from tests.services.rabbitmq import RabbitMQNode, running_node

ACTORS = 1000
WORKERS = 10  # the controller's default --max-concurrent-reconciles
MB = 1e6 / 2**20  # MiB per MB


_STARTED = time.monotonic()


def _progress(message: str) -> None:
    print(f"# controller {time.monotonic() - _STARTED:5.0f} s: {message}", file=sys.stderr, flush=True)


@dataclass
class Convergence:
    startup: float
    """Spawn → ready."""
    seconds: float
    """Ready → every actor Running."""
    requests: float
    """Ready → every actor's minimum requests answered."""
    cluster: float
    """Ready → every actor's pod Ready."""
    cpu: float
    """The controller's CPU seconds while converging."""
    cluster_cpu: float
    """The emulator and simulators' CPU seconds meanwhile."""


async def converge(stage: Stage, controller: ControllerProcess, names: list[str]) -> Convergence:
    running = stage.actors.when_all(stage.keys(names), status_is("Running"))
    pods = Board()
    watch = stage.watch(r.PODS, pods)
    ready = pods.when_count(pod_ready, len(names))
    _, mark = await stage.cluster.writes()
    await controller.start()
    ready_at = await controller.wait_ready()
    cpu, cluster_cpu = cpu_seconds(controller.pid), stage.cluster.cpu_seconds()
    done_at = await wait_for(running, within=600, what=f"{len(names)} actors Running")
    cpu, cluster_cpu = cpu_seconds(controller.pid) - cpu, stage.cluster.cpu_seconds() - cluster_cpu
    pods_at = await wait_for(ready, within=60, what="every pod ready")
    watch.cancel()
    rows, _ = await stage.cluster.writes(mark)
    answered = requests_answered(rows, names)
    if answered is None:
        raise RuntimeError("the controller never had some actor's minimum requests answered")
    return Convergence(
        startup=ready_at - controller.started_at,
        seconds=done_at - ready_at,
        requests=answered - ready_at,
        cluster=pods_at - ready_at,
        cpu=cpu,
        cluster_cpu=cluster_cpu,
    )


def convergence_figures(conv: Convergence, *, requests_s: float, floor_s: float) -> list[Figure]:
    return [
        Figure("convergence: 1 000 actors → all Running", conv.seconds, "s"),
        Figure("baseline: the minimum requests alone", requests_s, "s"),
        Figure("convergence ÷ baseline", conv.seconds / requests_s, "x", "≤ 1.5"),
        Figure("floor: baseline start → the cluster's pods all ready", floor_s, "s"),
        Figure("convergence ÷ floor", conv.seconds / floor_s, "x", "≤ 1.5 with the cluster's time"),
        Figure("controller: every actor's minimum requests answered", conv.requests, "s"),
        Figure(
            "minimum requests answered ÷ baseline", conv.requests / requests_s, "x", "≤ 1.5, its own share"
        ),
        Figure("same run: last pod ready → last actor Running", conv.seconds - conv.cluster, "s"),
        Figure("controller: start → ready", conv.startup, "s"),
        Figure("controller: CPU while converging", conv.cpu, "cpu-s"),
        Figure("emulator + simulators: CPU meanwhile", conv.cluster_cpu, "cpu-s", "two processes"),
    ]


def _writes_figure(name: str, idle: Idle) -> Figure:
    for line in idle.writes[:5] + idle.changes[:5]:
        _progress(f"{name}: {line}")
    return Figure(name, len(idle.writes), "writes", "0")


async def steady(stage: Stage, names: list[str], *, requests_s: float, floor_s: float) -> list[Figure]:
    """Convergence, reaction, memory and a restart, with ``asya-controller run``."""
    figures: list[Figure] = []
    controller = stage.controller("main")
    try:
        _progress("convergence")
        conv = await converge(stage, controller, names)
        figures += convergence_figures(conv, requests_s=requests_s, floor_s=floor_s)
        _progress("reaction")
        measured = await reaction(stage, actors=names, rounds=20, parallel=5)
        both = [seconds * 1000 for seconds in measured.crash + measured.recover]
        figures += [
            Figure(f"reaction p50 ({len(both)} pod changes)", percentile(both, 50), "ms", "≤ 150"),
            Figure(f"reaction p99 ({len(both)} pod changes)", percentile(both, 99), "ms", "≤ 500"),
            Figure("reaction p50, crash → RuntimeError", percentile(measured.crash, 50) * 1000, "ms"),
            Figure("reaction p50, ready → Running", percentile(measured.recover, 50) * 1000, "ms"),
            Figure("reaction p50, the pod change on a watch", percentile(measured.pod, 50) * 1000, "ms"),
        ]
        _progress("memory")
        held = await memory(stage, controller, pods=3 * ACTORS, events=10 * ACTORS)
        figures.append(Figure("memory: controller RSS", held.rss_mib / MB, "MB", "≤ 150"))
        figures += [Figure(f"memory: {kind} cached", count, "objects") for kind, count in held.cached.items()]
        await wait_for(
            stage.actors.when_all(stage.keys(names), status_is("Running")),
            within=300,
            what="every actor Running again after the memory figure",
        )
        _progress("idle cost: restart")
        controller, idle = await restart_writes(stage, controller, actors=ACTORS)
        figures.append(_writes_figure("idle: writes after a restart", idle))
    finally:
        await controller.stop()
    return figures


async def in_process_figures(stage: Stage, names: list[str]) -> list[Figure]:
    """A resync and coalescing, with the controller in this process."""
    _progress("idle cost: resync; coalescing")
    async with in_process(stage) as (controller, counting):
        idle = await resync_writes(stage, controller, counting, actors=ACTORS)
        burst = await coalescing(stage, counting, actors=names[:: ACTORS // 5][:5])
    return [
        _writes_figure("idle: writes after a resync", idle),
        Figure("coalescing: reconciles after 20 pod events", max(burst.reconciles), "reconciles", "≤ 2"),
        Figure("coalescing: the 20 changes took (worst)", max(burst.spread_ms), "ms", "≤ 100"),
        Figure("coalescing: pod changes the cache took (fewest)", min(burst.seen), "changes", "20"),
    ]


async def fault_figures(stage: Stage, names: list[str]) -> list[Figure]:
    _progress("fault recovery")
    controller = stage.controller("faults")
    try:
        await controller.start()
        await controller.wait_ready()
        await controller.wait_idle(at_least=ACTORS)
        plan = Plan(
            create=tuple(actor_name(i) for i in range(ACTORS, ACTORS + 100)),
            delete=tuple(names[:100]),
            scale=tuple(names[100:200]),
            keep=tuple(names[200:]),
        )
        outcome = await recover(stage, plan)
        samples = await controller.metrics()
    finally:
        await controller.stop()
    for problem in outcome.wrong[:20]:
        _progress(f"fault recovery: {problem}")
    restarts = "controller_watch_restarts_total"
    failed = sum(metric_sum(samples, "rest_client_requests_total", code=code) for code in ("500", "429"))
    return [
        Figure("fault recovery: every actor as it should be", outcome.seconds, "s", "converges"),
        Figure("fault recovery: actors lost or wrong", len(outcome.wrong), "problems", "0"),
        Figure(
            "fault recovery: watch streams cut", metric_sum(samples, restarts, cause="closed"), "restarts"
        ),
        Figure(
            "fault recovery: relists after a 410", metric_sum(samples, restarts, cause="expired"), "relists"
        ),
        Figure("fault recovery: controller requests failed", failed, "500/429"),
    ]


async def measure(rabbitmq: RabbitMQNode, workdir: Path) -> list[Figure]:
    _progress("baseline")
    names = [actor_name(i) for i in range(ACTORS)]
    floor = await measure_floor(rabbitmq=rabbitmq, workdir=workdir, names=names, concurrency=WORKERS)
    requests_s, floor_s = floor.requests_s, floor.floor_s
    async with Stage.open(rabbitmq=rabbitmq, vhost="bench", workdir=workdir) as stage:
        await stage.create_actors(names)
        figures = await steady(stage, names, requests_s=requests_s, floor_s=floor_s)
        figures += await in_process_figures(stage, names)
        figures += await fault_figures(stage, names)
    return figures


async def run() -> list[Figure]:
    logs.configure(format="console", level="error")
    with tempfile.TemporaryDirectory(prefix="asya-bench-") as tmp, running_node() as rabbitmq:
        return await measure(rabbitmq, Path(tmp))
