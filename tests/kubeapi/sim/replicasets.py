"""The ReplicaSet controller: keeps `spec.replicas` pods of a ReplicaSet's template, and reports on them.

As `pkg/controller/replicaset/replica_set.go`: pods are created from the template with `generateName:
<replicaset>-`, the template's labels and annotations and a controller ownerReference to the ReplicaSet, and
each creation and deletion is an event (`SuccessfulCreate` `Created pod: x`, `SuccessfulDelete`); creations
and deletions are "expected" until the watch shows them, so a sync never acts twice on the same gap. On
scale-down the pods that matter least go first (`controller.ActivePods` ordering: unscheduled, pending,
not ready, ready for less time, more restarts, newer). Status: `replicas`, `fullyLabeledReplicas`,
`readyReplicas`, `availableReplicas` (Ready for `minReadySeconds`), `observedGeneration`.

Simplifications: no adoption or release of pods by selector (only pods owned through ownerReferences count),
no slow-start batching of creations, no `ReplicaFailure` condition.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from tests.kubeapi.sim import messages
from tests.kubeapi.sim.client import PODS, REPLICASETS, ApiError, owner_reference
from tests.kubeapi.sim.informer import Key, key_of
from tests.kubeapi.sim.owners import OwnerController
from tests.kubeapi.sim.shared import Shared, is_active, is_available, is_ready, ready_since

log = logging.getLogger(__name__)

COMPONENT = "replicaset-controller"
EXPECTATION_TIMEOUT = 30.0
CREATE_CONCURRENCY = 16


def _restarts(pod: Mapping[str, Any]) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((s.get("restartCount", 0) for s in statuses), default=0)


def deletion_rank(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """Sort key: pods first in this order are deleted first."""
    status = pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase", "Pending"), 0)
    since = ready_since(pod)
    return (
        bool((pod.get("spec") or {}).get("nodeName")),
        phase_rank,
        is_ready(pod),
        -(since or 0.0),
        -_restarts(pod),
        pod["metadata"].get("creationTimestamp", ""),
    )


class ReplicaSetController(OwnerController):
    def __init__(self, shared: Shared) -> None:
        super().__init__(shared, REPLICASETS, PODS, component=COMPONENT, workers=8)
        self.replicasets = self.owners
        self._expected: dict[Key, tuple[int, float]] = {}

    def owner_deleted(self, key: Key) -> None:
        self._expected.pop(key, None)

    def dependent_changed(
        self, key: Key, kind: str, pod: dict[str, Any], previous: dict[str, Any] | None
    ) -> None:
        """A creation or deletion the controller expected has been observed."""
        was_active = previous is not None and is_active(previous)
        if kind == "ADDED" or (was_active and (kind == "DELETED" or not is_active(pod))):
            count, since = self._expected.get(key, (0, 0.0))
            if count > 0:
                self._expected[key] = (count - 1, since)

    def _satisfied(self, key: Key) -> bool:
        count, since = self._expected.get(key, (0, 0.0))
        return count <= 0 or time.monotonic() - since > EXPECTATION_TIMEOUT

    async def sync(self, key: Key) -> None:
        rs = self.replicasets.get(*key)
        if rs is None:
            return
        pods = [pod for pod in self.dependents(rs) if is_active(pod)]
        wanted = int(rs["spec"].get("replicas", 1))
        if self._satisfied(key) and not rs["metadata"].get("deletionTimestamp"):
            gap = wanted - len(pods)
            if gap > 0:
                self._expected[key] = (gap, time.monotonic())
                await self._create(rs, gap)
            elif gap < 0:
                victims = sorted(pods, key=deletion_rank)[:-gap]
                self._expected[key] = (len(victims), time.monotonic())
                await asyncio.gather(*(self._delete(rs, pod) for pod in victims))
        await self._write_status(rs, pods)

    async def _create(self, rs: dict[str, Any], count: int) -> None:
        template = rs["spec"].get("template") or {}
        metadata = template.get("metadata") or {}
        pod_metadata: dict[str, Any] = {
            "generateName": f"{rs['metadata']['name']}-",
            "namespace": rs["metadata"]["namespace"],
            "labels": dict(metadata.get("labels") or {}),
            "ownerReferences": [owner_reference(rs)],
        }
        if metadata.get("annotations"):
            pod_metadata["annotations"] = dict(metadata["annotations"])
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": pod_metadata,
            "spec": template.get("spec") or {},
        }
        gate = asyncio.Semaphore(CREATE_CONCURRENCY)

        async def one() -> ApiError | None:
            async with gate:
                try:
                    pod = await self.kube.create(PODS, rs["metadata"]["namespace"], body)
                except ApiError as error:
                    key = key_of(rs)
                    remaining, since = self._expected.get(key, (0, 0.0))
                    self._expected[key] = (max(remaining - 1, 0), since)
                    self.events.record(
                        rs, "Warning", "FailedCreate", f"Error creating: {error.body.get('message', error)}"
                    )
                    return error
                self.events.record(
                    rs, "Normal", "SuccessfulCreate", messages.created_pod(pod["metadata"]["name"])
                )
                return None

        errors = [error for error in await asyncio.gather(*(one() for _ in range(count))) if error]
        if errors:
            raise errors[0]  # the queue retries the ReplicaSet with back-off, as the real controller does

    async def _delete(self, rs: dict[str, Any], pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        if await self.kube.delete(PODS, pod["metadata"]["namespace"], name):
            self.events.record(rs, "Normal", "SuccessfulDelete", messages.deleted_pod(name))

    async def _write_status(self, rs: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        min_ready = float(rs["spec"].get("minReadySeconds") or 0)
        now = time.time()
        available = [pod for pod in pods if is_available(pod, min_ready, now)]
        status = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": sum(1 for pod in pods if is_ready(pod)),
            "availableReplicas": len(available),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if min_ready > 0:
            waiting = [since for pod in pods if (since := ready_since(pod)) and pod not in available]
            if waiting:
                self.queue.add_after(key_of(rs), max(min(waiting) + min_ready - now, 0.0) + 0.01)
        current = rs.get("status") or {}
        if all(current.get(name, 0) == value for name, value in status.items()):
            return
        await self.kube.patch(
            REPLICASETS,
            rs["metadata"]["namespace"],
            rs["metadata"]["name"],
            {"status": status},
            subresource="status",
        )
