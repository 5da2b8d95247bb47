"""The status engine: observed state → the complete AsyncActor status (contract §1.2, §3). Pure.

:func:`compute_status` returns the whole new ``AsyncActorStatus`` and the moment it must be recomputed even if
nothing else happens (the 5-minute Degraded mark, the next change of ``lastScaleFormatted``). Given the same
inputs it returns the same status, so the reconciler writes only when something really changed.

Conditions: ``TransportReady``, ``WorkloadReady``, ``ScalingReady`` (only while scaling is enabled) and the
summary ``Ready`` (True exactly when the status is Running or Napping). ``lastTransitionTime`` moves only
when a condition's status flips; reason, message and ``observedGeneration`` always describe the present.

WorkloadReady is False, with the reason saying which, when the spec is invalid (``InvalidSpec``), the
``asya-runtime`` container has no ``ASYA_HANDLER`` or the transport's credentials Secret is missing
(``ConfigError``), the workload could not be applied (``ApplyFailed``), or a pod fails while fewer replicas
are ready than desired (the pod's cause classified by :func:`classify_cause`, ``PodsFailing`` when it fits no
class). Unknown while the workload is unobserved or short of ready replicas, True once enough are ready.

Decisions where the contract is silent:
- Problems of the spec itself come before the pods' causes: pods crash *because* ``ASYA_HANDLER`` is missing,
  and the cause is what a person must see. Among pod causes the contract's order decides.
- "ready < total for at most 5 minutes" is ScalingUp only when total = desired: more pods than desired is
  ScalingDown whatever their readiness (issue 2, cases 14 and 21).
- The Degraded clock (``unreadySince``) runs while ready < total, whatever desired does, so that an HPA moving
  desired does not reset it (the earlier implementation's defect was measuring from the last scale).
- A change of ``desiredReplicas`` is a scale only when both the old and the new value are known, so that the
  first status of an actor shows ``-``.
- Pods in phase Failed (evicted, say) count in ``failingPods`` but not in ``totalReplicas``, which counts
  non-terminated pods, and they do not make WorkloadReady False: a Deployment keeps an evicted pod until it
  is garbage collected, long after its replacement runs, and the replacement tells the present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from controller.actor.last_scale import format_last_scale, next_change
from controller.actor.observed import Observed, ScalingOutcome, TransportOutcome, WorkloadState
from controller.actor.pods import RESTARTING, UNSCHEDULABLE, PodCause, PodState
from controller.api import constants as c
from controller.api.models import (
    ActorStatus,
    AsyncActorSpec,
    AsyncActorStatus,
    Condition,
    ConditionStatus,
    ScaledObjectRef,
    WorkloadRef,
    format_time,
)
from controller.kube.timestamps import whole_seconds

DEGRADED_AFTER: Final = timedelta(minutes=5)
# The first representable moment after the mark: Degraded is "more than 5 minutes".
_DEGRADED_MARK: Final = DEGRADED_AFTER + timedelta(microseconds=1)

TRANSPORT_READY: Final = "TransportReady"
WORKLOAD_READY: Final = "WorkloadReady"
SCALING_READY: Final = "ScalingReady"
READY: Final = "Ready"

# The transport reason that means "credentials Secret missing": a ConfigError, not a TransportError (§3).
SECRET_NOT_FOUND: Final = "SecretNotFound"
INVALID_SPEC: Final = "InvalidSpec"
APPLY_FAILED: Final = "ApplyFailed"
PODS_FAILING: Final = "PodsFailing"
HANDLER_ENV: Final = "ASYA_HANDLER"

# WorkloadReady=False classes, in the contract's order of precedence.
WORKLOAD_FAILURES: Final[tuple[ActorStatus, ...]] = (
    "PendingResources",
    "ImagePullError",
    "RuntimeError",
    "SidecarError",
    "VolumeError",
    "ConfigError",
    "WorkloadError",
)
_FAILURE_STATUS: Final[Mapping[str, ActorStatus]] = {kind: kind for kind in WORKLOAD_FAILURES}
_IMAGE_WORDS: Final = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "Failed to pull image")
_VOLUME_WORDS: Final = (
    "MountVolume",
    "VolumeMount",
    "FailedMount",
    "FailedAttachVolume",
    "PersistentVolumeClaim",
)
_LOOPING: Final = ("CrashLoopBackOff", RESTARTING)
_REASON = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
_MAX_MESSAGE: Final = 32768


@dataclass(frozen=True, kw_only=True)
class StatusResult:
    status: AsyncActorStatus
    # Recompute at this moment even if nothing else happens; None when nothing is due.
    recompute_at: datetime | None


@dataclass(frozen=True)
class _Verdict:
    status: ConditionStatus
    reason: str
    message: str


def classify_cause(cause: PodCause) -> ActorStatus:
    """Which WorkloadReady=False class a pod's cause belongs to (the seed's classification rules)."""
    words = f"{cause.reason} {cause.message}"
    lowered = words.lower()
    if cause.reason == UNSCHEDULABLE and "Insufficient" in cause.message:
        return "PendingResources"
    if any(word in words for word in _IMAGE_WORDS):
        return "ImagePullError"
    if cause.reason in _LOOPING and not cause.init_container:
        if cause.container == c.RUNTIME_CONTAINER:
            return "RuntimeError"
        if cause.container == c.SIDECAR_CONTAINER:
            return "SidecarError"
    if any(word in words for word in _VOLUME_WORDS):
        return "VolumeError"
    if ("configmap" in lowered or "secret" in lowered) and (
        "not found" in lowered or "couldn't find key" in lowered
    ):
        return "ConfigError"
    return "WorkloadError"


def handler_missing(spec: AsyncActorSpec) -> str | None:
    """The ConfigError message when the ``asya-runtime`` container cannot have ``ASYA_HANDLER``, else None."""
    containers = spec.workload.template.spec.get("containers")
    runtimes = [
        container
        for container in (containers if isinstance(containers, list) else [])
        if isinstance(container, Mapping) and container.get("name") == c.RUNTIME_CONTAINER
    ]
    if len(runtimes) != 1:
        return None  # validation reports this
    runtime = runtimes[0]
    if runtime.get("envFrom"):
        return None  # a ConfigMap or Secret may well provide it
    env = runtime.get("env")
    for var in env if isinstance(env, list) else []:
        if (
            isinstance(var, Mapping)
            and var.get("name") == HANDLER_ENV
            and (var.get("value") or var.get("valueFrom"))
        ):
            return None
    return (
        f"container {c.RUNTIME_CONTAINER} has no {HANDLER_ENV} environment variable: set it to the handler "
        f"to run (e.g. my_module.process) in spec.workload.template.spec.containers[].env or through envFrom"
    )


def desired_replicas(
    spec: AsyncActorSpec | None, workload: WorkloadState | None, hpa_desired: int | None
) -> int | None:
    """DESIRED (contract §7): the HPA's wish while scaling is enabled, except that a workload at 0 is at 0."""
    if spec is None:
        return workload.replicas if workload is not None else None
    if not spec.scaling.enabled:
        return spec.workload.replicas
    if workload is not None and workload.replicas == 0:
        return 0
    if hpa_desired is not None:
        return hpa_desired
    return workload.replicas if workload is not None else None


def _reason(text: str, fallback: str) -> str:
    return text if len(text) <= 1024 and _REASON.match(text) else fallback


def _clip(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _transport_verdict(outcome: TransportOutcome) -> _Verdict:
    if outcome.state == "ready":
        return _Verdict("True", _reason(outcome.reason, "QueueReady"), outcome.message)
    if outcome.reason == SECRET_NOT_FOUND or outcome.state == "unknown":
        return _Verdict("Unknown", _reason(outcome.reason, "TransportUnknown"), outcome.message)
    return _Verdict("False", _reason(outcome.reason, "TransportFailed"), outcome.message)


def _scaling_verdict(outcome: ScalingOutcome | None, name: str) -> _Verdict:
    if outcome is None:
        return _Verdict(
            "Unknown", "ScaledObjectPending", f"waiting for the ScaledObject {name} to be applied"
        )
    if outcome.ready is True:
        return _Verdict("True", _reason(outcome.reason, "ScaledObjectReady"), outcome.message)
    if outcome.ready is False:
        return _Verdict("False", _reason(outcome.reason, "ScaledObjectNotReady"), outcome.message)
    return _Verdict("Unknown", _reason(outcome.reason, "ScaledObjectPending"), outcome.message)


def _worst_cause(failing: list[PodState]) -> tuple[ActorStatus, PodCause, int]:
    causes = [
        (index, pod.causes or (PodCause(pod=pod.name, reason="Failing"),))
        for index, pod in enumerate(failing)
    ]
    # Most specific class first; among equals the first pod by name, so the message is stable.
    rank, _, cause = min(
        (
            (WORKLOAD_FAILURES.index(classify_cause(cause)), index, cause)
            for index, pod_causes in causes
            for cause in pod_causes
        ),
        key=lambda item: (item[0], item[1]),
    )
    return WORKLOAD_FAILURES[rank], cause, len(failing)


def _workload_verdict(observed: Observed, *, ready: int, desired: int | None) -> _Verdict:
    actor = observed.actor
    errors = actor.spec_errors + observed.validation_errors
    if errors:
        return _Verdict("False", INVALID_SPEC, "; ".join(errors))
    if actor.spec is not None and (missing := handler_missing(actor.spec)) is not None:
        return _Verdict("False", "ConfigError", missing)
    if observed.transport.reason == SECRET_NOT_FOUND:
        return _Verdict("False", "ConfigError", observed.transport.message)
    if observed.workload_error is not None:
        return _Verdict("False", APPLY_FAILED, observed.workload_error)
    # A pod in phase Failed is history: the pod that replaced it tells the present.
    failing = [pod for pod in observed.pods if pod.phase == "failing" and not pod.terminated]
    if failing and (desired is None or ready < desired):
        failure, cause, count = _worst_cause(failing)
        others = f" (and {count - 1} more failing pods)" if count > 1 else ""
        return _Verdict("False", PODS_FAILING if failure == "WorkloadError" else failure, cause.text + others)
    kind = actor.spec.workload.kind if actor.spec is not None else "workload"
    if observed.workload is None or not observed.workload.observed:
        return _Verdict("Unknown", "WorkloadNotObserved", f"waiting for the {kind} controller to observe it")
    shown = 0 if desired is None else desired
    if ready >= shown:
        return _Verdict("True", "ReplicasReady", f"{ready}/{shown} replicas ready")
    return _Verdict("Unknown", "ReplicasNotReady", f"{ready}/{shown} replicas ready")


def _condition(
    kind: str, verdict: _Verdict, *, previous: Mapping[str, Condition], generation: int, now: datetime
) -> Condition:
    before = previous.get(kind)
    kept = before is not None and before.status == verdict.status
    return Condition(
        type=kind,
        status=verdict.status,
        observed_generation=generation,
        last_transition_time=before.last_transition_time
        if before is not None and kept
        else whole_seconds(now),
        reason=verdict.reason,
        message=_clip(verdict.message),
    )


@dataclass(frozen=True, kw_only=True)
class _Counts:
    ready: int
    pending: int
    failing: int
    total: int

    @classmethod
    def of(cls, pods: tuple[PodState, ...]) -> _Counts:
        live = [pod for pod in pods if not pod.terminated]
        return cls(
            ready=sum(pod.phase == "running" for pod in live),
            pending=sum(pod.phase == "pending" for pod in live),
            failing=sum(pod.phase == "failing" for pod in pods),
            total=len(live),
        )


def _decide(
    observed: Observed,
    *,
    transport: _Verdict,
    workload: _Verdict,
    scaler: _Verdict | None,
    counts: _Counts,
    target: int,
    degraded: bool,
) -> tuple[ActorStatus, _Verdict | None]:
    """The priority list of contract §3, first match wins; with the condition that decided, if one did."""
    if observed.actor.deletion_timestamp is not None:
        return "Terminating", None
    if transport.status == "False":
        return "TransportError", transport
    if workload.status == "False":
        return _FAILURE_STATUS.get(workload.reason, "WorkloadError"), workload
    if scaler is not None and scaler.status == "False":
        return "ScalingError", scaler
    if observed.workload is None or not observed.workload.observed:
        return "Creating", None
    if scaler is not None and target == 0:
        return "Napping", None
    if counts.total < target:
        return "ScalingUp", None
    if counts.total > target:
        return "ScalingDown", None
    if counts.ready < counts.total:
        return ("Degraded" if degraded else "ScalingUp"), None
    return "Running", None


def _summary(
    status: ActorStatus, *, counts: _Counts, target: int, unready_since: datetime | None, kind: str
) -> str:
    ready, total = counts.ready, counts.total
    if status == "Terminating":
        return "the actor is being deleted: removing its scaling, workload and queue"
    if status == "Creating":
        return f"waiting for the {kind} controller to observe the {kind}"
    if status == "Napping":
        return "scaled to zero: no messages waiting"
    if status == "ScalingDown":
        return f"{total} pods for {target} desired replicas, {ready} ready"
    if status == "Degraded" and unready_since is not None:
        return f"{ready}/{total} pods ready since {format_time(unready_since)}"
    return f"{ready}/{target} replicas ready, {total} pods"


def compute_status(observed: Observed) -> StatusResult:
    """The complete new status of one actor and the moment it must be recomputed."""
    actor, spec, previous, now = observed.actor, observed.actor.spec, observed.actor.previous, observed.now
    counts = _Counts.of(observed.pods)
    desired = desired_replicas(spec, observed.workload, observed.hpa_desired_replicas)
    target = desired or 0
    scaling = spec is not None and spec.scaling.enabled
    kind = spec.workload.kind if spec is not None else "workload"

    transport = _transport_verdict(observed.transport)
    workload = _workload_verdict(observed, ready=counts.ready, desired=desired)
    scaler = _scaling_verdict(observed.scaling, actor.name) if scaling else None

    unready_since = (previous.unready_since or whole_seconds(now)) if counts.ready < counts.total else None
    degraded = unready_since is not None and now - unready_since > DEGRADED_AFTER
    status, deciding = _decide(
        observed,
        transport=transport,
        workload=workload,
        scaler=scaler,
        counts=counts,
        target=target,
        degraded=degraded,
    )
    summary = (
        deciding.message
        if deciding is not None
        else _summary(status, counts=counts, target=target, unready_since=unready_since, kind=kind)
    )

    verdicts = [(TRANSPORT_READY, transport), (WORKLOAD_READY, workload)]
    if scaler is not None:
        verdicts.append((SCALING_READY, scaler))
    verdicts.append(
        (READY, _Verdict("True" if status in ("Running", "Napping") else "False", status, summary))
    )
    before = {condition.type: condition for condition in previous.conditions}
    conditions = [
        _condition(name, verdict, previous=before, generation=actor.generation, now=now)
        for name, verdict in verdicts
    ]

    last_scale_time, direction = previous.last_scale_time, previous.last_scale_direction
    if desired is not None and previous.desired_replicas is not None and desired != previous.desired_replicas:
        last_scale_time = whole_seconds(now)
        direction = "up" if desired > previous.desired_replicas else "down"

    moments = []
    if unready_since is not None and now - unready_since <= DEGRADED_AFTER:
        moments.append(unready_since + _DEGRADED_MARK)
    if last_scale_time is not None:
        moments.append(next_change(last_scale_time, now=now))

    new = AsyncActorStatus(
        status=status,
        conditions=conditions,
        observed_generation=actor.generation,
        replicas=counts.ready,
        pending_replicas=counts.pending,
        failing_pods=counts.failing,
        total_replicas=counts.total,
        ready_replicas=counts.ready,
        desired_replicas=desired,
        last_scale_time=last_scale_time,
        last_scale_direction=direction,
        last_scale_formatted=format_last_scale(last_scale_time, direction, now=now),
        transport_status="Ready" if transport.status == "True" else "NotReady",
        scaling_mode="KEDA" if scaling else "Manual",
        queued_messages=observed.transport.queued,
        processing_messages=observed.transport.processing,
        workload_ref=None
        if spec is None
        else WorkloadRef(api_version="apps/v1", kind=kind, name=actor.name, namespace=actor.namespace),
        scaled_object_ref=ScaledObjectRef(name=actor.name, namespace=actor.namespace)
        if scaling and observed.scaling is not None and observed.scaling.exists
        else None,
        unready_since=unready_since,
    )
    return StatusResult(status=new, recompute_at=min(moments) if moments else None)
