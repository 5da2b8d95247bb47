"""RabbitMQTransport against a real RabbitMQ node (the ``rabbitmq`` fixture), one vhost per test."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import AsyncIterator, Callable
from typing import Any

import aio_pika
import pytest

from controller.transports.base import ActorRef, QueueMetrics, Reason, TransportError
from controller.transports.config import RabbitMQConfig
from controller.transports.rabbitmq import RabbitMQTransport
from tests.services.network import free_port
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost
from tests.services.secrets import DictSecrets

NS = "team-a"
ACTOR = ActorRef(name="text-processor", namespace=NS)
MakeTransport = Callable[..., RabbitMQTransport]


def config_for(target: VirtualHost, **overrides: Any) -> RabbitMQConfig:
    document = {
        "host": target.node.host,
        "port": target.node.amqp_port,
        "vhost": target.name,
        "passwordSecretRef": {"name": "rabbitmq", "key": "password"},
        "managementUrl": target.node.management_url,
    }
    return RabbitMQConfig.model_validate(document | overrides)


@pytest.fixture
def secrets() -> DictSecrets:
    return DictSecrets({(NS, "rabbitmq"): {"password": "guest"}})


@pytest.fixture
async def make_transport(rabbitmq_vhost: VirtualHost, secrets: DictSecrets) -> AsyncIterator[MakeTransport]:
    made: list[RabbitMQTransport] = []

    def make(*, timeout: float = 10.0, manage_queues: bool = True, **config: Any) -> RabbitMQTransport:
        """A transport on the test vhost; ``config`` overrides fields of its configuration (camelCase)."""
        transport = RabbitMQTransport(
            "main",
            config_for(rabbitmq_vhost, **config),
            secrets=secrets,
            manage_queues=manage_queues,
            timeout=timeout,
            reconnect_interval=1.0,
        )
        made.append(transport)
        return transport

    yield make
    for transport in made:
        await transport.aclose()


@pytest.fixture
async def amqp(rabbitmq_vhost: VirtualHost) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    """A plain (non-robust) client connection to the test vhost, for publishing and inspecting."""
    connection = await aio_pika.connect(rabbitmq_vhost.amqp_url, timeout=10)
    yield connection
    await connection.close()


async def publish(connection: aio_pika.abc.AbstractConnection, routing_key: str, count: int = 1) -> None:
    """Publish like the Asya sidecar does: to exchange ``asya`` with the actor name as routing key."""
    channel = await connection.channel()
    exchange = await channel.get_exchange("asya", ensure=False)
    for i in range(count):
        message = aio_pika.Message(f"m{i}".encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await exchange.publish(message, routing_key=routing_key, mandatory=True)
    await channel.close()


async def depth(connection: aio_pika.abc.AbstractConnection, queue: str) -> int | None:
    """Ready messages in ``queue`` (a passive declare on a fresh channel), None if it does not exist."""
    channel = await connection.channel()
    try:
        declared = await channel.declare_queue(queue, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return None
    count = declared.declaration_result.message_count
    await channel.close()
    return count


def queue_info(vhost: VirtualHost, queue: str) -> dict[str, Any]:
    path = f"/api/queues/{urllib.parse.quote(vhost.name, safe='')}/{queue}"
    info: dict[str, Any] = vhost.node.management("GET", path)
    return info


# --- ensure -------------------------------------------------------------------------------------------------


async def test_ensure_creates_exchange_queue_and_binding(make_transport: MakeTransport, amqp: Any) -> None:
    """A message published to exchange ``asya`` with routing key ``<name>`` lands in ``asya-<name>``."""
    result = await make_transport().ensure_queue(ACTOR)

    assert result.created is True
    assert result.name == "asya-text-processor"
    await publish(amqp, "text-processor")
    assert await depth(amqp, "asya-text-processor") == 1


async def test_ensure_tells_the_figures_of_the_queue_it_created(make_transport: MakeTransport) -> None:
    """The management API has no counters for a new queue yet; the declaration's answer has them."""
    transport = make_transport()

    assert (await transport.ensure_queue(ACTOR)).metrics == QueueMetrics(queued=0, processing=0)
    assert (await transport.ensure_queue(ACTOR)).metrics is None  # an existing queue: ask queue_metrics


async def test_queue_is_durable_classic_without_arguments_by_default(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost
) -> None:
    await make_transport().ensure_queue(ACTOR)

    info = queue_info(rabbitmq_vhost, "asya-text-processor")
    assert (info["durable"], info["auto_delete"], info["arguments"]) == (True, False, {})
    exchange = rabbitmq_vhost.node.management(
        "GET", f"/api/exchanges/{urllib.parse.quote(rabbitmq_vhost.name, safe='')}/asya"
    )
    assert (exchange["type"], exchange["durable"]) == ("topic", True)


async def test_dead_letter_arguments_and_queue_when_enabled(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost, amqp: Any
) -> None:
    """With the DLQ on, a rejected message goes to ``asya-<name>-dlq``."""
    await make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}}).ensure_queue(ACTOR)

    assert queue_info(rabbitmq_vhost, "asya-text-processor")["arguments"] == {
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "asya-text-processor-dlq",
    }
    await publish(amqp, "text-processor")
    channel = await amqp.channel()
    message = await (await channel.get_queue("asya-text-processor", ensure=False)).get(timeout=5)
    assert message is not None
    await message.reject(requeue=False)
    await eventually(lambda: depth(amqp, "asya-text-processor-dlq"), lambda n: n == 1)


async def test_second_ensure_changes_nothing(make_transport: MakeTransport, amqp: Any) -> None:
    transport = make_transport()
    await transport.ensure_queue(ACTOR)
    await publish(amqp, "text-processor", 2)

    again = await transport.ensure_queue(ACTOR)

    assert again.created is False
    assert await depth(amqp, "asya-text-processor") == 2


async def test_queue_with_other_arguments_is_reported_and_kept(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost, amqp: Any
) -> None:
    channel = await amqp.channel()
    queue = await channel.declare_queue("asya-text-processor", durable=True, arguments={"x-max-length": 100})
    for _ in range(3):
        await channel.default_exchange.publish(aio_pika.Message(b"keep me"), routing_key=queue.name)

    with pytest.raises(TransportError) as caught:
        await make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}}).ensure_queue(ACTOR)

    assert caught.value.reason is Reason.QUEUE_CONFIG_MISMATCH
    assert "asya-text-processor" in caught.value.message
    assert "x-dead-letter-exchange" in caught.value.message
    assert await depth(amqp, "asya-text-processor") == 3
    assert queue_info(rabbitmq_vhost, "asya-text-processor")["arguments"] == {"x-max-length": 100}


async def test_without_auto_create_ensure_only_verifies(make_transport: MakeTransport, amqp: Any) -> None:
    transport = make_transport(queues={"deleteOnActorDeletion": True})  # a queues block without autoCreate

    with pytest.raises(TransportError) as caught:
        await transport.ensure_queue(ACTOR)
    assert caught.value.reason is Reason.QUEUE_NOT_FOUND
    assert "autoCreate is false" in caught.value.message
    assert await depth(amqp, "asya-text-processor") is None

    channel = await amqp.channel()
    await channel.declare_queue("asya-text-processor", durable=False, arguments={"x-max-length": 5})
    assert (await transport.ensure_queue(ACTOR)).created is False


async def test_disabled_queue_management_only_verifies_and_never_deletes(
    make_transport: MakeTransport, amqp: Any
) -> None:
    transport = make_transport(manage_queues=False)

    with pytest.raises(TransportError) as caught:
        await transport.ensure_queue(ACTOR)
    assert caught.value.reason is Reason.QUEUE_NOT_FOUND
    assert "ASYA_DISABLE_QUEUE_MANAGEMENT" in caught.value.message

    channel = await amqp.channel()
    await channel.declare_queue("asya-text-processor", durable=True)
    assert await transport.delete_queue(ACTOR) is False
    assert await depth(amqp, "asya-text-processor") == 0


# --- metrics ------------------------------------------------------------------------------------------------


async def test_metrics_count_ready_as_queued_and_unacked_as_processing(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost
) -> None:
    """Through the management API, on the default vhost ``/`` (sent as ``%2F`` in the API path)."""
    transport = make_transport(vhost="/")
    actor = ActorRef(name=f"metrics-{rabbitmq_vhost.name}", namespace=NS)  # the default vhost is shared
    connection = await aio_pika.connect(rabbitmq_vhost.node.amqp_url, timeout=10)
    try:
        await transport.ensure_queue(actor)
        await publish(connection, actor.name, 8)
        consumer = await connection.channel()
        fetched = await (await consumer.get_queue(actor.queue_name, ensure=False)).get(timeout=5)
        assert fetched is not None  # held unacknowledged until the channel closes

        # The management API reports counters a few seconds after the fact.
        metrics = await eventually(
            lambda: transport.queue_metrics(actor), lambda m: m == QueueMetrics(queued=7, processing=1)
        )
        assert metrics == QueueMetrics(queued=7, processing=1)
    finally:
        await transport.delete_queue(actor)
        await connection.close()


async def test_metrics_fall_back_to_amqp_without_management_api(
    make_transport: MakeTransport, amqp: Any
) -> None:
    transport = make_transport(managementUrl=f"http://127.0.0.1:{free_port()}")
    await transport.ensure_queue(ACTOR)
    await publish(amqp, "text-processor", 3)

    assert await transport.queue_metrics(ACTOR) == QueueMetrics(queued=3, processing=None)


async def test_metrics_of_a_missing_queue_is_queue_not_found(make_transport: MakeTransport) -> None:
    with pytest.raises(TransportError) as caught:
        await make_transport().queue_metrics(ACTOR)
    assert caught.value.reason is Reason.QUEUE_NOT_FOUND


# --- failures -----------------------------------------------------------------------------------------------


async def test_wrong_password_is_authentication_failed(
    make_transport: MakeTransport, secrets: DictSecrets
) -> None:
    secrets.put(NS, "rabbitmq", password="not-the-password")

    with pytest.raises(TransportError) as caught:
        await make_transport().ensure_queue(ACTOR)

    assert caught.value.reason is Reason.AUTHENTICATION_FAILED
    assert caught.value.condition_status == "False"
    assert "Secret 'rabbitmq'" in caught.value.message
    assert "not-the-password" not in caught.value.message


async def test_missing_secret_is_a_config_error(make_transport: MakeTransport, secrets: DictSecrets) -> None:
    secrets.data.clear()

    with pytest.raises(TransportError) as caught:
        await make_transport().ensure_queue(ACTOR)

    assert caught.value.reason is Reason.SECRET_NOT_FOUND
    assert caught.value.is_config_error
    assert caught.value.condition_status == "Unknown"
    assert "Secret 'rabbitmq' not found in namespace 'team-a'" in caught.value.message


async def test_credentials_come_from_the_actors_namespace(
    make_transport: MakeTransport, secrets: DictSecrets
) -> None:
    other = ActorRef(name="other", namespace="team-b")

    with pytest.raises(TransportError) as caught:
        await make_transport().ensure_queue(other)

    assert caught.value.reason is Reason.SECRET_NOT_FOUND
    assert ("team-b", "rabbitmq", "password") in secrets.reads


async def test_unknown_vhost_is_permission_denied(make_transport: MakeTransport) -> None:
    with pytest.raises(TransportError) as caught:
        await make_transport(vhost="no-such-vhost").ensure_queue(ACTOR)
    assert caught.value.reason is Reason.PERMISSION_DENIED
    assert "'no-such-vhost'" in caught.value.message


async def test_stopped_broker_is_unavailable_and_the_next_call_after_restart_succeeds(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost, amqp: Any
) -> None:
    transport = make_transport(timeout=3.0)
    await transport.ensure_queue(ACTOR)
    await publish(amqp, "text-processor", 2)
    node = rabbitmq_vhost.node

    node.kill()
    try:
        async with asyncio.timeout(3.0 + 10):  # the call ends by its own bound, never hangs
            with pytest.raises(TransportError) as caught:
                await transport.queue_metrics(ACTOR)
        assert caught.value.reason is Reason.BROKER_UNAVAILABLE
        assert "RabbitMQ 127.0.0.1" in caught.value.message
        assert "unreachable" in caught.value.message
    finally:
        await asyncio.to_thread(node.start)

    # Same transport object, nothing restarted on our side: the shared connection reconnects by itself.
    assert (await transport.ensure_queue(ACTOR)).created is False
    metrics = await transport.queue_metrics(ACTOR)
    assert metrics.queued == 2


# --- delete -------------------------------------------------------------------------------------------------


async def test_delete_removes_a_non_empty_queue_and_its_dlq(make_transport: MakeTransport, amqp: Any) -> None:
    transport = make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}})
    await transport.ensure_queue(ACTOR)
    await publish(amqp, "text-processor", 3)
    channel = await amqp.channel()
    await channel.default_exchange.publish(aio_pika.Message(b"dead"), routing_key="asya-text-processor-dlq")
    consumer = await channel.declare_queue("asya-text-processor", passive=True)

    async def hold(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        pass  # never acknowledged

    await consumer.consume(hold)  # neither a consumer nor unacknowledged messages keep the queue alive

    assert await transport.delete_queue(ACTOR) is True

    assert await depth(amqp, "asya-text-processor") is None
    assert await depth(amqp, "asya-text-processor-dlq") is None
    assert await transport.queue_exists(ACTOR) is False
    assert await transport.delete_queue(ACTOR) is False


async def test_delete_keeps_the_queue_when_deletion_is_off(make_transport: MakeTransport, amqp: Any) -> None:
    transport = make_transport(queues={"autoCreate": True, "deleteOnActorDeletion": False})
    await transport.ensure_queue(ACTOR)

    assert transport.deletes_queues is False
    assert await transport.delete_queue(ACTOR) is False
    assert await depth(amqp, "asya-text-processor") == 0


# --- connections --------------------------------------------------------------------------------------------


def _connections(vhost: VirtualHost) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = vhost.node.management(
        "GET", f"/api/vhosts/{urllib.parse.quote(vhost.name, safe='')}/connections"
    )
    return [
        c for c in listed if "asya-controller" in c.get("client_properties", {}).get("connection_name", "")
    ]


async def _connections_eventually(vhost: VirtualHost, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]]:
        return await asyncio.to_thread(_connections, vhost)

    return await eventually(probe, lambda listed: len(listed) == count)


async def test_one_connection_per_credentials_shared_by_actors(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost, secrets: DictSecrets
) -> None:
    rabbitmq_vhost.node.add_user("team-b-user", "b-password", vhost=rabbitmq_vhost.name)
    secrets.put("team-b", "rabbitmq", password="b-password")
    transport = make_transport(usernameSecretRef={"name": "rabbitmq", "key": "username"})
    secrets.put(NS, "rabbitmq", username="guest")
    secrets.put("team-b", "rabbitmq", username="team-b-user")
    try:
        for name in ("a1", "a2", "a3"):
            await transport.ensure_queue(ActorRef(name=name, namespace=NS))
        await transport.ensure_queue(ActorRef(name="b1", namespace="team-b"))

        listed = await _connections_eventually(rabbitmq_vhost, 2)
        assert sorted(c["user"] for c in listed) == ["guest", "team-b-user"]

        await transport.aclose()
        await _connections_eventually(rabbitmq_vhost, 0)
    finally:
        rabbitmq_vhost.node.delete_user("team-b-user")


async def test_a_channel_is_kept_open_for_the_next_operation(
    make_transport: MakeTransport, rabbitmq_vhost: VirtualHost
) -> None:
    """Operations one after another share one channel instead of opening and closing one each."""
    transport = make_transport()
    for name in ("a1", "a2", "a3"):
        await transport.ensure_queue(ActorRef(name=name, namespace=NS))
        await transport.queue_metrics(ActorRef(name=name, namespace=NS))

    listed = await eventually(
        lambda: asyncio.to_thread(_connections, rabbitmq_vhost),
        lambda found: len(found) == 1 and found[0].get("channels") == 1,
    )
    assert listed[0]["channels"] == 1


async def test_operations_after_a_refused_one_run_on_a_good_channel(
    make_transport: MakeTransport, amqp: Any
) -> None:
    """The broker closes the channel of a refused operation; it is not handed to the next one."""
    channel = await amqp.channel()
    await channel.declare_queue("asya-text-processor", durable=True, arguments={"x-max-length": 100})
    transport = make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}})

    for _ in range(2):
        with pytest.raises(TransportError) as caught:
            await transport.ensure_queue(ACTOR)
        assert caught.value.reason is Reason.QUEUE_CONFIG_MISMATCH
        with pytest.raises(TransportError) as caught:
            await transport.queue_metrics(ActorRef(name="missing", namespace=NS))
        assert caught.value.reason is Reason.QUEUE_NOT_FOUND
        other = ActorRef(name="other", namespace=NS)
        await transport.ensure_queue(other)
        assert await transport.queue_exists(other) is True


async def test_transport_reconnects_after_aclose(make_transport: MakeTransport) -> None:
    transport = make_transport()
    await transport.ensure_queue(ACTOR)
    await transport.aclose()

    assert await transport.queue_exists(ACTOR) is True


async def test_a_broker_that_never_answers_times_out_and_leaves_nothing_running(
    rabbitmq_vhost: VirtualHost, secrets: DictSecrets
) -> None:
    """A connect cut short by the time bound must not leave a robust connection retrying in the background."""
    held: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = RabbitMQTransport("main", config_for(rabbitmq_vhost, port=port), secrets=secrets, timeout=1.0)
    try:
        async with asyncio.timeout(1.0 + 10):
            with pytest.raises(TransportError) as caught:
                await transport.ensure_queue(ACTOR)
        assert caught.value.reason is Reason.BROKER_UNAVAILABLE
        assert "did not answer within 1 s" in caught.value.message
        await asyncio.sleep(0.1)
        assert not [t for t in asyncio.all_tasks() if "connection_factory" in repr(t.get_coro())]
    finally:
        await transport.aclose()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
