"""What the reconciler asks of a transport, and how a transport says no.

A :class:`Transport` owns the queue side of an actor on one configured transport: it creates or verifies the
queue ``asya-<name>`` (per ``queues.autoCreate`` and ``ASYA_DISABLE_QUEUE_MANAGEMENT``), deletes it (per
``queues.deleteOnActorDeletion``), says whether it exists, reads its depth, and builds the objects that let
the actor's pods and KEDA reach it: the sidecar env (contract §6.3), the KEDA trigger and
TriggerAuthentication (§7), and for SQS with ``actorRoleArn`` the IRSA ServiceAccount (§2). Builders are pure
and return plain dicts that state exactly the fields the controller owns, ready for server-side apply.

Every failure is a :class:`TransportError`: a condition ``reason`` (:class:`Reason`), a ``message`` a person
can act on (never a secret), and ``retry_after`` (seconds) when the transport knows when trying again makes
sense. ``SecretNotFound`` is a configuration error of the actor's namespace (contract §3: TransportReady
``Unknown``, WorkloadReady ``ConfigError``); every other reason means TransportReady ``False``.

Credentials are read from Secrets in the actor's namespace through a :class:`SecretReader` that the caller
provides (the reconciler reads its cache; tests use a dict). :class:`TransportBase` holds what the
implementations share.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol

from controller.api.models import AsyncActorSpec
from controller.transports.config import QueuesConfig, SecretRef, TransportType

QUEUE_PREFIX = "asya-"
DEFAULT_TIMEOUT = 10.0  # seconds per public operation (contract §5: deletion gets one bounded attempt)


class Reason(StrEnum):
    """Condition reasons for ``TransportReady`` (contract §3)."""

    TRANSPORT_NOT_CONFIGURED = "TransportNotConfigured"
    TRANSPORT_DISABLED = "TransportDisabled"
    BROKER_UNAVAILABLE = "BrokerUnavailable"
    AUTHENTICATION_FAILED = "AuthenticationFailed"
    PERMISSION_DENIED = "PermissionDenied"
    SECRET_NOT_FOUND = "SecretNotFound"
    QUEUE_CONFIG_MISMATCH = "QueueConfigMismatch"
    QUEUE_NOT_FOUND = "QueueNotFound"
    QUEUE_DELETED_RECENTLY = "QueueDeletedRecently"
    QUEUE_OWNED_BY_OTHER_NAMESPACE = "QueueOwnedByOtherNamespace"
    QUEUE_OPERATION_FAILED = "QueueOperationFailed"


class TransportError(Exception):
    """A transport operation failed; ``message`` is safe to show in status, Events and logs."""

    def __init__(self, reason: Reason, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def is_config_error(self) -> bool:
        """The actor's namespace lacks what the transport needs (a Secret or key): a ConfigError."""
        return self.reason is Reason.SECRET_NOT_FOUND

    @property
    def condition_status(self) -> Literal["False", "Unknown"]:
        """The ``TransportReady`` status this failure stands for."""
        return "Unknown" if self.is_config_error else "False"

    def __repr__(self) -> str:
        return f"TransportError({self.reason.value}, {self.message!r}, retry_after={self.retry_after})"


class SecretReader(Protocol):
    """Reads one key of a Secret; None when the Secret or the key does not exist."""

    async def read(self, namespace: str, name: str, key: str) -> str | None: ...


async def read_secret(secrets: SecretReader, namespace: str, ref: SecretRef, *, purpose: str) -> str:
    """The value behind ``ref`` in ``namespace``, or ``SecretNotFound`` naming what is missing and where."""
    value = await secrets.read(namespace, ref.name, ref.key)
    if value is None:
        raise TransportError(
            Reason.SECRET_NOT_FOUND,
            f"{purpose}: key {ref.key!r} of Secret {ref.name!r} not found in namespace {namespace!r}; "
            f"create the Secret with that key in this namespace",
        )
    return value


@dataclass(frozen=True, slots=True)
class ActorRef:
    """The actor as far as its queue is concerned."""

    name: str
    namespace: str
    processing_timeout: int = 300  # spec.timeout.processing, seconds

    @classmethod
    def from_spec(cls, name: str, namespace: str, spec: AsyncActorSpec) -> ActorRef:
        return cls(name=name, namespace=namespace, processing_timeout=spec.timeout.processing)

    @property
    def queue_name(self) -> str:
        return f"{QUEUE_PREFIX}{self.name}"


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Depth of the actor's queue; None where the transport cannot tell."""

    queued: int | None
    processing: int | None


@dataclass(frozen=True, slots=True)
class EnsuredQueue:
    """The actor's queue after :meth:`Transport.ensure_queue`."""

    name: str
    address: str  # where it lives: ``<exchange> → <queue> @ <vhost>`` or the SQS queue URL
    created: bool  # this call created it (worth an Event)
    metrics: QueueMetrics | None = None
    """The queue's figures when the ensure itself learnt them, so that nobody need ask again; else None."""


Manifest = dict[str, Any]


class Transport(Protocol):
    """One configured transport, as the reconciler uses it; one implementation per transport type."""

    @property
    def name(self) -> str:
        """The configured name (what ``spec.transport`` refers to)."""
        ...

    @property
    def type(self) -> TransportType: ...

    @property
    def creates_queues(self) -> bool:
        """Whether :meth:`ensure_queue` creates and repairs (``autoCreate`` and management enabled)."""
        ...

    @property
    def deletes_queues(self) -> bool:
        """Whether :meth:`delete_queue` removes queues (``deleteOnActorDeletion`` and management enabled)."""
        ...

    async def ensure_queue(self, actor: ActorRef) -> EnsuredQueue:
        """Create or repair the queue (autoCreate), or only verify that it exists; idempotent."""
        ...

    async def queue_exists(self, actor: ActorRef) -> bool: ...

    async def queue_metrics(self, actor: ActorRef) -> QueueMetrics:
        """Messages waiting and in flight; ``QueueNotFound`` when the queue is gone."""
        ...

    async def delete_queue(self, actor: ActorRef) -> bool:
        """Delete the queue regardless of its content; False when there was none or deletion is off."""
        ...

    def sidecar_env(self, actor: ActorRef) -> list[Manifest]:
        """The transport env of the ``asya-sidecar`` container, in contract order (§6.3)."""
        ...

    def keda_trigger(self, actor: ActorRef, *, queue_length: int) -> Manifest:
        """The ScaledObject trigger named ``queue`` (§7)."""
        ...

    def trigger_authentication(self, actor: ActorRef) -> Manifest | None:
        """The TriggerAuthentication ``<name>-trigger-auth``, or None when the trigger needs none."""
        ...

    def service_account(self, actor: ActorRef) -> Manifest | None:
        """The ServiceAccount ``asya-<name>`` the pods must run as (SQS with IRSA), else None."""
        ...

    async def aclose(self) -> None:
        """Close connections and clients; the transport can still be used afterwards (it reconnects)."""
        ...


class TransportBase:
    """What every transport implementation shares: its name, the queue-management switches, and the words
    for a queue it did not create and for a broker that did not answer."""

    def __init__(self, name: str, queues: QueuesConfig, *, manage_queues: bool, timeout: float) -> None:
        self._name = name
        self._queues = queues
        self._manage_queues = manage_queues
        self._timeout = timeout

    @property
    def name(self) -> str:
        return self._name

    @property
    def creates_queues(self) -> bool:
        return self._manage_queues and self._queues.auto_create

    @property
    def deletes_queues(self) -> bool:
        return self._manage_queues and self._queues.delete_on_actor_deletion

    @property
    def _where(self) -> str:
        """The broker and transport, for messages."""
        raise NotImplementedError

    def _queue_missing(self, queue: str, where: str | None = None) -> TransportError:
        if not self._manage_queues:
            why = "queue management is disabled (ASYA_DISABLE_QUEUE_MANAGEMENT=true)"
        elif not self._queues.auto_create:
            why = "queues.autoCreate is false"
        else:
            why = "it was removed"
        return TransportError(
            Reason.QUEUE_NOT_FOUND,
            f"queue {queue!r} does not exist on {where or self._where}: {why}; create it",
        )

    def _unanswered(self) -> TransportError:
        return TransportError(
            Reason.BROKER_UNAVAILABLE, f"{self._where} did not answer within {self._timeout:g} s"
        )
