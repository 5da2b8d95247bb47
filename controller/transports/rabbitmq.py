"""RabbitMQ transport (AMQP 0-9-1 through aio-pika; contract §6.2).

The actor's queue is the durable classic queue ``asya-<name>`` bound to the durable topic exchange
``config.exchange`` (default ``asya``) with routing key ``<name>``: that is where the Asya sidecar and gateway
publish. With ``queues.dlq.enabled`` the queue dead-letters to ``asya-<name>-dlq`` through the default
exchange (``x-dead-letter-exchange=""``, ``x-dead-letter-routing-key=asya-<name>-dlq``).

- ensure: with ``autoCreate`` (and queue management enabled) declares exchange, DLQ, queue and binding; all
  declarations are idempotent, so a second ensure changes nothing. A queue (or exchange) that exists with
  other arguments is reported as ``QueueConfigMismatch`` and left as it is, messages included. Without
  ``autoCreate`` it only checks that the queue exists (``QueueNotFound`` otherwise), whatever its arguments.
  When it has just created the queue it also tells its figures, from the declaration's answer: the
  management API has none for a new queue yet.
- delete: queue and DLQ regardless of consumers and content (``if_unused=False, if_empty=False``).
- metrics: the management API (``messages_ready`` → queued, ``messages_unacknowledged`` → processing) when it
  answers with counters, else a passive declare (queued only). The management API lags a few seconds behind
  publishes and has no counters for a brand-new queue; when it is unreachable or refuses the credentials it is
  left alone for a minute before it is asked again.

Connections: one aio-pika robust connection per (transport, credentials), opened on first use and shared by
every actor using those credentials; it reconnects by itself after the broker comes back. Every operation runs
alone on a raw channel of that connection (never a cached robust channel: a passive declare on one answers
from its cache, and a robust channel re-declares what it declared when it reopens). Channels are kept open for
the next operation, which saves two round trips each time; one that failed (the broker closes a channel on a
refused operation) or was cut short is closed and never used again. Every public call is bounded by
``timeout`` seconds, connecting included. While the connection is down, a call waits for the reconnection for
at most two reconnect intervals (4 s), then reports ``BrokerUnavailable``: long enough to pick up a broker
that has just come back, short enough that a broker outage does not hold every worker for the whole time
bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import aio_pika
import aiohttp
import aiormq
import aiormq.abc
from aio_pika.connection import make_url

from controller.transports import manifests
from controller.transports.base import (
    DEFAULT_TIMEOUT,
    ActorRef,
    EnsuredQueue,
    Manifest,
    QueueMetrics,
    Reason,
    SecretReader,
    TransportBase,
    TransportError,
    read_secret,
)
from controller.transports.config import RabbitMQConfig

T = TypeVar("T")

MANAGEMENT_RETRY_AFTER = 60.0  # seconds to leave an unreachable or refusing management API alone
RECONNECT_INTERVAL = 2.0
# Idle channels kept per connection for the next operation (a worker uses one at a time).
MAX_IDLE_CHANNELS = 16


def dlq_name(actor: ActorRef) -> str:
    return f"{actor.queue_name}-dlq"


def queue_arguments(config: RabbitMQConfig, actor: ActorRef) -> dict[str, Any]:
    """The arguments ``asya-<name>`` is declared with (contract §6.2)."""
    if not config.queues.dlq.enabled:
        return {}
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq_name(actor)}


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    @property
    def key(self) -> tuple[str, str]:
        # Connections are shared per credentials; the key must not hold the password itself.
        return self.username, hashlib.sha256(self.password.encode()).hexdigest()


class RabbitMQTransport(TransportBase):
    """:class:`~controller.transports.base.Transport` for ``type: rabbitmq``."""

    def __init__(
        self,
        name: str,
        config: RabbitMQConfig,
        *,
        secrets: SecretReader,
        manage_queues: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        reconnect_interval: float = RECONNECT_INTERVAL,
    ) -> None:
        super().__init__(name, config.queues, manage_queues=manage_queues, timeout=timeout)
        self.config = config
        self._secrets = secrets
        self._reconnect_interval = reconnect_interval
        self._connections: dict[tuple[str, str], aio_pika.RobustConnection] = {}
        self._idle_channels: dict[tuple[str, str], list[aiormq.abc.AbstractChannel]] = {}
        self._connect_lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None
        self._management_resting_until: dict[tuple[str, str], float] = {}

    # --- identity -------------------------------------------------------------------------------------

    @property
    def type(self) -> Literal["rabbitmq"]:
        return "rabbitmq"

    @property
    def _where(self) -> str:
        return f"RabbitMQ {self.config.host}:{self.config.port} (transport {self._name!r})"

    # --- manifests (pure) -----------------------------------------------------------------------------

    def sidecar_env(self, actor: ActorRef) -> list[Manifest]:
        return manifests.rabbitmq_sidecar_env(self.config, actor)

    def keda_trigger(self, actor: ActorRef, *, queue_length: int) -> Manifest:
        return manifests.rabbitmq_trigger(self.config, actor, queue_length=queue_length)

    def trigger_authentication(self, actor: ActorRef) -> Manifest | None:
        return manifests.rabbitmq_trigger_authentication(self.config, actor)

    def service_account(self, actor: ActorRef) -> Manifest | None:
        return None

    # --- queue operations -----------------------------------------------------------------------------

    async def ensure_queue(self, actor: ActorRef) -> EnsuredQueue:
        credentials = await self._credentials(actor)
        queue, exchange = actor.queue_name, self.config.exchange
        address = f"vhost {self.config.vhost!r}, exchange {exchange!r}, routing key {actor.name!r}"
        async with self._bounded(credentials):
            existed = await self._declared(credentials, queue)
            if not self.creates_queues:
                if not existed:
                    raise self._queue_missing(queue, self._where_vhost)
                return EnsuredQueue(name=queue, address=address, created=False)
            async with self._channel(credentials) as channel:
                await self._declare(
                    channel.exchange_declare(exchange, exchange_type="topic", durable=True),
                    f"exchange {exchange!r}",
                )
                if self.config.queues.dlq.enabled:
                    await self._declare(
                        channel.queue_declare(dlq_name(actor), durable=True), "dead-letter queue"
                    )
                arguments = queue_arguments(self.config, actor)
                declared = await self._declare(
                    channel.queue_declare(queue, durable=True, arguments=arguments), "queue"
                )
                await channel.queue_bind(queue, exchange, routing_key=actor.name)
        metrics = None
        if not existed:
            # The management API has no counters for a brand-new queue yet; the declaration's answer tells
            # the depth, and without a consumer nothing can be in flight.
            metrics = QueueMetrics(
                queued=declared.message_count, processing=0 if declared.consumer_count == 0 else None
            )
        return EnsuredQueue(name=queue, address=address, created=not existed, metrics=metrics)

    async def queue_exists(self, actor: ActorRef) -> bool:
        credentials = await self._credentials(actor)
        async with self._bounded(credentials):
            return await self._declared(credentials, actor.queue_name)

    async def queue_metrics(self, actor: ActorRef) -> QueueMetrics:
        credentials = await self._credentials(actor)
        async with self._bounded(credentials):
            metrics = await self._management_metrics(credentials, actor.queue_name)
            if metrics is not None:
                return metrics
            try:
                async with self._channel(credentials) as channel:
                    ok = await channel.queue_declare(actor.queue_name, passive=True)
            except aiormq.exceptions.ChannelNotFoundEntity:
                raise self._queue_missing(actor.queue_name, self._where_vhost) from None
            return QueueMetrics(queued=ok.message_count, processing=None)

    async def delete_queue(self, actor: ActorRef) -> bool:
        if not self.deletes_queues:
            return False
        credentials = await self._credentials(actor)
        async with self._bounded(credentials):
            existed = await self._declared(credentials, actor.queue_name)
            async with self._channel(credentials) as channel:
                for queue in (actor.queue_name, dlq_name(actor)):
                    # Deleting a queue that does not exist is a no-op for RabbitMQ, not an error.
                    await channel.queue_delete(queue, if_unused=False, if_empty=False)
        return existed

    async def aclose(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        self._idle_channels = {}  # closed with their connections
        for connection in connections:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), self._timeout)
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    # --- internals ------------------------------------------------------------------------------------

    async def _credentials(self, actor: ActorRef) -> Credentials:
        config = self.config
        username = config.plain_username
        if config.username_secret_ref is not None:
            purpose = f"RabbitMQ username of transport {self._name!r}"
            username = await read_secret(
                self._secrets, actor.namespace, config.username_secret_ref, purpose=purpose
            )
        purpose = f"RabbitMQ password of transport {self._name!r}"
        password = await read_secret(
            self._secrets, actor.namespace, config.password_secret_ref, purpose=purpose
        )
        assert username is not None
        return Credentials(username=username, password=password)

    @contextlib.asynccontextmanager
    async def _bounded(self, credentials: Credentials) -> AsyncIterator[None]:
        """The time bound of one public call, and the translation of what can go wrong in it."""
        try:
            async with asyncio.timeout(self._timeout):
                yield
        except TransportError:
            raise
        except TimeoutError:
            raise self._unanswered() from None
        except aiormq.exceptions.ChannelAccessRefused as exc:
            raise TransportError(
                Reason.PERMISSION_DENIED,
                f"{self._where} refused user {credentials.username!r}: {_broker_text(exc)}; "
                f"grant it configure, write and read permissions on vhost {self.config.vhost!r}",
            ) from None
        except (
            aiormq.exceptions.AMQPConnectionError,
            aiormq.exceptions.ChannelInvalidStateError,
            OSError,
        ) as exc:
            raise TransportError(
                Reason.BROKER_UNAVAILABLE, f"{self._where} is unreachable: {_broker_text(exc)}"
            ) from None
        except aiormq.exceptions.AMQPError as exc:
            raise TransportError(
                Reason.QUEUE_OPERATION_FAILED, f"{self._where} rejected an operation: {_broker_text(exc)}"
            ) from None

    async def _connection(self, credentials: Credentials) -> aio_pika.RobustConnection:
        connection = self._connections.get(credentials.key)
        if connection is None or connection.is_closed:
            async with self._connect_lock:
                connection = self._connections.get(credentials.key)
                if connection is None or connection.is_closed:
                    connection = await self._connect(credentials)
                    self._connections[credentials.key] = connection
        if not connection.connected.is_set():
            try:
                async with asyncio.timeout(2 * self._reconnect_interval):
                    await connection.connected.wait()
            except TimeoutError:
                raise TransportError(
                    Reason.BROKER_UNAVAILABLE,
                    f"{self._where} is unreachable: the connection dropped and has not come back yet "
                    f"(retrying every {self._reconnect_interval:g} s)",
                ) from None
        return connection

    async def _connect(self, credentials: Credentials) -> aio_pika.RobustConnection:
        config = self.config
        url = make_url(
            host=config.host,
            port=config.port,
            login=credentials.username,
            password=credentials.password,
            virtualhost=config.vhost,
            ssl=config.tls,
        )
        connection = aio_pika.RobustConnection(
            url,
            reconnect_interval=self._reconnect_interval,
            client_properties={"connection_name": f"asya-controller (transport {self._name})"},
        )
        try:
            await connection.connect(timeout=self._timeout)
        except BaseException as exc:
            # A half-made robust connection would keep reconnecting in the background.
            with contextlib.suppress(Exception):
                await connection.close()
            if isinstance(
                exc, aiormq.exceptions.ProbableAuthenticationError | aiormq.exceptions.AuthenticationError
            ):
                raise TransportError(
                    Reason.AUTHENTICATION_FAILED,
                    f"{self._where} refused the login of user {credentials.username!r}: check the password "
                    f"in Secret {config.password_secret_ref.name!r} (key {config.password_secret_ref.key!r})",
                ) from None
            if isinstance(exc, aiormq.exceptions.InvalidFrameError | aiormq.exceptions.ConnectionNotAllowed):
                raise TransportError(
                    Reason.PERMISSION_DENIED,
                    f"{self._where} refused to open vhost {config.vhost!r} for user "
                    f"{credentials.username!r}: the vhost does not exist or the user has no permission on it",
                ) from None
            raise
        return connection

    @contextlib.asynccontextmanager
    async def _channel(self, credentials: Credentials) -> AsyncIterator[aiormq.abc.AbstractChannel]:
        """A raw channel of the credentials' connection, to use alone; an idle one when there is one.

        A channel goes back to the idle ones only when nothing went wrong on it: the broker closes a channel
        on a refused operation, and a cancelled call may leave an answer underway.
        """
        connection = await self._connection(credentials)
        transport = connection.transport
        if transport is None:
            raise TransportError(Reason.BROKER_UNAVAILABLE, f"{self._where} is unreachable: reconnecting")
        amqp = transport.connection
        idle = self._idle_channels.setdefault(credentials.key, [])
        channel: aiormq.abc.AbstractChannel | None = None
        while idle and channel is None:
            candidate = idle.pop()
            # A channel of a connection that has since been replaced died with it.
            if not candidate.is_closed and candidate.connection is amqp:
                channel = candidate
        if channel is None:
            channel = await amqp.channel()
        reusable = False
        try:
            yield channel
            reusable = True
        finally:
            if reusable and not channel.is_closed and len(idle) < MAX_IDLE_CHANNELS:
                idle.append(channel)
            elif not channel.is_closed:
                with contextlib.suppress(Exception):
                    await channel.close()

    async def _declared(self, credentials: Credentials, queue: str) -> bool:
        """Whether ``queue`` exists (a passive declare; a miss makes the broker close the channel)."""
        try:
            async with self._channel(credentials) as channel:
                await channel.queue_declare(queue, passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            return False
        return True

    async def _declare(self, declaration: Awaitable[T], what: str) -> T:
        try:
            return await declaration
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise TransportError(
                Reason.QUEUE_CONFIG_MISMATCH,
                f"{what} exists on {self._where} with other settings ({_broker_text(exc)}); the controller "
                f"does not delete it: delete it yourself (its messages are lost) or change the transport's "
                f"configuration (queues.dlq, exchange) to match it",
            ) from None

    @property
    def _where_vhost(self) -> str:
        return f"{self._where}, vhost {self.config.vhost!r}"

    async def _management_metrics(self, credentials: Credentials, queue: str) -> QueueMetrics | None:
        """Counters from the management API, or None when it cannot tell (then AMQP answers)."""
        if time.monotonic() < self._management_resting_until.get(credentials.key, 0.0):
            return None
        vhost = urllib.parse.quote(self.config.vhost, safe="")
        # Quoted with safe="" so that the default vhost "/" travels as %2F, which aiohttp keeps as it is.
        url = (
            f"{self.config.effective_management_url}/api/queues/{vhost}/{urllib.parse.quote(queue, safe='')}"
        )
        if self._http is None:
            self._http = aiohttp.ClientSession()
        headers = {"Authorization": aiohttp.encode_basic_auth(credentials.username, credentials.password)}
        # Half the time bound at most, so that the AMQP fallback still has time to answer.
        timeout = aiohttp.ClientTimeout(total=min(self._timeout / 2, 5.0))
        try:
            async with self._http.get(url, headers=headers, timeout=timeout) as response:
                if response.status in (401, 403):
                    self._management_resting_until[credentials.key] = (
                        time.monotonic() + MANAGEMENT_RETRY_AFTER
                    )
                    return None
                if response.status != 200:
                    return None  # 404: no such queue (or vhost); the passive declare says which, exactly
                body = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            self._management_resting_until[credentials.key] = time.monotonic() + MANAGEMENT_RETRY_AFTER
            return None
        ready, unacked = body.get("messages_ready"), body.get("messages_unacknowledged")
        if not isinstance(ready, int) or not isinstance(unacked, int):
            return None  # a queue the statistics collector has not sampled yet
        return QueueMetrics(queued=ready, processing=unacked)


def _broker_text(exc: BaseException) -> str:
    """The broker's own words (``PRECONDITION_FAILED - inequivalent arg ...``); they hold no credentials."""
    texts = [arg for arg in exc.args if isinstance(arg, str) and arg]
    return "; ".join(texts) or str(exc) or type(exc).__name__
