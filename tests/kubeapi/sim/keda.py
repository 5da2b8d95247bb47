"""KEDA's operator: checks each ScaledObject, owns its HPA, and scales its target between 0 and 1.

As KEDA 2.20's `ScaledObjectReconciler` and scale loop:
- adds the finalizer `finalizer.keda.sh` and the label `scaledobject.keda.sh/name`; initializes the
  conditions `Ready`, `Active`, `Fallback`, `Paused` to Unknown (KEDA's own condition type: type, status,
  reason, message — no timestamps);
- checks the target (Deployment or StatefulSet, must exist), bounds and triggers (`keda_triggers`); a failed
  check sets `Ready=False`, reason `ScaledObjectCheckFailed`, message `<what>: <error>`, `Active=Unknown`
  (`UnknownState`), and a Warning event `ScaledObjectCheckFailed`; a good one `Ready=True`
  (`ScaledObjectReady`) and the Normal event `ScaledObjectReady` when it becomes so;
- status: `scaleTargetKind` (`apps/v1.Deployment`), `scaleTargetGVKR`, `originalReplicaCount` (the target's
  replicas when KEDA first saw it), `hpaName`, `externalMetricNames`, `triggersTypes`,
  `authenticationsTypes`, `lastActiveTime`, `health`;
- creates/updates the HPA `keda-hpa-<name>` owned by the ScaledObject (`keda_objects.hpa_manifest`), with
  one External metric per trigger (`s<i>-rabbitmq-<queue>`); trigger parameters come from the
  TriggerAuthentication and the target's env (`keda_objects.trigger_auth`);
- every `pollingInterval` reads each trigger's queue depth (`queues`), sets `Active`, and writes
  `spec.replicas` through the target's `/scale` for 0 → 1 (activation) and N → 0 (after `cooldownPeriod`);
  events `KEDAScaleTargetActivated` / `KEDAScaleTargetDeactivated`, `KEDAScalerFailed` when a queue cannot
  be read;
- on deletion, with `advanced.restoreToOriginalReplicaCount`, writes the original replica count back through
  `/scale`, deletes the HPA and removes the finalizer.
The HPA controller itself is in `hpa`; the depth KEDA last read is what its metrics adapter serves to it.

Simplifications: only `rabbitmq` and `aws-sqs-queue` triggers; TriggerAuthentication `secretTargetRef`, `env`
and `podIdentity` (no ClusterTriggerAuthentication, vaults or config maps); no pause annotations, fallback,
scaling modifiers (the formula is not evaluated: with several triggers the HPA takes the highest proposal, as
for several metrics), or admission webhook; times are multiplied by `autoscaler_scale`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.kubeapi.sim.autoscaling import keda_replicas
from tests.kubeapi.sim.client import (
    DEPLOYMENTS,
    HPAS,
    SCALEDOBJECTS,
    SECRETS,
    STATEFULSETS,
    TRIGGERAUTHS,
    Resource,
)
from tests.kubeapi.sim.events import rfc3339
from tests.kubeapi.sim.informer import Key, WorkQueue, key_of
from tests.kubeapi.sim.keda_objects import (
    COMPONENT,
    NAME_LABEL,
    container_env,
    hpa_manifest,
    hpa_name,
    trigger_auth,
)
from tests.kubeapi.sim.keda_triggers import (
    READY_MESSAGE,
    TARGET_ERROR,
    Bounds,
    CheckFailed,
    Trigger,
    bounds,
    check_trigger_names,
    parse_trigger,
)
from tests.kubeapi.sim.queues import DepthUnavailable, QueueReader
from tests.kubeapi.sim.shared import Shared, parse_time

FINALIZER = "finalizer.keda.sh"
TARGETS: dict[tuple[str, str], tuple[Resource, str]] = {
    ("apps/v1", "Deployment"): (DEPLOYMENTS, "deployments"),
    ("apps/v1", "StatefulSet"): (STATEFULSETS, "statefulsets"),
}
ACTIVE = ("True", "ScalerActive", "Scaling is performed because triggers are active")
INACTIVE = ("False", "ScalerNotActive", "Scaling is not performed because triggers are not active")


@dataclass(slots=True)
class Loop:
    """What the scale loop of one ScaledObject knows between polls."""

    uid: str
    triggers: list[Trigger]
    bounds: Bounds
    target: Resource
    metrics: dict[str, float] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    created: float = field(default_factory=time.time)


def _conditions(so: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found = {c["type"]: dict(c) for c in (so.get("status") or {}).get("conditions") or []}
    for kind in ("Ready", "Active", "Fallback", "Paused"):
        found.setdefault(kind, {"type": kind, "status": "Unknown"})
    return found


def _set(conditions: dict[str, dict[str, Any]], kind: str, status: str, reason: str, message: str) -> None:
    conditions[kind] = {"type": kind, "status": status, "reason": reason, "message": message}


class Keda:
    def __init__(self, shared: Shared, reader: QueueReader) -> None:
        self.shared = shared
        self.kube = shared.kube
        self.reader = reader
        self.scale = shared.timings.autoscaler_scale
        self.objects = shared.informer(SCALEDOBJECTS)
        self.auths = shared.informer(TRIGGERAUTHS)
        self.secrets = shared.informer(SECRETS)
        self.hpas = shared.informer(HPAS)
        self.targets = {resource: shared.informer(resource) for resource, _ in TARGETS.values()}
        self.events = shared.recorder(COMPONENT)
        self.queue: WorkQueue[Key] = WorkQueue("keda", self.reconcile, workers=4)
        self.polls: WorkQueue[Key] = WorkQueue("keda-poll", self.poll, workers=4)
        self.loops: dict[Key, Loop] = {}
        self._locks: dict[Key, asyncio.Lock] = {}
        self.objects.add_index("target", lambda so: [_target_key(so)])
        self.objects.on_change(lambda kind, obj, old: self.queue.add(key_of(obj)))
        self.auths.on_change(self._requeue_namespace)
        for informer in self.targets.values():
            informer.on_change(self._requeue_scalers_of)

    def _requeue_namespace(self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None) -> None:
        namespace = obj["metadata"].get("namespace")
        for so in self.objects.items():
            if so["metadata"].get("namespace") == namespace:
                self.queue.add(key_of(so))

    def _requeue_scalers_of(self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None) -> None:
        if previous is not None and kind == "MODIFIED" and previous.get("spec") == obj.get("spec"):
            return  # status-only changes do not affect KEDA's checks
        for so in self.objects.by_index(
            "target", f"{obj['metadata'].get('namespace')}/{obj['metadata']['name']}"
        ):
            self.queue.add(key_of(so))

    def _lock(self, key: Key) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def metric(self, namespace: str, so_name: str, metric_name: str) -> float | None:
        """What KEDA's metrics adapter answers the HPA for an external metric."""
        loop = self.loops.get((namespace, so_name))
        return None if loop is None else loop.metrics.get(metric_name)

    # Reconcile -----------------------------------------------------------------------------------------

    async def reconcile(self, key: Key) -> None:
        async with self._lock(key):
            await self._reconcile(key)

    async def _reconcile(self, key: Key) -> None:
        so = self.objects.get(*key)
        if so is None:
            self.loops.pop(key, None)
            self.polls.forget(key)
            self._locks.pop(key, None)
            return
        if so["metadata"].get("deletionTimestamp"):
            await self._finalize(so)
            return
        metadata = so["metadata"]
        finalizers = list(metadata.get("finalizers") or [])
        if FINALIZER not in finalizers or (metadata.get("labels") or {}).get(NAME_LABEL) != metadata["name"]:
            if FINALIZER not in finalizers:
                finalizers.append(FINALIZER)
            patch = {
                "metadata": {
                    "finalizers": finalizers,
                    "labels": {NAME_LABEL: metadata["name"]},
                    "resourceVersion": metadata["resourceVersion"],
                }
            }
            await self.kube.patch(SCALEDOBJECTS, key[0], key[1], patch, field_manager="keda")
            return  # the watch brings the updated object back
        conditions = _conditions(so)
        status = dict(so.get("status") or {})
        was_ready = conditions["Ready"]["status"] == "True"
        try:
            loop = await self._check(so, status)
        except CheckFailed as failed:
            _set(conditions, "Ready", "False", "ScaledObjectCheckFailed", str(failed))
            _set(conditions, "Active", "Unknown", "UnknownState", "ScaledObject check failed")
            self.events.record(so, "Warning", "ScaledObjectCheckFailed", str(failed))
            self.loops.pop(key, None)
            self.polls.forget(key)
        else:
            _set(conditions, "Ready", "True", "ScaledObjectReady", READY_MESSAGE)
            if not was_ready:
                self.events.record(so, "Normal", "ScaledObjectReady", "ScaledObject is ready for scaling")
            previous = self.loops.get(key)
            if previous is not None and previous.uid == loop.uid:
                loop.metrics, loop.failures, loop.created = (
                    previous.metrics,
                    previous.failures,
                    previous.created,
                )
            self.loops[key] = loop
            await self._ensure_hpa(so, loop)
            self.polls.add(key)
        if conditions["Fallback"]["status"] == "Unknown":
            _set(
                conditions,
                "Fallback",
                "False",
                "NoFallbackFound",
                "No fallbacks are active on this scaled object",
            )
        status["conditions"] = [conditions[k] for k in ("Ready", "Active", "Fallback", "Paused")]
        await self._write_status(so, status)

    async def _check(self, so: Mapping[str, Any], status: dict[str, Any]) -> Loop:
        spec = so["spec"]
        namespace = so["metadata"]["namespace"]
        ref = spec.get("scaleTargetRef") or {}
        if not ref.get("name"):
            raise CheckFailed(TARGET_ERROR, "ScaledObject.spec.scaleTargetRef.name is missing")
        api_version, kind = ref.get("apiVersion") or "apps/v1", ref.get("kind") or "Deployment"
        if (api_version, kind) not in TARGETS:
            raise CheckFailed(TARGET_ERROR, f'no matches for kind "{kind}" in version "{api_version}"')
        resource, plural = TARGETS[(api_version, kind)]
        target = self.targets[resource].get(namespace, ref["name"])
        if target is None:
            raise CheckFailed(TARGET_ERROR, f'{plural}.apps "{ref["name"]}" not found')
        parsed_bounds = bounds(spec)
        triggers = spec.get("triggers") or []
        check_trigger_names(triggers)
        env = container_env(target, ref.get("envSourceContainerName"), self.secrets.get)
        parsed: list[Trigger] = []
        auth_names = []
        for index, trigger in enumerate(triggers):
            auth = trigger_auth(trigger, target, auths=self.auths.get, secrets=self.secrets.get)
            if auth.name:
                auth_names.append(auth.name)
            parsed.append(
                parse_trigger(index, trigger, auth=auth.params, env=env, pod_identity=auth.provider)
            )
        status.update(
            scaleTargetKind=f"{api_version}.{kind}",
            scaleTargetGVKR={"group": "apps", "version": "v1", "kind": kind, "resource": plural},
            hpaName=hpa_name(so),
            externalMetricNames=[t.metric_name for t in parsed],
            triggersTypes=",".join(t["type"] for t in triggers),
        )
        if auth_names:
            status["authenticationsTypes"] = ",".join(auth_names)
        if "originalReplicaCount" not in status:
            status["originalReplicaCount"] = int(target["spec"].get("replicas", 1))
        return Loop(uid=so["metadata"]["uid"], triggers=parsed, bounds=parsed_bounds, target=resource)

    async def _ensure_hpa(self, so: Mapping[str, Any], loop: Loop) -> None:
        body = hpa_manifest(so, loop.triggers, minimum=loop.bounds.min, maximum=loop.bounds.max)
        name = body["metadata"]["name"]
        current = self.hpas.get(so["metadata"]["namespace"], name)
        if current is None:
            await self.kube.create(HPAS, so["metadata"]["namespace"], body, field_manager="keda")
        elif current.get("spec") != body["spec"]:
            await self.kube.patch(
                HPAS,
                so["metadata"]["namespace"],
                name,
                {"spec": {**{k: None for k in current.get("spec") or {}}, **body["spec"]}},
                field_manager="keda",
            )

    async def _write_status(self, so: Mapping[str, Any], status: dict[str, Any]) -> None:
        if status == (so.get("status") or {}):
            return
        await self.kube.patch(
            SCALEDOBJECTS,
            so["metadata"]["namespace"],
            so["metadata"]["name"],
            {"status": status},
            subresource="status",
            field_manager="keda",
        )

    async def _finalize(self, so: dict[str, Any]) -> None:
        namespace, name = so["metadata"]["namespace"], so["metadata"]["name"]
        key = (namespace, name)
        self.loops.pop(key, None)
        self.polls.forget(key)
        finalizers = so["metadata"].get("finalizers") or []
        if FINALIZER not in finalizers:
            return
        spec = so["spec"]
        original = (so.get("status") or {}).get("originalReplicaCount")
        ref = spec.get("scaleTargetRef") or {}
        target = TARGETS.get((ref.get("apiVersion") or "apps/v1", ref.get("kind") or "Deployment"))
        if (
            (spec.get("advanced") or {}).get("restoreToOriginalReplicaCount")
            and original is not None
            and target
        ):
            await self.kube.patch(
                target[0],
                namespace,
                ref["name"],
                {"spec": {"replicas": original}},
                subresource="scale",
                field_manager="keda",
            )
        await self.kube.delete(HPAS, namespace, hpa_name(so))
        await self.kube.patch(
            SCALEDOBJECTS,
            namespace,
            name,
            {
                "metadata": {
                    "finalizers": [f for f in finalizers if f != FINALIZER],
                    "resourceVersion": so["metadata"]["resourceVersion"],
                }
            },
            field_manager="keda",
        )

    # Scale loop ----------------------------------------------------------------------------------------

    async def poll(self, key: Key) -> None:
        async with self._lock(key):
            await self._poll(key)

    async def _poll(self, key: Key) -> None:
        so = self.objects.get(*key)
        loop = self.loops.get(key)
        if so is None or loop is None or so["metadata"].get("deletionTimestamp"):
            return
        self.polls.add_after(key, loop.bounds.polling_interval * self.scale)
        annotations = so["metadata"].get("annotations") or {}
        active = False
        health: dict[str, Any] = {}
        for trigger in loop.triggers:
            try:
                depth = await self.reader.depth(trigger, annotations)
            except DepthUnavailable as error:
                loop.failures[trigger.metric_name] = loop.failures.get(trigger.metric_name, 0) + 1
                loop.metrics.pop(trigger.metric_name, None)
                health[trigger.metric_name] = {
                    "numberOfFailures": loop.failures[trigger.metric_name],
                    "status": "Failing",
                }
                self.events.record(so, "Warning", "KEDAScalerFailed", str(error))
                continue
            loop.failures[trigger.metric_name] = 0
            loop.metrics[trigger.metric_name] = depth
            health[trigger.metric_name] = {"numberOfFailures": 0, "status": "Happy"}
            active = active or depth > trigger.activation
        target = self.targets[loop.target].get(key[0], so["spec"]["scaleTargetRef"]["name"])
        if target is None:
            return
        status = dict(so.get("status") or {})
        now = time.time()
        if active:
            status["lastActiveTime"] = rfc3339(now)
        last = status.get("lastActiveTime")
        current = int(target["spec"].get("replicas", 1))
        bounds_ = loop.bounds
        wanted = keda_replicas(
            current=current,
            active=active,
            minimum=bounds_.min,
            idle=bounds_.idle,
            cooldown=bounds_.cooldown * self.scale,
            last_active=parse_time(last)
            if last
            else (loop.created + bounds_.initial_cooldown * self.scale if bounds_.initial_cooldown else None),
            now=now,
        )
        if wanted is not None and wanted != current:
            await self.kube.patch(
                loop.target,
                key[0],
                target["metadata"]["name"],
                {"spec": {"replicas": wanted}},
                subresource="scale",
                field_manager="keda",
            )
            where = (
                f"{status.get('scaleTargetKind', 'apps/v1.Deployment')} {key[0]}/{target['metadata']['name']}"
            )
            if wanted > current:
                scaler = "rabbitMQScaler" if loop.triggers[0].type == "rabbitmq" else "awsSqsQueueScaler"
                self.events.record(
                    so,
                    "Normal",
                    "KEDAScaleTargetActivated",
                    f"Scaled {where} from {current} to {wanted}, triggered by {scaler}",
                )
            else:
                self.events.record(
                    so,
                    "Normal",
                    "KEDAScaleTargetDeactivated",
                    f"Deactivated {where} from {current} to {wanted}",
                )
        conditions = _conditions(so)
        if conditions["Ready"]["status"] == "True":
            _set(conditions, "Active", *(ACTIVE if active else INACTIVE))
            status["conditions"] = [conditions[k] for k in ("Ready", "Active", "Fallback", "Paused")]
        status["health"] = health
        await self._write_status(so, status)

    async def run(self) -> None:
        await asyncio.gather(self.queue.run(), self.polls.run())


def _target_key(so: Mapping[str, Any]) -> str:
    ref = (so.get("spec") or {}).get("scaleTargetRef") or {}
    return f"{so['metadata'].get('namespace')}/{ref.get('name')}"
