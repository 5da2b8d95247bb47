"""The Deployment controller: ReplicaSets per pod template, rolling updates, and the Deployment's status.

As `pkg/controller/deployment` (`sync.go`, `rolling.go`, `recreate.go`, `util/deployment_util.go`):
- the ReplicaSet for the current template is `<name>-<pod-template-hash>` with the template's labels plus
  `pod-template-hash`, owned by the Deployment, annotated with `deployment.kubernetes.io/revision`;
- RollingUpdate (default `maxSurge` 25 % rounded up, `maxUnavailable` 25 % rounded down): the new ReplicaSet
  grows while the total stays within replicas + maxSurge, old ones shrink while at least replicas -
  maxUnavailable pods stay available — new pods first, old removed as new become ready; Recreate: old
  ReplicaSets go to 0 and their pods must be gone before the new one grows;
- events `ScalingReplicaSet` `Scaled up replica set x-hash from 0 to 3`;
- status `observedGeneration`, `replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`,
  `unavailableReplicas`, conditions `Available` (`MinimumReplicasAvailable` / `MinimumReplicasUnavailable`)
  and `Progressing` (`NewReplicaSetCreated`, `ReplicaSetUpdated`, `NewReplicaSetAvailable`,
  `ProgressDeadlineExceeded` after `progressDeadlineSeconds`, scaled by the back-off knob) with
  `lastUpdateTime` and `lastTransitionTime`.

Simplifications: no proportional scaling of several live ReplicaSets on a resize mid-rollout (the rolling
logic bounds it instead), no rollback annotations, no adoption by selector, old ReplicaSets beyond
`revisionHistoryLimit` are deleted only when scaled to 0.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from tests.kubeapi.sim import messages
from tests.kubeapi.sim.client import DEPLOYMENTS, PODS, REPLICASETS, ApiError, controller_uid, owner_reference
from tests.kubeapi.sim.events import rfc3339
from tests.kubeapi.sim.informer import Key, key_of
from tests.kubeapi.sim.naming import template_hash
from tests.kubeapi.sim.owners import OwnerController
from tests.kubeapi.sim.shared import Shared, parse_time

COMPONENT = "deployment-controller"
REVISION = "deployment.kubernetes.io/revision"


def _int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = total * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def surge_and_unavailable(deployment: Mapping[str, Any], replicas: int) -> tuple[int, int]:
    rolling = ((deployment["spec"].get("strategy") or {}).get("rollingUpdate")) or {}
    surge = _int_or_percent(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _int_or_percent(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def _replicas(rs: Mapping[str, Any]) -> int:
    return int(rs["spec"].get("replicas", 0))


def _status(rs: Mapping[str, Any], name: str) -> int:
    return int((rs.get("status") or {}).get(name, 0))


def _revision(rs: Mapping[str, Any]) -> int:
    return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0") or 0)


class DeploymentController(OwnerController):
    def __init__(self, shared: Shared) -> None:
        super().__init__(shared, DEPLOYMENTS, REPLICASETS, component=COMPONENT, workers=8)
        self.deployments = self.owners
        self.pods = shared.informer(PODS)
        self.pods.add_index("controller", lambda pod: [uid] if (uid := controller_uid(pod)) else [])

    async def sync(self, key: Key) -> None:
        deployment = self.deployments.get(*key)
        if deployment is None or deployment["metadata"].get("deletionTimestamp"):
            return
        replicasets = [
            rs for rs in self.dependents(deployment) if not rs["metadata"].get("deletionTimestamp")
        ]
        template = deployment["spec"].get("template") or {}
        hash_ = template_hash(template)
        new = next(
            (rs for rs in replicasets if rs["metadata"]["labels"].get("pod-template-hash") == hash_), None
        )
        old = [rs for rs in replicasets if rs is not new]
        replicas = int(deployment["spec"].get("replicas", 1))
        created = False
        if not deployment["spec"].get("paused"):
            strategy = (deployment["spec"].get("strategy") or {}).get("type", "RollingUpdate")
            if strategy == "Recreate":
                new, created = await self._recreate(deployment, new, old, hash_, replicas)
            else:
                new, created = await self._rolling(deployment, new, old, hash_, replicas)
            await self._cleanup(deployment, old)
        await self._write_status(deployment, new, old, replicas, created)

    async def _scale(self, deployment: dict[str, Any], rs: dict[str, Any], replicas: int) -> None:
        current = _replicas(rs)
        if current == replicas:
            return
        await self.kube.patch(
            REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"], {"spec": {"replicas": replicas}}
        )
        rs["spec"]["replicas"] = replicas
        direction = "up" if replicas > current else "down"
        self.events.record(
            deployment,
            "Normal",
            "ScalingReplicaSet",
            messages.scaled_replica_set(direction, rs["metadata"]["name"], current, replicas),
        )

    async def _create_new(
        self, deployment: dict[str, Any], old: list[dict[str, Any]], hash_: str, replicas: int, start: int
    ) -> dict[str, Any] | None:
        """Creates the ReplicaSet of the current template with `start` replicas (as `getNewReplicaSet`)."""
        template = deployment["spec"].get("template") or {}
        metadata = dict(template.get("metadata") or {})
        labels = {**(metadata.get("labels") or {}), "pod-template-hash": hash_}
        metadata["labels"] = labels
        selector = dict(deployment["spec"].get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), "pod-template-hash": hash_}
        revision = max((_revision(rs) for rs in old), default=0) + 1
        name = f"{deployment['metadata']['name']}-{hash_}"
        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": deployment["metadata"]["namespace"],
                "labels": labels,
                "annotations": {
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(replicas),
                    "deployment.kubernetes.io/max-replicas": str(
                        replicas + surge_and_unavailable(deployment, replicas)[0]
                    ),
                },
                "ownerReferences": [owner_reference(deployment)],
            },
            "spec": {
                "replicas": start,
                "minReadySeconds": deployment["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": {**template, "metadata": metadata},
            },
        }
        try:
            created = await self.kube.create(REPLICASETS, deployment["metadata"]["namespace"], body)
        except ApiError as error:
            if error.status == 409:
                return None  # the watch has not shown it yet; the next sync finds it
            raise
        if start:
            self.events.record(
                deployment, "Normal", "ScalingReplicaSet", messages.scaled_replica_set("up", name, 0, start)
            )
        return created

    async def _rolling(
        self,
        deployment: dict[str, Any],
        new: dict[str, Any] | None,
        old: list[dict[str, Any]],
        hash_: str,
        replicas: int,
    ) -> tuple[dict[str, Any] | None, bool]:
        created = False
        surge, unavailable = surge_and_unavailable(deployment, replicas)
        if new is None:
            total_old = sum(_replicas(rs) for rs in old)
            start = replicas if not total_old else max(min(replicas + surge - total_old, replicas), 0)
            new = await self._create_new(deployment, old, hash_, replicas, start)
            if new is None:
                return None, False
            created = True
        live_old = [rs for rs in old if _replicas(rs) > 0]
        if not live_old:
            await self._scale(deployment, new, replicas)
            return new, created
        total = _replicas(new) + sum(_replicas(rs) for rs in live_old)
        if _replicas(new) < replicas:
            grow = min(replicas + surge - total, replicas - _replicas(new))
            if grow > 0:
                await self._scale(deployment, new, _replicas(new) + grow)
                total += grow
        elif _replicas(new) > replicas:
            await self._scale(deployment, new, replicas)
        minimum_available = replicas - unavailable
        new_unavailable = _replicas(new) - _status(new, "availableReplicas")
        budget = total - minimum_available - new_unavailable
        # old ReplicaSets with unavailable pods shrink first: removing those costs no availability
        for rs in sorted(live_old, key=lambda r: r["metadata"].get("creationTimestamp", "")):
            if budget <= 0:
                break
            unhealthy = _replicas(rs) - _status(rs, "availableReplicas")
            cut = min(max(unhealthy, 0), budget)
            if cut > 0:
                await self._scale(deployment, rs, _replicas(rs) - cut)
                budget -= cut
        available = _status(new, "availableReplicas") + sum(
            _status(rs, "availableReplicas") for rs in live_old
        )
        spare = min(available - minimum_available, budget)
        for rs in sorted(live_old, key=lambda r: r["metadata"].get("creationTimestamp", "")):
            if spare <= 0:
                break
            cut = min(_replicas(rs), spare)
            if cut > 0:
                await self._scale(deployment, rs, _replicas(rs) - cut)
                spare -= cut
        return new, created

    async def _recreate(
        self,
        deployment: dict[str, Any],
        new: dict[str, Any] | None,
        old: list[dict[str, Any]],
        hash_: str,
        replicas: int,
    ) -> tuple[dict[str, Any] | None, bool]:
        for rs in old:
            await self._scale(deployment, rs, 0)
        old_uids = {rs["metadata"]["uid"] for rs in old}
        if any(self.pods.by_index("controller", uid) for uid in old_uids):
            return new, False  # Recreate: the old pods must be gone first
        created = False
        if new is None:
            new = await self._create_new(deployment, old, hash_, replicas, replicas)
            created = new is not None
        if new is not None:
            await self._scale(deployment, new, replicas)
        return new, created

    async def _cleanup(self, deployment: dict[str, Any], old: list[dict[str, Any]]) -> None:
        limit = int(deployment["spec"].get("revisionHistoryLimit", 10))
        idle = sorted(
            (rs for rs in old if _replicas(rs) == 0 and _status(rs, "replicas") == 0), key=_revision
        )
        for rs in idle[: max(len(idle) - limit, 0)]:
            await self.kube.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    async def _write_status(
        self,
        deployment: dict[str, Any],
        new: dict[str, Any] | None,
        old: list[dict[str, Any]],
        replicas: int,
        created: bool,
    ) -> None:
        every = ([new] if new else []) + old
        status: dict[str, Any] = {
            "observedGeneration": deployment["metadata"].get("generation", 1),
            "replicas": sum(_status(rs, "replicas") for rs in every),
            "updatedReplicas": _status(new, "replicas") if new else 0,
            "readyReplicas": sum(_status(rs, "readyReplicas") for rs in every),
            "availableReplicas": sum(_status(rs, "availableReplicas") for rs in every),
        }
        status["unavailableReplicas"] = max(replicas - status["availableReplicas"], 0)
        status = {k: v for k, v in status.items() if v}  # every field is omitempty
        previous = deployment.get("status") or {}
        _, unavailable = surge_and_unavailable(deployment, replicas)
        now = rfc3339()
        conditions = {c["type"]: c for c in previous.get("conditions") or []}
        available_ok = status.get("availableReplicas", 0) >= replicas - unavailable
        conditions["Available"] = _condition(
            "Available",
            conditions.get("Available"),
            available_ok,
            "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
            messages.MINIMUM_AVAILABLE if available_ok else messages.MINIMUM_UNAVAILABLE,
            now,
        )
        if new is not None:
            conditions["Progressing"] = self._progressing(
                deployment, conditions.get("Progressing"), new, status, replicas, created, now
            )
        status["conditions"] = [conditions[t] for t in ("Available", "Progressing") if t in conditions]
        if _same(previous, status):
            return
        await self.kube.patch(
            DEPLOYMENTS,
            deployment["metadata"]["namespace"],
            deployment["metadata"]["name"],
            {"status": {**{k: None for k in previous}, **status}},
            subresource="status",
        )

    def _progressing(
        self,
        deployment: dict[str, Any],
        current: dict[str, Any] | None,
        new: dict[str, Any],
        status: Mapping[str, Any],
        replicas: int,
        created: bool,
        now: str,
    ) -> dict[str, Any]:
        name = new["metadata"]["name"]
        previous = deployment.get("status") or {}
        if created:
            return _condition(
                "Progressing",
                current,
                True,
                "NewReplicaSetCreated",
                messages.new_replica_set_created(name),
                now,
                touch=True,
            )
        complete = (
            status.get("updatedReplicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
            and status.get("replicas", 0) == replicas
        )
        if complete:
            return _condition(
                "Progressing",
                current,
                True,
                "NewReplicaSetAvailable",
                messages.replica_set_progressed(name),
                now,
                touch=(current or {}).get("reason") != "NewReplicaSetAvailable",
            )
        progressed = any(
            status.get(field, 0) > previous.get(field, 0)
            for field in ("updatedReplicas", "readyReplicas", "availableReplicas")
        ) or status.get("replicas", 0) < previous.get("replicas", 0)
        if progressed or current is None:
            return _condition(
                "Progressing",
                current,
                True,
                "ReplicaSetUpdated",
                messages.replica_set_progressing(name),
                now,
                touch=True,
            )
        deadline = (
            float(deployment["spec"].get("progressDeadlineSeconds", 600)) * self.shared.timings.backoff_scale
        )
        last = parse_time(current.get("lastUpdateTime") or now)
        if current.get("status") == "True" and time.time() - last > deadline:
            return _condition(
                "Progressing",
                current,
                False,
                "ProgressDeadlineExceeded",
                messages.replica_set_timed_out(name),
                now,
                touch=True,
            )
        if current.get("status") == "True":
            self.queue.add_after(key_of(deployment), max(last + deadline - time.time(), 0.0) + 0.05)
        return current


def _condition(
    kind: str,
    current: Mapping[str, Any] | None,
    ok: bool,
    reason: str,
    message: str,
    now: str,
    *,
    touch: bool = False,
) -> dict[str, Any]:
    """A Deployment condition; `lastTransitionTime` moves only when the status flips, `lastUpdateTime` when
    anything is reported anew (`touch`) or the reason changes."""
    status = "True" if ok else "False"
    if current and current.get("status") == status and current.get("reason") == reason and not touch:
        return dict(current)
    flipped = not current or current.get("status") != status
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now if flipped or not current else current.get("lastTransitionTime", now),
        "reason": reason,
        "message": message,
    }


def _same(previous: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    def strip(value: Mapping[str, Any]) -> dict[str, Any]:
        result = {k: v for k, v in value.items() if k != "conditions"}
        result["conditions"] = [
            {k: v for k, v in c.items() if k != "lastUpdateTime"} for c in value.get("conditions") or []
        ]
        return result

    return strip(previous) == strip(status)
