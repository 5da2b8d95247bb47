"""The seed's status table, row by row, reached through realistic objects (contract §3, issue 2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from controller.actor.observed import Observed, ScalingOutcome, TransportOutcome
from controller.actor.status import StatusResult, compute_status
from controller.api.models import AsyncActorStatus
from tests.unit.actor.objects import (
    CONFIGMAP_MOUNT,
    HOUR,
    INSUFFICIENT_CPU,
    MINUTE,
    NOW,
    RUNTIME,
    SECOND,
    SIDECAR,
    Obj,
    actor_object,
    crash_loop,
    crashing_pod,
    deployment,
    evicted_pod,
    init_pod,
    kubelet_event,
    last_terminated,
    not_ready_pod,
    ready_pod,
    scaled_object,
    scheduler_event,
    starting_pod,
    ts,
    unschedulable_pod,
    waiting_pod,
)
from tests.unit.actor.observing import condition, conditions, keda, later, manual, name, observe, ready_pods

TWO_RUNTIMES_MESSAGE = (
    "spec.workload.template.spec.containers: exactly one container must be named asya-runtime, found 2"
)
NOT_CONFIGURED = (
    'transport "kafka" is not configured in the operator: configured transports are rabbitmq, sqs'
)


# --- the table ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    # The observation at a given moment; the row's expectations are about the one at NOW.
    observed: Callable[[datetime], Observed]
    status: str
    # Further expectations on the result at NOW.
    check: Callable[[StatusResult], None] = field(default=lambda result: None)
    # A reconcile this long before NOW whose status is the previous one at NOW ...
    earlier: timedelta | None = None
    # ... seeing this (default: ``observed``) ...
    first: Callable[[datetime], Observed] | None = None
    # ... and read back from the API server, as after a restart of the controller.
    via_api: bool = False


def _creating(result: StatusResult) -> None:
    assert conditions(result)["WorkloadReady"] == ("Unknown", "WorkloadNotObserved")
    assert result.status.last_scale_formatted == "-"


def _transport_error(result: StatusResult) -> None:
    assert result.status.transport_status == "NotReady"
    assert conditions(result)["TransportReady"] == ("False", "TransportNotConfigured")
    assert condition(result, "Ready").message == NOT_CONFIGURED


def _validation(result: StatusResult) -> None:
    assert condition(result, "TransportReady").status != "False"
    assert conditions(result)["WorkloadReady"] == ("False", "InvalidSpec")
    assert condition(result, "WorkloadReady").message == TWO_RUNTIMES_MESSAGE


def _scaling_error(result: StatusResult) -> None:
    ready = condition(result, "ScalingReady")
    assert (ready.status, ready.reason) == ("False", "ScaledObjectCheckFailed")
    assert ready.message == "ScaledObject doesn't have correct scaleTargetRef specification"


def _workload_message(expected: str) -> Callable[[StatusResult], None]:
    def check(result: StatusResult) -> None:
        workload = condition(result, "WorkloadReady")
        assert workload.status == "False"
        assert workload.message.startswith(expected), workload.message
        assert condition(result, "Ready").message == workload.message

    return check


def shutting_down(pods: list[Obj]) -> list[Obj]:
    """The pods, deleted a few seconds ago and still within their grace period."""
    for pod in pods:
        pod["metadata"]["deletionTimestamp"] = ts(NOW - 3 * SECOND)
    return pods


def _counts(**expected: int | None) -> Callable[[StatusResult], None]:
    def check(result: StatusResult) -> None:
        body = result.status.to_body()
        assert {key: body.get(key) for key in expected} == expected

    return check


def _napping(result: StatusResult) -> None:
    assert conditions(result)["WorkloadReady"] == ("True", "ReplicasReady")
    assert result.status.desired_replicas == 0


def _requeue_at_degraded_mark(result: StatusResult) -> None:
    assert result.status.unready_since == NOW - 2 * MINUTE
    assert result.recompute_at == NOW + 3 * MINUTE + timedelta(microseconds=1)


def _message_updated_time_kept(result: StatusResult) -> None:
    workload = condition(result, "WorkloadReady")
    assert "back-off 40s restarting failed container" in workload.message
    assert workload.last_transition_time == NOW - MINUTE
    assert condition(result, "Ready").last_transition_time == NOW - MINUTE


def _degraded_since(result: StatusResult) -> None:
    assert result.status.unready_since == NOW - 10 * MINUTE
    assert conditions(result)["WorkloadReady"] == ("Unknown", "ReplicasNotReady")


def _pod_24(result: StatusResult) -> None:
    assert (result.status.pending_replicas, result.status.failing_pods) == (1, 0)


def _with_scale(previous_desired: int, now_desired: int, direction: str) -> Callable[[StatusResult], None]:
    def check(result: StatusResult) -> None:
        assert (result.status.desired_replicas, result.status.last_scale_direction) == (
            now_desired,
            direction,
        )
        assert previous_desired != now_desired

    return check


APPLY_ERROR = (
    'Deployment.apps "text-processor" is invalid: spec.template.spec.containers[0].resources.requests: '
    'Invalid value: "2": must be less than or equal to cpu limit of 1'
)
AFFINITY = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
UNBOUND_PVC = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."


def _missing_secret(result: StatusResult) -> None:
    assert conditions(result)["TransportReady"] == ("Unknown", "SecretNotFound")
    assert conditions(result)["WorkloadReady"] == ("False", "ConfigError")
    assert result.status.transport_status == "NotReady"
    assert condition(result, "Ready").message.startswith('secret "rabbitmq-credentials"')


def _apply_failed(result: StatusResult) -> None:
    assert conditions(result)["WorkloadReady"] == ("False", "ApplyFailed")
    assert condition(result, "WorkloadReady").message == APPLY_ERROR


def _pods_failing(expected: str) -> Callable[[StatusResult], None]:
    def check(result: StatusResult) -> None:
        assert conditions(result)["WorkloadReady"] == ("False", "PodsFailing")
        assert condition(result, "WorkloadReady").message.startswith(expected)

    return check


def _without_workload() -> Obj:
    actor = actor_object()
    del actor["spec"]["workload"]
    return actor


def _unreadable(result: StatusResult) -> None:
    assert conditions(result)["WorkloadReady"] == ("False", "InvalidSpec")
    assert "spec.workload: Field required" in condition(result, "WorkloadReady").message
    assert result.status.workload_ref is None


def _keda_missing(result: StatusResult) -> None:
    assert conditions(result)["ScalingReady"] == ("False", "KEDANotInstalled")
    assert result.status.scaled_object_ref is None


P = name(0, "x")


def degraded_for_a_while(now: datetime) -> Observed:
    """Three of five pods ready, two running but never passing their readiness probe."""
    unready = [not_ready_pod(name(i, "n"), since=NOW - 11 * MINUTE) for i in range(2)]
    return manual(5, pods=[*ready_pods(3), *unready], now=now)


CASES: dict[str, Case] = {
    "01-new-actor-workload-not-observed": Case(lambda _: observe(), "Creating", _creating),
    "01b-workload-exists-but-its-controller-has-not-seen-it": Case(
        lambda _: observe(workload=deployment(observed=None)), "Creating", _creating
    ),
    "02-deletion-timestamp-set": Case(
        lambda _: manual(3, pods=ready_pods(3), actor=actor_object(replicas=3, deleting=NOW - 2 * SECOND)),
        "Terminating",
    ),
    "03-transport-unknown-in-operator-config": Case(
        lambda _: manual(
            1,
            pods=ready_pods(1),
            actor=actor_object(transport="kafka"),
            transport=TransportOutcome.failed(reason="TransportNotConfigured", message=NOT_CONFIGURED),
        ),
        "TransportError",
        _transport_error,
    ),
    "04-two-asya-runtime-containers": Case(
        lambda _: observe(
            actor=actor_object(containers=[{"name": RUNTIME, "image": "a"}, {"name": RUNTIME, "image": "b"}]),
            validation=[TWO_RUNTIMES_MESSAGE],
        ),
        "WorkloadError",
        _validation,
    ),
    "04b-two-asya-runtime-containers-transport-not-checked": Case(
        lambda _: observe(
            actor=actor_object(containers=[{"name": RUNTIME, "image": "a"}, {"name": RUNTIME, "image": "b"}]),
            validation=[TWO_RUNTIMES_MESSAGE],
            transport=TransportOutcome.unknown(reason="NotChecked", message="the spec is invalid"),
        ),
        "WorkloadError",
        _validation,
    ),
    "05-keda-reports-scaled-object-not-ready": Case(
        lambda _: keda(
            2,
            pods=ready_pods(2),
            scaled=scaled_object(
                ready="False",
                reason="ScaledObjectCheckFailed",
                message="ScaledObject doesn't have correct scaleTargetRef specification",
            ),
        ),
        "ScalingError",
        _scaling_error,
    ),
    "06-unschedulable-insufficient-cpu-event": Case(
        lambda _: manual(
            3,
            pods=[*ready_pods(2), unschedulable_pod(P, message=None)],
            events=[scheduler_event(P, INSUFFICIENT_CPU, first=NOW - MINUTE)],
        ),
        "PendingResources",
        _workload_message(f"pod {P}: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."),
    ),
    "07-runtime-image-pull-back-off": Case(
        lambda _: manual(
            1,
            pods=[
                waiting_pod(
                    P,
                    container=RUNTIME,
                    reason="ImagePullBackOff",
                    message='Back-off pulling image "registry.example.com/text-processor:v3"',
                )
            ],
        ),
        "ImagePullError",
        _workload_message(f"pod {P}: container asya-runtime in ImagePullBackOff: Back-off pulling image"),
    ),
    "08-sidecar-err-image-pull": Case(
        lambda _: manual(
            1,
            pods=[
                waiting_pod(
                    P,
                    container=SIDECAR,
                    reason="ErrImagePull",
                    message="rpc error: code = NotFound desc = failed to pull and unpack image "
                    '"ghcr.io/deliveryhero/asya-sidecar:0.4.2": not found',
                )
            ],
        ),
        "ImagePullError",
        _workload_message(f"pod {P}: container asya-sidecar in ErrImagePull: rpc error"),
    ),
    "09-runtime-crash-loop": Case(
        lambda _: manual(1, pods=[crashing_pod(P, container=RUNTIME)]),
        "RuntimeError",
        _workload_message(
            f"pod {P}: container asya-runtime in CrashLoopBackOff: back-off 40s restarting failed"
        ),
    ),
    "10-sidecar-crash-loop": Case(
        lambda _: manual(1, pods=[crashing_pod(P, container=SIDECAR)]),
        "SidecarError",
        _workload_message(
            f"pod {P}: container asya-sidecar in CrashLoopBackOff: back-off 40s restarting failed"
        ),
    ),
    "11-failed-mount-configmap-not-found": Case(
        lambda _: manual(
            1,
            pods=[starting_pod(P, age=3 * MINUTE)],
            events=[
                kubelet_event(
                    P, "FailedMount", CONFIGMAP_MOUNT, first=NOW - 3 * MINUTE, last=NOW - MINUTE, count=6
                )
            ],
        ),
        "VolumeError",
        _workload_message(f"pod {P}: FailedMount: {CONFIGMAP_MOUNT}"),
    ),
    "12-create-container-config-error-secret-not-found": Case(
        lambda _: manual(
            1,
            pods=[
                waiting_pod(
                    P,
                    container=SIDECAR,
                    reason="CreateContainerConfigError",
                    message='secret "db-credentials" not found',
                )
            ],
        ),
        "ConfigError",
        _workload_message(
            f"pod {P}: container asya-sidecar in CreateContainerConfigError: "
            'secret "db-credentials" not found'
        ),
    ),
    "13-ready-3-total-3-desired-10": Case(
        lambda _: keda(10, pods=ready_pods(3)),
        "ScalingUp",
        _counts(replicas=3, totalReplicas=3, desiredReplicas=10, readyReplicas=3),
    ),
    "14-ready-3-total-8-desired-3": Case(
        lambda _: keda(3, pods=[*ready_pods(3), *[starting_pod(name(i, "s"), age=MINUTE) for i in range(5)]]),
        "ScalingDown",
        _counts(replicas=3, pendingReplicas=5, totalReplicas=8, desiredReplicas=3),
    ),
    "15-ready-5-total-5-desired-5": Case(
        lambda _: manual(5, pods=ready_pods(5)),
        "Running",
        _counts(replicas=5, pendingReplicas=0, failingPods=0, totalReplicas=5, desiredReplicas=5),
    ),
    "16-scaling-on-desired-0-no-pods": Case(lambda _: keda(1, workload_replicas=0), "Napping", _napping),
    "17-ready-3-total-5-desired-5-for-10-min": Case(
        degraded_for_a_while,
        "Degraded",
        _degraded_since,
        earlier=10 * MINUTE,
    ),
    "18-same-for-2-min": Case(
        degraded_for_a_while,
        "ScalingUp",
        _requeue_at_degraded_mark,
        earlier=2 * MINUTE,
    ),
    "19-manual-replicas-0-no-pods": Case(
        lambda _: manual(0), "Running", _counts(replicas=0, totalReplicas=0, desiredReplicas=0)
    ),
    "20-ready-0-total-2-desired-1-runtime-crash-looping": Case(
        lambda _: manual(1, pods=[crashing_pod(name(0, "c")), crashing_pod(name(1, "c"))]),
        "RuntimeError",
        _counts(replicas=0, failingPods=2, totalReplicas=2, desiredReplicas=1),
    ),
    "21-ready-5-total-7-desired-5-two-failing": Case(
        lambda _: manual(5, pods=[*ready_pods(5), crashing_pod(name(0, "c")), crashing_pod(name(1, "c"))]),
        "ScalingDown",
        _counts(replicas=5, failingPods=2, totalReplicas=7, desiredReplicas=5),
    ),
    "22-ready-3-total-5-desired-5-two-crash-looping": Case(
        lambda _: manual(5, pods=[*ready_pods(3), crashing_pod(name(0, "c")), crashing_pod(name(1, "c"))]),
        "RuntimeError",
        _workload_message(f"pod {name(0, 'c')}: container asya-runtime in CrashLoopBackOff"),
    ),
    "23-seven-restarts-ready-for-an-hour": Case(
        lambda _: manual(
            1,
            pods=[
                ready_pod(
                    P, since=NOW - HOUR, restarts=7, last=last_terminated(finished=NOW - HOUR - 10 * SECOND)
                )
            ],
        ),
        "Running",
        _counts(replicas=1, failingPods=0, totalReplicas=1),
    ),
    "24-pod-ready-to-start-containers-false-for-5s": Case(
        lambda _: manual(1, pods=[starting_pod(P, age=5 * SECOND)]), "ScalingUp", _pod_24
    ),
    "25-condition-stays-false-message-changes": Case(
        lambda now: manual(1, pods=[crashing_pod(P, backoff="40s", restarts=3)], now=now),
        "RuntimeError",
        _message_updated_time_kept,
        earlier=MINUTE,
        first=lambda now: manual(1, pods=[crashing_pod(P, backoff="10s", restarts=1)], now=now),
    ),
    "26-degraded-clock-survives-a-restart": Case(
        degraded_for_a_while,
        "Degraded",
        _degraded_since,
        earlier=10 * MINUTE,
        via_api=True,
    ),
    # --- beyond the issue's table: every other way into each row --------------------------------------------
    "27-runtime-without-asya-handler": Case(
        lambda _: manual(1, actor=actor_object(containers=[{"name": RUNTIME, "image": "python:3.13-slim"}])),
        "ConfigError",
        _workload_message("container asya-runtime has no ASYA_HANDLER environment variable"),
    ),
    "28-missing-handler-outranks-the-crash-loop-it-causes": Case(
        lambda _: manual(
            1,
            actor=actor_object(
                containers=[
                    {
                        "name": RUNTIME,
                        "image": "x",
                        "env": [{"name": "ASYA_HANDLER_MODE", "value": "payload"}],
                    }
                ]
            ),
            pods=[crashing_pod(P)],
        ),
        "ConfigError",
        _workload_message("container asya-runtime has no ASYA_HANDLER"),
    ),
    "29-handler-possibly-through-env-from": Case(
        lambda _: manual(
            1,
            pods=[ready_pod(P)],
            actor=actor_object(
                containers=[
                    {"name": RUNTIME, "image": "x", "envFrom": [{"configMapRef": {"name": "handler-config"}}]}
                ]
            ),
        ),
        "Running",
    ),
    "30-handler-through-value-from": Case(
        lambda _: manual(
            1,
            pods=[ready_pod(P)],
            actor=actor_object(
                containers=[
                    {
                        "name": RUNTIME,
                        "image": "x",
                        "env": [
                            {
                                "name": "ASYA_HANDLER",
                                "valueFrom": {
                                    "configMapKeyRef": {"name": "handler-config", "key": "handler"}
                                },
                            }
                        ],
                    }
                ]
            ),
        ),
        "Running",
    ),
    "31-credentials-secret-missing": Case(
        lambda _: manual(
            1,
            transport=TransportOutcome.failed(
                reason="SecretNotFound",
                message='secret "rabbitmq-credentials" (key "password") not found in namespace default',
            ),
        ),
        "ConfigError",
        _missing_secret,
    ),
    "32-workload-cannot-be-applied": Case(
        lambda _: manual(1, workload_error=APPLY_ERROR), "WorkloadError", _apply_failed
    ),
    "33-user-init-container-crash-looping": Case(
        lambda _: manual(1, pods=[init_pod(P, init=crash_loop("migrate", P))]),
        "WorkloadError",
        _pods_failing(f"pod {P}: init container migrate in CrashLoopBackOff"),
    ),
    "34-unschedulable-for-node-affinity": Case(
        lambda _: manual(1, pods=[unschedulable_pod(P, message=AFFINITY)]),
        "WorkloadError",
        _pods_failing(f"pod {P}: Unschedulable: {AFFINITY}"),
    ),
    "35-unbound-persistent-volume-claim": Case(
        lambda _: manual(
            1,
            pods=[unschedulable_pod(P, message=None)],
            events=[scheduler_event(P, UNBOUND_PVC, first=NOW - 20 * SECOND)],
        ),
        "VolumeError",
    ),
    "36-evicted-pod-replaced-by-a-running-one": Case(
        lambda _: manual(1, pods=[evicted_pod(name(0, "e")), ready_pod(P)]),
        "Running",
        _counts(replicas=1, failingPods=1, totalReplicas=1),
    ),
    "36b-evicted-pod-not-yet-replaced": Case(
        lambda _: manual(1, pods=[evicted_pod(name(0, "e"))]),
        "ScalingUp",
        _counts(replicas=0, failingPods=1, totalReplicas=0, desiredReplicas=1),
    ),
    "37-unreadable-spec": Case(lambda _: observe(actor=_without_workload()), "WorkloadError", _unreadable),
    "38-keda-not-installed": Case(
        lambda _: keda(1, pods=ready_pods(1), scaling=ScalingOutcome.keda_not_installed()),
        "ScalingError",
        _keda_missing,
    ),
    "39-scaled-object-cannot-be-applied": Case(
        lambda _: keda(
            1, pods=ready_pods(1), scaling=ScalingOutcome.apply_failed("admission webhook denied it")
        ),
        "ScalingError",
    ),
    "40-napping-while-pods-still-shut-down": Case(
        lambda _: keda(2, workload_replicas=0, pods=ready_pods(2)), "Napping", _counts(totalReplicas=2)
    ),
    "41-short-of-pods-for-long-is-scaling-up": Case(
        lambda now: keda(6, pods=[*ready_pods(3), not_ready_pod(P, since=NOW - HOUR)], now=now),
        "ScalingUp",
        earlier=10 * MINUTE,
    ),
    "42-too-many-pods-for-long-is-scaling-down": Case(
        lambda now: keda(3, pods=[*ready_pods(3), not_ready_pod(P, since=NOW - HOUR)], now=now),
        "ScalingDown",
        earlier=10 * MINUTE,
    ),
    "43-unready-for-exactly-five-minutes-is-still-scaling-up": Case(
        degraded_for_a_while, "ScalingUp", earlier=5 * MINUTE
    ),
    "44-scaling-actor-without-workload-or-hpa": Case(
        lambda _: observe(actor=actor_object(scaling=True)), "Creating", _counts(desiredReplicas=None)
    ),
    "45-ready-pods-of-an-unobserved-workload": Case(
        lambda _: observe(workload=deployment(observed=None), pods=ready_pods(1)), "Creating"
    ),
    "46-seed-5-of-3-running-2-being-terminated": Case(
        lambda _: keda(3, pods=[*ready_pods(3), *shutting_down(ready_pods(2, prefix="t"))]),
        "ScalingDown",
        _counts(replicas=5, totalReplicas=5, desiredReplicas=3, failingPods=0),
    ),
    "47-scaled-to-zero-while-pods-shut-down": Case(
        lambda _: keda(1, workload_replicas=0, pods=shutting_down(ready_pods(2))),
        "Napping",
        _counts(totalReplicas=2, desiredReplicas=0),
    ),
}


def _run(case: Case) -> StatusResult:
    observed = case.observed(NOW)
    if case.earlier is None:
        return compute_status(observed)
    first = compute_status((case.first or case.observed)(NOW - case.earlier))
    return compute_status(later(first, observed, via_api=case.via_api))


@pytest.mark.parametrize("case_id", CASES)
def test_status_table(case_id: str) -> None:
    case = CASES[case_id]
    result = _run(case)
    assert result.status.status == case.status, result.status.conditions
    case.check(result)


@pytest.mark.parametrize("case_id", CASES)
def test_every_status_carries_generation_summary_and_consistent_counts(case_id: str) -> None:
    """Invariants of every row: kstatus-compatible Ready, observedGeneration everywhere, counts add up."""
    result = _run(CASES[case_id])
    status = result.status
    ready = condition(result, "Ready")
    assert ready.status == ("True" if status.status in ("Running", "Napping") else "False")
    assert ready.reason == status.status
    assert status.observed_generation == 1
    assert all(c.observed_generation == 1 for c in status.conditions)
    assert status.ready_replicas == status.replicas
    # Pods in phase Failed are failing but, having terminated, not part of the total.
    live = (status.replicas or 0) + (status.pending_replicas or 0)
    assert live <= (status.total_replicas or 0) <= live + (status.failing_pods or 0)
    assert [c.type for c in status.conditions][:2] == ["TransportReady", "WorkloadReady"]
    assert ("ScalingReady" in conditions(result)) == (status.scaling_mode == "KEDA")
    assert AsyncActorStatus.model_validate(status.to_body()) == status


# --- priority between rows ----------------------------------------------------------------------------------


def test_terminating_outranks_every_error() -> None:
    observed = manual(
        1,
        actor=actor_object(deleting=NOW),
        pods=[crashing_pod(P)],
        transport=TransportOutcome.failed(reason="BrokerUnavailable", message="connection refused"),
        validation=[TWO_RUNTIMES_MESSAGE],
    )
    assert compute_status(observed).status.status == "Terminating"


def test_transport_error_outranks_workload_errors() -> None:
    observed = manual(
        1,
        pods=[crashing_pod(P)],
        transport=TransportOutcome.failed(
            reason="AuthenticationFailed", message="ACCESS_REFUSED: wrong password"
        ),
        validation=[TWO_RUNTIMES_MESSAGE],
    )
    assert compute_status(observed).status.status == "TransportError"


def test_workload_errors_outrank_scaling_error() -> None:
    observed = keda(1, pods=[crashing_pod(P)], scaling=ScalingOutcome.keda_not_installed())
    assert compute_status(observed).status.status == "RuntimeError"


def test_scaling_error_outranks_creating() -> None:
    observed = observe(actor=actor_object(scaling=True), scaling=ScalingOutcome.keda_not_installed())
    assert compute_status(observed).status.status == "ScalingError"


def test_invalid_spec_outranks_a_missing_handler() -> None:
    actor = actor_object(containers=[{"name": RUNTIME, "image": "a"}, {"name": RUNTIME, "image": "b"}])
    result = compute_status(manual(1, actor=actor, validation=[TWO_RUNTIMES_MESSAGE]))
    assert conditions(result)["WorkloadReady"] == ("False", "InvalidSpec")


FAILURES: dict[str, Callable[[str], tuple[list[Obj], list[Obj]]]] = {
    "PendingResources": lambda pod: (
        [unschedulable_pod(pod, message=None)],
        [scheduler_event(pod, INSUFFICIENT_CPU, first=NOW - MINUTE)],
    ),
    "ImagePullError": lambda pod: (
        [
            waiting_pod(
                pod, container=RUNTIME, reason="ImagePullBackOff", message='Back-off pulling image "x"'
            )
        ],
        [],
    ),
    "RuntimeError": lambda pod: ([crashing_pod(pod, container=RUNTIME)], []),
    "SidecarError": lambda pod: ([crashing_pod(pod, container=SIDECAR)], []),
    "VolumeError": lambda pod: (
        [starting_pod(pod, age=MINUTE)],
        [kubelet_event(pod, "FailedMount", CONFIGMAP_MOUNT, last=NOW)],
    ),
    "ConfigError": lambda pod: (
        [
            waiting_pod(
                pod,
                container=RUNTIME,
                reason="CreateContainerConfigError",
                message="couldn't find key password in Secret default/db-credentials",
            )
        ],
        [],
    ),
    "WorkloadError": lambda pod: ([init_pod(pod, init=crash_loop("migrate", pod))], []),
}
ORDER = list(FAILURES)
PAIRS = [(ORDER[i], ORDER[j]) for i in range(len(ORDER)) for j in range(i + 1, len(ORDER))]


@pytest.mark.parametrize(("higher", "lower"), PAIRS, ids=[f"{h}>{lo}" for h, lo in PAIRS])
def test_workload_failure_classes_rank_in_the_contracts_order(higher: str, lower: str) -> None:
    """The higher class wins although its pod sorts after the lower class's pod."""
    lower_pods, lower_events = FAILURES[lower](name(0, "a"))
    higher_pods, higher_events = FAILURES[higher](name(0, "b"))
    observed = manual(2, pods=[*lower_pods, *higher_pods], events=[*lower_events, *higher_events])
    result = compute_status(observed)
    assert result.status.status == higher
    assert condition(result, "WorkloadReady").message.startswith(f"pod {name(0, 'b')}: ")
    assert condition(result, "WorkloadReady").message.endswith("(and 1 more failing pods)")


@pytest.mark.parametrize("kind", ORDER)
def test_failing_pods_are_no_error_while_enough_replicas_are_ready(kind: str) -> None:
    pods, events = FAILURES[kind](P)
    result = compute_status(manual(2, pods=[*ready_pods(2), *pods], events=events))
    assert result.status.status == "ScalingDown"
    assert conditions(result)["WorkloadReady"] == ("True", "ReplicasReady")
