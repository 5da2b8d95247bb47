"""Pods of an actor: running, pending or failing, and why (contract §4). Pure.

Input is what the API server returns: Pod dicts and core/v1 Event dicts (both the kubelet's classic events
with ``firstTimestamp``/``lastTimestamp``/``count`` and the ``events.k8s.io`` style of the scheduler, seen
through core/v1 with ``eventTime`` and ``series``), plus the current time. Nothing here reads the clock.

- A pod in phase ``Succeeded``, or in phase ``Failed`` and being deleted, is not part of the actor: ``None``.
  A pod being shut down (``metadata.deletionTimestamp``) still is until it is gone: running while Ready, else
  pending, never failing.
- failing: phase ``Failed``; an init or app container waiting with one of :data:`FAILING_WAITING_REASONS`;
  ``PodScheduled=False`` with reason ``Unschedulable`` (or a recent ``FailedScheduling`` event while the pod
  is not scheduled); a container with more than :data:`RESTART_LIMIT` restarts that is not ready or last
  terminated within :data:`RECENT`; a recent Warning event with one of :data:`FAILING_EVENT_REASONS`.
- running: otherwise, condition ``Ready=True``.
- pending: every other pod. A pod that is merely starting (``ContainerCreating``, ``PodInitializing``,
  ``PodReadyToStartContainers=False``) is pending, never failing.

Decisions where the contract is silent:
- Events make only a pod that is not Ready failing: a Ready pod has got past what they report (a FailedMount
  while a ConfigMap was missing, before it was created); the restart rule still catches a pod that flaps.
- A pod being shut down counts, although contract §4 reads "no deletionTimestamp": it still runs (and is
  shown Terminating by kubectl) for up to its grace period, and the seed's ScalingDown row is exactly that
  ("5/3 pods running, 2 being terminated"), as is §3's "pods still shutting down" at Napping. Left out, a
  scale-down would read Running at once and ScalingDown would last only until the ReplicaSet deletes pods.
  Its failures are not classified: what fails while a pod stops is its ending, not the actor.
- A pod in phase ``Failed`` (evicted, say) has terminated: it counts as failing but is marked
  ``terminated`` so that it is not part of the actor's total (an evicted pod of a Deployment lingers until it
  is garbage collected, while its replacement runs).
- Event messages are preferred over the pod condition for ``Unschedulable``, since the scheduler's event is
  where ``Insufficient cpu`` reliably appears.

Every cause names the pod, the container (when there is one) and the reason in the kubelet's or scheduler's
own words, e.g. ``pod text-processor-7d9c-x2: container asya-runtime in CrashLoopBackOff: back-off 40s
restarting failed container=asya-runtime pod=…``; classifying causes into actor statuses is the status
engine's job.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from controller.kube.timestamps import parse_time

PodPhase = Literal["running", "pending", "failing"]

RECENT: Final = timedelta(minutes=10)
RESTART_LIMIT: Final = 5

FAILING_WAITING_REASONS: Final = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerError",
        "CreateContainerConfigError",
        "InvalidImageName",
        "RunContainerError",
    }
)
FAILING_EVENT_REASONS: Final = frozenset(
    {"FailedMount", "FailedAttachVolume", "FailedCreatePodSandBox", "Failed"}
)
UNSCHEDULABLE: Final = "Unschedulable"
FAILED_SCHEDULING: Final = "FailedScheduling"
# Our own reason for the restart rule: the kubelet has no single word for "keeps restarting".
RESTARTING: Final = "Restarting"


def _container_fields(prefix: str) -> tuple[str, ...]:
    return tuple(
        f"{prefix}.{path}"
        for path in (
            "name",
            "ready",
            "restartCount",
            "state.waiting.reason",
            "state.waiting.message",
            "lastState.terminated.reason",
            "lastState.terminated.exitCode",
            "lastState.terminated.finishedAt",
        )
    )


# Field paths read from Pods and Events, for a cache that keeps only what the controller reads. A path is
# dotted; where a value on the way is a list, the rest of the path applies to each of its items.
POD_FIELDS: Final = (
    "metadata.name",
    "metadata.uid",
    "metadata.deletionTimestamp",
    "status.phase",
    "status.reason",
    "status.message",
    "status.conditions.type",
    "status.conditions.status",
    "status.conditions.reason",
    "status.conditions.message",
    *_container_fields("status.initContainerStatuses"),
    *_container_fields("status.containerStatuses"),
)
EVENT_FIELDS: Final = (
    "metadata.creationTimestamp",
    "involvedObject.kind",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.fieldPath",
    "type",
    "reason",
    "message",
    "eventTime",
    "firstTimestamp",
    "lastTimestamp",
    "series.lastObservedTime",
)

_NEVER: Final = datetime.min.replace(tzinfo=UTC)
_FIELD_PATH_CONTAINER = re.compile(r"^spec\.(initContainers|containers)\{(?P<name>[^}]*)\}")


@dataclass(frozen=True, kw_only=True)
class PodCause:
    """Why one pod is failing, in the words of the component that said so."""

    pod: str
    reason: str
    message: str = ""
    container: str | None = None
    init_container: bool = False

    @property
    def text(self) -> str:
        """One line a person reads in a condition: pod, container, reason, message."""
        if self.container is None:
            head = f"pod {self.pod}: {self.reason}"
        else:
            kind = "init container" if self.init_container else "container"
            state = "restarting" if self.reason == RESTARTING else f"in {self.reason}"
            head = f"pod {self.pod}: {kind} {self.container} {state}"
        return f"{head}: {self.message}" if self.message else head


@dataclass(frozen=True, kw_only=True)
class PodState:
    """One pod of the actor as the status engine counts it."""

    name: str
    phase: PodPhase
    causes: tuple[PodCause, ...] = ()
    # Phase Failed: counted as failing, but no longer part of the actor's total.
    terminated: bool = False


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """When an event was last seen: the latest of every timestamp either event style carries."""
    series = _mapping(event.get("series"))
    moments = [
        parse_time(value)
        for value in (
            series.get("lastObservedTime"),
            event.get("lastTimestamp"),
            event.get("eventTime"),
            event.get("firstTimestamp"),
            _mapping(event.get("metadata")).get("creationTimestamp"),
        )
    ]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def is_recent(event: Mapping[str, Any], *, now: datetime) -> bool:
    """Seen within :data:`RECENT` of ``now``; an event without any time is not recent."""
    moment = event_time(event)
    return moment is not None and now - moment <= RECENT


def _event_container(event: Mapping[str, Any]) -> tuple[str | None, bool]:
    match = _FIELD_PATH_CONTAINER.match(_text(_mapping(event.get("involvedObject")).get("fieldPath")))
    if match is None:
        return None, False
    return match["name"], match[1] == "initContainers"


def _restart_cause(pod: str, status: Mapping[str, Any], *, init: bool, now: datetime) -> PodCause | None:
    restarts = _int(status.get("restartCount"))
    if restarts <= RESTART_LIMIT:
        return None
    last = _mapping(_mapping(status.get("lastState")).get("terminated"))
    finished = parse_time(last.get("finishedAt"))
    restarted_recently = finished is not None and now - finished <= RECENT
    if status.get("ready") is True and not restarted_recently:
        return None
    message = f"restarted {restarts} times"
    if last:
        message += f", last terminated with {_text(last.get('reason')) or 'no reason'}"
        message += f" (exit code {_int(last.get('exitCode'))})"
    return PodCause(
        pod=pod, container=_text(status.get("name")), init_container=init, reason=RESTARTING, message=message
    )


def _container_causes(pod: str, status: Mapping[str, Any], *, now: datetime) -> list[PodCause]:
    causes: list[PodCause] = []
    for init, key in ((True, "initContainerStatuses"), (False, "containerStatuses")):
        for container in _items(status.get(key)):
            waiting = _mapping(_mapping(container.get("state")).get("waiting"))
            reason = _text(waiting.get("reason"))
            if reason in FAILING_WAITING_REASONS:
                causes.append(
                    PodCause(
                        pod=pod,
                        container=_text(container.get("name")),
                        init_container=init,
                        reason=reason,
                        message=_text(waiting.get("message")),
                    )
                )
            elif (cause := _restart_cause(pod, container, init=init, now=now)) is not None:
                causes.append(cause)
    return causes


def _latest(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    dated = [
        (moment, index) for index, event in enumerate(events) if (moment := event_time(event)) is not None
    ]
    return events[max(dated)[1]] if dated else None


def _scheduling_cause(
    pod: str, conditions: Mapping[str, Mapping[str, Any]], events: Sequence[Mapping[str, Any]]
) -> PodCause | None:
    scheduled = conditions.get("PodScheduled", {})
    unschedulable = scheduled.get("status") == "False" and scheduled.get("reason") == UNSCHEDULABLE
    failed = [event for event in events if event.get("reason") == FAILED_SCHEDULING]
    if not unschedulable and (scheduled.get("status") == "True" or not failed):
        return None
    latest = _latest(failed)
    message = _text(latest.get("message")) if latest is not None else ""
    return PodCause(pod=pod, reason=UNSCHEDULABLE, message=message or _text(scheduled.get("message")))


def _event_causes(pod: str, events: Sequence[Mapping[str, Any]], *, explained: set[str]) -> list[PodCause]:
    causes: dict[tuple[str, str | None, str], PodCause] = {}
    ordered = sorted(events, key=lambda event: event_time(event) or _NEVER, reverse=True)
    for event in ordered:
        reason = _text(event.get("reason"))
        if reason not in FAILING_EVENT_REASONS:
            continue
        container, init = _event_container(event)
        if container is not None and container in explained:
            continue  # the container's own state already says this, usually better
        message = _text(event.get("message"))
        causes.setdefault(
            (reason, container, message),
            PodCause(pod=pod, container=container, init_container=init, reason=reason, message=message),
        )
    return list(causes.values())


def classify_pod(
    pod: Mapping[str, Any], events: Iterable[Mapping[str, Any]], *, now: datetime
) -> PodState | None:
    """Classify one pod; ``events`` are those whose ``involvedObject`` is this pod (others are ignored)."""
    metadata = _mapping(pod.get("metadata"))
    status = _mapping(pod.get("status"))
    phase = _text(status.get("phase"))
    deleting = bool(metadata.get("deletionTimestamp"))
    if phase == "Succeeded" or (deleting and phase == "Failed"):
        return None
    name = _text(metadata.get("name")) or "<unnamed>"
    conditions = {_text(c.get("type")): c for c in _items(status.get("conditions"))}
    ready = conditions.get("Ready", {}).get("status") == "True"
    if deleting:
        return PodState(name=name, phase="running" if ready else "pending")
    warnings = [
        event
        for event in events
        if _is_about(event, name=name, uid=_text(metadata.get("uid")))
        and event.get("type") == "Warning"
        and is_recent(event, now=now)
    ]

    causes: list[PodCause] = []
    if phase == "Failed":
        causes.append(
            PodCause(
                pod=name, reason=_text(status.get("reason")) or "Failed", message=_text(status.get("message"))
            )
        )
    causes.extend(_container_causes(name, status, now=now))
    if (scheduling := _scheduling_cause(name, conditions, warnings)) is not None:
        causes.append(scheduling)
    if not ready:
        explained = {cause.container for cause in causes if cause.container is not None}
        causes.extend(_event_causes(name, warnings, explained=explained))

    if causes:
        return PodState(name=name, phase="failing", causes=tuple(causes), terminated=phase == "Failed")
    return PodState(name=name, phase="running" if ready else "pending")


def _is_about(event: Mapping[str, Any], *, name: str, uid: str) -> bool:
    involved = _mapping(event.get("involvedObject"))
    if involved.get("kind") != "Pod" or involved.get("name") != name:
        return False
    # A StatefulSet pod comes back under the same name: an event of its predecessor is not about it.
    other = _text(involved.get("uid"))
    return not (uid and other and uid != other)


def classify_pods(pods: Iterable[object], events: Iterable[object], *, now: datetime) -> tuple[PodState, ...]:
    """Classify the pods of one actor, sorted by name; ``events`` may be every event of the namespace.

    Items that are not objects at all are skipped, so nothing a cache hands over can make this fail.
    """
    by_pod: defaultdict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for event in events:
        if not isinstance(event, Mapping):
            continue
        involved = _mapping(event.get("involvedObject"))
        if involved.get("kind") == "Pod" and isinstance(involved.get("name"), str):
            by_pod[involved["name"]].append(event)
    states: list[PodState] = []
    for pod in pods:
        if not isinstance(pod, Mapping):
            continue
        name = _text(_mapping(pod.get("metadata")).get("name"))
        if (state := classify_pod(pod, by_pod.get(name, ()), now=now)) is not None:
            states.append(state)
    return tuple(sorted(states, key=lambda state: state.name))
