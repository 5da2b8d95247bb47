"""The AsyncActor CustomResourceDefinition (contract §1), built from one source of truth.

The schema, its defaults and bounds come from the models in ``controller.api.models``; the names from
``controller.api.constants``; the admission rules from ``controller.api.rules``, placed at the schema level
each names. ``crd_manifest()`` is the apiextensions.k8s.io/v1 object, ``crd_yaml()`` its YAML with a stable
key order; ``manifests/crd/asyncactors.asya.sh.yaml`` is that output, checked in (``make crd``).
Spec fields carry their defaults; status fields carry none, since only the controller writes them.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from controller.api import constants as names
from controller.api.models import AsyncActorSpec, AsyncActorStatus
from controller.api.openapi import structural_schema
from controller.api.rules import ALL_RULES

VALIDATIONS: Final = "x-kubernetes-validations"


def _column(name: str, type_: str, json_path: str, description: str, *, priority: int = 0) -> dict[str, Any]:
    column: dict[str, Any] = {"name": name, "type": type_, "jsonPath": json_path, "description": description}
    if priority:
        column["priority"] = priority
    return column


# The order is the order of `kubectl get` (contract §1.2); priority 1 shows with `-o wide`.
PRINTER_COLUMNS: Final = (
    _column("Status", "string", ".status.status", "Overall status"),
    _column("Running", "integer", ".status.replicas", "Ready pods"),
    _column("Pending", "integer", ".status.pendingReplicas", "Pods created, neither ready nor failing"),
    _column("Failing", "integer", ".status.failingPods", "Failing pods"),
    _column("Total", "integer", ".status.totalReplicas", "Pods not terminated"),
    _column("Desired", "integer", ".status.desiredReplicas", "Target number of pods"),
    _column("Min", "integer", ".spec.scaling.minReplicas", "Fewest replicas while scaling is enabled"),
    _column("Max", "integer", ".spec.scaling.maxReplicas", "Most replicas while scaling is enabled"),
    _column(
        "Last-Scale", "string", ".status.lastScaleFormatted", "Time since the last scaling, and which way"
    ),
    _column("Age", "date", ".metadata.creationTimestamp", "Time since creation"),
    _column(
        "Ready", "string", '.status.conditions[?(@.type=="Ready")].status', "The Ready condition", priority=1
    ),
    _column("Workload", "string", ".spec.workload.kind", "Deployment or StatefulSet", priority=1),
    _column("Transport", "string", ".status.transportStatus", "Transport readiness", priority=1),
    _column("Scaling", "string", ".status.scalingMode", "KEDA or Manual", priority=1),
    _column("Queued", "integer", ".status.queuedMessages", "Messages waiting in the queue", priority=1),
    _column("Processing", "integer", ".status.processingMessages", "Messages being processed", priority=1),
)


def crd_manifest() -> dict[str, Any]:
    """The AsyncActor CustomResourceDefinition as a plain object."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": names.CRD_NAME},
        "spec": {
            "group": names.GROUP,
            "names": {
                "kind": names.KIND,
                "listKind": names.LIST_KIND,
                "plural": names.PLURAL,
                "singular": names.SINGULAR,
                "shortNames": list(names.SHORT_NAMES),
                "categories": list(names.CATEGORIES),
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": names.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(column) for column in PRINTER_COLUMNS],
                    "schema": {"openAPIV3Schema": root_schema()},
                }
            ],
        },
    }


def crd_yaml() -> str:
    """``crd_manifest()`` as the YAML document that is checked in."""
    header = "# Generated from controller/api by `python -m controller crd` (make crd); do not edit.\n"
    body = yaml.dump(crd_manifest(), Dumper=_Dumper, sort_keys=False, width=1 << 16, allow_unicode=True)
    return header + body


class _Dumper(yaml.SafeDumper):
    """Writes every value out in full: anchors and aliases would make the manifest hard to read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def root_schema() -> dict[str, Any]:
    """The structural schema of a whole AsyncActor, with every admission rule at its level."""
    schema: dict[str, Any] = {
        "description": (
            "AsyncActor runs an Asya actor: pods with the actor's handler and the Asya sidecar, fed by a "
            "queue on a configured transport, optionally scaled on the queue's length by KEDA."
        ),
        "properties": {
            "apiVersion": {"description": "Versioned schema of this object.", "type": "string"},
            "kind": {"description": "Kind of this object.", "type": "string"},
            "metadata": {"type": "object"},
            "spec": structural_schema(AsyncActorSpec, defaults=True),
            "status": structural_schema(AsyncActorStatus, defaults=False),
        },
        "required": ["spec"],
        "type": "object",
    }
    for rule in ALL_RULES:
        schema_node(schema, rule.level).setdefault(VALIDATIONS, []).append(rule.schema())
    return schema


def schema_node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The node of ``schema`` at the dotted object ``path`` (``""`` is the root)."""
    node = schema
    for part in filter(None, path.split(".")):
        try:
            node = node["properties"][part]
        except KeyError:
            raise KeyError(f"the schema has no field {path}") from None
    return node
