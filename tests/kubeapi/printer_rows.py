"""Cells of built-in resources' Table rows, as kube-apiserver's printers fill them (1.32), pods aside.

Contract: each `*_row(obj, now) -> (cells, conditions)` fills the cells of one object for the columns
`printers` declares, from the v1 JSON the emulator stores; where the real server would have defaulted a field
on write, the same default is applied here (Deployment/StatefulSet replicas 1, Service type ClusterIP and
protocol TCP, Secret type Opaque, Namespace phase Active — Terminating once deleting). `human_duration()` and
`since()` are apimachinery's `duration.HumanDuration` and the printers' `translateTimestampSince`;
`format_labels()` and `selector_string()` print labels and label selectors as `labels.FormatLabels` and
`LabelSelectorAsSelector(...).String()` do.

Simplifications: quantities in HPA targets are printed as stored, not canonicalised; a Secret's `stringData`
counts as data (the server merges it into `data`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Row = tuple[list[Any], list[dict[str, str]] | None]


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


def get(obj: Any, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return default if obj is None else obj


def name_of(obj: dict[str, Any]) -> str:
    return str(get(obj, "metadata", "name", default=""))


def age_of(obj: dict[str, Any], now: datetime) -> str:
    return since(get(obj, "metadata", "creationTimestamp"), now)


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


def containers_of(template_spec: Any) -> tuple[str, str]:
    """`layoutContainerCells`: container names and images, comma separated."""
    containers = get(template_spec, "containers", default=[])
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return names, images


# --- other built-ins ----------------------------------------------------------------------------------------


def namespace_row(obj: dict[str, Any], now: datetime) -> Row:
    phase = get(obj, "status", "phase") or (
        "Terminating" if get(obj, "metadata", "deletionTimestamp") else "Active"
    )
    return [name_of(obj), phase, age_of(obj, now)], None


def configmap_row(obj: dict[str, Any], now: datetime) -> Row:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [name_of(obj), count, age_of(obj, now)], None


def secret_row(obj: dict[str, Any], now: datetime) -> Row:
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return [name_of(obj), obj.get("type") or "Opaque", len(keys), age_of(obj, now)], None


def service_account_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), len(obj.get("secrets") or []), age_of(obj, now)], None


def service_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = obj.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    external = ",".join(spec.get("externalIPs") or [])
    if kind == "LoadBalancer":
        ingress = get(obj, "status", "loadBalancer", "ingress", default=[])
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
        name_of(obj),
        kind,
        cluster_ips[0] if cluster_ips else "<none>",
        external or "<none>",
        ",".join(ports) or "<none>",
        age_of(obj, now),
        format_labels(spec.get("selector")),
    ]
    return cells, None


def event_row(obj: dict[str, Any], now: datetime) -> Row:
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
        name_of(obj),
    ]
    return cells, None


def deployment_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    desired = spec.get("replicas", 1)
    names, images = containers_of(get(spec, "template", "spec"))
    cells = [
        name_of(obj),
        f"{status.get('readyReplicas') or 0}/{desired}",
        status.get("updatedReplicas") or 0,
        status.get("availableReplicas") or 0,
        age_of(obj, now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]
    return cells, None


def replicaset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = containers_of(get(spec, "template", "spec"))
    cells = [
        name_of(obj),
        spec.get("replicas", 1),
        status.get("replicas") or 0,
        status.get("readyReplicas") or 0,
        age_of(obj, now),
        names,
        images,
        selector_string(spec.get("selector")) or "<none>",
    ]
    return cells, None


def statefulset_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = containers_of(get(spec, "template", "spec"))
    ready = f"{status.get('readyReplicas') or 0}/{spec.get('replicas', 1)}"
    return [name_of(obj), ready, age_of(obj, now), names, images], None


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


def hpa_row(obj: dict[str, Any], now: datetime) -> Row:
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
        name_of(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets,
        min_pods,
        spec.get("maxReplicas") or 0,
        status.get("currentReplicas") or 0,
        age_of(obj, now),
    ]
    return cells, None


def lease_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), get(obj, "spec", "holderIdentity", default=""), age_of(obj, now)], None


def created_at_row(obj: dict[str, Any], now: datetime) -> Row:
    moment = parse_time(get(obj, "metadata", "creationTimestamp"))
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "0001-01-01T00:00:00Z"
    return [name_of(obj), text], None


def name_age_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), age_of(obj, now)], None
