"""Queue depth for the simulated KEDA: set by a test, or read from the real queue a trigger points at.

Precedence, first that answers: the ScaledObject's annotation `sim.asya.sh/queue-depth` (for a person with
kubectl: `kubectl annotate so echo sim.asya.sh/queue-depth=23`); a depth a test set for the queue name
(`QueueDepths.set("asya-echo", 23)`); the real queue:
- RabbitMQ with `protocol: http`: the management API `GET <host>/api/queues/<vhost>/<queue>`, `messages`
  (ready + unacknowledged) or `messages_ready` with `excludeUnacknowledged` — KEDA's own request;
- RabbitMQ with `protocol: amqp`: a passive queue declare, `message_count` (ready messages only, like KEDA);
- SQS (only with an `awsEndpoint`, e.g. moto — the simulation never calls AWS itself):
  `ApproximateNumberOfMessages`, plus `…NotVisible` with `scaleOnInFlight`, `…Delayed` with `scaleOnDelayed`.
A queue that cannot be read raises `DepthUnavailable` with the reason, as a failing KEDA scaler reports it.
Connections and clients are kept per endpoint and credentials, and every call has a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from tests.kubeapi.sim.keda_triggers import Trigger

ANNOTATION = "sim.asya.sh/queue-depth"
TIMEOUT = 3.0


class DepthUnavailable(Exception):
    """The queue could not be read; the message is what KEDA would log and put in its event."""


class QueueDepths:
    """Depths tests set by queue name; `None` removes a setting."""

    def __init__(self) -> None:
        self._depths: dict[str, float] = {}

    def set(self, queue: str, depth: float | None) -> None:
        if depth is None:
            self._depths.pop(queue, None)
        else:
            self._depths[queue] = float(depth)

    def get(self, queue: str) -> float | None:
        return self._depths.get(queue)


class QueueReader:
    """Reads depths from brokers; one per cluster, closed with it."""

    def __init__(self, depths: QueueDepths) -> None:
        self.depths = depths
        self._http: aiohttp.ClientSession | None = None
        self._amqp: dict[str, Any] = {}
        self._sqs: dict[tuple[str, str, str], Any] = {}
        self._exits = contextlib.AsyncExitStack()

    async def depth(self, trigger: Trigger, annotations: Mapping[str, str]) -> float:
        if ANNOTATION in annotations:
            try:
                return float(annotations[ANNOTATION])
            except ValueError:
                raise DepthUnavailable(f"{ANNOTATION} is not a number: {annotations[ANNOTATION]!r}") from None
        preset = self.depths.get(trigger.queue)
        if preset is not None:
            return preset
        try:
            async with asyncio.timeout(TIMEOUT):
                if trigger.type == "rabbitmq":
                    if trigger.protocol == "http":
                        return await self._rabbitmq_http(trigger)
                    return await self._rabbitmq_amqp(trigger)
                return await self._sqs_depth(trigger)
        except DepthUnavailable:
            raise
        except Exception as error:
            raise DepthUnavailable(
                f"error inspecting {trigger.type} queue {trigger.queue}: {error!r}"
            ) from error

    async def _rabbitmq_http(self, trigger: Trigger) -> float:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        parts = urlsplit(trigger.host)
        prefix = parts.path.rsplit("/", 1)[0] if parts.path.count("/") > 1 else ""
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        base = urlunsplit((parts.scheme, netloc, prefix, "", ""))
        url = f"{base}/api/queues/{quote(trigger.vhost, safe='')}/{quote(trigger.queue, safe='')}"
        headers = {}
        if trigger.username:
            token = base64.b64encode(f"{trigger.username}:{trigger.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        async with self._http.get(url, headers=headers) as response:
            if response.status != 200:
                body = await response.text()
                raise DepthUnavailable(
                    f"error requesting rabbitMQ API status: {response.status} {response.reason}, "
                    f"response: {body}, from: {url}"
                )
            info = await response.json()
        return float(info.get("messages_ready" if trigger.exclude_unacknowledged else "messages", 0))

    async def _rabbitmq_amqp(self, trigger: Trigger) -> float:
        import aio_pika

        parts = urlsplit(trigger.host)
        host = parts.hostname or "localhost"
        port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
        key = f"{parts.scheme}://{trigger.username}@{host}:{port}/{trigger.vhost}"
        connection = self._amqp.get(key)
        if connection is None or connection.is_closed:
            connection = await aio_pika.connect(
                host=host,
                port=port,
                login=trigger.username or "guest",
                password=trigger.password or "guest",
                virtualhost=trigger.vhost,
                ssl=parts.scheme == "amqps",
                timeout=TIMEOUT,
            )
            self._amqp[key] = connection
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(trigger.queue, passive=True)
            return float(queue.declaration_result.message_count or 0)
        finally:
            with contextlib.suppress(Exception):
                await channel.close()

    async def _sqs_depth(self, trigger: Trigger) -> float:
        if not trigger.endpoint:
            raise DepthUnavailable(
                f"queue {trigger.queue_url} has no awsEndpoint; the simulated cluster does not call AWS "
                f"(set a depth with QueueDepths or the {ANNOTATION} annotation)"
            )
        key = (trigger.endpoint, trigger.region, trigger.access_key_id)
        client: Any = self._sqs.get(key)
        if client is None:
            from aiobotocore.config import AioConfig
            from aiobotocore.session import get_session

            client = await self._exits.enter_async_context(
                get_session().create_client(
                    "sqs",
                    region_name=trigger.region,
                    endpoint_url=trigger.endpoint,
                    aws_access_key_id=trigger.access_key_id or "simulated",
                    aws_secret_access_key=trigger.secret_access_key or "simulated",
                    aws_session_token=trigger.session_token or None,
                    config=AioConfig(
                        connect_timeout=TIMEOUT, read_timeout=TIMEOUT, retries={"max_attempts": 1}
                    ),
                )
            )
            self._sqs[key] = client
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        answer = await client.get_queue_attributes(QueueUrl=trigger.queue_url, AttributeNames=names)
        attributes = answer.get("Attributes") or {}
        depth = float(attributes.get(names[0], 0))
        if trigger.in_flight:
            depth += float(attributes.get(names[1], 0))
        if trigger.delayed:
            depth += float(attributes.get(names[2], 0))
        return depth

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        for connection in self._amqp.values():
            with contextlib.suppress(Exception):
                await connection.close()
        await self._exits.aclose()
