"""A pod as the kubelet sees it, and the `status` it reports for it.

`PodRecord` and `ContainerRecord` hold what the simulated kubelet knows about a pod; `PodRecord.status()`
renders the `status` object a real kubelet writes, in its shape and order (`pkg/kubelet/status`,
`kubelet_pods.go` `generateAPIPodStatus`, `getPhase`, `pkg/api/v1/pod` conditions):

- conditions in the kubelet's order `PodReadyToStartContainers`, `Initialized`, `Ready`, `ContainersReady`,
  `PodScheduled`, each with `lastProbeTime: null` and a `lastTransitionTime` that changes only when the status
  flips; `Ready`/`ContainersReady` False carry reason `ContainersNotReady` and
  `containers with unready status: [a b]`; `Initialized` False carries `ContainersNotInitialized`;
- container statuses with `state` (waiting/running/terminated), `lastState`, `ready`, `started`,
  `restartCount`, `image` (the fully qualified reference once the runtime has the image), `imageID`
  (`<repo>@sha256:…`) and `containerID` (`containerd://…`);
- phase `Pending` until some app container has run, then `Running` (restart policy Always: a crash-looping
  pod stays Running); `hostIP(s)`, `podIP(s)`, `startTime`, `qosClass`.

Simplifications: no `Succeeded`/`Failed` phases (the workloads here restart always), no readiness gates, no
`resize`/`resources` fields, no ephemeral containers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.kubeapi.sim import messages
from tests.kubeapi.sim.failures import ImageRef, parse_image

WAITING = "waiting"
RUNNING = "running"
TERMINATED = "terminated"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def image_id(image: str) -> str:
    """The `imageID` the runtime reports: the repository and a (stable, made-up) manifest digest."""
    ref = parse_image(image)
    repository = f"{ref.host}/{ref.path}" if isinstance(ref, ImageRef) else image
    return f"{repository}@sha256:{_digest(image)}"


def qualified_image(image: str) -> str:
    ref = parse_image(image)
    return ref.reference if isinstance(ref, ImageRef) else image


def qos_class(spec: Mapping[str, Any]) -> str:
    """`Guaranteed` when every container's cpu and memory requests equal its limits, `BestEffort` when nothing
    is requested or limited, else `Burstable` (`pkg/apis/core/helper/qos`)."""
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        requests = {**limits, **(resources.get("requests") or {})}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or str(requests.get(name)) != str(limits[name]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


@dataclass(slots=True)
class ContainerRecord:
    name: str
    image: str
    init: bool = False
    state: str = WAITING
    reason: str = "ContainerCreating"
    message: str = ""
    exit_code: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    restart_count: int = 0
    last_terminated: dict[str, Any] | None = None
    ready: bool = False
    started: bool = False
    container_id: str = ""
    has_run: bool = False

    @property
    def completed(self) -> bool:
        return self.state == TERMINATED and self.exit_code == 0

    def wait(self, reason: str, message: str = "") -> None:
        self.state, self.reason, self.message = WAITING, reason, message
        self.ready = self.started = False

    def run(self, now: str, *, pod_uid: str, started: bool) -> None:
        self.container_id = f"containerd://{_digest(f'{pod_uid}/{self.name}/{self.restart_count}')}"
        self.state, self.reason, self.message = RUNNING, "", ""
        self.started_at, self.finished_at = now, None
        self.started, self.ready, self.has_run = started, False, True

    def terminate(self, now: str, *, reason: str, exit_code: int) -> None:
        self.state, self.reason, self.message, self.exit_code = TERMINATED, reason, "", exit_code
        self.finished_at = now
        self.ready = self.started = False

    def hold_back(self, reason: str, message: str) -> None:
        """Waits (CrashLoopBackOff) with the run that just ended kept as `lastState`."""
        if self.state == TERMINATED:
            self.last_terminated = self._terminated()
        self.wait(reason, message)

    def restart(self) -> None:
        """A new instance of the container is about to start: one more restart."""
        if self.state == TERMINATED:
            self.last_terminated = self._terminated()
        self.restart_count += 1

    def _terminated(self) -> dict[str, Any]:
        return {
            "containerID": self.container_id,
            "exitCode": self.exit_code,
            "finishedAt": self.finished_at,
            "reason": self.reason,
            "startedAt": self.started_at,
        }

    def render(self) -> dict[str, Any]:
        state: dict[str, Any]
        if self.state == RUNNING:
            state = {"running": {"startedAt": self.started_at}}
        elif self.state == TERMINATED:
            state = {"terminated": self._terminated()}
        else:
            waiting = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        status: dict[str, Any] = {
            "name": self.name,
            "image": qualified_image(self.image) if self.has_run else self.image,
            "imageID": image_id(self.image) if self.has_run else "",
            "ready": self.ready,
            "restartCount": self.restart_count,
            "started": self.started,
            "state": state,
            "lastState": {"terminated": self.last_terminated} if self.last_terminated else {},
        }
        if self.container_id:
            status["containerID"] = self.container_id
        return status


@dataclass(slots=True)
class PodRecord:
    uid: str
    name: str
    namespace: str
    node: str
    host_ip: str
    pod_ip: str
    start_time: str
    scheduled_at: str
    qos: str
    containers: list[ContainerRecord]
    init_containers: list[ContainerRecord] = field(default_factory=list)
    sandbox_ready: bool = False
    deleting: bool = False
    _conditions: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return messages.pod_full_name(self.name, self.namespace, self.uid)

    def container(self, name: str) -> ContainerRecord | None:
        return next((c for c in (*self.init_containers, *self.containers) if c.name == name), None)

    def initialized(self) -> bool:
        return all(c.completed for c in self.init_containers)

    def phase(self) -> str:
        if not self.initialized():
            return "Pending"
        if any(c.has_run for c in self.containers):
            return "Running"
        return "Pending"

    def _condition(
        self, kind: str, ok: bool, now: str, reason: str = "", message: str = ""
    ) -> dict[str, Any]:
        status = "True" if ok else "False"
        previous = self._conditions.get(kind)
        since = previous[1] if previous and previous[0] == status else now
        self._conditions[kind] = (status, since)
        condition: dict[str, Any] = {
            "type": kind,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": since,
        }
        if not ok and reason:
            condition["reason"] = reason
            condition["message"] = message
        return condition

    def status(self, now: str) -> dict[str, Any]:
        """The status object to write; `now` is the RFC 3339 time of this write."""
        unready = [c.name for c in self.containers if not c.ready]
        pending_init = [c.name for c in self.init_containers if not c.completed]
        not_ready = messages.containers_not_ready(unready)
        self._conditions.setdefault("PodScheduled", ("True", self.scheduled_at))
        conditions = [
            self._condition("PodReadyToStartContainers", self.sandbox_ready, now),
            self._condition(
                "Initialized",
                not pending_init,
                now,
                "ContainersNotInitialized",
                messages.containers_not_initialized(pending_init),
            ),
            self._condition("Ready", not unready, now, "ContainersNotReady", not_ready),
            self._condition("ContainersReady", not unready, now, "ContainersNotReady", not_ready),
            self._condition("PodScheduled", True, now),
        ]
        status: dict[str, Any] = {
            "phase": self.phase(),
            "conditions": conditions,
            "hostIP": self.host_ip,
            "hostIPs": [{"ip": self.host_ip}],
            "startTime": self.start_time,
            "qosClass": self.qos,
            "containerStatuses": [c.render() for c in self.containers],
        }
        if self.sandbox_ready:
            status["podIP"] = self.pod_ip
            status["podIPs"] = [{"ip": self.pod_ip}]
        if self.init_containers:
            status["initContainerStatuses"] = [c.render() for c in self.init_containers]
        return status
