"""The StatefulSet controller: pods `<name>-0 … <name>-N-1` with stable names, in order or in parallel.

As `pkg/controller/statefulset` (`stateful_set_control.go`, `stateful_pod_control.go`,
`stateful_set_utils.go`):
- each pod is named `<name>-<ordinal>`, labelled with the template's labels plus `controller-revision-hash:
  <name>-<hash>`, `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`, with `hostname`
  and `subdomain` (`serviceName`) set and a controller ownerReference to the StatefulSet;
- `OrderedReady` (default): pod i is created only when pods 0…i-1 are Running and Ready, scale-down removes
  the highest ordinal first and one at a time; `Parallel` creates and deletes without waiting;
- `RollingUpdate` replaces pods of an old revision from the highest ordinal down to `partition`, one at a
  time, each only when every pod is Running and Ready; `OnDelete` leaves them until someone deletes them;
- events `SuccessfulCreate` `create Pod x-0 in StatefulSet x successful` and `SuccessfulDelete`;
- status `observedGeneration`, `replicas`, `readyReplicas`, `currentReplicas`, `updatedReplicas`,
  `availableReplicas`, `currentRevision`, `updateRevision`, `collisionCount`.

Simplifications: no ControllerRevision objects (the revision is the template hash), no PersistentVolumeClaims
from `volumeClaimTemplates`, no `maxUnavailable`, `minReadySeconds` only in `availableReplicas`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from tests.kubeapi.sim import messages
from tests.kubeapi.sim.client import PODS, STATEFULSETS, ApiError, owner_reference
from tests.kubeapi.sim.informer import Key
from tests.kubeapi.sim.naming import template_hash
from tests.kubeapi.sim.owners import OwnerController
from tests.kubeapi.sim.shared import Shared, is_available, is_ready, is_terminating

COMPONENT = "statefulset-controller"
REVISION_LABEL = "controller-revision-hash"


def ordinal(pod: Mapping[str, Any], set_name: str) -> int | None:
    name: str = pod["metadata"]["name"]
    prefix, _, number = name.rpartition("-")
    return int(number) if prefix == set_name and number.isdigit() else None


def _running_and_ready(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_ready(pod)


class StatefulSetController(OwnerController):
    def __init__(self, shared: Shared) -> None:
        super().__init__(shared, STATEFULSETS, PODS, component=COMPONENT, workers=4)
        self.sets = self.owners

    async def sync(self, key: Key) -> None:
        sts = self.sets.get(*key)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return
        name = sts["metadata"]["name"]
        spec = sts["spec"]
        revision = f"{name}-{template_hash(spec.get('template') or {})}"
        replicas = int(spec.get("replicas", 1))
        parallel = spec.get("podManagementPolicy") == "Parallel"
        pods: dict[int, dict[str, Any]] = {}
        for pod in self.dependents(sts):
            number = ordinal(pod, name)
            if number is not None:
                pods[number] = pod
        await self._reconcile(sts, pods, revision, replicas, parallel=parallel)
        await self._write_status(sts, pods, revision, replicas)

    async def _reconcile(
        self,
        sts: dict[str, Any],
        pods: dict[int, dict[str, Any]],
        revision: str,
        replicas: int,
        *,
        parallel: bool,
    ) -> None:
        creates = []
        for number in range(replicas):
            pod = pods.get(number)
            if pod is None:
                creates.append(number)
                if not parallel:
                    break
            elif not parallel and (is_terminating(pod) or not _running_and_ready(pod)):
                break  # OrderedReady: wait for this one before touching the next
        if creates:
            await asyncio.gather(*(self._create(sts, number, revision) for number in creates))
            return
        extra = sorted((n for n in pods if n >= replicas), reverse=True)
        if extra:
            if not parallel and any(is_terminating(pods[n]) for n in extra):
                return
            for number in extra if parallel else extra[:1]:
                if not is_terminating(pods[number]):
                    await self._delete(sts, pods[number])
            return
        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
        if not all(
            _running_and_ready(pods[n]) and not is_terminating(pods[n]) for n in range(replicas) if n in pods
        ):
            return
        for number in sorted((n for n in pods if n >= partition), reverse=True):
            if pods[number]["metadata"].get("labels", {}).get(REVISION_LABEL) != revision:
                await self._delete(sts, pods[number])
                return

    async def _create(self, sts: dict[str, Any], number: int, revision: str) -> None:
        name = sts["metadata"]["name"]
        pod_name = f"{name}-{number}"
        template = sts["spec"].get("template") or {}
        metadata = template.get("metadata") or {}
        labels = {
            **(metadata.get("labels") or {}),
            REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": pod_name,
            "apps.kubernetes.io/pod-index": str(number),
        }
        pod_metadata: dict[str, Any] = {
            "name": pod_name,
            "namespace": sts["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(sts)],
        }
        if metadata.get("annotations"):
            pod_metadata["annotations"] = dict(metadata["annotations"])
        spec = {**(template.get("spec") or {}), "hostname": pod_name}
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_metadata, "spec": spec}
        try:
            await self.kube.create(PODS, sts["metadata"]["namespace"], body)
        except ApiError as error:
            if error.status == 409:
                return  # the previous pod of that name is still terminating
            self.events.record(
                sts,
                "Warning",
                "FailedCreate",
                f"create Pod {pod_name} in StatefulSet {name} failed error: "
                f"{error.body.get('message', error)}",
            )
            raise
        self.events.record(sts, "Normal", "SuccessfulCreate", messages.stateful_pod("create", pod_name, name))

    async def _delete(self, sts: dict[str, Any], pod: dict[str, Any]) -> None:
        pod_name = pod["metadata"]["name"]
        if await self.kube.delete(PODS, pod["metadata"]["namespace"], pod_name):
            self.events.record(
                sts,
                "Normal",
                "SuccessfulDelete",
                messages.stateful_pod("delete", pod_name, sts["metadata"]["name"]),
            )

    async def _write_status(
        self, sts: dict[str, Any], pods: dict[int, dict[str, Any]], revision: str, replicas: int
    ) -> None:
        live = [pod for pod in pods.values() if not is_terminating(pod)]
        previous = sts.get("status") or {}
        min_ready = float(sts["spec"].get("minReadySeconds") or 0)
        updated = sum(1 for pod in live if pod["metadata"].get("labels", {}).get(REVISION_LABEL) == revision)
        current_revision = previous.get("currentRevision") or revision
        if updated == len(live) == replicas:
            current_revision = revision
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(live),
            "readyReplicas": sum(1 for pod in live if is_ready(pod)),
            "availableReplicas": sum(1 for pod in live if is_available(pod, min_ready, time.time())),
            "currentReplicas": sum(
                1 for pod in live if pod["metadata"].get("labels", {}).get(REVISION_LABEL) == current_revision
            ),
            "updatedReplicas": updated,
            "currentRevision": current_revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        if all(previous.get(k) == v for k, v in status.items()):
            return
        await self.kube.patch(
            STATEFULSETS,
            sts["metadata"]["namespace"],
            sts["metadata"]["name"],
            {"status": status},
            subresource="status",
        )
