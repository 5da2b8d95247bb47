"""The HorizontalPodAutoscaler controller, for the External metrics KEDA serves (autoscaling/v2).

Every sync period (15 s, times `autoscaler_scale`) and whenever an HPA changes, as
`pkg/controller/podautoscaler/horizontal.go`: read the target's scale; at 0 replicas scaling is disabled
(`ScalingActive=False`, `ScalingDisabled`); otherwise ask the metrics adapter (the simulated KEDA) for each
External metric, propose replicas (`autoscaling.metric_proposal`, highest of all metrics), stabilize and
rate-limit them with the HPA's `behavior` (`autoscaling.hpa_replicas`), write `spec.replicas` through the
target's `/scale` when it changes (event `SuccessfulRescale` `New size: 5; reason: external metric …
above target`), and write the status: `currentReplicas`, `desiredReplicas`, `lastScaleTime`,
`currentMetrics` and the conditions `AbleToScale`, `ScalingActive`, `ScalingLimited` with the real reasons
and messages.

Simplifications: External metrics with AverageValue or Value targets only (the ones KEDA creates); CPU and
memory metrics are ignored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from tests.kubeapi.sim.autoscaling import (
    DEFAULT_DOWN,
    DEFAULT_UP,
    HpaMemory,
    hpa_replicas,
    metric_proposal,
    record_scale,
    rules,
)
from tests.kubeapi.sim.client import DEPLOYMENTS, HPAS, STATEFULSETS, Resource
from tests.kubeapi.sim.events import rfc3339
from tests.kubeapi.sim.informer import Key, WorkQueue, key_of
from tests.kubeapi.sim.quantity import parse_quantity
from tests.kubeapi.sim.shared import Shared

COMPONENT = "horizontal-pod-autoscaler"
KINDS: dict[str, Resource] = {"Deployment": DEPLOYMENTS, "StatefulSet": STATEFULSETS}
LIMITS = {
    "TooManyReplicas": "the desired replica count is more than the maximum replica count",
    "TooFewReplicas": "the desired replica count is less than the minimum replica count",
    "ScaleUpLimit": "the desired replica count is increasing faster than the maximum scale rate",
    "ScaleDownLimit": "the desired replica count is decreasing faster than the maximum scale rate",
}


def selector_text(selector: Mapping[str, Any] | None) -> str:
    """How the HPA prints a metric's label selector in its messages (Go's `%v` of a LabelSelector)."""
    labels = ",".join(f"{k}: {v}" for k, v in sorted(((selector or {}).get("matchLabels") or {}).items()))
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels},}},"
        "MatchExpressions:[]LabelSelectorRequirement{},}"
    )


def _milli(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{round(value * 1000)}m"


class HpaController:
    def __init__(self, shared: Shared, metrics: Any) -> None:
        """`metrics` answers `metric(namespace, scaledobject_name, metric_name) -> float | None`."""
        self.shared = shared
        self.kube = shared.kube
        self.metrics = metrics
        self.scale = shared.timings.autoscaler_scale
        self.hpas = shared.informer(HPAS)
        self.targets = {kind: shared.informer(resource) for kind, resource in KINDS.items()}
        self.events = shared.recorder(COMPONENT)
        self.queue: WorkQueue[Key] = WorkQueue("hpa", self.sync, workers=4)
        self.memory: dict[str, HpaMemory] = {}
        self.hpas.on_change(self._on_hpa)

    def _on_hpa(self, kind: str, hpa: dict[str, Any], previous: dict[str, Any] | None) -> None:
        if kind == "DELETED":
            self.memory.pop(hpa["metadata"]["uid"], None)
            self.queue.forget(key_of(hpa))
        elif previous is None or previous.get("spec") != hpa.get("spec"):
            self.queue.add(key_of(hpa))

    async def sync(self, key: Key) -> None:
        hpa = self.hpas.get(*key)
        if hpa is None:
            return
        period = self.shared.timings.hpa_sync_period * self.scale
        self.queue.add_after(key, period)
        spec = hpa["spec"]
        ref = spec.get("scaleTargetRef") or {}
        informer = self.targets.get(ref.get("kind", ""))
        target = informer.get(key[0], ref.get("name", "")) if informer else None
        previous = hpa.get("status") or {}
        conditions = {c["type"]: c for c in previous.get("conditions") or []}
        now_text = rfc3339()
        if target is None:
            self._condition(
                conditions,
                "AbleToScale",
                False,
                "FailedGetScale",
                "the HPA controller was unable to get the target's current scale: "
                f'{ref.get("kind", "").lower()}s.apps "{ref.get("name")}" not found',
                now_text,
            )
            await self._write(hpa, {**previous, "conditions": list(conditions.values())})
            return
        current = int(target["spec"].get("replicas", 1))
        pods = int((target.get("status") or {}).get("replicas", current))
        status: dict[str, Any] = {"currentReplicas": pods, "desiredReplicas": current}
        if previous.get("lastScaleTime"):
            status["lastScaleTime"] = previous["lastScaleTime"]
        self._condition(
            conditions,
            "AbleToScale",
            True,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            now_text,
        )
        if current == 0:
            status["desiredReplicas"] = 0
            self._condition(
                conditions,
                "ScalingActive",
                False,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
                now_text,
            )
            status["conditions"] = [
                conditions[k] for k in ("AbleToScale", "ScalingActive", "ScalingLimited") if k in conditions
            ]
            await self._write(hpa, status)
            return
        proposal, current_metrics, failure, reason_metric = self._propose(hpa, key[0], max(pods, 1))
        if failure:
            self._condition(conditions, "ScalingActive", False, "FailedGetExternalMetric", failure, now_text)
            status["conditions"] = [
                conditions[k] for k in ("AbleToScale", "ScalingActive", "ScalingLimited") if k in conditions
            ]
            await self._write(hpa, status)
            return
        memory = self.memory.setdefault(hpa["metadata"]["uid"], HpaMemory())
        behavior = spec.get("behavior") or {}
        result = hpa_replicas(
            proposal=proposal,
            current=current,
            minimum=int(spec.get("minReplicas", 1)),
            maximum=int(spec["maxReplicas"]),
            up=rules(behavior.get("scaleUp"), DEFAULT_UP),
            down=rules(behavior.get("scaleDown"), DEFAULT_DOWN),
            memory=memory,
            now=time.monotonic(),
            scale=self.scale,
        )
        status["desiredReplicas"] = result.replicas
        status["currentMetrics"] = current_metrics
        self._condition(
            conditions,
            "ScalingActive",
            True,
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {reason_metric}",
            now_text,
        )
        if result.limited:
            self._condition(
                conditions, "ScalingLimited", True, result.limited, LIMITS[result.limited], now_text
            )
        else:
            self._condition(
                conditions,
                "ScalingLimited",
                False,
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
                now_text,
            )
        if result.replicas != current:
            resource = KINDS[ref["kind"]]
            await self.kube.patch(
                resource,
                key[0],
                ref["name"],
                {"spec": {"replicas": result.replicas}},
                subresource="scale",
                field_manager="horizontal-pod-autoscaler",
            )
            record_scale(memory, current, result.replicas, time.monotonic(), horizon=1800 * self.scale)
            direction = "above" if result.replicas > current else "below"
            why = (
                f"{reason_metric} {direction} target" if direction == "above" else "All metrics below target"
            )
            self.events.record(
                hpa, "Normal", "SuccessfulRescale", f"New size: {result.replicas}; reason: {why}"
            )
            status["lastScaleTime"] = now_text
            self._condition(
                conditions,
                "AbleToScale",
                True,
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {result.replicas}",
                now_text,
            )
        elif result.stabilized and proposal < current:
            self._condition(
                conditions,
                "AbleToScale",
                True,
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, "
                "applying the highest recent recommendation",
                now_text,
            )
        else:
            self._condition(
                conditions,
                "AbleToScale",
                True,
                "ReadyForNewScale",
                "recommended size matches current size",
                now_text,
            )
        status["conditions"] = [
            conditions[k] for k in ("AbleToScale", "ScalingActive", "ScalingLimited") if k in conditions
        ]
        await self._write(hpa, status)

    def _propose(
        self, hpa: Mapping[str, Any], namespace: str, pods: int
    ) -> tuple[int, list[dict[str, Any]], str, str]:
        """(proposal, currentMetrics, failure message, the metric that decided) over the External metrics."""
        best = 0
        decided = ""
        current: list[dict[str, Any]] = []
        for metric in hpa["spec"].get("metrics") or []:
            if metric.get("type") != "External":
                continue
            external = metric["external"]
            identity = external.get("metric") or {}
            name = identity.get("name", "")
            selector = identity.get("selector") or {}
            described = f"external metric {name}({selector_text(selector)})"
            so_name = (selector.get("matchLabels") or {}).get("scaledobject.keda.sh/name", "")
            value = self.metrics.metric(namespace, so_name, name) if self.metrics else None
            if value is None:
                return (
                    0,
                    [],
                    (
                        "the HPA was unable to compute the replica count: unable to get external metric "
                        f"{namespace}/{name}/{selector_text(selector)}: "
                        "no metrics returned from external metrics API"
                    ),
                    described,
                )
            target = external.get("target") or {}
            if target.get("type") == "Value":
                # a Value target compares the whole metric with the target, then scales the pod count
                wanted = parse_quantity(target.get("value", "1"))
                proposal = metric_proposal(value / wanted * pods, 1.0, pods) if wanted else pods
                current_value = {"value": _milli(value)}
            else:
                wanted = parse_quantity(target.get("averageValue", "1"))
                proposal = metric_proposal(value, wanted, pods)
                current_value = {"averageValue": _milli(value / pods)}
            current.append({"type": "External", "external": {"metric": identity, "current": current_value}})
            if proposal >= best:
                best, decided = proposal, described
        return best, current, "", decided

    @staticmethod
    def _condition(
        conditions: dict[str, dict[str, Any]], kind: str, ok: bool, reason: str, message: str, now: str
    ) -> None:
        status = "True" if ok else "False"
        old = conditions.get(kind)
        since = old["lastTransitionTime"] if old and old.get("status") == status else now
        conditions[kind] = {
            "type": kind,
            "status": status,
            "lastTransitionTime": since,
            "reason": reason,
            "message": message,
        }

    async def _write(self, hpa: Mapping[str, Any], status: dict[str, Any]) -> None:
        previous = hpa.get("status") or {}
        if status == previous:
            return
        patch = {"status": {**{k: None for k in previous}, **status}}
        await self.kube.patch(
            HPAS,
            hpa["metadata"]["namespace"],
            hpa["metadata"]["name"],
            patch,
            subresource="status",
            field_manager="horizontal-pod-autoscaler",
        )

    async def run(self) -> None:
        await self.queue.run()
