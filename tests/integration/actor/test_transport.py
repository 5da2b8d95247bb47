"""End to end: the broker under the actors, with the real controller, RabbitMQ node and simulated cluster.

The queue checks run every second here (``ASYA_QUEUE_HEALTH_CHECK_INTERVAL``), so that the broker's state
shows within a bounded time: the queue figures in the status and ``kubectl get -o wide``, a queue deleted
behind the controller's back coming back, and a broker outage (the node crashes, which is also the quickest
way to take it down): TransportError while it lasts, an actor that still deletes (with a Warning), and
recovery by itself once the broker is back.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import AsyncIterator

import aio_pika
import pytest
import pytest_asyncio

from controller.actor import resources as r
from tests.integration.actor.harness import (
    condition,
    create,
    events_of,
    rabbitmq_transport,
    status_of,
    transport_env,
)
from tests.integration.actor.scenario import (
    Stage,
    publish,
    reconcile_errors,
    scenario_actor,
    stage,
    wait_for,
)
from tests.services.polling import eventually
from tests.services.rabbitmq import RabbitMQNode, VirtualHost

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHECK_EVERY = 1.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(module_vhost: VirtualHost) -> AsyncIterator[Stage]:
    env = transport_env(rabbitmq_transport(module_vhost))
    async with stage(env=env, queue_check_interval=CHECK_EVERY) as running:
        yield running


async def test_queue_figures_show_what_waits_and_what_is_being_processed(
    scene: Stage, module_vhost: VirtualHost
) -> None:
    ns = await scene.namespace("figures")
    await create(scene.kube, scenario_actor("counted", ns))
    await wait_for(scene.kube, ns, "counted", "Running")
    await publish(module_vhost, "counted", 5)
    connection = await aio_pika.connect(module_vhost.amqp_url, timeout=10)
    async with connection:
        # A sidecar that took two messages and has not acknowledged them yet.
        consumer = await connection.channel()
        await consumer.set_qos(prefetch_count=2)
        queue = await consumer.declare_queue("asya-counted", passive=True)
        taken: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def take(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            taken.append(message)

        await queue.consume(take, no_ack=False)
        status = await eventually(
            lambda: status_of(scene.kube, "counted", ns),
            lambda s: (s.get("queuedMessages"), s.get("processingMessages")) == (3, 2),
            within=30,
        )
        row = (await scene.kubectl("get", "asya", "-n", ns, "counted", "-o", "wide", "--no-headers")).split()
        assert row[-2:] == ["3", "2"]
    assert status["status"] == "Running"


async def test_a_queue_deleted_behind_the_controllers_back_comes_back(
    scene: Stage, module_vhost: VirtualHost
) -> None:
    ns = await scene.namespace("recreate")
    await create(scene.kube, scenario_actor("phoenix", ns))
    await wait_for(scene.kube, ns, "phoenix", "Running")
    vhost = urllib.parse.quote(module_vhost.name, safe="")
    await asyncio.to_thread(module_vhost.node.management, "DELETE", f"/api/queues/{vhost}/asya-phoenix")

    async def exists() -> bool:
        try:
            await asyncio.to_thread(module_vhost.node.management, "GET", f"/api/queues/{vhost}/asya-phoenix")
        except OSError:
            return False
        return True

    await eventually(exists, lambda found: found, within=15)
    reasons = [e["reason"] for e in await events_of(scene.kube, "phoenix", ns)]
    assert reasons.count("QueueCreated") == 1  # aggregated: created, then created again


async def test_a_broker_outage_is_a_transport_error_that_heals_by_itself(
    scene: Stage, rabbitmq: RabbitMQNode
) -> None:
    ns = await scene.namespace("outage")
    for name in ("steadfast", "departing"):
        await create(scene.kube, scenario_actor(name, ns))
    for name in ("steadfast", "departing"):
        await wait_for(scene.kube, ns, name, "Running")
    errors = reconcile_errors(scene.controller)
    try:
        await asyncio.to_thread(rabbitmq.kill)  # the node crashes: connections drop at once
        # Deleting an actor meanwhile does not wait for the broker: one bounded attempt, then a Warning.
        deleting = time.monotonic()
        await scene.kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=ns, name="departing"))

        down = await wait_for(scene.kube, ns, "steadfast", "TransportError", within=20)
        transport = condition(down, "TransportReady")
        assert (transport["status"], transport["reason"]) == ("False", "BrokerUnavailable")
        assert "unreachable" in transport["message"]
        assert down["transportStatus"] == "NotReady"
        assert condition(down, "Ready")["message"] == transport["message"]

        await eventually(
            lambda: scene.get(r.ASYNC_ACTORS, ns, "departing"), lambda obj: obj is None, within=30
        )
        assert time.monotonic() - deleting < 25
        warnings = [e for e in await events_of(scene.kube, "departing", ns) if e["type"] == "Warning"]
        assert "QueueDeletionFailed" in {e["reason"] for e in warnings}
    finally:
        await asyncio.to_thread(rabbitmq.start)
    healed = await wait_for(scene.kube, ns, "steadfast", "Running", within=30)
    assert condition(healed, "TransportReady")["status"] == "True"
    assert healed["transportStatus"] == "Ready"
    assert reconcile_errors(scene.controller) == errors


async def test_a_same_named_actor_in_another_namespace_is_refused_the_queue_until_the_first_goes(
    scene: Stage, module_vhost: VirtualHost
) -> None:
    first, second = await scene.namespace("shared-a"), await scene.namespace("shared-b")
    await create(scene.kube, scenario_actor("twin", first))
    await wait_for(scene.kube, first, "twin", "Running")
    await create(scene.kube, scenario_actor("twin", second))
    refused = await wait_for(scene.kube, second, "twin", "TransportError")
    transport = condition(refused, "TransportReady")
    assert (transport["status"], transport["reason"]) == ("False", "QueueOwnedByOtherNamespace")
    assert "namespace 'shared-a'" in transport["message"]
    # No consumers of the other namespace's messages.
    assert await scene.get(r.DEPLOYMENTS, second, "twin") is None

    # Deleting the refused actor leaves the owner's queue alone.
    await publish(module_vhost, "twin", 2)
    await scene.kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=second, name="twin"))
    await eventually(lambda: scene.get(r.ASYNC_ACTORS, second, "twin"), lambda obj: obj is None)
    owner = await eventually(
        lambda: status_of(scene.kube, "twin", first), lambda s: s.get("queuedMessages") == 2, within=30
    )
    assert owner["status"] == "Running"

    # Once the owner is gone, the next actor of that name takes the queue over.
    await create(scene.kube, scenario_actor("twin", second))
    await wait_for(scene.kube, second, "twin", "TransportError")
    await scene.kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=first, name="twin"))
    taken = await wait_for(scene.kube, second, "twin", "Running", within=30)
    assert condition(taken, "TransportReady")["status"] == "True"
    assert await scene.get(r.DEPLOYMENTS, second, "twin") is not None
