"""SQS transport (aiobotocore; contract §6.2).

The actor's queue is ``asya-<name>`` with ``VisibilityTimeout`` (configured, else twice
``timeout.processing``, at least 30 s), ``MessageRetentionPeriod=345600`` and, with ``queues.dlq.enabled``, a
``RedrivePolicy`` to the shared queue ``asya-dlq`` (retention ``retentionDays`` days, tag
``asya.sh/type=dlq``). Its tags are ``asya.sh/actor=<name>``, ``asya.sh/namespace=<ns>`` and the configured
tags.

- ensure (``autoCreate`` and queue management enabled): creates the queue with its attributes and tags, or
  brings an existing one to them in place with SetQueueAttributes / TagQueue (only what differs; never a
  delete and re-create, which would lose messages). Tags it does not own are left as they are; a redrive
  policy is removed when the DLQ is disabled. Without ``autoCreate`` it only checks that the queue exists.
- a queue tagged ``asya.sh/namespace`` with another namespace belongs to another actor: it is neither changed
  nor deleted (``QueueOwnedByOtherNamespace``). An untagged queue of the right name is adopted.
- SQS refuses to re-create a queue within 60 s of its deletion: ``QueueDeletedRecently`` with ``retry_after``
  65 s; nothing here sleeps.
- metrics: ``ApproximateNumberOfMessages`` → queued, ``ApproximateNumberOfMessagesNotVisible`` → processing.
- delete: the actor's queue only (the DLQ is shared).

Clients: one aiobotocore client per (transport, credentials), created on first use, reused, closed by
:meth:`SQSTransport.aclose`. Static credentials come from the configured Secrets in the actor's namespace;
without them the client uses the default AWS chain of the controller's own process (e.g. its IRSA role). Each
public call is bounded by ``timeout`` seconds; botocore's own connect/read timeouts and a short retry budget
sit inside that bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

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
from controller.transports.config import SQSConfig

DLQ_NAME = "asya-dlq"
RETENTION_SECONDS = 345600
QUEUE_DELETED_RECENTLY_RETRY_AFTER = 65.0
TAG_ACTOR = "asya.sh/actor"
TAG_NAMESPACE = "asya.sh/namespace"
TAG_TYPE = "asya.sh/type"

_NOT_FOUND = {"QueueDoesNotExist", "NonExistentQueue"}
_ALREADY_EXISTS = {"QueueAlreadyExists", "QueueNameExists"}
_DELETED_RECENTLY = {"QueueDeletedRecently"}
_AUTHENTICATION = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "InvalidSecurity",
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "ExpiredToken",
    "AuthFailure",
}
_PERMISSION = {"AccessDenied", "AccessDeniedException", "KmsAccessDenied"}

Credentials = tuple[str, str]  # access key id, secret access key


# --- desired state (pure) -----------------------------------------------------------------------------------


def desired_attributes(config: SQSConfig, actor: ActorRef, *, dlq_arn: str | None) -> dict[str, str]:
    attributes = {
        "VisibilityTimeout": str(config.visibility_timeout_for(actor.processing_timeout)),
        "MessageRetentionPeriod": str(RETENTION_SECONDS),
    }
    if dlq_arn is not None:
        policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": config.queues.dlq.max_retry_count}
        attributes["RedrivePolicy"] = json.dumps(policy)
    return attributes


def desired_tags(config: SQSConfig, actor: ActorRef) -> dict[str, str]:
    return {**config.tags, TAG_ACTOR: actor.name, TAG_NAMESPACE: actor.namespace}


def attribute_changes(current: Mapping[str, str], desired: Mapping[str, str]) -> dict[str, str]:
    """What SetQueueAttributes must send so that ``current`` matches ``desired`` (empty: nothing)."""
    changes = {
        key: value for key, value in desired.items() if not _same_attribute(key, current.get(key), value)
    }
    if "RedrivePolicy" not in desired and current.get("RedrivePolicy"):
        changes["RedrivePolicy"] = ""  # the empty policy removes it
    return changes


def _same_attribute(key: str, current: str | None, desired: str) -> bool:
    if current is None:
        return False
    if key == "RedrivePolicy":
        # SQS answers with maxReceiveCount as a number whatever was sent; compare the meaning.
        try:
            now, want = json.loads(current), json.loads(desired)
            return bool(
                now.get("deadLetterTargetArn") == want["deadLetterTargetArn"]
                and int(now.get("maxReceiveCount", -1)) == int(want["maxReceiveCount"])
            )
        except (ValueError, TypeError, AttributeError):
            return False
    return current == desired


def tag_changes(current: Mapping[str, str], desired: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in desired.items() if current.get(key) != value}


def error_code(exc: ClientError) -> str:
    """The SQS error name, whichever of its two spellings the protocol delivered."""
    error = exc.response.get("Error", {})
    code = str(error.get("QueryErrorCode") or error.get("Code") or "")
    return code.removeprefix("AWS.SimpleQueueService.")


# --- the transport ------------------------------------------------------------------------------------------


class SQSTransport(TransportBase):
    """:class:`~controller.transports.base.Transport` for ``type: sqs``."""

    def __init__(
        self,
        name: str,
        config: SQSConfig,
        *,
        secrets: SecretReader,
        manage_queues: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        session: AioSession | None = None,
    ) -> None:
        super().__init__(name, config.queues, manage_queues=manage_queues, timeout=timeout)
        self.config = config
        self._secrets = secrets
        self._session = session or get_session()
        self._clients: dict[tuple[str, str] | None, Any] = {}
        self._stack = contextlib.AsyncExitStack()
        self._client_lock = asyncio.Lock()

    @property
    def type(self) -> Literal["sqs"]:
        return "sqs"

    @property
    def _where(self) -> str:
        return f"SQS {self.config.normalized_endpoint or self.config.region} (transport {self._name!r})"

    # --- manifests (pure) -----------------------------------------------------------------------------

    def sidecar_env(self, actor: ActorRef) -> list[Manifest]:
        return manifests.sqs_sidecar_env(self.config, actor)

    def keda_trigger(self, actor: ActorRef, *, queue_length: int) -> Manifest:
        return manifests.sqs_trigger(self.config, actor, queue_length=queue_length)

    def trigger_authentication(self, actor: ActorRef) -> Manifest | None:
        return manifests.sqs_trigger_authentication(self.config, actor)

    def service_account(self, actor: ActorRef) -> Manifest | None:
        return manifests.sqs_service_account(self.config, actor)

    # --- queue operations -----------------------------------------------------------------------------

    async def ensure_queue(self, actor: ActorRef) -> EnsuredQueue:
        queue = actor.queue_name
        async with self._bounded(actor):
            client = await self._client(actor)
            url = await self._queue_url(client, queue)
            if not self.creates_queues:
                if url is None:
                    raise self._queue_missing(queue)
                self._check_owner(actor, await self._tags(client, url))
                return EnsuredQueue(name=queue, address=url, created=False)
            dlq_arn = await self._ensure_dlq(client) if self.config.queues.dlq.enabled else None
            attributes = desired_attributes(self.config, actor, dlq_arn=dlq_arn)
            tags = desired_tags(self.config, actor)
            if url is None:
                url, created = await self._create(client, queue, attributes, tags)
                if created:
                    return EnsuredQueue(name=queue, address=url, created=True)
            current_tags = await self._tags(client, url)
            self._check_owner(actor, current_tags)
            await self._repair(client, url, attributes, tags, current_tags=current_tags)
            return EnsuredQueue(name=queue, address=url, created=False)

    async def queue_exists(self, actor: ActorRef) -> bool:
        async with self._bounded(actor):
            client = await self._client(actor)
            return await self._queue_url(client, actor.queue_name) is not None

    async def queue_metrics(self, actor: ActorRef) -> QueueMetrics:
        async with self._bounded(actor):
            client = await self._client(actor)
            url = await self._queue_url(client, actor.queue_name)
            if url is None:
                raise self._queue_missing(actor.queue_name)
            names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            response = await client.get_queue_attributes(QueueUrl=url, AttributeNames=names)
        attributes = response.get("Attributes", {})
        return QueueMetrics(
            queued=_count(attributes.get("ApproximateNumberOfMessages")),
            processing=_count(attributes.get("ApproximateNumberOfMessagesNotVisible")),
        )

    async def delete_queue(self, actor: ActorRef) -> bool:
        if not self.deletes_queues:
            return False
        async with self._bounded(actor):
            client = await self._client(actor)
            url = await self._queue_url(client, actor.queue_name)
            if url is None:
                return False
            self._check_owner(actor, await self._tags(client, url))
            try:
                await client.delete_queue(QueueUrl=url)
            except ClientError as exc:
                if error_code(exc) in _NOT_FOUND:
                    return False
                raise
        return True

    async def aclose(self) -> None:
        stack, self._stack = self._stack, contextlib.AsyncExitStack()
        self._clients = {}
        await stack.aclose()

    # --- internals ------------------------------------------------------------------------------------

    async def _credentials(self, actor: ActorRef) -> Credentials | None:
        refs = self.config.credentials
        if refs is None:
            return None
        purpose = f"AWS credentials of transport {self._name!r}"
        key_id = await read_secret(
            self._secrets, actor.namespace, refs.access_key_id_secret_ref, purpose=purpose
        )
        secret = await read_secret(
            self._secrets, actor.namespace, refs.secret_access_key_secret_ref, purpose=purpose
        )
        return key_id, secret

    async def _client(self, actor: ActorRef) -> Any:
        credentials = await self._credentials(actor)
        # Clients are shared per credentials; the key must not hold the secret key itself.
        key = (
            None
            if credentials is None
            else (credentials[0], hashlib.sha256(credentials[1].encode()).hexdigest())
        )
        client = self._clients.get(key)
        if client is not None:
            return client
        async with self._client_lock:
            client = self._clients.get(key)
            if client is None:
                static = (
                    {}
                    if credentials is None
                    else {
                        "aws_access_key_id": credentials[0],
                        "aws_secret_access_key": credentials[1],
                    }
                )
                config = AioConfig(
                    connect_timeout=min(self._timeout, 5.0),
                    read_timeout=self._timeout,
                    retries={"max_attempts": 2, "mode": "standard"},
                )
                client = await self._stack.enter_async_context(
                    self._session.create_client(
                        "sqs",
                        region_name=self.config.region,
                        endpoint_url=self.config.normalized_endpoint,
                        config=config,
                        **static,
                    )
                )
                self._clients[key] = client
        return client

    @contextlib.asynccontextmanager
    async def _bounded(self, actor: ActorRef) -> AsyncIterator[None]:
        """The time bound of one public call, and the translation of what can go wrong in it."""
        try:
            async with asyncio.timeout(self._timeout):
                yield
        except TransportError:
            raise
        except TimeoutError:
            raise self._unanswered() from None
        except ClientError as exc:
            raise self._client_error(exc, actor) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise TransportError(
                Reason.AUTHENTICATION_FAILED,
                f"{self._where}: no AWS credentials; configure credentials in the transport or give the "
                f"controller an IAM identity (IRSA)",
            ) from None
        except (ConnectionError, HTTPClientError) as exc:
            raise TransportError(Reason.BROKER_UNAVAILABLE, f"{self._where} is unreachable: {exc}") from None
        except BotoCoreError as exc:
            raise TransportError(Reason.QUEUE_OPERATION_FAILED, f"{self._where}: {exc}") from None

    def _client_error(self, exc: ClientError, actor: ActorRef) -> TransportError:
        code = error_code(exc)
        text = str(exc.response.get("Error", {}).get("Message") or code)
        if code in _DELETED_RECENTLY:
            return TransportError(
                Reason.QUEUE_DELETED_RECENTLY,
                f"queue {actor.queue_name!r} was deleted less than 60 s ago and SQS does not allow "
                f"re-creating it yet; retrying in {QUEUE_DELETED_RECENTLY_RETRY_AFTER:g} s",
                retry_after=QUEUE_DELETED_RECENTLY_RETRY_AFTER,
            )
        if code in _NOT_FOUND:
            return TransportError(Reason.QUEUE_NOT_FOUND, f"{self._where}: {text}")
        if code in _AUTHENTICATION:
            where = "the controller's own AWS identity"
            if self.config.credentials is not None:
                ref = self.config.credentials.access_key_id_secret_ref
                where = f"Secret {ref.name!r} in namespace {actor.namespace!r}"
            return TransportError(
                Reason.AUTHENTICATION_FAILED,
                f"{self._where} rejected the credentials ({code}): check {where}",
            )
        if code in _PERMISSION:
            return TransportError(Reason.PERMISSION_DENIED, f"{self._where} denied the operation: {text}")
        operation = getattr(exc, "operation_name", "request")
        return TransportError(
            Reason.QUEUE_OPERATION_FAILED, f"{self._where}: {operation} failed: {code}: {text}"
        )

    async def _queue_url(self, client: Any, queue: str) -> str | None:
        try:
            response = await client.get_queue_url(QueueName=queue)
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                return None
            raise
        return str(response["QueueUrl"])

    async def _tags(self, client: Any, url: str) -> dict[str, str]:
        response = await client.list_queue_tags(QueueUrl=url)
        return dict(response.get("Tags") or {})

    def _check_owner(self, actor: ActorRef, tags: Mapping[str, str]) -> None:
        owner = tags.get(TAG_NAMESPACE)
        if owner is not None and owner != actor.namespace:
            raise TransportError(
                Reason.QUEUE_OWNED_BY_OTHER_NAMESPACE,
                f"queue {actor.queue_name!r} on {self._where} belongs to namespace {owner!r} "
                f"(tag {TAG_NAMESPACE}); the controller leaves it alone: rename this actor, or delete the "
                f"other one first",
            )

    async def _ensure_dlq(self, client: Any) -> str:
        """The shared dead-letter queue, created or brought to its retention and tag; returns its ARN."""
        attributes = {"MessageRetentionPeriod": str(self.config.queues.dlq.retention_days * 86400)}
        tags = {TAG_TYPE: "dlq"}
        url = await self._queue_url(client, DLQ_NAME)
        if url is None:
            url, _ = await self._create(client, DLQ_NAME, attributes, tags)
        # Whatever redrives the shared DLQ itself is none of this actor's business.
        current = await self._repair(client, url, attributes, tags, keep_redrive=True)
        return str(current["QueueArn"])

    async def _create(
        self, client: Any, queue: str, attributes: dict[str, str], tags: dict[str, str]
    ) -> tuple[str, bool]:
        """Create ``queue``: its URL and True; or, if it was created elsewhere since we looked, its URL and
        False (it then gets repaired like any existing queue)."""
        try:
            response = await client.create_queue(QueueName=queue, Attributes=attributes, tags=tags)
            return str(response["QueueUrl"]), True
        except ClientError as exc:
            if error_code(exc) not in _ALREADY_EXISTS:
                raise
        url = await self._queue_url(client, queue)
        if url is None:
            raise TransportError(
                Reason.QUEUE_OPERATION_FAILED,
                f"queue {queue!r} on {self._where} was created and deleted elsewhere meanwhile; will retry",
            )
        return url, False

    async def _repair(
        self,
        client: Any,
        url: str,
        attributes: dict[str, str],
        tags: dict[str, str],
        *,
        current_tags: Mapping[str, str] | None = None,
        keep_redrive: bool = False,
    ) -> dict[str, str]:
        """Bring the queue at ``url`` to ``attributes`` and ``tags`` (only what differs); returns the
        attributes it had."""
        response = await client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        current: dict[str, str] = response.get("Attributes", {})
        compared = {k: v for k, v in current.items() if k != "RedrivePolicy"} if keep_redrive else current
        changes = attribute_changes(compared, attributes)
        if changes:
            await client.set_queue_attributes(QueueUrl=url, Attributes=changes)
        if current_tags is None:
            current_tags = await self._tags(client, url)
        missing_tags = tag_changes(current_tags, tags)
        if missing_tags:
            await client.tag_queue(QueueUrl=url, Tags=missing_tags)
        return current


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
