"""Pydantic models of the AsyncActor spec and status (contract §1), the one source of the CRD's schema.

The spec models give the controller the effective value of every field: a section the user left out reads
as its defaults, exactly as if the CRD had defaulted it (``controller.api.crd`` derives the CRD's schema,
defaults and bounds from these models, so the two cannot drift apart). They are strict about types, as the
API server is, and ignore unknown fields, because an older or newer CRD may hand us fields we do not know,
and the controller must never fail on data it reads. Parts of the spec that are Kubernetes types the
controller passes on (the pod template, the sidecar's env) stay plain JSON data; ``Shaped`` checks them
against a partial model of that type, which also gives the CRD their schema.

The status model is what the controller writes; its JSON form (``by_alias``, ``exclude_none``) is the body
of the status apply. The API server enforces ``metav1.Condition``'s length and pattern limits on it; the
model does not, so that a reason carried over from another object never raises inside the controller.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, core_schema

from controller.api.constants import MAX_NAME_LENGTH


def format_time(moment: datetime) -> str:
    """RFC 3339 with second precision in UTC, as the API server writes ``metav1.Time``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[datetime, PlainSerializer(format_time, return_type=str, when_used="json")]

INT32_MAX: Final = 2**31 - 1
Int32 = Annotated[int, Field(le=INT32_MAX, json_schema_extra={"format": "int32"})]
Int64 = Annotated[int, Field(json_schema_extra={"format": "int64"})]

# Bounds on what the admission rules iterate over, so that the API server can bound their cost.
MAX_CONTAINERS: Final = 64
MAX_VOLUMES: Final = 256


@dataclass(frozen=True)
class Shaped:
    """Validate a value against ``shape`` (which also gives the CRD its schema), but keep the value itself.

    The controller passes these parts of the spec on to Kubernetes as the user wrote them, so the model
    holds the plain JSON data, never a model instance with some fields dropped or reordered.
    """

    shape: Any

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        def keep_input(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
            validate(value)
            return copy.deepcopy(value)

        return core_schema.no_info_wrap_validator_function(
            keep_input,
            handler.generate_schema(self.shape),
            serialization=core_schema.simple_ser_schema("any"),
        )


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", use_attribute_docstrings=True
    )


class _Spec(_Model):
    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        # The API server drops a null of a non-nullable field before defaulting: it reads as left out.
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class _Shape(BaseModel):
    """A partial Kubernetes type: the fields the controller looks at; all others are kept as they are."""

    model_config = ConfigDict(
        alias_generator=to_camel, extra="allow", strict=True, use_attribute_docstrings=True
    )


# --- Kubernetes types, in part --------------------------------------------------------------------------


class EnvVar(_Shape):
    """An environment variable (core/v1 EnvVar)."""

    name: str = Field(min_length=1)
    value: str | None = None
    value_from: dict[str, Any] | None = None


class VolumeMount(_Shape):
    """A volume mount (core/v1 VolumeMount)."""

    name: str = Field(min_length=1)
    mount_path: str = Field(min_length=1)
    sub_path: str | None = None
    read_only: bool | None = None


class Container(_Shape):
    """A container (core/v1 Container)."""

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    image: str | None = None
    command: list[str] | None = None
    """Must be left out for the asya-runtime container: the controller sets it."""
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    env_from: list[dict[str, Any]] | None = None
    volume_mounts: list[VolumeMount] | None = None
    resources: dict[str, Any] | None = None


class Volume(_Shape):
    """A pod volume (core/v1 Volume)."""

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)


class PodSpec(_Shape):
    """The pods' spec (core/v1 PodSpec); the controller adds the sidecar, the runtime's command, volumes."""

    containers: list[Container] = Field(max_length=MAX_CONTAINERS)
    """Exactly one of them must be named asya-runtime: it runs the actor's handler."""
    init_containers: list[Container] | None = Field(default=None, max_length=MAX_CONTAINERS)
    volumes: list[Volume] | None = Field(default=None, max_length=MAX_VOLUMES)


class PodMetadata(_Shape):
    """Labels and annotations for the pods."""

    labels: dict[str, str] | None = None
    """Must not change the selector labels app, asya.sh/asya and asya.sh/workload."""
    annotations: dict[str, str] | None = None


# --- spec -------------------------------------------------------------------------------------------------

PullPolicy = Literal["Always", "IfNotPresent", "Never"]


class SidecarSpec(_Spec):
    """The asya-sidecar container that the controller adds to every pod."""

    image: str | None = None
    """The sidecar's image; default: the controller's ASYA_SIDECAR_IMAGE setting, else asya-sidecar:latest."""
    image_pull_policy: PullPolicy = "IfNotPresent"
    resources: dict[str, Any] | None = None
    """Resource requests and limits of the sidecar (core/v1 ResourceRequirements)."""
    env: Annotated[list[dict[str, Any]] | None, Shaped(list[EnvVar] | None)] = None
    """Extra environment variables, appended after the ones the controller sets."""


class TimeoutSpec(_Spec):
    """Timeouts, in seconds."""

    processing: Int64 = Field(default=300, ge=1)
    """How long the runtime may take for one message."""
    graceful_shutdown: Int64 = Field(default=30, ge=0)
    """The pods' terminationGracePeriodSeconds."""


class ScalingAdvanced(_Spec):
    """Advanced KEDA settings."""

    formula: str | None = None
    """A KEDA scaling modifier formula over the trigger named queue; needs target."""
    target: str | None = None
    activation_target: str | None = None
    metric_type: Literal["AverageValue", "Value", "Utilization"] | None = None
    restore_to_original_replica_count: bool | None = None


class ScalingSpec(_Spec):
    """Autoscaling on the queue's length with KEDA."""

    enabled: bool = False
    min_replicas: Int32 = Field(default=0, ge=0)
    """At most maxReplicas; 0 lets KEDA scale the actor to zero."""
    max_replicas: Int32 = Field(default=50, ge=1)
    polling_interval: Int64 = Field(default=10, ge=1)
    """Seconds between two looks at the queue."""
    cooldown_period: Int64 = Field(default=60, ge=0)
    """Seconds after the last message before scaling to minReplicas."""
    queue_length: Int64 = Field(default=5, ge=1)
    """Messages per replica that KEDA aims at."""
    advanced: ScalingAdvanced | None = None


class WorkloadTemplate(_Spec):
    """The pod template of the workload."""

    metadata: Annotated[dict[str, Any] | None, Shaped(PodMetadata | None)] = None
    spec: Annotated[dict[str, Any], Shaped(PodSpec)]


class WorkloadSpec(_Spec):
    """The Deployment or StatefulSet that runs the actor's pods."""

    kind: Literal["Deployment", "StatefulSet"] = "Deployment"
    replicas: Int32 = Field(default=1, ge=0)
    """Replicas while scaling is disabled (ignored while it is enabled)."""
    python_executable: str = "python3"
    """The Python interpreter in the asya-runtime container's image."""
    template: WorkloadTemplate


class AsyncActorSpec(_Spec):
    """The desired state of an AsyncActor."""

    transport: str = Field(min_length=1)
    """Name of a transport configured in the controller (ASYA_TRANSPORT_CONFIG)."""
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


def _message_is_required(schema: dict[str, Any]) -> None:
    # metav1.Condition requires message (it may be empty); the model always writes it.
    schema["required"].append("message")


class Condition(_Model):
    """A metav1.Condition: lastTransitionTime moves only when status flips."""

    model_config = ConfigDict(json_schema_extra=_message_is_required)

    type: str = Field(
        json_schema_extra={
            "maxLength": 316,
            "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        }
    )
    status: ConditionStatus
    observed_generation: Int64 | None = Field(default=None, json_schema_extra={"minimum": 0})
    last_transition_time: Timestamp
    reason: str = Field(
        json_schema_extra={
            "minLength": 1,
            "maxLength": 1024,
            "pattern": r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        }
    )
    message: str = Field(default="", json_schema_extra={"maxLength": 32768})


class WorkloadRef(_Model):
    api_version: str
    kind: str
    name: str
    namespace: str


class ScaledObjectRef(_Model):
    name: str
    namespace: str


class AsyncActorStatus(_Model):
    """The observed state of an AsyncActor, written by the controller."""

    status: ActorStatus | None = None
    """Overall status."""
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    """TransportReady, WorkloadReady, ScalingReady (while scaling is enabled) and the summary Ready."""
    observed_generation: Int64 | None = None
    replicas: Int32 | None = None
    """Ready pods."""
    pending_replicas: Int32 | None = None
    """Pods created but neither ready nor failing."""
    failing_pods: Int32 | None = None
    total_replicas: Int32 | None = None
    """Pods not terminated."""
    ready_replicas: Int32 | None = None
    """Same as replicas."""
    desired_replicas: Int32 | None = None
    last_scale_time: Timestamp | None = None
    last_scale_direction: Literal["up", "down"] | None = None
    last_scale_formatted: str | None = None
    transport_status: Literal["Ready", "NotReady"] | None = None
    scaling_mode: Literal["KEDA", "Manual"] | None = None
    queued_messages: Int64 | None = None
    processing_messages: Int64 | None = None
    workload_ref: WorkloadRef | None = None
    scaled_object_ref: ScaledObjectRef | None = None
    unready_since: Timestamp | None = None
    """Since when fewer pods are ready than exist; kept so that a restart does not reset Degraded's clock."""

    def to_body(self) -> dict[str, Any]:
        """The JSON form written to the status subresource."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
