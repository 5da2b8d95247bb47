"""KEDA manifests of an actor: the ScaledObject that scales its workload on queue depth (contract §7).

Pure: the transport supplies the trigger (type, metadata, authentication reference); this module wraps it in
the ScaledObject with the scale target, bounds, timings, HPA behaviour and advanced options from the spec.

Decision where the contract is silent: ``scaling.advanced.metricType`` goes into ``scalingModifiers`` when a
formula is given (it then describes the composite metric) and onto the trigger otherwise.
"""

from __future__ import annotations

from typing import Any

from controller.actor.workload import Actor, managed_labels
from controller.api import constants as c
from controller.api.models import AsyncActorSpec

KEDA_GROUP = "keda.sh"
KEDA_API_VERSION = "keda.sh/v1alpha1"
TRIGGER_NAME = "queue"

# Scale down one pod a minute after five quiet minutes; scale up fast (contract §7).
HPA_BEHAVIOR: dict[str, Any] = {
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
    },
    "scaleUp": {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 10, "periodSeconds": 60},
            {"type": "Percent", "value": 100, "periodSeconds": 60},
        ],
    },
}


def hpa_name(actor_name: str) -> str:
    """The HPA KEDA creates for the ScaledObject of the same name."""
    return f"keda-hpa-{actor_name}"


def scaled_object(*, actor: Actor, spec: AsyncActorSpec, trigger: dict[str, Any]) -> dict[str, Any]:
    """The ScaledObject ``<name>`` for an actor whose scaling is enabled."""
    scaling = spec.scaling
    advanced: dict[str, Any] = {"horizontalPodAutoscalerConfig": {"behavior": HPA_BEHAVIOR}}
    named_trigger = {**trigger, "name": TRIGGER_NAME}
    options = scaling.advanced
    if options is not None:
        if options.restore_to_original_replica_count is not None:
            advanced["restoreToOriginalReplicaCount"] = options.restore_to_original_replica_count
        if options.formula:
            modifiers: dict[str, Any] = {"formula": options.formula}
            if options.target is not None:
                modifiers["target"] = options.target
            if options.activation_target is not None:
                modifiers["activationTarget"] = options.activation_target
            if options.metric_type is not None:
                modifiers["metricType"] = options.metric_type
            advanced["scalingModifiers"] = modifiers
        elif options.metric_type is not None:
            named_trigger["metricType"] = options.metric_type
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "ScaledObject",
        "metadata": {
            "name": actor.name,
            "namespace": actor.namespace,
            "labels": {**managed_labels(), c.LABEL_ACTOR: actor.name},
            "ownerReferences": [actor.owner_reference()],
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": spec.workload.kind, "name": actor.name},
            "minReplicaCount": scaling.min_replicas,
            "maxReplicaCount": scaling.max_replicas,
            "pollingInterval": scaling.polling_interval,
            "cooldownPeriod": scaling.cooldown_period,
            "advanced": advanced,
            "triggers": [named_trigger],
        },
    }
