"""KEDA's custom resources ScaledObject and TriggerAuthentication, described here for the simulated cluster.

The schemas cover every field the controller writes and the ones KEDA's own operator reads (scale target,
replica bounds, polling and cooldown, fallback, advanced HPA settings and scaling modifiers, triggers with
string-valued metadata and an authentication reference; secret, env and pod-identity authentication), with the
types, required fields, enums, minimums and the min <= max rule KEDA's CRDs declare, so the emulator rejects
what a cluster with KEDA installed rejects. Fields outside that set under `spec` of a TriggerAuthentication
and the HPA `behavior` are kept as given. Printer columns and short names (`so`, `ta`, `triggerauth`)
follow KEDA.

`install_keda_crds` creates them (or leaves them as they are) and waits until the API serves them;
`uninstall_keda_crds` removes them again, for tests of a cluster "without KEDA".
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.kubeapi.sim.client import CRDS, ApiError, Kube

GROUP = "keda.sh"
VERSION = "v1alpha1"

_STRING: dict[str, Any] = {"type": "string"}
_INT32: dict[str, Any] = {"type": "integer", "format": "int32"}


def _int(minimum: int) -> dict[str, Any]:
    return {**_INT32, "minimum": minimum}


_SCALE_TARGET = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "apiVersion": _STRING,
        "kind": _STRING,
        "name": {"type": "string", "minLength": 1},
        "envSourceContainerName": _STRING,
    },
}
_TRIGGER = {
    "type": "object",
    "required": ["type", "metadata"],
    "properties": {
        "type": {"type": "string", "minLength": 1},
        "name": _STRING,
        "metadata": {"type": "object", "additionalProperties": _STRING},
        "authenticationRef": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": _STRING,
                "kind": {"type": "string", "enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]},
            },
        },
        "metricType": _STRING,
        "useCachedMetrics": {"type": "boolean"},
    },
}
_ADVANCED = {
    "type": "object",
    "properties": {
        "restoreToOriginalReplicaCount": {"type": "boolean"},
        "horizontalPodAutoscalerConfig": {
            "type": "object",
            "properties": {
                "name": _STRING,
                "behavior": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
        "scalingModifiers": {
            "type": "object",
            "properties": {
                "formula": _STRING,
                "target": _STRING,
                "activationTarget": _STRING,
                "metricType": {"type": "string", "enum": ["AverageValue", "Value"]},
            },
        },
    },
}
_FALLBACK = {
    "type": "object",
    "required": ["failureThreshold", "replicas"],
    "properties": {
        "failureThreshold": _int(0),
        "replicas": _int(0),
        "behavior": {
            "type": "string",
            "default": "static",
            "enum": [
                "static",
                "currentReplicas",
                "currentReplicasIfHigher",
                "currentReplicasIfLower",
                "scalingModifiers",
            ],
        },
    },
}
_CONDITIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["type", "status"],
        "properties": {"type": _STRING, "status": _STRING, "reason": _STRING, "message": _STRING},
    },
}
_SCALED_OBJECT_SCHEMA = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "apiVersion": _STRING,
        "kind": _STRING,
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": _SCALE_TARGET,
                "pollingInterval": _int(1),
                "cooldownPeriod": _int(0),
                "initialCooldownPeriod": _int(0),
                "idleReplicaCount": _int(0),
                "minReplicaCount": _int(0),
                "maxReplicaCount": _int(1),
                "fallback": _FALLBACK,
                "advanced": _ADVANCED,
                "triggers": {"type": "array", "minItems": 1, "items": _TRIGGER},
            },
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.minReplicaCount) || self.minReplicaCount <= "
                    "(has(self.maxReplicaCount) ? self.maxReplicaCount : 100)",
                    "message": "minReplicaCount must be less than or equal to maxReplicaCount",
                }
            ],
        },
        "status": {
            "type": "object",
            "properties": {
                "conditions": _CONDITIONS,
                "scaleTargetKind": _STRING,
                "scaleTargetGVKR": {
                    "type": "object",
                    "properties": {
                        "group": _STRING,
                        "version": _STRING,
                        "kind": _STRING,
                        "resource": _STRING,
                    },
                },
                "originalReplicaCount": _INT32,
                "lastActiveTime": {"type": "string", "format": "date-time"},
                "externalMetricNames": {"type": "array", "items": _STRING},
                "resourceMetricNames": {"type": "array", "items": _STRING},
                "health": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "hpaName": _STRING,
                "triggersTypes": _STRING,
                "authenticationsTypes": _STRING,
                "pausedReplicaCount": _INT32,
                "compositeScalerName": _STRING,
                "triggersActivity": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
    },
}
_TRIGGER_AUTH_SCHEMA = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "apiVersion": _STRING,
        "kind": _STRING,
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "secretTargetRef": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parameter", "name", "key"],
                        "properties": {"parameter": _STRING, "name": _STRING, "key": _STRING},
                    },
                },
                "env": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parameter", "name"],
                        "properties": {"parameter": _STRING, "name": _STRING, "containerName": _STRING},
                    },
                },
                "podIdentity": {
                    "type": "object",
                    "required": ["provider"],
                    "properties": {
                        "provider": {
                            "type": "string",
                            "enum": ["azure-workload", "gcp", "aws", "aws-eks", "aws-kiam", "none"],
                        },
                        "roleArn": _STRING,
                        "identityOwner": {"type": "string", "enum": ["keda", "workload"]},
                        "identityId": _STRING,
                    },
                },
            },
        },
        "status": {"type": "object", "properties": {"scaledobjects": _STRING, "scaledjobs": _STRING}},
    },
}


def _column(name: str, path: str, kind: str = "string", priority: int = 0) -> dict[str, Any]:
    column: dict[str, Any] = {"name": name, "jsonPath": path, "type": kind}
    if priority:
        column["priority"] = priority
    return column


def _crd(
    plural: str, kind: str, short: list[str], schema: dict[str, Any], columns: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}", "labels": {"app.kubernetes.io/part-of": "keda-operator"}},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short,
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                }
            ],
        },
    }


def _condition_column(name: str) -> dict[str, Any]:
    return _column(name, f'.status.conditions[?(@.type=="{name}")].status')


SCALED_OBJECT_CRD = _crd(
    "scaledobjects",
    "ScaledObject",
    ["so"],
    _SCALED_OBJECT_SCHEMA,
    [
        _column("ScaleTargetKind", ".status.scaleTargetKind"),
        _column("ScaleTargetName", ".spec.scaleTargetRef.name"),
        _column("Min", ".spec.minReplicaCount", "integer"),
        _column("Max", ".spec.maxReplicaCount", "integer"),
        _condition_column("Ready"),
        _condition_column("Active"),
        _condition_column("Fallback"),
        _condition_column("Paused"),
        _column("Triggers", ".status.triggersTypes"),
        _column("Authentications", ".status.authenticationsTypes"),
        _column("Age", ".metadata.creationTimestamp", "date"),
    ],
)
TRIGGER_AUTHENTICATION_CRD = _crd(
    "triggerauthentications",
    "TriggerAuthentication",
    ["ta", "triggerauth"],
    _TRIGGER_AUTH_SCHEMA,
    [
        _column("PodIdentity", ".spec.podIdentity.provider"),
        _column("Secret", ".spec.secretTargetRef[*].name"),
        _column("Env", ".spec.env[*].name"),
        _column("ScaledObjects", ".status.scaledobjects", priority=1),
    ],
)
KEDA_CRDS = (SCALED_OBJECT_CRD, TRIGGER_AUTHENTICATION_CRD)


async def _served(kube: Kube) -> bool:
    try:
        resources = await kube.request("GET", f"/apis/{GROUP}/{VERSION}")
    except ApiError:
        return False
    names = {r.get("name") for r in resources.get("resources") or []}
    return {"scaledobjects", "triggerauthentications"} <= names


async def install_keda_crds(kube: Kube, *, wait: float = 10.0) -> None:
    """Creates KEDA's CRDs unless they exist, and returns once the API serves both resources."""
    for crd in KEDA_CRDS:
        try:
            await kube.create(CRDS, None, crd)
        except ApiError as error:
            if error.status != 409:
                raise
    deadline = asyncio.get_running_loop().time() + wait
    while not await _served(kube):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the KEDA CRDs were created but the API does not serve them")
        await asyncio.sleep(0.02)


async def uninstall_keda_crds(kube: Kube, *, wait: float = 10.0) -> None:
    """Deletes KEDA's CRDs (and with them every ScaledObject and TriggerAuthentication); waits until gone."""
    for crd in KEDA_CRDS:
        await kube.delete(CRDS, None, crd["metadata"]["name"])
    deadline = asyncio.get_running_loop().time() + wait
    while await _served(kube) or any([await kube.get(CRDS, None, c["metadata"]["name"]) for c in KEDA_CRDS]):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the KEDA CRDs are still served")
        await asyncio.sleep(0.02)
