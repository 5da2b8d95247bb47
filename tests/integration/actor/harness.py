"""Running the real controller in-process against the API emulator, and reading what it did.

``running_controller`` builds the controller exactly as ``asya-controller run`` does
(``controller.app.build``) with a kubeconfig pointing at the emulator, runs it as a task and stops it
cleanly. ``install_crd`` installs the AsyncActor CRD from its single source; ``rabbitmq_transport`` is the
transport configuration of a test RabbitMQ virtual host, with its password in a Secret the test creates.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aio_pika

from controller.actor import resources as r
from controller.api.crd import crd_manifest
from controller.app import Controller, build
from controller.kube.client import KubeClient
from controller.kube.resources import Obj, Resource
from controller.settings import Settings
from tests.kubeapi import KubeAPI
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost

NAMESPACE = "team-a"


async def install_crd(client: KubeClient) -> None:
    await client.request("POST", r.CRDS.path(), body=crd_manifest())
    await eventually(
        lambda: client.request("GET", "/apis/asya.sh/v1alpha1"), lambda doc: bool(doc.get("resources"))
    )


async def create_namespace(client: KubeClient, name: str = NAMESPACE) -> None:
    await client.request(
        "POST",
        "/api/v1/namespaces",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )


async def create_secret(client: KubeClient, name: str, namespace: str = NAMESPACE, **values: str) -> None:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }
    await client.request("POST", r.SECRETS.path(namespace=namespace), body=body)


def rabbitmq_transport(vhost: VirtualHost, *, name: str = "rabbitmq", **extra: Any) -> dict[str, Any]:
    node = vhost.node
    return {
        name: {
            "type": "rabbitmq",
            "config": {
                "host": node.host,
                "port": node.amqp_port,
                "vhost": vhost.name,
                "username": "guest",
                "passwordSecretRef": {"name": "rabbitmq-credentials", "key": "password"},
                "managementUrl": node.management_url,
                **extra,
            },
        }
    }


def transport_env(transports: Mapping[str, Any]) -> dict[str, str]:
    return {"ASYA_TRANSPORT_CONFIG": json.dumps({"transports": dict(transports)})}


def actor(name: str, *, transport: str = "rabbitmq", namespace: str = NAMESPACE, **spec: Any) -> Obj:
    runtime = {
        "name": "asya-runtime",
        "image": "python:3.13-slim",
        "env": [{"name": "ASYA_HANDLER", "value": "handlers.process"}],
    }
    body: dict[str, Any] = {
        "transport": transport,
        "workload": {"replicas": 2, "template": {"spec": {"containers": [runtime]}}},
    }
    body.update(spec)
    return {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


async def create(client: KubeClient, obj: Obj, resource: Resource = r.ASYNC_ACTORS) -> Obj:
    namespace = obj["metadata"].get("namespace")
    return await client.request("POST", resource.path(namespace=namespace), body=obj)


async def get(client: KubeClient, resource: Resource, name: str, namespace: str = NAMESPACE) -> Obj | None:
    try:
        return await client.request("GET", resource.path(namespace=namespace, name=name))
    except Exception as exc:
        if getattr(exc, "not_found", False):
            return None
        raise


async def status_of(client: KubeClient, name: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    obj = await get(client, r.ASYNC_ACTORS, name, namespace)
    return (obj or {}).get("status") or {}


async def wait_status(
    client: KubeClient, name: str, expected: str, *, within: float = 20.0
) -> dict[str, Any]:
    return await eventually(
        lambda: status_of(client, name), lambda s: s.get("status") == expected, within=within
    )


def condition(status: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), {})


async def events_of(client: KubeClient, name: str, namespace: str = NAMESPACE) -> list[Obj]:
    listing = await client.request(
        "GET",
        r.EVENTS.path(namespace=namespace),
        query={"fieldSelector": f"involvedObject.kind=AsyncActor,involvedObject.name={name}"},
    )
    return list(listing.get("items") or [])


@contextlib.asynccontextmanager
async def running_controller(
    api: KubeAPI, env: Mapping[str, str], *, queue_check_interval: float = 300.0, workers: int = 4
) -> AsyncIterator[Controller]:
    client = await KubeClient.connect(kubeconfig=str(api.kubeconfig_path))
    settings = Settings(
        metrics_bind="127.0.0.1:0",
        probes_bind="127.0.0.1:0",
        max_concurrent_reconciles=workers,
        queue_health_check_interval=queue_check_interval,
    )
    controller = build(settings, client=client, env=env, handle_signals=False)
    task = asyncio.create_task(controller.run())
    try:
        await asyncio.wait_for(controller.manager.wait_synced(), 20)
        yield controller
    finally:
        controller.manager.stop()
        assert await asyncio.wait_for(task, 30) == 0


async def queue_exists(vhost: VirtualHost, queue: str) -> bool:
    """Whether ``queue`` exists in the virtual host (a passive declare on a connection of its own)."""
    connection = await aio_pika.connect(vhost.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
    return True
