"""Pydantic models of the AsyncActor spec and status (contract §1).

The spec models give the controller the effective value of every field: a section the user left out reads
as its defaults, exactly as if the CRD had defaulted it. They ignore unknown fields, because an older or
newer CRD may hand us fields we do not know, and the controller must never fail on data it reads.
The status model is what the controller writes; its JSON form (``by_alias``, ``exclude_none``) is the body
of the status apply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


def format_time(moment: datetime) -> str:
    """RFC 3339 with second precision in UTC, as the API server writes ``metav1.Time``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[datetime, PlainSerializer(format_time, return_type=str, when_used="json")]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


# --- spec -------------------------------------------------------------------------------------------------

PullPolicy = Literal["Always", "IfNotPresent", "Never"]


class SidecarSpec(_Model):
    image: str | None = None
    image_pull_policy: PullPolicy = "IfNotPresent"
    resources: dict[str, Any] | None = None
    env: list[dict[str, Any]] | None = None


class TimeoutSpec(_Model):
    processing: int = Field(default=300, ge=1)
    graceful_shutdown: int = Field(default=30, ge=0)


class ScalingAdvanced(_Model):
    formula: str | None = None
    target: str | None = None
    activation_target: str | None = None
    metric_type: Literal["AverageValue", "Value", "Utilization"] | None = None
    restore_to_original_replica_count: bool | None = None


class ScalingSpec(_Model):
    enabled: bool = False
    min_replicas: int = Field(default=0, ge=0)
    max_replicas: int = Field(default=50, ge=1)
    polling_interval: int = Field(default=10, ge=1)
    cooldown_period: int = Field(default=60, ge=0)
    queue_length: int = Field(default=5, ge=1)
    advanced: ScalingAdvanced | None = None


class WorkloadTemplate(_Model):
    metadata: dict[str, Any] | None = None
    spec: dict[str, Any]


class WorkloadSpec(_Model):
    kind: Literal["Deployment", "StatefulSet"] = "Deployment"
    replicas: int = Field(default=1, ge=0)
    python_executable: str = "python3"
    template: WorkloadTemplate


class AsyncActorSpec(_Model):
    transport: str = Field(min_length=1)
    sidecar: SidecarSpec = Field(default_factory=SidecarSpec)
    timeout: TimeoutSpec = Field(default_factory=TimeoutSpec)
    scaling: ScalingSpec = Field(default_factory=ScalingSpec)
    workload: WorkloadSpec


# --- status -----------------------------------------------------------------------------------------------

ConditionStatus = Literal["True", "False", "Unknown"]
ConditionType = Literal["TransportReady", "WorkloadReady", "ScalingReady", "Ready"]

ActorStatus = Literal[
    "Creating",
    "Running",
    "Napping",
    "Degraded",
    "ScalingUp",
    "ScalingDown",
    "Terminating",
    "TransportError",
    "WorkloadError",
    "PendingResources",
    "ImagePullError",
    "RuntimeError",
    "SidecarError",
    "VolumeError",
    "ConfigError",
    "ScalingError",
]


class Condition(_Model):
    """``metav1.Condition``: ``last_transition_time`` moves only when ``status`` flips."""

    type: str
    status: ConditionStatus
    observed_generation: int | None = None
    last_transition_time: Timestamp
    reason: str
    message: str = ""


class WorkloadRef(_Model):
    api_version: str
    kind: str
    name: str
    namespace: str


class ScaledObjectRef(_Model):
    name: str
    namespace: str


class AsyncActorStatus(_Model):
    status: ActorStatus | None = None
    conditions: list[Condition] = Field(default_factory=list)
    observed_generation: int | None = None
    replicas: int | None = None
    pending_replicas: int | None = None
    failing_pods: int | None = None
    total_replicas: int | None = None
    ready_replicas: int | None = None
    desired_replicas: int | None = None
    last_scale_time: Timestamp | None = None
    last_scale_direction: Literal["up", "down"] | None = None
    last_scale_formatted: str | None = None
    transport_status: Literal["Ready", "NotReady"] | None = None
    scaling_mode: Literal["KEDA", "Manual"] | None = None
    queued_messages: int | None = None
    processing_messages: int | None = None
    workload_ref: WorkloadRef | None = None
    scaled_object_ref: ScaledObjectRef | None = None
    # Start of the present stretch of ready < total; survives restarts so Degraded flips on time.
    unready_since: Timestamp | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON form written to the status subresource."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
