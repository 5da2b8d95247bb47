"""Workload manifests of an actor: the Deployment or StatefulSet, its headless Service, the runtime ConfigMap.

Pure functions from the actor's spec to the complete objects the controller applies with server-side apply
(contract §2, §2.1). Each body states exactly the fields the controller owns: an apply that omits a field it
applied before removes it, so nothing here is ever a partial "diff".

Decisions where the contract is silent:
- Env entries and volume mounts are map lists keyed by ``name`` / ``mountPath`` under server-side apply, where
  duplicate keys are an error. In the sidecar a user env entry overrides the controller's entry of the same
  name ("later wins", as the kubelet resolves duplicates). In the runtime container the controller's
  ``ASYA_SOCKET_DIR`` and mounts replace the user's, because the sidecar relies on them.
- The transport's ServiceAccount (SQS with ``actorRoleArn``) is what gives the pods their IAM role, so the
  pods run under it; a ``serviceAccountName`` the user set in the template is kept (a role of their own).
- A StatefulSet uses ``podManagementPolicy: Parallel``: actor replicas are interchangeable workers and a scale
  from zero should not wait for pods one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from controller.api import constants as c
from controller.api.models import AsyncActorSpec

SOCKET_DIR = "/var/run/asya"
RUNTIME_SCRIPT_PATH = "/opt/asya/asya_runtime.py"
DEFAULT_SIDECAR_IMAGE = "asya-sidecar:latest"
SIDECAR_METRICS_PORT = 8080
_PROBE_COMMAND = ["sh", "-c", f"test -S {SOCKET_DIR}/asya-runtime.sock && test -f {SOCKET_DIR}/runtime-ready"]
# (initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold), contract §2.1
_PROBES: dict[str, tuple[int, int, int, int]] = {
    "startupProbe": (3, 2, 3, 150),
    "livenessProbe": (0, 30, 5, 3),
    "readinessProbe": (0, 10, 3, 3),
}

WorkloadKind = Literal["Deployment", "StatefulSet"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """Identity of the AsyncActor that owns what is built here."""

    name: str
    namespace: str
    uid: str

    def owner_reference(self) -> dict[str, Any]:
        return {
            "apiVersion": c.API_VERSION,
            "kind": c.KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


def selector_labels(name: str, kind: WorkloadKind) -> dict[str, str]:
    """The immutable selector of the workload: these values never change for an actor and kind."""
    return {c.LABEL_APP: name, c.LABEL_ASYA: name, c.LABEL_WORKLOAD: kind.lower()}


def managed_labels() -> dict[str, str]:
    return {c.LABEL_MANAGED_BY: c.FIELD_MANAGER}


def _metadata(actor: Actor, *, name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or actor.name,
        "namespace": actor.namespace,
        "labels": {**managed_labels(), c.LABEL_ACTOR: actor.name},
        "ownerReferences": [actor.owner_reference()],
    }


def _upsert(
    items: list[dict[str, Any]], additions: list[dict[str, Any]], *, key: str
) -> list[dict[str, Any]]:
    """``items`` followed by ``additions``; an addition replaces an item with the same key in place."""
    by_key = {item[key]: item for item in additions}
    kept = [by_key.pop(item[key]) if item.get(key) in by_key else item for item in items]
    return kept + [item for item in additions if item[key] in by_key]


def _later_wins(items: list[dict[str, Any]], *, key: str) -> list[dict[str, Any]]:
    """Drop earlier entries whose key appears again later, keeping the order of the survivors."""
    last = {item.get(key): index for index, item in enumerate(items)}
    return [item for index, item in enumerate(items) if last[item.get(key)] == index]


def _env(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def _literal_env(container: dict[str, Any], name: str) -> str | None:
    for entry in container.get("env") or []:
        if entry.get("name") == name and "value" in entry:
            return str(entry["value"])
    return None


def _socket_mounts() -> list[dict[str, Any]]:
    return [{"name": "socket-dir", "mountPath": SOCKET_DIR}, {"name": "tmp", "mountPath": "/tmp"}]


def _probe(timing: tuple[int, int, int, int]) -> dict[str, Any]:
    delay, period, timeout, failures = timing
    return {
        "exec": {"command": list(_PROBE_COMMAND)},
        "initialDelaySeconds": delay,
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
    }


def runtime_container(user: dict[str, Any], *, actor_name: str, python: str) -> dict[str, Any]:
    """The user's ``asya-runtime`` container with the command, env, mounts and probes the runtime needs."""
    container = dict(user)
    container["command"] = [python, RUNTIME_SCRIPT_PATH]
    env = [_env("ASYA_SOCKET_DIR", SOCKET_DIR)]
    if actor_name in c.END_ACTORS:
        env.append(_env("ASYA_ENABLE_VALIDATION", "false"))
    container["env"] = _upsert(list(user.get("env") or []), env, key="name")
    mounts = [
        *_socket_mounts(),
        {
            "name": c.RUNTIME_CONFIGMAP,
            "mountPath": RUNTIME_SCRIPT_PATH,
            "subPath": c.RUNTIME_CONFIGMAP_KEY,
            "readOnly": True,
        },
    ]
    container["volumeMounts"] = _upsert(list(user.get("volumeMounts") or []), mounts, key="mountPath")
    for field, timing in _PROBES.items():
        if field not in user:
            container[field] = _probe(timing)
    return container


def sidecar_container(
    *,
    actor_name: str,
    spec: AsyncActorSpec,
    transport_env: list[dict[str, Any]],
    image: str,
    gateway_url: str,
) -> dict[str, Any]:
    """The ``asya-sidecar`` container, its env in the exact order of contract §2.1 (the sidecar reads it)."""
    env = [
        _env("ASYA_LOG_LEVEL", "info"),
        _env("ASYA_GATEWAY_URL", gateway_url),
        _env("ASYA_ACTOR_NAME", actor_name),
        _env("ASYA_ACTOR_HAPPY_END", "happy-end"),
        _env("ASYA_ACTOR_ERROR_END", "error-end"),
    ]
    if actor_name in c.END_ACTORS:
        env.append(_env("ASYA_IS_END_ACTOR", "true"))
    env.append(_env("ASYA_RUNTIME_TIMEOUT", f"{spec.timeout.processing}s"))
    env.extend(transport_env)
    env.append(_env("ASYA_SOCKET_DIR", SOCKET_DIR))
    env.extend(spec.sidecar.env or [])
    container: dict[str, Any] = {
        "name": c.SIDECAR_CONTAINER,
        "image": image,
        "imagePullPolicy": spec.sidecar.image_pull_policy,
        "ports": [{"name": "metrics", "containerPort": SIDECAR_METRICS_PORT, "protocol": "TCP"}],
        "env": _later_wins(env, key="name"),
        "volumeMounts": _socket_mounts(),
    }
    if spec.sidecar.resources:
        container["resources"] = spec.sidecar.resources
    return container


def pod_template(
    *,
    actor: Actor,
    spec: AsyncActorSpec,
    transport_env: list[dict[str, Any]],
    sidecar_image: str | None,
    gateway_url: str | None,
    service_account: str | None = None,
) -> dict[str, Any]:
    """The pod template of contract §2.1, from ``spec.workload.template``; ``service_account`` is the
    transport's ServiceAccount (IRSA), which the pods run under unless the template names its own.

    Assumes the spec passed validation (exactly one ``asya-runtime`` container, no reserved names).
    """
    template = spec.workload.template
    user_meta = template.metadata or {}
    pod_spec = dict(template.spec)
    containers = list(pod_spec.get("containers") or [])
    runtime = next(item for item in containers if item.get("name") == c.RUNTIME_CONTAINER)
    gateway = gateway_url or _literal_env(runtime, "ASYA_GATEWAY_URL") or ""
    image = spec.sidecar.image or sidecar_image or DEFAULT_SIDECAR_IMAGE
    pod_spec["containers"] = [
        runtime_container(item, actor_name=actor.name, python=spec.workload.python_executable)
        if item is runtime
        else item
        for item in containers
    ] + [
        sidecar_container(
            actor_name=actor.name, spec=spec, transport_env=transport_env, image=image, gateway_url=gateway
        )
    ]
    pod_spec["volumes"] = [
        *(pod_spec.get("volumes") or []),
        {"name": "socket-dir", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
        {"name": c.RUNTIME_CONFIGMAP, "configMap": {"name": c.RUNTIME_CONFIGMAP, "defaultMode": 0o755}},
    ]
    pod_spec["terminationGracePeriodSeconds"] = spec.timeout.graceful_shutdown
    if service_account is not None and not pod_spec.get("serviceAccountName"):
        pod_spec["serviceAccountName"] = service_account
    labels = {**(user_meta.get("labels") or {}), **selector_labels(actor.name, spec.workload.kind)}
    labels[c.LABEL_ACTOR] = actor.name
    metadata: dict[str, Any] = {"labels": labels}
    if user_meta.get("annotations"):
        metadata["annotations"] = dict(user_meta["annotations"])
    return {"metadata": metadata, "spec": pod_spec}


def workload_manifest(
    *, actor: Actor, kind: WorkloadKind, template: dict[str, Any], replicas: int | None
) -> dict[str, Any]:
    """The Deployment or StatefulSet; ``replicas=None`` leaves ``spec.replicas`` to the autoscaler."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_labels(actor.name, kind)},
        "template": template,
    }
    if replicas is not None:
        spec["replicas"] = replicas
    if kind == "StatefulSet":
        spec["serviceName"] = actor.name
        spec["podManagementPolicy"] = "Parallel"
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": _metadata(actor), "spec": spec}


def headless_service(*, actor: Actor) -> dict[str, Any]:
    """The governing Service of a StatefulSet: no cluster IP, the pod selector, the sidecar's metrics port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(actor),
        "spec": {
            "clusterIP": "None",
            "selector": selector_labels(actor.name, "StatefulSet"),
            "ports": [
                {"name": "metrics", "port": SIDECAR_METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}
            ],
        },
    }


def runtime_configmap(*, namespace: str, script: str) -> dict[str, Any]:
    """ConfigMap ``asya-runtime``: one per namespace, shared by every actor there, so it has no owner."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": c.RUNTIME_CONFIGMAP,
            "namespace": namespace,
            "labels": {
                **managed_labels(),
                "app.kubernetes.io/name": "asya-runtime",
                "app.kubernetes.io/component": "runtime",
                "app.kubernetes.io/part-of": "asya",
            },
        },
        "data": {c.RUNTIME_CONFIGMAP_KEY: script},
    }
