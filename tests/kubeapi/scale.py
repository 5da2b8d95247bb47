"""The autoscaling/v1 Scale view of a scalable object (Deployments, ReplicaSets, StatefulSets and custom
resources with a ``scale`` subresource): ``spec.replicas`` and ``status.replicas`` from the type's paths, and
the label selector as a string (from ``spec.selector`` of built-in types, or the CRD's ``labelSelectorPath``).
A write through /scale (PUT, patch or apply) changes only the parent's ``spec.replicas``, tracked in
managedFields under the ``scale`` subresource with the parent's apiVersion, and bumps its generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.kubeapi import errors
from tests.kubeapi.meta import get_path, set_path
from tests.kubeapi.patch import json_patch, merge_patch, strategic_merge
from tests.kubeapi.resources import ResourceType

if TYPE_CHECKING:
    from tests.kubeapi.cluster import Cluster


def scale_of(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale of a scalable object."""
    assert rt.scale is not None
    meta = obj["metadata"]
    if rt.scale.selector:
        selector = get_path(obj, rt.scale.selector) or ""
    else:
        selector = selector_string(get_path(obj, ".spec.selector") or {})
    status: dict[str, Any] = {"replicas": get_path(obj, rt.scale.status_replicas) or 0}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": get_path(obj, rt.scale.spec_replicas) or 0},
        "status": status,
    }


def selector_string(selector: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        op, key, values = expr.get("operator"), expr.get("key"), ",".join(sorted(expr.get("values") or ()))
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def update_scale(
    cluster: Cluster,
    rt: ResourceType,
    namespace: str,
    name: str,
    body: Any,
    *,
    patch_type: str | None,
    manager: str,
    force: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    """PUT or PATCH of /scale: the new ``spec.replicas`` lands on the parent, owned under ``scale``."""
    assert rt.scale is not None
    old = cluster.get(rt, namespace, name)
    current = scale_of(rt, old)
    if patch_type == "apply":
        replicas = get_path(body, ".spec.replicas") if isinstance(body, dict) else None
        fragment: dict[str, Any] = {
            "apiVersion": rt.api_version,
            "kind": rt.kind,
            "metadata": {"name": name},
        }
        if replicas is not None:
            fragment = set_path(fragment, rt.scale.spec_replicas, replicas)
        result, _ = cluster.apply(
            rt,
            namespace,
            name,
            fragment,
            manager=manager,
            subresource="scale",
            force=force,
            dry_run=dry_run,
        )
        return scale_of(rt, result)
    if patch_type is None:
        scale = body
    elif patch_type == "json":
        scale = json_patch(current, body)
    elif patch_type == "merge":
        scale = merge_patch(current, body)
    else:
        scale = strategic_merge(current, body, {})
    if not isinstance(scale, dict):
        raise errors.bad_request("the body of the request is not a Scale")
    expected = get_path(scale, ".metadata.resourceVersion")
    if expected and expected != old["metadata"]["resourceVersion"]:
        raise errors.conflict(rt.plural, rt.group, name, errors.STALE)
    replicas = get_path(scale, ".spec.replicas")
    new = set_path(old, rt.scale.spec_replicas, replicas if replicas is not None else 0)
    result = cluster._finish_update(rt, old, new, manager=manager, subresource="scale", dry_run=dry_run)
    return scale_of(rt, result)
