"""What the benchmark creates and changes, and how it sees the controller's answers; pure where it can.

- ``actor_manifest``: an AsyncActor as a user writes it (a RabbitMQ transport, ``replicas`` pods).
- ``crashed`` / ``recovered``: a ready pod's ``status`` turned into what the kubelet reports when the
  ``asya-runtime`` container has crashed and waits in ``CrashLoopBackOff`` (not Ready), and back to Ready,
  as merge-patch bodies for the pod's status subresource.
- ``Board``: a watch sink (``controller.kube.watch.Watcher`` feeds it, with its resume and relist) that
  keeps the latest object of each key and resolves waiters when an object (all of a set, or a number of
  any) meets a condition, with the wall time the change that met it arrived.
- ``status_is``: the condition "shows this status for its current generation"; ``pod_ready``: "a Ready pod".
- ``status_changes``: what differs between two views of the same actors' statuses (to say why a write
  happened where none should).
- ``percentile``: nearest-rank percentiles of a sample.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from controller.kube.resources import Obj, Resource, make_key, object_key

RUNTIME = "asya-runtime"


def actor_manifest(name: str, *, namespace: str, replicas: int = 1, transport: str = "rabbitmq") -> Obj:
    runtime = {
        "name": RUNTIME,
        "image": "python:3.13-slim",
        "env": [{"name": "ASYA_HANDLER", "value": "handlers.process"}],
    }
    return {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "transport": transport,
            "workload": {"replicas": replicas, "template": {"spec": {"containers": [runtime]}}},
        },
    }


def _conditions(status: Obj, *, ready: bool, now: str) -> list[Obj]:
    flipped = []
    for condition in status.get("conditions") or []:
        item = dict(condition)
        if item.get("type") in ("Ready", "ContainersReady"):
            item["status"] = "True" if ready else "False"
            item["lastTransitionTime"] = now
            if ready:
                item.pop("reason", None)
                item.pop("message", None)
            else:
                item["reason"] = "ContainersNotReady"
                item["message"] = f"containers with unready status: [{RUNTIME}]"
        flipped.append(item)
    return flipped


def crashed(status: Obj, *, pod: str, now: str) -> Obj:
    """``status`` of a ready pod after ``asya-runtime`` exited 1 and waits in CrashLoopBackOff."""
    containers = []
    for container in status.get("containerStatuses") or []:
        item = dict(container)
        if item.get("name") == RUNTIME:
            restarts = int(item.get("restartCount") or 0) + 1
            item.update(
                ready=False,
                started=False,
                restartCount=restarts,
                state={
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off 10s restarting failed container={RUNTIME} pod={pod}",
                    }
                },
                lastState={
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": now,
                        "finishedAt": now,
                        "containerID": item.get("containerID", ""),
                    }
                },
            )
        containers.append(item)
    return {"conditions": _conditions(status, ready=False, now=now), "containerStatuses": containers}


def recovered(status: Obj, *, now: str) -> Obj:
    """``status`` of a crashed pod once ``asya-runtime`` runs again and the pod is Ready."""
    containers = []
    for container in status.get("containerStatuses") or []:
        item = dict(container)
        if item.get("name") == RUNTIME:
            item.update(ready=True, started=True, state={"running": {"startedAt": now}})
        containers.append(item)
    return {"conditions": _conditions(status, ready=True, now=now), "containerStatuses": containers}


def status_changes(before: Mapping[str, Obj], after: Mapping[str, Obj]) -> list[str]:
    """``"<key>: <field> <old> → <new>"`` for each top-level status field that differs between two views of
    the same objects (keys in both), conditions compared by type."""
    changes = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key].get("status") or {}, after[key].get("status") or {}
        for name in sorted(old.keys() | new.keys()):
            was, now = old.get(name), new.get(name)
            if name == "conditions":
                was = {c.get("type"): c for c in was or []}
                now = {c.get("type"): c for c in now or []}
                for kind in sorted(was.keys() | now.keys(), key=str):
                    if was.get(kind) != now.get(kind):
                        changes.append(f"{key}: condition {kind} {was.get(kind)} → {now.get(kind)}")
            elif was != now:
                changes.append(f"{key}: {name} {was!r} → {now!r}")
    return changes


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


Predicate = Callable[[Obj | None], bool]
"""About an actor's latest object, or ``None`` when it does not exist (any more)."""


def pod_ready(obj: Obj | None) -> bool:
    """A pod whose ``Ready`` condition is True."""
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def status_is(expected: str) -> Predicate:
    """The actor shows ``expected`` and its status describes its current generation."""

    def check(obj: Obj | None) -> bool:
        if obj is None:
            return False
        status = obj.get("status") or {}
        generation = (obj.get("metadata") or {}).get("generation")
        return status.get("status") == expected and status.get("observedGeneration") == generation

    return check


@dataclass
class _Group:
    keys: frozenset[str]
    predicate: Predicate
    future: asyncio.Future[float]
    missing: set[str]


@dataclass
class _Count:
    predicate: Predicate
    count: int
    future: asyncio.Future[float]
    meeting: set[str]


@dataclass
class Board:
    """The latest objects of one resource seen on a watch; see the module docstring."""

    objects: dict[str, Obj] = field(default_factory=dict)
    _waiters: dict[str, list[tuple[Predicate, asyncio.Future[float]]]] = field(default_factory=dict)
    _groups: list[_Group] = field(default_factory=list)
    _counts: list[_Count] = field(default_factory=list)

    # The Watcher's sink

    def replace(self, resource: Resource, raws: Iterable[Obj], *, namespace: str | None = None) -> None:
        seen = set()
        for raw in raws:
            seen.add(object_key(raw))
            self.upsert(resource, raw)
        for key in [k for k in self.objects if k not in seen]:
            self.delete(resource, self.objects[key])

    def upsert(self, resource: Resource, raw: Obj) -> None:
        key = object_key(raw)
        self.objects[key] = raw
        self._settle(key, time.time())

    def delete(self, resource: Resource, raw: Obj) -> None:
        key = object_key(raw)
        self.objects.pop(key, None)
        self._settle(key, time.time())

    # Waiting

    def when(self, namespace: str, name: str, predicate: Predicate) -> asyncio.Future[float]:
        """Resolves with the wall time of the first arrival after now where the actor meets ``predicate``."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(make_key(namespace, name), []).append((predicate, future))
        return future

    def when_all(self, keys: Iterable[str], predicate: Predicate) -> asyncio.Future[float]:
        """Resolves with the wall time at which every actor of ``keys`` meets ``predicate`` at once (an
        absent actor meets it when ``predicate(None)`` holds)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        group = _Group(frozenset(keys), predicate, future, set())
        group.missing = {key for key in group.keys if not self._meets(key, predicate)}
        if group.missing:
            self._groups.append(group)
        else:
            future.set_result(time.time())
        return future

    def when_count(self, predicate: Predicate, count: int) -> asyncio.Future[float]:
        """Resolves with the wall time at which ``count`` objects, whichever, meet ``predicate`` at once."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        tally = _Count(predicate, count, future, {key for key, obj in self.objects.items() if predicate(obj)})
        if len(tally.meeting) >= count:
            future.set_result(time.time())
        else:
            self._counts.append(tally)
        return future

    def _meets(self, key: str, predicate: Predicate) -> bool:
        return predicate(self.objects.get(key))

    def _settle(self, key: str, now: float) -> None:
        waiters = self._waiters.get(key)
        if waiters:
            obj = self.objects.get(key)
            pending = []
            for predicate, future in waiters:
                if future.done():
                    continue
                if predicate(obj):
                    future.set_result(now)
                else:
                    pending.append((predicate, future))
            self._waiters[key] = pending
        for group in self._groups:
            if key in group.keys:
                if self._meets(key, group.predicate):
                    group.missing.discard(key)
                else:
                    group.missing.add(key)
                if not group.missing and not group.future.done():
                    group.future.set_result(now)
        self._groups = [g for g in self._groups if not g.future.done()]
        for tally in self._counts:
            if self._meets(key, tally.predicate):
                tally.meeting.add(key)
            else:
                tally.meeting.discard(key)
            if len(tally.meeting) >= tally.count and not tally.future.done():
                tally.future.set_result(now)
        self._counts = [t for t in self._counts if not t.future.done()]
