"""Conditions, clocks and fields of the computed status (contract §1.2, §3, §7)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from controller.actor.observed import Observed, TransportOutcome, WorkloadState
from controller.actor.pods import PodCause
from controller.actor.status import classify_cause, compute_status, desired_replicas
from controller.api.models import AsyncActorSpec
from tests.unit.actor.objects import (
    ACTOR,
    HOUR,
    MINUTE,
    NAMESPACE,
    NOW,
    RUNTIME,
    SECOND,
    SIDECAR,
    actor_object,
    crashing_pod,
    deployment,
    evicted_pod,
    not_ready_pod,
    ready_pod,
    scaled_object,
    starting_pod,
    ts,
)
from tests.unit.actor.observing import condition, conditions, keda, later, manual, name, observe, ready_pods

USEC = timedelta(microseconds=1)


def again(observed: Observed, *, after: timedelta, **changes: Any) -> Observed:
    """The next reconcile ``after`` later, with the status just computed as the previous one."""
    previous = compute_status(observed)
    return dataclasses.replace(later(previous, observed), now=observed.now + after, **changes)


# --- lastTransitionTime -------------------------------------------------------------------------------------


def test_first_status_stamps_every_condition_with_now_in_whole_seconds() -> None:
    result = compute_status(manual(1, pods=ready_pods(1), now=NOW + 250_000 * USEC))
    assert {c.last_transition_time for c in result.status.conditions} == {NOW}


def test_flip_moves_the_transition_time_of_the_flipped_conditions_only() -> None:
    running = manual(1, pods=[ready_pod(name(0))], now=NOW - HOUR)
    crashing = again(running, after=HOUR, pods=manual(1, pods=[crashing_pod(name(0))]).pods)
    result = compute_status(crashing)
    assert result.status.status == "RuntimeError"
    times = {c.type: c.last_transition_time for c in result.status.conditions}
    assert times == {"TransportReady": NOW - HOUR, "WorkloadReady": NOW, "Ready": NOW}


def test_reason_changes_without_a_flip_keep_the_transition_time() -> None:
    runtime = manual(1, pods=[crashing_pod(name(0), container=RUNTIME)], now=NOW - 5 * MINUTE)
    sidecar = again(
        runtime, after=5 * MINUTE, pods=manual(1, pods=[crashing_pod(name(0), container=SIDECAR)]).pods
    )
    result = compute_status(sidecar)
    workload = condition(result, "WorkloadReady")
    assert (result.status.status, workload.reason) == ("SidecarError", "SidecarError")
    assert workload.last_transition_time == NOW - 5 * MINUTE
    assert condition(result, "Ready").reason == "SidecarError"


def test_new_generation_is_observed_by_every_condition_without_moving_its_time() -> None:
    first = compute_status(manual(1, pods=ready_pods(1), now=NOW - HOUR))
    edited = actor_object(generation=2, status=first.status.to_body())
    result = compute_status(manual(1, pods=ready_pods(1), actor=edited))
    assert result.status.observed_generation == 2
    assert {(c.observed_generation, c.last_transition_time) for c in result.status.conditions} == {
        (2, NOW - HOUR)
    }


def test_ready_is_false_from_the_first_reconcile_as_kstatus_needs() -> None:
    assert conditions(compute_status(observe()))["Ready"] == ("False", "Creating")


def test_ready_flips_true_when_the_actor_becomes_running() -> None:
    starting = manual(1, pods=[starting_pod(name(0))], now=NOW - MINUTE)
    result = compute_status(again(starting, after=MINUTE, pods=manual(1, pods=ready_pods(1, prefix="")).pods))
    ready = condition(result, "Ready")
    assert (ready.status, ready.reason, ready.message) == ("True", "Running", "1/1 replicas ready, 1 pods")
    assert ready.last_transition_time == NOW


def test_status_computed_again_unchanged_is_identical_so_nothing_is_written() -> None:
    for observed in (
        manual(5, pods=ready_pods(5)),
        manual(1, pods=[crashing_pod(name(0))]),
        keda(0, workload_replicas=0),
        manual(5, pods=[*ready_pods(3), not_ready_pod(name(0, "n"), since=NOW - HOUR)]),
    ):
        first = compute_status(observed)
        second = compute_status(
            dataclasses.replace(later(first, observed, via_api=True), now=NOW + 10 * SECOND)
        )
        assert second.status.to_body() == first.status.to_body()


# --- ScalingReady -------------------------------------------------------------------------------------------


def test_scaling_ready_mirrors_keda_and_carries_its_message() -> None:
    result = compute_status(keda(2, pods=ready_pods(2)))
    ready = condition(result, "ScalingReady")
    assert (ready.status, ready.reason) == ("True", "ScaledObjectReady")
    assert ready.message == "ScaledObject is defined correctly and is ready for scaling"


def test_scaling_ready_is_unknown_until_keda_reports() -> None:
    result = compute_status(keda(2, pods=ready_pods(2), scaled=scaled_object(ready=None)))
    assert conditions(result)["ScalingReady"] == ("Unknown", "ScaledObjectPending")
    assert result.status.status == "Running"


def test_scaling_ready_is_unknown_before_the_scaled_object_is_applied() -> None:
    result = compute_status(keda(2, pods=ready_pods(2), scaled=None))
    assert conditions(result)["ScalingReady"] == ("Unknown", "ScaledObjectPending")
    assert result.status.scaled_object_ref is None


def test_keda_reason_that_is_no_valid_condition_reason_is_replaced() -> None:
    scaled = scaled_object(ready="False", reason="", message="")
    assert conditions(compute_status(keda(1, scaled=scaled)))["ScalingReady"] == (
        "False",
        "ScaledObjectNotReady",
    )


def test_switching_scaling_off_removes_scaling_ready_and_the_scaled_object_ref() -> None:
    on = compute_status(keda(2, pods=ready_pods(2), now=NOW - MINUTE))
    assert on.status.scaled_object_ref is not None
    off = actor_object(replicas=2, generation=2, status=on.status.to_body())
    result = compute_status(manual(2, pods=ready_pods(2), actor=off))
    assert "ScalingReady" not in conditions(result)
    assert (result.status.scaled_object_ref, result.status.scaling_mode) == (None, "Manual")


# --- fields -------------------------------------------------------------------------------------------------


def test_counts_of_a_mixed_set_of_pods() -> None:
    pods = [*ready_pods(2), starting_pod(name(0, "s")), crashing_pod(name(0, "c")), evicted_pod(name(0, "e"))]
    body = compute_status(manual(4, pods=pods)).status.to_body()
    assert {
        key: body[key]
        for key in (
            "replicas",
            "readyReplicas",
            "pendingReplicas",
            "failingPods",
            "totalReplicas",
            "desiredReplicas",
        )
    } == {
        "replicas": 2,
        "readyReplicas": 2,
        "pendingReplicas": 1,
        "failingPods": 2,
        "totalReplicas": 4,
        "desiredReplicas": 4,
    }


def test_queue_figures_are_shown_and_absent_when_the_transport_cannot_tell() -> None:
    known = compute_status(
        manual(1, transport=TransportOutcome.ready(queued=12, processing=3))
    ).status.to_body()
    assert (known["queuedMessages"], known["processingMessages"], known["transportStatus"]) == (
        12,
        3,
        "Ready",
    )
    passive = compute_status(manual(1, transport=TransportOutcome.ready(queued=12))).status.to_body()
    assert "processingMessages" not in passive
    failed = TransportOutcome.failed(reason="BrokerUnavailable", message="connection refused")
    body = compute_status(manual(1, transport=failed)).status.to_body()
    assert "queuedMessages" not in body
    assert "processingMessages" not in body


def test_references_to_the_workload_and_scaled_object() -> None:
    observed = observe(actor=actor_object(scaling=True, kind="StatefulSet"), scaled=scaled_object())
    body = compute_status(observed).status.to_body()
    assert body["workloadRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": ACTOR,
        "namespace": NAMESPACE,
    }
    assert body["scaledObjectRef"] == {"name": ACTOR, "namespace": NAMESPACE}
    assert body["scalingMode"] == "KEDA"


def test_a_long_message_is_cut_to_the_api_limit() -> None:
    result = compute_status(manual(1, validation=["x" * 40_000]))
    assert len(condition(result, "WorkloadReady").message) == 32768


def test_status_body_is_what_the_api_server_stores() -> None:
    body = compute_status(manual(1, pods=ready_pods(1))).status.to_body()
    assert body["status"] == "Running"
    assert body["lastScaleFormatted"] == "-"
    assert body["conditions"][0] == {
        "type": "TransportReady",
        "status": "True",
        "observedGeneration": 1,
        "lastTransitionTime": ts(NOW),
        "reason": "QueueReady",
        "message": "",
    }
    assert "unreadySince" not in body


# --- desired replicas ---------------------------------------------------------------------------------------

SPEC = AsyncActorSpec.model_validate(actor_object(replicas=4)["spec"])
KEDA_SPEC = AsyncActorSpec.model_validate(actor_object(scaling=True)["spec"])


@pytest.mark.parametrize(
    ("spec", "workload", "hpa", "desired"),
    [
        (SPEC, 7, None, 4),
        (SPEC, None, 9, 4),
        (KEDA_SPEC, 3, 6, 6),
        (KEDA_SPEC, 0, 1, 0),
        (KEDA_SPEC, 2, None, 2),
        (KEDA_SPEC, None, None, None),
        (None, 3, None, 3),
    ],
    ids=[
        "manual-from-spec",
        "manual-ignores-hpa",
        "keda-from-hpa",
        "keda-workload-at-zero",
        "keda-before-hpa",
        "keda-nothing-known",
        "unreadable-spec",
    ],
)
def test_desired_replicas(
    spec: AsyncActorSpec | None, workload: int | None, hpa: int | None, desired: int | None
) -> None:
    state = WorkloadState(name=ACTOR, replicas=workload) if workload is not None else None
    assert desired_replicas(spec, state, hpa) == desired


# --- last scale ---------------------------------------------------------------------------------------------


def test_first_status_has_never_scaled() -> None:
    result = compute_status(keda(3, pods=ready_pods(3)))
    assert (result.status.last_scale_time, result.status.last_scale_formatted) == (None, "-")
    assert result.recompute_at is None


@pytest.mark.parametrize(("before", "after", "direction"), [(3, 5, "up"), (5, 2, "down"), (1, 0, "down")])
def test_change_of_desired_is_a_scale_with_its_direction(before: int, after: int, direction: str) -> None:
    first = keda(before, now=NOW - HOUR + 500_000 * USEC)
    result = compute_status(
        again(
            first,
            after=HOUR - 500_000 * USEC,
            hpa_desired_replicas=after,
            workload=WorkloadState.from_object(deployment(replicas=after)),
        )
    )
    assert (result.status.last_scale_time, result.status.last_scale_direction) == (NOW, direction)
    assert result.status.last_scale_formatted == f"0s ago ({direction})"
    assert result.recompute_at == NOW + 15 * SECOND


def test_last_scale_is_kept_and_its_text_ages_while_desired_holds() -> None:
    status = {
        "desiredReplicas": 3,
        "lastScaleTime": ts(NOW - 5 * MINUTE - 20 * SECOND),
        "lastScaleDirection": "down",
    }
    result = compute_status(keda(3, pods=ready_pods(3), actor=actor_object(scaling=True, status=status)))
    assert (result.status.last_scale_time, result.status.last_scale_direction) == (
        NOW - 5 * MINUTE - 20 * SECOND,
        "down",
    )
    assert result.status.last_scale_formatted == "5m ago (down)"
    assert result.recompute_at == NOW + 40 * SECOND


def test_recompute_at_the_earlier_of_the_degraded_mark_and_the_scale_text() -> None:
    status = {
        "desiredReplicas": 2,
        "lastScaleTime": ts(NOW - 2 * HOUR),
        "lastScaleDirection": "up",
        "unreadySince": ts(NOW - 4 * MINUTE),
    }
    pods = [ready_pod(name(0)), not_ready_pod(name(1), since=NOW - HOUR)]
    result = compute_status(manual(2, pods=pods, actor=actor_object(replicas=2, status=status)))
    assert result.status.status == "ScalingUp"
    assert result.recompute_at == NOW + MINUTE + USEC


def test_the_degraded_mark_flips_the_status_when_recomputed_then() -> None:
    pods = [ready_pod(name(0)), not_ready_pod(name(1), since=NOW - HOUR)]
    first = compute_status(manual(2, pods=pods))
    assert first.recompute_at == NOW + 5 * MINUTE + USEC
    observed = dataclasses.replace(later(first, manual(2, pods=pods)), now=first.recompute_at)
    result = compute_status(observed)
    assert result.status.status == "Degraded"
    assert result.recompute_at is None
    assert condition(result, "Ready").message == f"1/2 pods ready since {ts(NOW)}"


def test_degraded_clock_stops_once_every_pod_is_ready() -> None:
    status = {"desiredReplicas": 2, "unreadySince": ts(NOW - HOUR), "status": "Degraded"}
    result = compute_status(manual(2, pods=ready_pods(2), actor=actor_object(replicas=2, status=status)))
    assert (result.status.status, result.status.unready_since, result.recompute_at) == ("Running", None, None)


def test_degraded_clock_from_another_replicas_clock_ahead_waits_for_its_mark() -> None:
    status = {"desiredReplicas": 2, "unreadySince": ts(NOW + 30 * SECOND)}
    pods = [ready_pod(name(0)), not_ready_pod(name(1), since=NOW - HOUR)]
    result = compute_status(manual(2, pods=pods, actor=actor_object(replicas=2, status=status)))
    assert result.status.status == "ScalingUp"
    assert result.recompute_at == NOW + 5 * MINUTE + 30 * SECOND + USEC


# --- cause classification -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "kind"),
    [
        (
            PodCause(
                pod="p",
                reason="Unschedulable",
                message="0/5 nodes are available: 5 Insufficient nvidia.com/gpu.",
            ),
            "PendingResources",
        ),
        (
            PodCause(
                pod="p", reason="Unschedulable", message="0/2 nodes are available: 2 Insufficient memory."
            ),
            "PendingResources",
        ),
        (
            PodCause(
                pod="p", container=RUNTIME, reason="InvalidImageName", message="invalid reference format"
            ),
            "ImagePullError",
        ),
        (
            PodCause(
                pod="p",
                container=SIDECAR,
                reason="Failed",
                message='Failed to pull image "x": 401 Unauthorized',
            ),
            "ImagePullError",
        ),
        (
            PodCause(pod="p", container=RUNTIME, reason="Restarting", message="restarted 8 times"),
            "RuntimeError",
        ),
        (
            PodCause(pod="p", container=SIDECAR, reason="Restarting", message="restarted 6 times"),
            "SidecarError",
        ),
        (PodCause(pod="p", reason="FailedAttachVolume", message="AttachVolume.Attach failed"), "VolumeError"),
        (
            PodCause(
                pod="p",
                container=RUNTIME,
                reason="CreateContainerConfigError",
                message='configmap "handler-config" not found',
            ),
            "ConfigError",
        ),
        (
            PodCause(
                pod="p",
                container=RUNTIME,
                reason="CreateContainerConfigError",
                message="container has runAsNonRoot and image will run as root",
            ),
            "WorkloadError",
        ),
        (
            PodCause(pod="p", container="helper", reason="CrashLoopBackOff", message="back-off 5m0s"),
            "WorkloadError",
        ),
        (
            PodCause(
                pod="p", container=RUNTIME, init_container=True, reason="CrashLoopBackOff", message="back-off"
            ),
            "WorkloadError",
        ),
        (
            PodCause(
                pod="p",
                container="loader",
                reason="CrashLoopBackOff",
                message="back-off 1m20s: loader exited: Insufficient rows in seed table",
            ),
            "WorkloadError",
        ),
        (
            PodCause(pod="p", reason="FailedCreatePodSandBox", message="failed to setup network"),
            "WorkloadError",
        ),
    ],
)
def test_cause_classification(cause: PodCause, kind: str) -> None:
    assert classify_cause(cause) == kind
