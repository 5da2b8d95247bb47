"""What KEDA reads around a ScaledObject, and the HPA it writes for it, as functions of plain objects.

- A trigger's authentication parameters come from its TriggerAuthentication: `secretTargetRef` (a Secret's
  key, base64-decoded), `env` (a variable of the scale target's container, `containerName` or the first), and
  `podIdentity.provider`; the container env resolves `value` and `valueFrom.secretKeyRef`
  (`pkg/scaling/resolver/scale_resolvers.go`).
- The HPA (`controllers/keda/hpa.go` `newHPAForScaledObject`): named `keda-hpa-<name>` unless
  `advanced.horizontalPodAutoscalerConfig.name` says otherwise; labels `app.kubernetes.io/managed-by:
  keda-operator`, `app.kubernetes.io/name`, `app.kubernetes.io/part-of`, `app.kubernetes.io/version`,
  `scaledobject.keda.sh/name`; owned by the ScaledObject; `minReplicas` = max(minReplicaCount, 1),
  `maxReplicas`, one External metric per trigger with the selector `scaledobject.keda.sh/name` and an
  AverageValue target, and the configured `behavior`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.kubeapi.sim.client import owner_reference
from tests.kubeapi.sim.keda_triggers import HPA_ERROR, CheckFailed, Trigger

COMPONENT = "keda-operator"
NAME_LABEL = "scaledobject.keda.sh/name"
KEDA_VERSION = "2.20.1"

# (namespace, name) -> the object, or None
Lookup = Callable[[str, str], Mapping[str, Any] | None]


def secret_value(secret: Mapping[str, Any] | None, key: str) -> str | None:
    if secret is None:
        return None
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key])
    raw = (secret.get("data") or {}).get(key)
    return base64.b64decode(raw).decode() if raw is not None else None


def container_env(target: Mapping[str, Any], container: str | None, secrets: Lookup) -> dict[str, str]:
    """The environment KEDA resolves from the scale target's container (`envSourceContainerName`)."""
    containers = ((target["spec"].get("template") or {}).get("spec") or {}).get("containers") or []
    chosen = next((c for c in containers if c.get("name") == container), containers[0] if containers else {})
    namespace = target["metadata"]["namespace"]
    env: dict[str, str] = {}
    for variable in chosen.get("env") or []:
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            value = secret_value(secrets(namespace, ref.get("name", "")), ref.get("key", ""))
            if value is not None:
                env[variable["name"]] = value
    return env


@dataclass(frozen=True, slots=True)
class Auth:
    name: str = ""
    params: dict[str, str] = field(default_factory=dict)
    provider: str = ""


def trigger_auth(
    trigger: Mapping[str, Any], target: Mapping[str, Any], *, auths: Lookup, secrets: Lookup
) -> Auth:
    """The parameters a trigger's `authenticationRef` provides; raises CheckFailed as KEDA fails."""
    ref = trigger.get("authenticationRef") or {}
    if not ref.get("name"):
        return Auth()
    if ref.get("kind", "TriggerAuthentication") != "TriggerAuthentication":
        raise CheckFailed(
            HPA_ERROR, f"error getting {ref['kind']}: the simulated cluster only has TriggerAuthentication"
        )
    namespace = target["metadata"]["namespace"]
    auth = auths(namespace, ref["name"])
    if auth is None:
        raise CheckFailed(
            HPA_ERROR,
            f'error resolving auth params: triggerauthentications.keda.sh "{ref["name"]}" not found',
        )
    spec = auth.get("spec") or {}
    params: dict[str, str] = {}
    for item in spec.get("secretTargetRef") or []:
        params[item["parameter"]] = (
            secret_value(secrets(namespace, item.get("name", "")), item.get("key", "")) or ""
        )
    for item in spec.get("env") or []:
        env = container_env(target, item.get("containerName"), secrets)
        params[item["parameter"]] = env.get(item.get("name", ""), "")
    provider = str((spec.get("podIdentity") or {}).get("provider") or "")
    return Auth(ref["name"], params, provider)


def hpa_name(so: Mapping[str, Any]) -> str:
    config = ((so["spec"].get("advanced") or {}).get("horizontalPodAutoscalerConfig")) or {}
    return str(config.get("name") or f"keda-hpa-{so['metadata']['name']}")


def quantity(value: float) -> str:
    """A Kubernetes quantity for a target: `5`, or milli-units for fractions (`2500m`)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"


def hpa_manifest(
    so: Mapping[str, Any], triggers: Sequence[Trigger], *, minimum: int, maximum: int
) -> dict[str, Any]:
    spec = so["spec"]
    ref = spec["scaleTargetRef"]
    so_name = so["metadata"]["name"]
    name = hpa_name(so)
    metrics = [
        {
            "type": "External",
            "external": {
                "metric": {"name": t.metric_name, "selector": {"matchLabels": {NAME_LABEL: so_name}}},
                "target": {"type": "AverageValue", "averageValue": quantity(t.target)},
            },
        }
        for t in triggers
    ]
    body: dict[str, Any] = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": name,
            "namespace": so["metadata"]["namespace"],
            "labels": {
                "app.kubernetes.io/managed-by": COMPONENT,
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/part-of": so_name,
                "app.kubernetes.io/version": KEDA_VERSION,
                NAME_LABEL: so_name,
            },
            "ownerReferences": [owner_reference(so)],
        },
        "spec": {
            "scaleTargetRef": {
                "apiVersion": ref.get("apiVersion") or "apps/v1",
                "kind": ref.get("kind") or "Deployment",
                "name": ref["name"],
            },
            "minReplicas": max(minimum, 1),
            "maxReplicas": maximum,
            "metrics": metrics,
        },
    }
    behavior = ((spec.get("advanced") or {}).get("horizontalPodAutoscalerConfig") or {}).get("behavior")
    if behavior:
        body["spec"]["behavior"] = behavior
    return body
