"""What the status engine observes about one actor: frozen inputs, and builders from cached objects. Pure.

The reconciler builds an :class:`Observed` from the cache (the actor, its workload, pods and events, the
HPA, the ScaledObject) and from what it just did (the transport check, the ScaledObject and workload applies,
validation), and hands it to :func:`controller.actor.status.compute_status`. Every builder reads raw dicts
exactly as the API server returns them and never fails on them: missing or malformed fields read as
absent. The ``*_FIELDS`` constants list the paths read here (notation of
:data:`controller.actor.pods.POD_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import ValidationError

from controller.actor.pods import PodState
from controller.api.models import AsyncActorSpec, AsyncActorStatus
from controller.kube.timestamps import parse_time

ACTOR_FIELDS: Final = (
    "metadata.name",
    "metadata.namespace",
    "metadata.generation",
    "metadata.deletionTimestamp",
    "spec",
    "status",
)
WORKLOAD_FIELDS: Final = (
    "metadata.name",
    "metadata.generation",
    "spec.replicas",
    "status.observedGeneration",
)
HPA_FIELDS: Final = ("metadata.name", "status.desiredReplicas")
SCALED_OBJECT_FIELDS: Final = (
    "metadata.name",
    "status.conditions.type",
    "status.conditions.status",
    "status.conditions.reason",
    "status.conditions.message",
)

KEDA_NOT_INSTALLED: Final = "KEDANotInstalled"
SCALED_OBJECT_APPLY_FAILED: Final = "ScaledObjectApplyFailed"
SCALED_OBJECT_PENDING: Final = "ScaledObjectPending"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _spec_errors(error: ValidationError) -> tuple[str, ...]:
    return tuple(
        f"spec.{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
        if item["loc"]
        else f"spec: {item['msg']}"
        for item in error.errors(include_url=False)
    )


@dataclass(frozen=True, kw_only=True)
class ActorState:
    """The actor: identity, generation, deletion, its spec (``None`` when unreadable) and last status."""

    name: str
    namespace: str
    generation: int
    spec: AsyncActorSpec | None
    previous: AsyncActorStatus
    deletion_timestamp: datetime | None = None
    # Why ``spec`` could not be read, as ``spec.<path>: <problem>`` lines.
    spec_errors: tuple[str, ...] = ()

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> ActorState:
        metadata = _mapping(obj.get("metadata"))
        spec: AsyncActorSpec | None = None
        errors: tuple[str, ...] = ()
        try:
            spec = AsyncActorSpec.model_validate(_mapping(obj.get("spec")))
        except ValidationError as error:
            errors = _spec_errors(error)
        try:
            previous = AsyncActorStatus.model_validate(_mapping(obj.get("status")))
        except ValidationError:
            # A status another client mangled is rewritten from scratch rather than failing the actor.
            previous = AsyncActorStatus()
        return cls(
            name=_text(metadata.get("name")),
            namespace=_text(metadata.get("namespace")),
            generation=_int(metadata.get("generation")) or 0,
            deletion_timestamp=parse_time(metadata.get("deletionTimestamp")),
            spec=spec,
            spec_errors=errors,
            previous=previous,
        )


@dataclass(frozen=True, kw_only=True)
class WorkloadState:
    """The actor's Deployment or StatefulSet as the cache holds it."""

    name: str
    replicas: int
    generation: int = 0
    observed_generation: int = 0

    @property
    def observed(self) -> bool:
        """Its own controller has seen it at least once (``status.observedGeneration`` > 0)."""
        return self.observed_generation > 0

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> WorkloadState:
        metadata = _mapping(obj.get("metadata"))
        replicas = _int(_mapping(obj.get("spec")).get("replicas"))
        return cls(
            name=_text(metadata.get("name")),
            # The API server defaults spec.replicas to 1 for both kinds.
            replicas=1 if replicas is None else replicas,
            generation=_int(metadata.get("generation")) or 0,
            observed_generation=_int(_mapping(obj.get("status")).get("observedGeneration")) or 0,
        )


def hpa_desired_replicas(hpa: Mapping[str, Any] | None) -> int | None:
    """``status.desiredReplicas`` of KEDA's HPA, ``None`` when there is no HPA or it has not said yet."""
    if hpa is None:
        return None
    return _int(_mapping(hpa.get("status")).get("desiredReplicas"))


TransportState = Literal["ready", "failed", "unknown"]


@dataclass(frozen=True, kw_only=True)
class TransportOutcome:
    """What the transport check of this reconcile found.

    ``reason`` is a condition reason (the transports' exceptions carry one: ``BrokerUnavailable``,
    ``AuthenticationFailed``, ``SecretNotFound``, ``QueueConfigMismatch``, …) and ``message`` says what to do.
    ``queued`` / ``processing`` are the queue figures, ``None`` when the transport cannot tell; pass the last
    figures measured when this reconcile did not measure them, or they disappear from the status.
    """

    state: TransportState
    reason: str
    message: str = ""
    queued: int | None = None
    processing: int | None = None

    @classmethod
    def ready(
        cls,
        *,
        reason: str = "QueueReady",
        message: str = "",
        queued: int | None = None,
        processing: int | None = None,
    ) -> TransportOutcome:
        return cls(state="ready", reason=reason, message=message, queued=queued, processing=processing)

    @classmethod
    def failed(cls, *, reason: str, message: str) -> TransportOutcome:
        return cls(state="failed", reason=reason, message=message)

    @classmethod
    def unknown(cls, *, reason: str, message: str) -> TransportOutcome:
        return cls(state="unknown", reason=reason, message=message)


@dataclass(frozen=True, kw_only=True)
class ScalingOutcome:
    """Where the actor's KEDA scaling stands; only looked at while scaling is enabled.

    ``ready`` mirrors the ScaledObject's ``Ready`` condition (``None`` until KEDA reports one);
    ``exists`` says whether a ScaledObject exists, for ``status.scaledObjectRef``.
    """

    ready: bool | None
    reason: str
    message: str = ""
    exists: bool = False

    @classmethod
    def keda_not_installed(cls) -> ScalingOutcome:
        return cls(
            ready=False,
            reason=KEDA_NOT_INSTALLED,
            message="KEDA is not installed (no scaledobjects.keda.sh CRD): install KEDA or set "
            "spec.scaling.enabled to false",
        )

    @classmethod
    def apply_failed(cls, message: str, *, exists: bool = False) -> ScalingOutcome:
        return cls(ready=False, reason=SCALED_OBJECT_APPLY_FAILED, message=message, exists=exists)

    @classmethod
    def from_scaled_object(cls, obj: Mapping[str, Any]) -> ScalingOutcome:
        """KEDA's own verdict on the ScaledObject, from its ``Ready`` condition."""
        name = _text(_mapping(obj.get("metadata")).get("name"))
        conditions = _mapping(obj.get("status")).get("conditions")
        for condition in conditions if isinstance(conditions, list) else ():
            if isinstance(condition, Mapping) and condition.get("type") == "Ready":
                status = condition.get("status")
                return cls(
                    ready=True if status == "True" else False if status == "False" else None,
                    reason=_text(condition.get("reason")),
                    message=_text(condition.get("message")),
                    exists=True,
                )
        return cls(
            ready=None,
            reason=SCALED_OBJECT_PENDING,
            message=f"waiting for KEDA to report on ScaledObject {name}",
            exists=True,
        )


@dataclass(frozen=True, kw_only=True)
class Observed:
    """Everything the status of one actor is computed from."""

    actor: ActorState
    transport: TransportOutcome
    now: datetime
    workload: WorkloadState | None = None
    pods: tuple[PodState, ...] = ()
    hpa_desired_replicas: int | None = None
    scaling: ScalingOutcome | None = None
    # Messages of the controller's own spec checks (contract §1.1); non-empty means nothing was applied.
    validation_errors: tuple[str, ...] = ()
    # Why the workload could not be applied, if it could not.
    workload_error: str | None = None
