"""The Table row of a Pod, as kube-apiserver's `printPod` computes it (1.32).

Contract: `pod_row(pod, now) -> (cells, conditions)` gives NAME, READY, STATUS, RESTARTS, AGE, IP, NODE,
NOMINATED NODE and READINESS GATES. READY counts ready containers over containers plus restartable init
containers (native sidecars). STATUS follows printPod's order: the pod's reason or phase; SchedulingGated;
the first init container not done (`Init:N/M`, `Init:<waiting reason>`, `Init:<terminated reason>`,
`Init:ExitCode:N`, `Init:Signal:N`); then the first app container's waiting or terminated reason
(CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, Completed, Error,
`ExitCode:N`, ...), with Completed turned back into Running or NotReady while another container runs;
Terminating once deleting (Unknown when the node is lost). RESTARTS adds `(<age> ago)` of the last restart.
Succeeded and Failed pods carry the `Completed` row condition kubectl uses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from tests.kubeapi.printer_rows import Row, age_of, get, human_duration, name_of, parse_time

# --- pods ---------------------------------------------------------------------------------------------------

_COMPLETED: Final = "Completed"


def _restartable(container: dict[str, Any] | None) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _condition_true(pod: dict[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in get(pod, "status", "conditions", default=[])
    )


def _later(current: datetime | None, state: dict[str, Any]) -> datetime | None:
    finished = parse_time(get(state, "lastState", "terminated", "finishedAt"))
    if finished is None or get(state, "lastState", "terminated") is None:
        return current
    return finished if current is None or current < finished else current


def _terminated_reason(terminated: dict[str, Any], prefix: str) -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def pod_row(pod: dict[str, Any], now: datetime) -> Row:
    spec, status = get(pod, "spec", default={}), get(pod, "status", default={})
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions = None
    if phase == "Succeeded":
        conditions = [_completed_condition("Succeeded", "The pod has completed successfully.")]
    elif phase == "Failed":
        conditions = [_completed_condition("Failed", "The pod failed.")]

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for index, state in enumerate(init_statuses):
        restarts += int(state.get("restartCount") or 0)
        last_restart = _later(last_restart, state)
        sidecar = _restartable(init_specs.get(state.get("name")))
        if sidecar:
            sidecar_restarts += int(state.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, state)
        terminated, waiting = get(state, "state", "terminated"), get(state, "state", "waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and state.get("started"):
            ready += 1 if state.get("ready") else 0
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for state in reversed(status.get("containerStatuses") or []):
            restarts += int(state.get("restartCount") or 0)
            last_restart = _later(last_restart, state)
            waiting, terminated = get(state, "state", "waiting"), get(state, "state", "terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None:
                reason = _terminated_reason(terminated, "")
            elif state.get("ready") and get(state, "state", "running") is not None:
                has_running = True
                ready += 1
        if reason == _COMPLETED and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    deleting = get(pod, "metadata", "deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"
    ips = status.get("podIPs") or []
    pod_ip = (ips[0].get("ip") if ips else status.get("podIP")) or "<none>"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        met = 0
        for gate in gates:
            match = next(
                (c for c in status.get("conditions") or [] if c.get("type") == gate.get("conditionType")),
                None,
            )
            met += 1 if match and match.get("status") == "True" else 0
        gates_text = f"{met}/{len(gates)}"
    cells = [
        name_of(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        age_of(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]
    return cells, conditions


def _completed_condition(reason: str, message: str) -> dict[str, str]:
    return {"type": "Completed", "status": "True", "reason": reason, "message": message}
