"""The controller against the API emulator and a real RabbitMQ node: what it creates, shows and removes."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.parse
from datetime import datetime
from typing import Any

import aio_pika
import pytest

from controller.actor import resources as r
from controller.kube.client import MERGE_PATCH, KubeClient
from tests.integration.actor.harness import (
    NAMESPACE,
    actor,
    condition,
    create,
    create_secret,
    events_of,
    get,
    queue_exists,
    rabbitmq_transport,
    running_controller,
    status_of,
    transport_env,
    wait_status,
)
from tests.kubeapi import KubeAPI
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost


@pytest.fixture
async def rabbit_env(kube: KubeClient, rabbitmq_vhost: VirtualHost) -> dict[str, str]:
    await create_secret(kube, "rabbitmq-credentials", password="guest")
    return transport_env(rabbitmq_transport(rabbitmq_vhost))


async def test_first_sight_adds_the_finalizer_and_writes_a_status(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    await create(kube, actor("text-processor"))
    async with running_controller(kubeapi, rabbit_env):
        status = await wait_status(kube, "text-processor", "Creating")
    obj = await get(kube, r.ASYNC_ACTORS, "text-processor")
    assert obj is not None
    assert obj["metadata"]["finalizers"] == ["asya.sh/finalizer"]
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert condition(status, "TransportReady")["status"] == "True"
    assert condition(status, "Ready")["status"] == "False"


async def test_the_queue_is_created_and_bound_where_the_sidecar_publishes(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str], rabbitmq_vhost: VirtualHost
) -> None:
    await create(kube, actor("text-processor"))
    async with running_controller(kubeapi, rabbit_env):
        await wait_status(kube, "text-processor", "Creating")
    connection = await aio_pika.connect(rabbitmq_vhost.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("asya")
        await exchange.publish(aio_pika.Message(b'{"payload": 1}'), routing_key="text-processor")
        queue = await channel.declare_queue("asya-text-processor", passive=True)
        message = await queue.get(timeout=5)
        assert message.body == b'{"payload": 1}'


async def test_the_workload_carries_sidecar_runtime_and_owner(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    created = await create(kube, actor("text-processor"))
    async with running_controller(kubeapi, rabbit_env):
        deployment = await eventually(
            lambda: get(kube, r.DEPLOYMENTS, "text-processor"), lambda obj: obj is not None
        )
        configmap = await eventually(
            lambda: get(kube, r.CONFIGMAPS, "asya-runtime"), lambda obj: obj is not None
        )
    assert deployment is not None
    assert configmap is not None
    assert deployment["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    assert deployment["spec"]["replicas"] == 2
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["asya-runtime", "asya-sidecar"]
    sidecar_env = {e["name"]: e for e in containers[1]["env"]}
    assert sidecar_env["ASYA_TRANSPORT"]["value"] == "rabbitmq"
    assert (
        sidecar_env["ASYA_RABBITMQ_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "rabbitmq-credentials"
    )
    assert "asya_runtime.py" in configmap["data"]
    assert "ownerReferences" not in configmap["metadata"]


async def test_an_unknown_transport_is_a_transport_error_with_an_event(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    await create(kube, actor("orphan", transport="kafka"))
    async with running_controller(kubeapi, rabbit_env):
        status = await wait_status(kube, "orphan", "TransportError")
        events = await eventually(lambda: events_of(kube, "orphan"), lambda items: bool(items))
    assert status["transportStatus"] == "NotReady"
    transport = condition(status, "TransportReady")
    assert (transport["status"], transport["reason"]) == ("False", "TransportNotConfigured")
    assert "'kafka'" in transport["message"]
    assert events[0]["type"] == "Warning"
    assert events[0]["reason"] == "TransportError"
    assert await get(kube, r.DEPLOYMENTS, "orphan") is None


async def test_a_missing_credentials_secret_is_a_config_error(
    kubeapi: KubeAPI, kube: KubeClient, rabbitmq_vhost: VirtualHost
) -> None:
    await create(kube, actor("text-processor"))
    async with running_controller(kubeapi, transport_env(rabbitmq_transport(rabbitmq_vhost))):
        status = await wait_status(kube, "text-processor", "ConfigError")
    assert condition(status, "TransportReady")["status"] == "Unknown"
    assert condition(status, "TransportReady")["reason"] == "SecretNotFound"
    assert "rabbitmq-credentials" in condition(status, "WorkloadReady")["message"]


async def test_a_selector_label_conflict_is_refused_and_nothing_is_applied(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    body = actor("labelled")
    body["spec"]["workload"]["template"]["metadata"] = {"labels": {"app": "something-else"}}
    await create(kube, body)
    async with running_controller(kubeapi, rabbit_env):
        status = await wait_status(kube, "labelled", "WorkloadError")
        events = await eventually(lambda: events_of(kube, "labelled"), lambda items: bool(items))
    workload = condition(status, "WorkloadReady")
    assert workload["reason"] == "InvalidSpec"
    assert "app=something-else" in workload["message"]
    assert condition(status, "TransportReady")["status"] != "False"
    assert events[0]["reason"] == "WorkloadError"
    assert await get(kube, r.DEPLOYMENTS, "labelled") is None


async def test_deletion_removes_workload_queue_and_finalizer(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str], rabbitmq_vhost: VirtualHost
) -> None:
    await create(kube, actor("short-lived"))
    async with running_controller(kubeapi, rabbit_env):
        await eventually(lambda: get(kube, r.DEPLOYMENTS, "short-lived"), lambda obj: obj is not None)
        await kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=NAMESPACE, name="short-lived"))
        await eventually(lambda: get(kube, r.ASYNC_ACTORS, "short-lived"), lambda obj: obj is None)
    assert await get(kube, r.DEPLOYMENTS, "short-lived") is None
    assert not await queue_exists(rabbitmq_vhost, "asya-short-lived")


async def test_an_actor_with_an_unknown_transport_deletes_cleanly(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    await create(kube, actor("orphan", transport="kafka"))
    async with running_controller(kubeapi, rabbit_env):
        await wait_status(kube, "orphan", "TransportError")
        await kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=NAMESPACE, name="orphan"))
        await eventually(lambda: get(kube, r.ASYNC_ACTORS, "orphan"), lambda obj: obj is None)


async def test_a_restart_of_a_converged_controller_writes_nothing(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str], rabbitmq_vhost: VirtualHost
) -> None:
    await create(kube, actor("steady"))
    # Checked every second until the broker's management API reports the new queue's figures, which it
    # does a few seconds late: a restart that then reads other figures rightly writes them.
    async with running_controller(kubeapi, rabbit_env, queue_check_interval=1.0):
        await _counted_by_management(rabbitmq_vhost, "asya-steady")
        await eventually(
            lambda: status_of(kube, "steady"), lambda s: {"queuedMessages", "processingMessages"} <= s.keys()
        )
        await eventually(lambda: get(kube, r.CONFIGMAPS, "asya-runtime"), lambda obj: obj is not None)
        await eventually(lambda: events_of(kube, "steady"), lambda items: bool(items))
    kubeapi.requests.clear()
    async with running_controller(kubeapi, rabbit_env) as controller:
        await eventually(lambda: _processed(controller), lambda done: done >= 1, within=10)
    writes = [(w.verb, w.resource, w.subresource, w.name) for w in kubeapi.requests.filter(writes=True)]
    assert writes == []


async def test_a_restart_once_the_broker_counts_a_new_queue_writes_nothing(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str], rabbitmq_vhost: VirtualHost
) -> None:
    """The figures shown when the queue was created are those the management API reports later."""
    await create(kube, actor("fresh"))
    async with running_controller(kubeapi, rabbit_env):
        await wait_status(kube, "fresh", "Creating")
        await eventually(lambda: get(kube, r.CONFIGMAPS, "asya-runtime"), lambda obj: obj is not None)
        await eventually(lambda: events_of(kube, "fresh"), lambda items: len(items) == 2)
    await _counted_by_management(rabbitmq_vhost, "asya-fresh")
    kubeapi.requests.clear()
    async with running_controller(kubeapi, rabbit_env) as controller:
        await eventually(lambda: _processed(controller), lambda done: done >= 1, within=10)
    writes = [(w.verb, w.resource, w.subresource, w.name) for w in kubeapi.requests.filter(writes=True)]
    assert writes == []


async def _counted_by_management(vhost: VirtualHost, queue: str) -> None:
    """Until the broker's management API reports the queue's counters (a few seconds after it appears)."""
    path = f"/api/queues/{urllib.parse.quote(vhost.name, safe='')}/{queue}"

    def info() -> dict[str, object]:
        try:
            return dict(vhost.node.management("GET", path))
        except urllib.error.HTTPError:  # not created yet
            return {}

    await eventually(
        lambda: asyncio.to_thread(info), lambda found: isinstance(found.get("messages_unacknowledged"), int)
    )


async def _processed(controller: object) -> int:
    metrics = controller.manager.metrics  # type: ignore[attr-defined]
    return int(
        metrics.registry.get_sample_value(
            "controller_runtime_reconcile_total", {"controller": "asyncactor", "result": "requeue_after"}
        )
        or 0
    ) + int(
        metrics.registry.get_sample_value(
            "controller_runtime_reconcile_total", {"controller": "asyncactor", "result": "success"}
        )
        or 0
    )


async def test_status_shows_the_scaled_up_workload_once_observed(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    await create(kube, actor("growing"))
    async with running_controller(kubeapi, rabbit_env):
        await eventually(lambda: get(kube, r.DEPLOYMENTS, "growing"), lambda obj: obj is not None)
        # Play the Deployment controller's part: it has seen the Deployment, no pod exists yet.
        await kube.request(
            "PATCH",
            r.DEPLOYMENTS.path(namespace=NAMESPACE, name="growing", subresource="status"),
            body={"status": {"observedGeneration": 1, "replicas": 0}},
            content_type="application/merge-patch+json",
        )
        status = await wait_status(kube, "growing", "ScalingUp")
    assert (status["desiredReplicas"], status["totalReplicas"]) == (2, 0)
    assert status["workloadRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "growing",
        "namespace": NAMESPACE,
    }
    assert (await status_of(kube, "growing"))["scalingMode"] == "Manual"


async def test_an_autoscaler_scale_brings_no_updated_event_an_edited_spec_does(
    kubeapi: KubeAPI, kube: KubeClient, rabbit_env: dict[str, str]
) -> None:
    body = actor("scaled")
    body["spec"]["scaling"] = {"enabled": True, "minReplicas": 1}
    await create(kube, body)
    path = r.DEPLOYMENTS.path(namespace=NAMESPACE, name="scaled")
    async with running_controller(kubeapi, rabbit_env):
        await eventually(lambda: get(kube, r.DEPLOYMENTS, "scaled"), lambda obj: obj is not None)
        applies = kubeapi.requests.count(verb="patch", resource="deployments", subresource="")
        await kube.request(
            "PATCH",
            r.DEPLOYMENTS.path(namespace=NAMESPACE, name="scaled", subresource="scale"),
            query={"fieldManager": "keda"},
            body={"spec": {"replicas": 4}},
            content_type=MERGE_PATCH,
        )
        # The generation moved: the controller applies again, and finds nothing of its own to change.
        await eventually(
            lambda: _count(kubeapi.requests.count(verb="patch", resource="deployments", subresource="")),
            lambda count: count > applies,
        )
        # Someone edits the pod template the controller owns, a second later (Event times are in seconds):
        # it is put back, which is an update.
        reapplied = max(w.time for w in kubeapi.requests.filter(writes=True) if w.resource == "deployments")
        await eventually(_clock, lambda now: now >= int(reapplied) + 1, interval=0.05)
        await kube.request(
            "PATCH",
            path,
            query={"fieldManager": "kubectl-edit"},
            body={"spec": {"template": {"spec": {"terminationGracePeriodSeconds": 5}}}},
            content_type=MERGE_PATCH,
        )
        await eventually(
            lambda: get(kube, r.DEPLOYMENTS, "scaled"),
            lambda obj: (
                obj is not None and obj["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 30
            ),
        )
        updated = await eventually(lambda: _event(kube, "scaled", "Updated"), lambda found: found is not None)
    assert updated is not None
    edited = next(w.time for w in kubeapi.requests if w.query.get("fieldManager") == "kubectl-edit")
    first_posted = datetime.fromisoformat(updated["firstTimestamp"].replace("Z", "+00:00")).timestamp()
    assert first_posted >= int(edited)
    deployment = await get(kube, r.DEPLOYMENTS, "scaled")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 4


async def _clock() -> float:
    return time.time()


async def _count(value: int) -> int:
    return value


async def _event(kube: KubeClient, name: str, reason: str) -> dict[str, Any] | None:
    return next((e for e in await events_of(kube, name) if e["reason"] == reason), None)
