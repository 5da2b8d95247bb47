"""Default Table columns of built-in resources, as kube-apiserver's printers produce them (1.32).

Contract: `PRINTERS[(group, resource)]` is a `Printer`: its `columns` (name, type, format, description,
priority — the server always sends the wide ones, kubectl hides priority > 0 without `-o wide`) and `row(obj,
now) -> (cells, conditions)`. Cells follow `pkg/printers/internalversion/printers.go`: pods NAME READY STATUS
RESTARTS AGE + IP NODE NOMINATED NODE READINESS GATES, with STATUS computed by the same rules as the server's
`printPod` (Init:N/M, Init:<reason>, CrashLoopBackOff and other waiting reasons, Completed, Error, ExitCode:N,
Terminating, Unknown for lost nodes, NotReady); namespaces, configmaps, secrets, serviceaccounts, services,
events (LAST SEEN TYPE REASON OBJECT MESSAGE + wide), deployments, replicasets, statefulsets,
horizontalpodautoscalers, leases, and customresourcedefinitions (the server's default convertor: NAME, CREATED
AT). `human_duration()` and `since()` are apimachinery's `duration.HumanDuration` and the printers'
`translateTimestampSince`.

The printers read the v1 JSON the emulator stores, so where the real server would have defaulted a field on
write they apply the same default (Deployment/StatefulSet replicas 1, Service type ClusterIP and protocol TCP,
Secret type Opaque, Namespace phase Active — Terminating once deleting). Simplifications: quantities in HPA
targets are printed as stored, not canonicalised; a Secret's `stringData` counts as data (the server merges
it); column descriptions are shortened (kubectl never shows them); other resources get kubectl's own NAME/AGE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

Row = tuple[list[Any], list[dict[str, str]] | None]

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
) -> dict:
    return {"name": name, "type": kind, "format": fmt, "description": description, "priority": priority}


NAME_COLUMN: Final = column("Name", fmt="name", description=NAME_DESCRIPTION)
AGE_COLUMN: Final = column("Age", description=CREATED_DESCRIPTION)


# --- time ---------------------------------------------------------------------------------------------------


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def human_duration(seconds_float: float) -> str:
    """`duration.HumanDuration`: about two significant figures."""
    seconds = int(seconds_float)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """`translateTimestampSince`: `<unknown>` for a missing time."""
    moment = parse_time(timestamp)
    if moment is None:
        return "<unknown>"
    return human_duration((now - moment).total_seconds())


# --- helpers ------------------------------------------------------------------------------------------------


def _get(obj: Any, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return default if obj is None else obj


def _name(obj: dict[str, Any]) -> str:
    return str(_get(obj, "metadata", "name", default=""))


def _age(obj: dict[str, Any], now: datetime) -> str:
    return since(_get(obj, "metadata", "creationTimestamp"), now)


def format_labels(labels: dict[str, Any] | None) -> str:
    """`labels.FormatLabels`."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: dict[str, Any] | None) -> str:
    """`metav1.LabelSelectorAsSelector(s).String()`: requirements sorted by key; empty and nil give ""."""
    if not selector:
        return ""
    requirements: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        requirements.append((key, f"{key}={value}"))
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(sorted(expression.get("values") or []))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(operator)
        if text is None:
            return "<invalid>"
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def _containers(template_spec: Any) -> tuple[str, str]:
    """`layoutContainerCells`: container names and images, comma separated."""
    containers = _get(template_spec, "containers", default=[])
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return names, images


# --- pods ---------------------------------------------------------------------------------------------------

_COMPLETED: Final = "Completed"


def _restartable(container: dict[str, Any] | None) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _condition_true(pod: dict[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in _get(pod, "status", "conditions", default=[])
    )


def _later(current: datetime | None, state: dict[str, Any]) -> datetime | None:
    finished = parse_time(_get(state, "lastState", "terminated", "finishedAt"))
    if finished is None or _get(state, "lastState", "terminated") is None:
        return current
    return finished if current is None or current < finished else current


def _terminated_reason(terminated: dict[str, Any], prefix: str) -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _pod_row(pod: dict[str, Any], now: datetime) -> Row:
    spec, status = _get(pod, "spec", default={}), _get(pod, "status", default={})
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions = None
    if phase == "Succeeded":
        conditions = [_completed_condition("Succeeded", "The pod has completed successfully.")]
    elif phase == "Failed":
        conditions = [_completed_condition("Failed", "The pod failed.")]

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for index, state in enumerate(init_statuses):
        restarts += int(state.get("restartCount") or 0)
        last_restart = _later(last_restart, state)
        sidecar = _restartable(init_specs.get(state.get("name")))
        if sidecar:
            sidecar_restarts += int(state.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, state)
        terminated, waiting = _get(state, "state", "terminated"), _get(state, "state", "waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and state.get("started"):
            ready += 1 if state.get("ready") else 0
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for state in reversed(status.get("containerStatuses") or []):
            restarts += int(state.get("restartCount") or 0)
            last_restart = _later(last_restart, state)
            waiting, terminated = _get(state, "state", "waiting"), _get(state, "state", "terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None:
                reason = _terminated_reason(terminated, "")
            elif state.get("ready") and _get(state, "state", "running") is not None:
                has_running = True
                ready += 1
        if reason == _COMPLETED and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    deleting = _get(pod, "metadata", "deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"
    ips = status.get("podIPs") or []
    pod_ip = (ips[0].get("ip") if ips else status.get("podIP")) or "<none>"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        met = 0
        for gate in gates:
            match = next(
                (c for c in status.get("conditions") or [] if c.get("type") == gate.get("conditionType")),
                None,
            )
            met += 1 if match and match.get("status") == "True" else 0
        gates_text = f"{met}/{len(gates)}"
    cells = [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]
    return cells, conditions


def _completed_condition(reason: str, message: str) -> dict[str, str]:
    return {"type": "Completed", "status": "True", "reason": reason, "message": message}


# --- other built-ins ----------------------------------------------------------------------------------------


def _namespace_row(obj: dict[str, Any], now: datetime) -> Row:
    phase = _get(obj, "status", "phase") or (
        "Terminating" if _get(obj, "metadata", "deletionTimestamp") else "Active"
    )
    return [_name(obj), phase, _age(obj, now)], None


def _configmap_row(obj: dict[str, Any], now: datetime) -> Row:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [_name(obj), count, _age(obj, now)], None


def _secret_row(obj: dict[str, Any], now: datetime) -> Row:
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return [_name(obj), obj.get("type") or "Opaque", len(keys), _age(obj, now)], None


def _service_account_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), len(obj.get("secrets") or []), _age(obj, now)], None


def _service_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = obj.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    external = ",".join(spec.get("externalIPs") or [])
    if kind == "LoadBalancer":
        ingress = _get(obj, "status", "loadBalancer", "ingress", default=[])
        balancers = sorted(
            {i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")}
        )
        external = ",".join([*balancers, *(spec.get("externalIPs") or [])]) or "<pending>"
    elif kind == "ExternalName":
        external = spec.get("externalName") or ""
    elif kind not in ("ClusterIP", "NodePort"):
        external = "<unknown>"
    ports = []
    for port in spec.get("ports") or []:
        protocol = port.get("protocol") or "TCP"
        node_port = port.get("nodePort")
        ports.append(
            f"{port.get('port')}:{node_port}/{protocol}" if node_port else f"{port.get('port')}/{protocol}"
        )
    cells = [
        _name(obj),
        kind,
        cluster_ips[0] if cluster_ips else "<none>",
        external or "<none>",
        ",".join(ports) or "<none>",
        _age(obj, now),
        format_labels(spec.get("selector")),
    ]
    return cells, None


def _event_row(obj: dict[str, Any], now: datetime) -> Row:
    first = (
        since(obj.get("firstTimestamp"), now)
        if obj.get("firstTimestamp")
        else since(obj.get("eventTime"), now)
    )
    last = since(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first
    count = obj.get("count") or 0
    series = obj.get("series")
    if series:
        last, count = since(series.get("lastObservedTime"), now), series.get("count") or 0
    elif count == 0:
        count = 1
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    cells = [
        last,
        obj.get("type") or "",
        obj.get("reason") or "",
        target,
        involved.get("fieldPath") or "",
        f"{component}, {host}" if host else component,
        str(obj.get("message") or "").strip(),
        first,
        int(count),
        _name(obj),
    ]
    return cells, None


def _deployment_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    desired = spec.get("replicas", 1)
    names, images = _containers(_get(spec, "template", "spec"))
    cells = [
        _name(obj),
        f"{status.get('readyReplicas') or 0}/{desired}",
        status.get("updatedReplicas") or 0,
        status.get("availableReplicas") or 0,
        _age(obj, now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]
    return cells, None


def _replicaset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_get(spec, "template", "spec"))
    cells = [
        _name(obj),
        spec.get("replicas", 1),
        status.get("replicas") or 0,
        status.get("readyReplicas") or 0,
        _age(obj, now),
        names,
        images,
        selector_string(spec.get("selector")) or "<none>",
    ]
    return cells, None


def _statefulset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_get(spec, "template", "spec"))
    ready = f"{status.get('readyReplicas') or 0}/{spec.get('replicas', 1)}"
    return [_name(obj), ready, _age(obj, now), names, images], None


def _metric_text(spec: dict[str, Any], current: dict[str, Any] | None) -> str:
    kind = spec.get("type")
    source_key = {
        "External": "external",
        "Pods": "pods",
        "Object": "object",
        "Resource": "resource",
        "ContainerResource": "containerResource",
    }.get(str(kind))
    if source_key is None:
        return "<unknown type>"
    source = spec.get(source_key) or {}
    target = source.get("target") or {}
    status = (current or {}).get(source_key) if current else None
    now_value = (status or {}).get("current") or {}
    if source_key in ("resource", "containerResource"):
        name = source.get("name", "")
        if target.get("averageValue") is not None:
            value = now_value.get("averageValue") if status else None
            return f"{name}: {value or '<unknown>'}/{target['averageValue']}"
        utilization = now_value.get("averageUtilization")
        shown = f"{utilization}%" if status and utilization is not None else "<unknown>"
        wanted = (
            f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        )
        return f"{name}: {shown}/{wanted}"
    if source_key == "pods" or target.get("averageValue") is not None:
        value = now_value.get("averageValue") if status else None
        suffix = "" if source_key == "pods" else " (avg)"
        return f"{value or '<unknown>'}/{target.get('averageValue')}{suffix}"
    value = now_value.get("value") if status else None
    return f"{value or '<unknown>'}/{target.get('value')}"


def _hpa_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    metrics = spec.get("metrics") or []
    currents = status.get("currentMetrics") or []
    texts = [_metric_text(m, currents[i] if i < len(currents) else None) for i, m in enumerate(metrics)]
    targets = "<none>"
    if texts:
        targets = ", ".join(texts[:2]) + (f" + {len(texts) - 2} more..." if len(texts) > 2 else "")
    ref = spec.get("scaleTargetRef") or {}
    min_pods = str(spec["minReplicas"]) if spec.get("minReplicas") is not None else "<unset>"
    cells = [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets,
        min_pods,
        spec.get("maxReplicas") or 0,
        status.get("currentReplicas") or 0,
        _age(obj, now),
    ]
    return cells, None


def _lease_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), _get(obj, "spec", "holderIdentity", default=""), _age(obj, now)], None


def _created_at_row(obj: dict[str, Any], now: datetime) -> Row:
    moment = parse_time(_get(obj, "metadata", "creationTimestamp"))
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "0001-01-01T00:00:00Z"
    return [_name(obj), text], None


def _name_age_row(obj: dict[str, Any], now: datetime) -> Row:
    return [_name(obj), _age(obj, now)], None


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
        _pod_row,
    ),
    ("", "namespaces"): Printer(
        (NAME_COLUMN, column("Status", description="The status of the namespace"), AGE_COLUMN), _namespace_row
    ),
    ("", "configmaps"): Printer((NAME_COLUMN, column("Data"), AGE_COLUMN), _configmap_row),
    ("", "secrets"): Printer((NAME_COLUMN, column("Type"), column("Data"), AGE_COLUMN), _secret_row),
    ("", "serviceaccounts"): Printer((NAME_COLUMN, column("Secrets"), AGE_COLUMN), _service_account_row),
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
        _service_row,
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
        _event_row,
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
        _deployment_row,
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
        _replicaset_row,
    ),
    ("apps", "statefulsets"): Printer(
        (
            NAME_COLUMN,
            column("Ready", description="Number of the pod with ready state"),
            AGE_COLUMN,
            *_WIDE_CONTAINERS,
        ),
        _statefulset_row,
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
        _hpa_row,
    ),
    ("coordination.k8s.io", "leases"): Printer((NAME_COLUMN, column("Holder"), AGE_COLUMN), _lease_row),
    ("apiextensions.k8s.io", "customresourcedefinitions"): Printer(
        (NAME_COLUMN, column("Created At", "date", description=CREATED_DESCRIPTION)), _created_at_row
    ),
}

# For a resource without a printer here: kubectl's own default columns.
FALLBACK: Final = Printer((NAME_COLUMN, AGE_COLUMN), _name_age_row)


def printer_for(group: str, resource: str) -> Printer:
    return PRINTERS.get((group, resource), FALLBACK)
