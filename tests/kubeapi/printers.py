"""Default Table columns of built-in resources, as kube-apiserver's printers declare them (1.32).

Contract: `printer_for(group, resource)` is a `Printer`: its `columns` (name, type, format, description,
priority — the server always sends the wide ones, kubectl hides priority > 0 without `-o wide`) and `row(obj,
now) -> (cells, conditions)` from `pod_rows` / `printer_rows`. Covered, with the columns of
`pkg/printers/internalversion/printers.go`: pods (NAME READY STATUS RESTARTS AGE + IP NODE NOMINATED NODE
READINESS GATES), namespaces, configmaps, secrets, serviceaccounts, services, events (LAST SEEN TYPE REASON
OBJECT MESSAGE + wide), deployments, replicasets, statefulsets, horizontalpodautoscalers, leases, and
customresourcedefinitions (the server's default convertor: NAME, CREATED AT). Any other resource gets
kubectl's own default columns, NAME and AGE. Column descriptions are shortened (kubectl never shows them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from tests.kubeapi import printer_rows as rows
from tests.kubeapi.pod_rows import pod_row
from tests.kubeapi.printer_rows import Row

NAME_DESCRIPTION: Final = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
CREATED_DESCRIPTION: Final = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this "
    "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null "
    "for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


def column(
    name: str, kind: str = "string", *, priority: int = 0, fmt: str = "", description: str = ""
) -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": description, "priority": priority}


NAME_COLUMN: Final = column("Name", fmt="name", description=NAME_DESCRIPTION)
AGE_COLUMN: Final = column("Age", description=CREATED_DESCRIPTION)


@dataclass(frozen=True)
class Printer:
    columns: tuple[dict[str, Any], ...]
    row: Callable[[dict[str, Any], datetime], Row]


_WIDE_CONTAINERS: Final = (
    column("Containers", priority=1, description="Names of each container in the template."),
    column("Images", priority=1, description="Images referenced by each container in the template."),
)

PRINTERS: Final[dict[tuple[str, str], Printer]] = {
    ("", "pods"): Printer(
        (
            NAME_COLUMN,
            column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
            column("Status", description="The aggregate status of the containers in this pod."),
            column(
                "Restarts",
                description="The number of times the containers in this pod have been restarted and when the "
                "last container in this pod has restarted.",
            ),
            AGE_COLUMN,
            column("IP", priority=1, description="podIP address allocated to the pod."),
            column("Node", priority=1, description="NodeName indicates in which node this pod is scheduled."),
            column(
                "Nominated Node", priority=1, description="nominatedNodeName is set when this pod preempts."
            ),
            column(
                "Readiness Gates",
                priority=1,
                description="If specified, all readiness gates will be evaluated.",
            ),
        ),
        pod_row,
    ),
    ("", "namespaces"): Printer(
        (NAME_COLUMN, column("Status", description="The status of the namespace"), AGE_COLUMN),
        rows.namespace_row,
    ),
    ("", "configmaps"): Printer((NAME_COLUMN, column("Data"), AGE_COLUMN), rows.configmap_row),
    ("", "secrets"): Printer((NAME_COLUMN, column("Type"), column("Data"), AGE_COLUMN), rows.secret_row),
    ("", "serviceaccounts"): Printer((NAME_COLUMN, column("Secrets"), AGE_COLUMN), rows.service_account_row),
    ("", "services"): Printer(
        (
            NAME_COLUMN,
            column("Type"),
            column("Cluster-IP"),
            column("External-IP"),
            column("Port(s)"),
            AGE_COLUMN,
            column("Selector", priority=1),
        ),
        rows.service_row,
    ),
    ("", "events"): Printer(
        (
            column("Last Seen"),
            column("Type"),
            column("Reason"),
            column("Object"),
            column("Subobject", priority=1),
            column("Source", priority=1),
            column("Message"),
            column("First Seen", priority=1),
            column("Count", priority=1),
            column("Name", priority=1, fmt="name", description=NAME_DESCRIPTION),
        ),
        rows.event_row,
    ),
    ("apps", "deployments"): Printer(
        (
            NAME_COLUMN,
            column("Ready", description="Number of the pod with ready state"),
            column("Up-to-date"),
            column("Available"),
            AGE_COLUMN,
            *_WIDE_CONTAINERS,
            column("Selector", priority=1),
        ),
        rows.deployment_row,
    ),
    ("apps", "replicasets"): Printer(
        (
            NAME_COLUMN,
            column("Desired", "integer"),
            column("Current", "integer"),
            column("Ready", "integer"),
            AGE_COLUMN,
            *_WIDE_CONTAINERS,
            column("Selector", priority=1),
        ),
        rows.replicaset_row,
    ),
    ("apps", "statefulsets"): Printer(
        (
            NAME_COLUMN,
            column("Ready", description="Number of the pod with ready state"),
            AGE_COLUMN,
            *_WIDE_CONTAINERS,
        ),
        rows.statefulset_row,
    ),
    ("autoscaling", "horizontalpodautoscalers"): Printer(
        (
            NAME_COLUMN,
            column("Reference"),
            column("Targets"),
            column("MinPods"),
            column("MaxPods"),
            column("Replicas"),
            AGE_COLUMN,
        ),
        rows.hpa_row,
    ),
    ("coordination.k8s.io", "leases"): Printer((NAME_COLUMN, column("Holder"), AGE_COLUMN), rows.lease_row),
    ("apiextensions.k8s.io", "customresourcedefinitions"): Printer(
        (NAME_COLUMN, column("Created At", "date", description=CREATED_DESCRIPTION)), rows.created_at_row
    ),
}

# For a resource without a printer here: kubectl's own default columns.
FALLBACK: Final = Printer((NAME_COLUMN, AGE_COLUMN), rows.name_age_row)


def printer_for(group: str, resource: str) -> Printer:
    return PRINTERS.get((group, resource), FALLBACK)
