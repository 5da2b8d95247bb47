"""Objects and look-ups shared by the simulated-cluster tests (through kubernetes-asyncio's typed APIs)."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client import AppsV1Api, CoreV1Api


def container(name: str = "app", image: str = "nginx:1.27", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def pod_template(
    app: str, *, containers: list[dict[str, Any]] | None = None, fail: str = "", **spec: Any
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"labels": {"app": app}}
    if fail:
        metadata["annotations"] = {"sim.asya.sh/fail": fail}
    return {"metadata": metadata, "spec": {"containers": containers or [container()], **spec}}


def deployment(name: str, replicas: int = 1, **template: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, **template),
        },
    }


def statefulset(
    name: str, replicas: int = 3, *, policy: str = "OrderedReady", **template: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": policy,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, **template),
        },
    }


async def create_namespace(client: Any, name: str) -> None:
    await CoreV1Api(client).create_namespace({"metadata": {"name": name}})


async def create_deployment(client: Any, namespace: str, body: dict[str, Any]) -> None:
    await AppsV1Api(client).create_namespaced_deployment(namespace, body)


async def pods(client: Any, namespace: str, app: str) -> list[Any]:
    listing = await CoreV1Api(client).list_namespaced_pod(namespace, label_selector=f"app={app}")
    return [pod for pod in listing.items if pod.metadata.deletion_timestamp is None]


async def only_pod(client: Any, app: str, namespace: str = "default") -> Any:
    """The one live pod of an app (the check fails, so `eventually` retries, while there is not just one)."""
    found = await pods(client, namespace, app)
    assert len(found) == 1
    return found[0]


async def events(client: Any, namespace: str, name: str) -> list[Any]:
    listing = await CoreV1Api(client).list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name}"
    )
    return list(listing.items)


def condition(obj: Any, kind: str) -> Any:
    """The condition of that type (failing the check, so `eventually` retries, while there is none)."""
    found = next((c for c in (obj.status.conditions if obj.status else None) or [] if c.type == kind), None)
    assert found is not None, f"no {kind} condition yet"
    return found


def container_status(pod: Any, index: int = 0) -> Any:
    statuses = pod.status.container_statuses if pod.status else None
    assert statuses, "no container statuses yet"
    return statuses[index]


def is_ready(pod: Any) -> bool:
    ready = next(
        (c for c in (pod.status.conditions if pod.status else None) or [] if c.type == "Ready"), None
    )
    return bool(ready and ready.status == "True")
