"""The scheduler: binds pending pods to nodes with room for their requests, or says why none fits.

As kube-scheduler's default profile, reduced to what decides placement here:
- filters (per node, each adding a reason): `spec.unschedulable` → `node(s) were unschedulable`; a NoSchedule
  or NoExecute taint the pod does not tolerate → `node(s) had untolerated taint {key: value}`; `nodeSelector`
  → `node(s) didn't match Pod's node affinity/selector`; 110 pods → `Too many pods`; requests over what is
  left of the node's allocatable → `Insufficient cpu` / `Insufficient memory`;
- score: least allocated CPU fraction, ties by name; the choice is assumed at once, so pods bound in a burst
  do not overcommit a node before the watch shows them;
- binding sets `spec.nodeName` and records `Scheduled` `Successfully assigned <ns>/<pod> to <node>`;
- a pod that fits nowhere gets `PodScheduled=False`, reason `Unschedulable`, and a `FailedScheduling` Warning
  with `FitError`'s message (see `messages.fit_error`), including the preemption tail (`No preemption victims
  found for incoming pod` when the pod would fit an empty node, else `Preemption is not helpful for
  scheduling`); it is retried when a pod goes away or a node changes, and at least every 5 min (scaled by
  the back-off knob), like the scheduling queue's unschedulable pool.

Events use the events.k8s.io shape (see `events`). Simplifications: no pods/binding subresource (the
emulator has none; `spec.nodeName` is patched), no affinity/anti-affinity, topology spread, preemption, ports
or volumes; the `unschedulable` failure mode makes every node report `Insufficient cpu`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.kubeapi.sim import messages
from tests.kubeapi.sim.client import PODS
from tests.kubeapi.sim.events import rfc3339
from tests.kubeapi.sim.failures import faults_for
from tests.kubeapi.sim.informer import Key, WorkQueue, key_of
from tests.kubeapi.sim.quantity import Resources, pod_requests
from tests.kubeapi.sim.shared import Shared, is_terminating

COMPONENT = "default-scheduler"
UNSCHEDULABLE_FLUSH = 300.0


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    cpu: float
    memory: float
    pods: int = 110
    unschedulable: bool = False
    taints: tuple[Mapping[str, Any], ...] = ()
    labels: Mapping[str, str] | None = None


def _tolerates(pod: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    for toleration in (pod.get("spec") or {}).get("tolerations") or []:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists":
            if not toleration.get("key") or toleration["key"] == taint.get("key"):
                return True
        elif toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get(
            "value", ""
        ):
            return True
    return False


def fit_reasons(
    pod: Mapping[str, Any], node: Node, used: Resources, count: int, *, forced: bool
) -> list[str]:
    """Why `pod` does not fit `node` (empty when it fits)."""
    spec = pod.get("spec") or {}
    if node.unschedulable:
        return ["node(s) were unschedulable"]
    for taint in node.taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(pod, taint):
            value = f": {taint['value']}" if taint.get("value") else ""
            return [f"node(s) had untolerated taint {{{taint.get('key')}{value}}}"]
    selector = spec.get("nodeSelector") or {}
    if any((node.labels or {}).get(k) != v for k, v in selector.items()):
        return ["node(s) didn't match Pod's node affinity/selector"]
    reasons = []
    if count + 1 > node.pods:
        reasons.append(messages.TOO_MANY_PODS)
    need = pod_requests(spec)
    if forced or need.cpu > node.cpu - used.cpu:
        reasons.append(messages.INSUFFICIENT.format("cpu"))
    if need.memory > node.memory - used.memory:
        reasons.append(messages.INSUFFICIENT.format("memory"))
    return reasons


class Scheduler:
    def __init__(self, shared: Shared, nodes: list[Node]) -> None:
        self.shared = shared
        self.kube = shared.kube
        self.nodes = {node.name: node for node in nodes}
        self.pods = shared.informer(PODS)
        self.events = shared.recorder(COMPONENT, host="sim", modern=True, action="Scheduling")
        self.queue: WorkQueue[Key] = WorkQueue("scheduler", self.schedule, workers=8)
        self._placed: dict[Key, tuple[str, Resources]] = {}
        self._used: dict[str, Resources] = {name: Resources() for name in self.nodes}
        self._count: Counter[str] = Counter()
        self._unschedulable: set[Key] = set()
        self.pods.on_change(self._on_pod)

    def set_nodes(self, nodes: list[Node]) -> None:
        """Replaces the node list (from Node objects or a test), then retries every unschedulable pod."""
        self.nodes = {node.name: node for node in nodes}
        for name in self.nodes:
            self._used.setdefault(name, Resources())
        self._retry_unschedulable()

    def _retry_unschedulable(self) -> None:
        for key in self._unschedulable:
            self.queue.add(key)

    def _release(self, key: Key) -> None:
        placed = self._placed.pop(key, None)
        if placed is not None:
            node, need = placed
            self._used[node] = self._used.get(node, Resources()) - need
            self._count[node] -= 1
            self._retry_unschedulable()

    def _hold(self, key: Key, node: str, pod: Mapping[str, Any]) -> None:
        if key in self._placed:
            return
        need = pod_requests(pod.get("spec") or {})
        self._placed[key] = (node, need)
        self._used[node] = self._used.get(node, Resources()) + need
        self._count[node] += 1

    def _on_pod(self, kind: str, pod: dict[str, Any], previous: dict[str, Any] | None) -> None:
        key = key_of(pod)
        finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        if kind == "DELETED" or finished:
            self._unschedulable.discard(key)
            self.queue.forget(key)
            self._release(key)
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            self._hold(key, node, pod)
            self._unschedulable.discard(key)
        elif self._wants(pod) and key not in self._unschedulable:
            self.queue.add(key)

    @staticmethod
    def _wants(pod: Mapping[str, Any]) -> bool:
        return not is_terminating(pod) and (pod["spec"].get("schedulerName") or COMPONENT) == COMPONENT

    async def schedule(self, key: Key) -> None:
        pod = self.pods.get(*key)
        if pod is None or pod["spec"].get("nodeName") or is_terminating(pod):
            return
        forced = "unschedulable" in faults_for(pod).get("", set())
        feasible = []
        reasons: Counter[str] = Counter()
        preemption: Counter[str] = Counter()
        for node in self.nodes.values():
            why = fit_reasons(
                pod, node, self._used.get(node.name, Resources()), self._count[node.name], forced=forced
            )
            if not why:
                feasible.append(node)
                continue
            reasons.update(why)
            helpful = not fit_reasons(pod, node, Resources(), 0, forced=forced)
            preemption[messages.NO_VICTIMS if helpful else messages.PREEMPTION_NOT_HELPFUL] += 1
        if feasible:
            best = min(feasible, key=lambda n: (self._used[n.name].cpu / n.cpu if n.cpu else 0.0, n.name))
            self._hold(key, best.name, pod)
            try:
                patched = await self.kube.patch(PODS, key[0], key[1], {"spec": {"nodeName": best.name}})
            except Exception:
                self._release(key)
                raise
            if patched is None:
                self._release(key)
                return
            self._unschedulable.discard(key)
            if any(
                c.get("type") == "PodScheduled" for c in (pod.get("status") or {}).get("conditions") or []
            ):
                await self._set_scheduled(pod, "True")
            self.events.record(
                pod, "Normal", "Scheduled", messages.scheduled(key[0], key[1], best.name), action="Binding"
            )
            return
        message = messages.fit_error(len(self.nodes), reasons, preemption)
        self._unschedulable.add(key)
        self.events.record(pod, "Warning", "FailedScheduling", message)
        await self._set_scheduled(pod, "False", "Unschedulable", message)
        self.queue.add_after(key, UNSCHEDULABLE_FLUSH * self.shared.timings.backoff_scale)

    async def _set_scheduled(
        self, pod: Mapping[str, Any], status: str, reason: str = "", message: str = ""
    ) -> None:
        conditions = [
            c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") != "PodScheduled"
        ]
        previous = next(
            (c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "PodScheduled"),
            None,
        )
        since = (
            previous["lastTransitionTime"]
            if previous and previous.get("status") == status
            else rfc3339(time.time())
        )
        condition: dict[str, Any] = {
            "type": "PodScheduled",
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": since,
        }
        if reason:
            condition.update(reason=reason, message=message)
        if previous == condition:
            return
        await self.kube.patch(
            PODS,
            pod["metadata"]["namespace"],
            pod["metadata"]["name"],
            {"status": {"phase": "Pending", "conditions": [*conditions, condition]}},
            subresource="status",
        )

    async def run(self) -> None:
        await self.queue.run()
