"""The fault-recovery measurement of the controller's benchmark: changes made while the API server misbehaves.

While the emulator cuts every watch after 1 to 5 s, fails 1 % of requests with 500 and 1 % with 429 (Retry-
After 1 s), and forgets its watch history every 5 s (so the next resume of every watch is a 410 and a relist),
actors are created, deleted and scaled. ``recover`` returns how long until every actor showed what it should
(on the benchmark's own watch, which suffers the same faults), and then, with the faults lifted, what a fresh
list and the broker say is wrong: ``expectations`` and ``problems`` are pure.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass

from controller.actor import resources as r
from controller.kube.resources import Obj
from tests.bench.rig.actors import Predicate, status_is
from tests.bench.rig.stage import NAMESPACE, Stage, gather_limited

CUT_AFTER = (1.0, 5.0)
FAILING = 0.01  # of every request, for each of 500 and 429
COMPACT_EVERY = 5.0


@dataclass(frozen=True)
class Plan:
    """Which actors the phase creates, deletes and scales (to ``replicas``); the rest stay as they are."""

    create: tuple[str, ...]
    delete: tuple[str, ...]
    scale: tuple[str, ...]
    keep: tuple[str, ...]
    replicas: int = 2


def expectations(plan: Plan) -> dict[str, int | None]:
    """Desired replicas per actor once everything settled; ``None`` for an actor that must be gone."""
    expected: dict[str, int | None] = {name: 1 for name in (*plan.keep, *plan.create)}
    expected.update({name: plan.replicas for name in plan.scale})
    expected.update({name: None for name in plan.delete})
    return expected


def settled(replicas: int | None) -> Predicate:
    """An actor gone (``replicas`` None), or Running for its generation with ``replicas`` ready of as many."""
    running = status_is("Running")

    def check(obj: Obj | None) -> bool:
        if replicas is None:
            return obj is None
        status = (obj or {}).get("status") or {}
        return (
            running(obj) and status.get("desiredReplicas") == replicas and status.get("replicas") == replicas
        )

    return check


def problems(
    expected: Mapping[str, int | None],
    *,
    actors: Iterable[Obj],
    deployments: Iterable[Obj],
    queues: set[str],
) -> list[str]:
    """What a fresh list of actors and Deployments and the broker's queues say is not as ``expected``."""
    found = {obj["metadata"]["name"]: obj for obj in actors}
    workloads = {obj["metadata"]["name"]: obj for obj in deployments}
    wrong = []
    for name, replicas in sorted(expected.items()):
        queue = f"asya-{name}"
        if replicas is None:
            left = (
                ("actor", name, name in found),
                ("Deployment", name, name in workloads),
                ("queue", queue, queue in queues),
            )
            wrong += [f"{what} {called} left behind" for what, called, there in left if there]
            continue
        obj = found.get(name)
        if obj is None:
            wrong.append(f"actor {name} lost")
            continue
        if not settled(replicas)(obj):
            status = obj.get("status") or {}
            shown = f"{status.get('status')} {status.get('replicas')}/{status.get('desiredReplicas')}"
            wrong.append(f"actor {name} shows {shown}")
        if (workloads.get(name, {}).get("spec") or {}).get("replicas") != replicas:
            wrong.append(f"Deployment {name} missing or not at {replicas} replicas")
        if queue not in queues:
            wrong.append(f"queue {queue} missing")
    return wrong


@contextlib.asynccontextmanager
async def faulty(stage: Stage) -> AsyncIterator[None]:
    """The emulator misbehaves inside this block."""
    cluster = stage.cluster
    await cluster.fault("cut_watches", after_seconds=list(CUT_AFTER))
    await cluster.fault("fail", status=500, fraction=FAILING)
    await cluster.fault("fail", status=429, fraction=FAILING, retry_after=1)
    await cluster.close_watches()  # every watch starts again under the rules

    async def compact() -> None:
        while True:
            await asyncio.sleep(COMPACT_EVERY)
            await cluster.compact()

    compactor = asyncio.create_task(compact())
    try:
        yield
    finally:
        compactor.cancel()
        await asyncio.gather(compactor, return_exceptions=True)
        await cluster.clear_faults()


@dataclass
class Recovery:
    seconds: float
    converged: bool
    wrong: list[str]


async def recover(stage: Stage, plan: Plan, *, within: float = 240.0) -> Recovery:
    expected = expectations(plan)
    keys = {name: f"{NAMESPACE}/{name}" for name in expected}
    async with faulty(stage):
        started = time.time()
        groups = {}
        for replicas in set(expected.values()):
            names = [keys[n] for n, want in expected.items() if want == replicas]
            groups[replicas] = stage.actors.when_all(names, settled(replicas))
        scale = {"spec": {"workload": {"replicas": plan.replicas}}}
        await asyncio.gather(
            stage.create_actors(plan.create),
            gather_limited([lambda n=n: stage.delete_actor(n) for n in plan.delete], limit=16),
            gather_limited([lambda n=n: stage.patch(r.ASYNC_ACTORS, n, scale) for n in plan.scale], limit=16),
        )
        done, _ = await asyncio.wait(groups.values(), timeout=within)
        converged = len(done) == len(groups)
        seconds = (max(f.result() for f in groups.values()) if converged else time.time()) - started
    actors = await stage.list(r.ASYNC_ACTORS)
    deployments = await stage.list(r.DEPLOYMENTS)
    queues = await asyncio.to_thread(stage.queues)
    wrong = problems(expected, actors=actors, deployments=deployments, queues=queues)
    return Recovery(seconds=seconds, converged=converged, wrong=wrong)
