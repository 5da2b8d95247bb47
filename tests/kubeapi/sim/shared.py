"""What the simulated controllers share: one informer per resource, an event recorder per component, the
timings, and small helpers on pods.

Like kube-controller-manager's shared informer factory, one watch per resource feeds every simulator in the
process (the scheduler, the kubelet and KEDA share those watches too, where the real ones each run their
own). Informers created after `start` start at once; `drop` ends one (a custom resource going away).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.kubeapi.sim.client import Kube, Resource
from tests.kubeapi.sim.events import SPAM_REFILL, EventRecorder
from tests.kubeapi.sim.informer import Informer
from tests.kubeapi.sim.timing import Timings


def is_terminating(pod: Mapping[str, Any]) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_active(pod: Mapping[str, Any]) -> bool:
    """Counted by workload controllers: not being deleted and not finished."""
    return not is_terminating(pod) and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for item in (obj.get("status") or {}).get("conditions") or []:
        if item.get("type") == kind:
            return item  # type: ignore[no-any-return]
    return None


def is_ready(pod: Mapping[str, Any]) -> bool:
    ready = condition(pod, "Ready")
    return bool(ready and ready.get("status") == "True")


def ready_since(pod: Mapping[str, Any]) -> float | None:
    """Seconds since the epoch at which the pod last became Ready, or None when it is not Ready."""
    ready = condition(pod, "Ready")
    if not ready or ready.get("status") != "True":
        return None
    stamp = ready.get("lastTransitionTime")
    return parse_time(stamp) if stamp else time.time()


def parse_time(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 timestamp (with or without fractional seconds)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def is_available(pod: Mapping[str, Any], min_ready_seconds: float, now: float | None = None) -> bool:
    since = ready_since(pod)
    if since is None:
        return False
    return min_ready_seconds <= 0 or since + min_ready_seconds <= (now or time.time())


def match_labels(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """LabelSelector matching (matchLabels and matchExpressions), as the workload controllers use it."""
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


@dataclass
class Shared:
    """Informers and recorders shared by the simulators of one cluster."""

    kube: Kube
    timings: Timings
    informers: dict[Resource, Informer] = field(default_factory=dict)
    recorders: dict[tuple[str, str, bool], EventRecorder] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    started: bool = False
    _informer_tasks: dict[Resource, asyncio.Task[None]] = field(default_factory=dict)

    def informer(self, resource: Resource) -> Informer:
        """The informer of a resource; one created after `start` starts at once (see `wait_synced`)."""
        if resource not in self.informers:
            informer = self.informers[resource] = Informer(self.kube, resource)
            if self.started:
                self._informer_tasks[resource] = self.spawn(informer.run(), f"informer-{resource.plural}")
        return self.informers[resource]

    async def wait_synced(self) -> None:
        await asyncio.gather(*(informer.synced.wait() for informer in self.informers.values()))

    async def drop(self, resource: Resource) -> None:
        """Stops and forgets an informer (e.g. of a custom resource whose CRD is going away)."""
        self.informers.pop(resource, None)
        task = self._informer_tasks.pop(resource, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def recorder(
        self, component: str, *, host: str = "", modern: bool = False, action: str = ""
    ) -> EventRecorder:
        key = (component, host, modern)
        if key not in self.recorders:
            self.recorders[key] = EventRecorder(
                self.kube,
                component=component,
                host=host,
                modern=modern,
                action=action,
                spam_refill=SPAM_REFILL * self.timings.backoff_scale,
            )
            if self.started:
                self.spawn(self.recorders[key].run(), f"events-{component}-{host}")
        return self.recorders[key]

    def spawn(self, coroutine: Any, name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine, name=name)
        self.tasks.append(task)
        task.add_done_callback(lambda done: self.tasks.remove(done) if done in self.tasks else None)
        return task

    async def start(self) -> None:
        """Starts every informer and recorder created so far and waits until the caches are filled."""
        for resource, informer in self.informers.items():
            self._informer_tasks[resource] = self.spawn(informer.run(), f"informer-{resource.plural}")
        for (component, host, _), recorder in self.recorders.items():
            self.spawn(recorder.run(), f"events-{component}-{host}")
        self.started = True
        await self.wait_synced()

    async def stop(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        self._informer_tasks.clear()
