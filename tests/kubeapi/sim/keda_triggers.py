"""KEDA's reading of a ScaledObject: its bounds, its triggers and their metadata, and its error messages.

Follows KEDA 2.20 (`controllers/keda/scaledobject_controller.go` `reconcileScaledObject`,
`apis/keda/v1alpha1` `CheckReplicaCountBoundsAreValid` and `ValidateTriggers`, `pkg/scalers/scalersconfig`
`typed_config.go`, `rabbitmq_scaler.go`, `aws_sqs_queue_scaler.go`, `pkg/scaling/scalers_builder.go`):
a check that fails sets `Ready=False` with reason `ScaledObjectCheckFailed` and the message
`"<what failed>: <error>"`, e.g. `failed to ensure HPA is correctly created for ScaledObject: error parsing
rabbitmq metadata: error parsing rabbitmq metadata: missing required parameter "queueName" in
[triggerMetadata]` (KEDA repeats the prefix).

One deliberate difference: real KEDA ignores trigger metadata keys and TriggerAuthentication parameters it
does not know; this simulation rejects them (`unknown parameter "queueNmae" in triggerMetadata`), so that a
typo in what the controller writes fails a test instead of silently scaling on defaults. Only the `rabbitmq`
and `aws-sqs-queue` scalers are simulated; other types get KEDA's `no scaler found for type: <type>`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

TARGET_ERROR = "ScaledObject doesn't have correct scaleTargetRef specification"
BOUNDS_ERROR = "ScaledObject doesn't have correct Idle/Min/Max Replica Counts specification"
TRIGGERS_ERROR = "ScaledObject doesn't have correct triggers specification"
HPA_ERROR = "failed to ensure HPA is correctly created for ScaledObject"
READY_MESSAGE = "ScaledObject is defined correctly and is ready for scaling"

RABBITMQ_METADATA = frozenset(
    {
        "queueName",
        "mode",
        "queueLength",
        "value",
        "activationValue",
        "host",
        "hostFromEnv",
        "protocol",
        "vhostName",
        "useRegex",
        "excludeUnacknowledged",
        "pageSize",
        "operation",
        "timeout",
        "unsafeSsl",
        "usernameFromEnv",
        "passwordFromEnv",
    }
)
RABBITMQ_AUTH = frozenset(
    {"host", "username", "password", "vhostName", "protocol", "ca", "cert", "key", "keyPassword", "tls"}
    | {"workloadIdentityResource"}
)
SQS_METADATA = frozenset(
    {
        "queueURL",
        "queueURLFromEnv",
        "queueLength",
        "activationQueueLength",
        "awsRegion",
        "awsEndpoint",
        "scaleOnInFlight",
        "scaleOnDelayed",
        "identityOwner",
        "awsAccessKeyIDFromEnv",
        "awsSecretAccessKeyFromEnv",
        "awsSessionTokenFromEnv",
    }
)
SQS_AUTH = frozenset({"awsRegion", "awsAccessKeyID", "awsSecretAccessKey", "awsSessionToken", "awsRoleArn"})
SCALERS = {"rabbitmq": (RABBITMQ_METADATA, RABBITMQ_AUTH), "aws-sqs-queue": (SQS_METADATA, SQS_AUTH)}


class CheckFailed(Exception):
    """A KEDA check failed; `str()` is the Ready condition's message."""

    def __init__(self, what: str, error: str) -> None:
        super().__init__(f"{what}: {error}")


@dataclass(frozen=True, slots=True)
class Trigger:
    """One parsed trigger: where its queue is, and the per-replica target of its metric."""

    type: str
    name: str
    metric_name: str
    target: float
    activation: float
    queue: str
    # rabbitmq
    protocol: str = ""
    host: str = ""
    vhost: str = "/"
    username: str = ""
    password: str = ""
    exclude_unacknowledged: bool = False
    # aws-sqs-queue
    queue_url: str = ""
    region: str = ""
    endpoint: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    session_token: str = ""
    in_flight: bool = True
    delayed: bool = False


@dataclass(frozen=True, slots=True)
class Bounds:
    min: int
    max: int
    idle: int | None
    polling_interval: float
    cooldown: float
    initial_cooldown: float


def bounds(spec: Mapping[str, Any]) -> Bounds:
    """The replica bounds and timings, with KEDA's defaults; raises CheckFailed as KEDA does."""
    low = int(spec.get("minReplicaCount", 0))
    high = int(spec.get("maxReplicaCount", 100))
    idle = spec.get("idleReplicaCount")
    if low > high:
        raise CheckFailed(BOUNDS_ERROR, f"MinReplicaCount={low} must be less than MaxReplicaCount={high}")
    if idle is not None and int(idle) >= low:
        raise CheckFailed(BOUNDS_ERROR, f"IdleReplicaCount={idle} must be less than MinReplicaCount={low}")
    return Bounds(
        min=low,
        max=high,
        idle=int(idle) if idle is not None else None,
        polling_interval=float(spec.get("pollingInterval", 30)),
        cooldown=float(spec.get("cooldownPeriod", 300)),
        initial_cooldown=float(spec.get("initialCooldownPeriod", 0)),
    )


def check_trigger_names(triggers: list[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for trigger in triggers:
        name = trigger.get("name") or ""
        if name and name in seen:
            raise CheckFailed(
                TRIGGERS_ERROR,
                f"triggerName {name!r} is defined multiple times in the ScaledObject, but it must be unique",
            )
        seen.add(name)


def _normalize(text: str) -> str:
    """KEDA's `NormalizeString`: metric names without characters the metrics API rejects."""
    for old in ("/", ".", ":", "%"):
        text = text.replace(old, "-")
    return text


def _float(scaler: str, name: str, text: str | None, default: float) -> float:
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise CheckFailed(
            HPA_ERROR,
            f"error parsing {scaler} metadata: unable to set param {name!r} value {text!r}: invalid syntax",
        ) from None
    if math.isnan(value):
        raise CheckFailed(HPA_ERROR, f"error parsing {scaler} metadata: {name} is not a number")
    return value


def _flag(text: str | None, default: bool) -> bool:
    return default if text is None or not text.strip() else text.strip().lower() == "true"


@dataclass(frozen=True, slots=True)
class _Inputs:
    """Where a scaler reads its parameters: trigger metadata, TriggerAuthentication, the target's env."""

    metadata: Mapping[str, str]
    auth: Mapping[str, str]
    env: Mapping[str, str]
    pod_identity: str

    def get(self, name: str, *, from_auth: bool = True, from_env: bool = True) -> str:
        """KEDA's order: triggerMetadata, then authParams, then the env var named by `<name>FromEnv`."""
        value = (self.metadata.get(name) or "").strip()
        if not value and from_auth:
            value = (self.auth.get(name) or "").strip()
        if not value and from_env:
            value = self.from_env(name)
        return value

    def from_env(self, name: str) -> str:
        variable = self.metadata.get(f"{name}FromEnv")
        return (self.env.get(variable) or "").strip() if variable else ""

    def secret(self, name: str) -> str:
        """Credentials come from authParams or the env, never from trigger metadata."""
        return (self.auth.get(name) or "").strip() or self.from_env(name)


def parse_trigger(
    index: int,
    trigger: Mapping[str, Any],
    *,
    auth: Mapping[str, str],
    env: Mapping[str, str],
    pod_identity: str = "",
) -> Trigger:
    """A trigger with its TriggerAuthentication parameters and the target container's env resolved.
    Raises CheckFailed with KEDA's message when the trigger cannot be built."""
    kind = trigger.get("type") or ""
    if kind not in SCALERS:
        raise CheckFailed(HPA_ERROR, f"no scaler found for type: {kind}")
    metadata: Mapping[str, str] = trigger.get("metadata") or {}
    known_metadata, known_auth = SCALERS[kind]
    label = "rabbitmq" if kind == "rabbitmq" else "SQS queue"
    for key in metadata:
        if key not in known_metadata:
            raise CheckFailed(
                HPA_ERROR, f"error parsing {label} metadata: unknown parameter {key!r} in triggerMetadata"
            )
    for key in auth:
        if key not in known_auth:
            raise CheckFailed(
                HPA_ERROR, f"error parsing {label} metadata: unknown parameter {key!r} in authParams"
            )
    inputs = _Inputs(metadata, auth, env, pod_identity)
    if kind == "rabbitmq":
        return _rabbitmq(index, trigger, inputs)
    return _sqs(index, trigger, inputs)


def _missing(scaler: str, name: str, order: str) -> CheckFailed:
    prefix = f"error parsing {scaler} metadata"
    return CheckFailed(HPA_ERROR, f"{prefix}: {prefix}: missing required parameter {name!r} in [{order}]")


def _rabbitmq(index: int, trigger: Mapping[str, Any], inputs: _Inputs) -> Trigger:
    metadata, auth = inputs.metadata, inputs.auth
    queue = (metadata.get("queueName") or "").strip()
    if not queue:
        raise _missing("rabbitmq", "queueName", "triggerMetadata")
    host = inputs.get("host")
    if not host:
        raise _missing("rabbitmq", "host", "triggerMetadata authParams resolvedEnv")
    protocol = (metadata.get("protocol") or auth.get("protocol") or "auto").strip()
    scheme = urlsplit(host).scheme
    if protocol == "auto":
        protocol = {"amqp": "amqp", "amqps": "amqp", "http": "http", "https": "http"}.get(scheme, "")
        if not protocol:
            raise CheckFailed(
                HPA_ERROR, f"error parsing rabbitmq metadata: unknown host URL scheme `{scheme}`"
            )
    elif protocol not in ("amqp", "http"):
        raise CheckFailed(
            HPA_ERROR,
            "error parsing rabbitmq metadata: the protocol has to be either `amqp`, `http`, or `auto` "
            f"but is `{protocol}`",
        )
    mode = (metadata.get("mode") or "").strip()
    queue_length = _float("rabbitmq", "queueLength", metadata.get("queueLength"), 0.0)
    value = _float("rabbitmq", "value", metadata.get("value"), 0.0)
    if queue_length and (mode or value):
        raise CheckFailed(
            HPA_ERROR,
            "error parsing rabbitmq metadata: queueLength is deprecated; configure only mode and value",
        )
    if queue_length:
        mode, value = "QueueLength", queue_length
    elif not mode and not value:
        mode, value = "QueueLength", 20.0
    elif not mode:
        raise CheckFailed(HPA_ERROR, "error parsing rabbitmq metadata: mode must be specified")
    elif not value:
        raise CheckFailed(HPA_ERROR, "error parsing rabbitmq metadata: value must be specified")
    if mode not in ("QueueLength", "MessageRate"):
        raise CheckFailed(
            HPA_ERROR,
            f"error parsing rabbitmq metadata: trigger mode {mode} must be one of QueueLength, MessageRate",
        )
    if mode == "MessageRate" and protocol != "http":
        raise CheckFailed(
            HPA_ERROR,
            f"error parsing rabbitmq metadata: protocol {protocol} not supported; "
            f"must be http to use mode {mode}",
        )
    exclude = _flag(metadata.get("excludeUnacknowledged"), False)
    if exclude and protocol != "http":
        raise CheckFailed(
            HPA_ERROR,
            "error parsing rabbitmq metadata: configure excludeUnacknowledged=true with http protocol only",
        )
    username, password = inputs.secret("username"), inputs.secret("password")
    if bool(username) != bool(password):
        raise CheckFailed(
            HPA_ERROR, "error parsing rabbitmq metadata: username and password must be given together"
        )
    parts = urlsplit(host)
    vhost = (
        metadata.get("vhostName") or auth.get("vhostName") or unquote(parts.path.rsplit("/", 1)[-1]) or "/"
    ).strip()
    return Trigger(
        type="rabbitmq",
        name=trigger.get("name") or "",
        metric_name=f"s{index}-{_normalize('rabbitmq-' + queue)}",
        target=value,
        activation=_float("rabbitmq", "activationValue", metadata.get("activationValue"), 0.0),
        queue=queue,
        protocol=protocol,
        host=host,
        vhost=vhost,
        username=username or unquote(parts.username or ""),
        password=password or unquote(parts.password or ""),
        exclude_unacknowledged=exclude,
    )


def _sqs(index: int, trigger: Mapping[str, Any], inputs: _Inputs) -> Trigger:
    metadata, auth = inputs.metadata, inputs.auth
    queue_url = inputs.get("queueURL", from_auth=False)
    if not queue_url:
        raise _missing("SQS queue", "queueURL", "triggerMetadata resolvedEnv")
    region = inputs.get("awsRegion", from_env=False)
    if not region:
        raise _missing("SQS queue", "awsRegion", "triggerMetadata authParams")
    access_key, secret_key = inputs.secret("awsAccessKeyID"), inputs.secret("awsSecretAccessKey")
    if not (
        inputs.pod_identity in ("aws", "aws-eks")
        or auth.get("awsRoleArn")
        or metadata.get("identityOwner") == "operator"
    ):
        if not access_key:
            raise CheckFailed(HPA_ERROR, "error parsing SQS queue metadata: awsAccessKeyID not found")
        if not secret_key:
            raise CheckFailed(HPA_ERROR, "error parsing SQS queue metadata: awsSecretAccessKey not found")
    queue_length = _float("SQS queue", "queueLength", metadata.get("queueLength"), 5.0)
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    return Trigger(
        type="aws-sqs-queue",
        name=trigger.get("name") or "",
        metric_name=f"s{index}-{_normalize('aws-sqs-' + name)}",
        target=queue_length,
        activation=_float("SQS queue", "activationQueueLength", metadata.get("activationQueueLength"), 0.0),
        queue=name,
        queue_url=queue_url,
        region=region,
        endpoint=(metadata.get("awsEndpoint") or "").strip(),
        access_key_id=access_key,
        secret_access_key=secret_key,
        session_token=inputs.secret("awsSessionToken"),
        in_flight=_flag(metadata.get("scaleOnInFlight"), True),
        delayed=_flag(metadata.get("scaleOnDelayed"), False),
    )
