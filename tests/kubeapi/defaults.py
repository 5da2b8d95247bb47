"""Defaulting of built-in types, for the fields controllers read back or that change how writes merge.

The real server defaults every object it decodes (create, update, patch, and the result of an apply), so a
field nobody sets, or that a server-side-apply manager stops owning, comes back with its default — the case
behind "a Deployment's ``spec.replicas`` falls back to 1 when its applier drops it". Applied here, per type:

- PodSpec (pods and every pod template): ``restartPolicy: Always``, ``dnsPolicy: ClusterFirst``,
  ``schedulerName: default-scheduler``, ``terminationGracePeriodSeconds: 30``, ``securityContext: {}``,
  ``enableServiceLinks: true``; containers (init containers too): ``terminationMessagePath``,
  ``terminationMessagePolicy: File``, ``imagePullPolicy`` (``Always`` for ``:latest`` or no tag, else
  ``IfNotPresent``), ``resources: {}``, ports ``protocol: TCP``; configMap/secret volumes
  ``defaultMode: 420``.
- Deployment: ``replicas: 1``, ``strategy`` RollingUpdate 25%/25%, ``revisionHistoryLimit: 10``,
  ``progressDeadlineSeconds: 600``. ReplicaSet: ``replicas: 1``. StatefulSet: ``replicas: 1``,
  ``podManagementPolicy: OrderedReady``, ``updateStrategy`` RollingUpdate with partition 0,
  ``revisionHistoryLimit: 10``, ``persistentVolumeClaimRetentionPolicy`` Retain/Retain.
- Service: ``type: ClusterIP``, ``sessionAffinity: None``, ports ``protocol: TCP`` and ``targetPort`` =
  ``port``, ``internalTrafficPolicy: Cluster``, ``ipFamilies: [IPv4]``, ``ipFamilyPolicy: SingleStack``, and
  a ``clusterIP`` from 10.96.0.0/16 (allocated by the caller; an update without one keeps the old one).

- Namespace: the label ``kubernetes.io/metadata.name`` = its name (the server enforces it on every write).

Not defaulted: anything else (probes' periods, pod ``priority`` and the tolerations that admission plugins
add, HPA behaviour, ...). Functions return new dicts and never change their argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]


def _with(obj: Obj, **defaults: Any) -> Obj:
    return {**defaults, **obj} if any(k not in obj for k in defaults) else obj


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.split(":", 1)[1] if ":" in name else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _container(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    out = _with(
        container,
        terminationMessagePath="/dev/termination-log",
        terminationMessagePolicy="File",
        resources={},
    )
    if "imagePullPolicy" not in out and isinstance(out.get("image"), str):
        out = {**out, "imagePullPolicy": _image_pull_policy(out["image"])}
    ports = out.get("ports")
    if isinstance(ports, list):
        out = {**out, "ports": [_with(p, protocol="TCP") if isinstance(p, dict) else p for p in ports]}
    return out


def _volume(volume: Any) -> Any:
    if not isinstance(volume, dict):
        return volume
    for source in ("configMap", "secret"):
        if isinstance(volume.get(source), dict) and "defaultMode" not in volume[source]:
            volume = {**volume, source: {**volume[source], "defaultMode": 420}}
    return volume


def pod_spec(spec: Any) -> Any:
    if not isinstance(spec, dict):
        return spec
    out = _with(
        spec,
        restartPolicy="Always",
        dnsPolicy="ClusterFirst",
        schedulerName="default-scheduler",
        terminationGracePeriodSeconds=30,
        securityContext={},
        enableServiceLinks=True,
    )
    for field in ("containers", "initContainers"):
        if isinstance(out.get(field), list):
            out = {**out, field: [_container(c) for c in out[field]]}
    if isinstance(out.get("volumes"), list):
        out = {**out, "volumes": [_volume(v) for v in out["volumes"]]}
    return out


def _template(spec: Obj) -> Obj:
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        spec = {**spec, "template": {**template, "spec": pod_spec(template["spec"])}}
    return spec


def _spec(obj: Obj, change: Callable[[Obj], Obj]) -> Obj:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    return {**obj, "spec": change(spec)}


def deployment(obj: Obj) -> Obj:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    return _spec(
        obj,
        lambda s: _template(
            _with(s, replicas=1, strategy=strategy, revisionHistoryLimit=10, progressDeadlineSeconds=600)
        ),
    )


def replica_set(obj: Obj) -> Obj:
    return _spec(obj, lambda s: _template(_with(s, replicas=1)))


def stateful_set(obj: Obj) -> Obj:
    return _spec(
        obj,
        lambda s: _template(
            _with(
                s,
                replicas=1,
                podManagementPolicy="OrderedReady",
                revisionHistoryLimit=10,
                updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                persistentVolumeClaimRetentionPolicy={"whenDeleted": "Retain", "whenScaled": "Retain"},
            )
        ),
    )


def pod(obj: Obj) -> Obj:
    return {**obj, "spec": pod_spec(obj.get("spec") or {})}


def service(obj: Obj, *, cluster_ip: Callable[[], str], old: Obj | None = None) -> Obj:
    previous = (old or {}).get("spec") or {}

    def change(spec: Obj) -> Obj:
        if not spec.get("clusterIP") and previous.get("clusterIP"):
            spec = {**spec, "clusterIP": previous["clusterIP"], "clusterIPs": previous.get("clusterIPs")}
        out = _with(
            spec,
            type="ClusterIP",
            sessionAffinity="None",
            internalTrafficPolicy="Cluster",
            ipFamilies=["IPv4"],
            ipFamilyPolicy="SingleStack",
        )
        if isinstance(out.get("ports"), list):
            out = {
                **out,
                "ports": [
                    _with(p, protocol="TCP", targetPort=p.get("port")) if isinstance(p, dict) else p
                    for p in out["ports"]
                ],
            }
        if out.get("type") != "ExternalName" and not out.get("clusterIP"):
            address = cluster_ip()
            out = {**out, "clusterIP": address, "clusterIPs": [address]}
        return out

    return _spec(obj, change)


def namespace(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    name = meta.get("name", "")
    if labels.get("kubernetes.io/metadata.name") == name:
        return obj
    return {**obj, "metadata": {**meta, "labels": {**labels, "kubernetes.io/metadata.name": name}}}


def for_type(key: tuple[str, str], obj: Obj, old: Obj | None = None, *, cluster_ip: Callable[[], str]) -> Obj:
    """``obj`` with the defaults of its type (``key`` is (group, plural)); other types come back as is."""
    if key == ("apps", "deployments"):
        return deployment(obj)
    if key == ("apps", "statefulsets"):
        return stateful_set(obj)
    if key == ("apps", "replicasets"):
        return replica_set(obj)
    if key == ("", "pods"):
        return pod(obj)
    if key == ("", "services"):
        return service(obj, cluster_ip=cluster_ip, old=old)
    if key == ("", "namespaces"):
        return namespace(obj)
    return obj
