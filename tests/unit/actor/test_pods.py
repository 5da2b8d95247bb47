"""Pods are running, pending or failing by contract §4, with causes in the kubelet's and scheduler's words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from controller.actor.pods import (
    EVENT_FIELDS,
    POD_FIELDS,
    RESTARTING,
    PodCause,
    PodState,
    classify_pod,
    classify_pods,
    event_time,
)
from tests.unit.actor.objects import (
    CONFIGMAP_MOUNT,
    HOUR,
    INSUFFICIENT_CPU,
    MINUTE,
    NOW,
    RUNTIME,
    SECOND,
    SIDECAR,
    crash_loop,
    crashing_pod,
    evicted_pod,
    init_pod,
    kubelet_event,
    last_terminated,
    micro,
    not_ready_pod,
    ready_pod,
    running,
    scheduler_event,
    starting_pod,
    trim,
    ts,
    unschedulable_pod,
    waiting,
    waiting_pod,
)

POD = "text-processor-7d9c8b6f5-x2k4q"


def phase(pod: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    state = classify_pod(pod, events or [], now=NOW)
    assert state is not None
    return state.phase


def only(state: PodState | None) -> PodCause:
    assert state is not None
    assert len(state.causes) == 1, state.causes
    return state.causes[0]


# --- running and pending ------------------------------------------------------------------------------------


def test_ready_pod_is_running() -> None:
    assert classify_pod(ready_pod(POD), [], now=NOW) == PodState(name=POD, phase="running")


def test_seven_restarts_but_ready_for_an_hour_is_running() -> None:
    """Issue 2, case 23: old restarts of a pod that has been fine since do not make it failing."""
    pod = ready_pod(POD, since=NOW - HOUR, restarts=7, last=last_terminated(finished=NOW - HOUR - 5 * SECOND))
    assert classify_pod(pod, [], now=NOW) == PodState(name=POD, phase="running")


def test_merely_starting_pod_is_pending_not_failing() -> None:
    """Issue 2, case 24: PodReadyToStartContainers=False for 5 s, containers being created."""
    assert classify_pod(starting_pod(POD, age=5 * SECOND), [], now=NOW) == PodState(name=POD, phase="pending")


def test_pod_waiting_for_its_readiness_probe_is_pending() -> None:
    assert phase(not_ready_pod(POD, since=NOW - 20 * SECOND), []) == "pending"


def test_pod_whose_init_container_runs_is_pending() -> None:
    init = running("migrate", since=NOW - 30 * SECOND, ready=False)
    assert classify_pod(init_pod(POD, init=init), [], now=NOW) == PodState(name=POD, phase="pending")


def test_normal_events_of_a_starting_pod_do_not_make_it_failing() -> None:
    events = [
        kubelet_event(POD, "Pulling", f'Pulling image "{RUNTIME}"', last=NOW - 3 * SECOND, kind="Normal"),
        kubelet_event(
            POD, "Scheduled", "Successfully assigned default/x to worker-2", last=NOW, kind="Normal"
        ),
    ]
    assert phase(starting_pod(POD), events) == "pending"


def test_five_restarts_and_not_ready_is_still_pending() -> None:
    """The restart rule needs more than five restarts."""
    pod = not_ready_pod(
        POD, since=NOW - 5 * SECOND, restarts=5, last=last_terminated(finished=NOW - 6 * SECOND)
    )
    assert phase(pod, []) == "pending"


# --- failing: container states ------------------------------------------------------------------------------

WAITING_FAILURES = [
    ("CrashLoopBackOff", f"back-off 40s restarting failed container={RUNTIME} pod={POD}_default(4b1c)"),
    ("ImagePullBackOff", 'Back-off pulling image "registry.example.com/text-processor:v3"'),
    (
        "ErrImagePull",
        "rpc error: code = NotFound desc = failed to pull and unpack image "
        '"registry.example.com/text-processor:v3": failed to resolve reference '
        '"registry.example.com/text-processor:v3": not found',
    ),
    ("CreateContainerError", "failed to reserve container name: name is reserved"),
    ("CreateContainerConfigError", 'secret "db-credentials" not found'),
    ("InvalidImageName", 'Failed to apply default image tag "Registry/Text:v3": invalid reference format'),
    (
        "RunContainerError",
        'failed to create containerd task: exec: "python3": executable file not found in $PATH: unknown',
    ),
]


@pytest.mark.parametrize(("reason", "message"), WAITING_FAILURES, ids=[r for r, _ in WAITING_FAILURES])
@pytest.mark.parametrize("container", [RUNTIME, SIDECAR])
def test_app_container_waiting_for_a_failure_reason_makes_the_pod_failing(
    container: str, reason: str, message: str
) -> None:
    pod = waiting_pod(POD, container=container, reason=reason, message=message)
    state = classify_pod(pod, [], now=NOW)
    assert state is not None
    assert state.phase == "failing"
    assert only(state) == PodCause(pod=POD, container=container, reason=reason, message=message)


@pytest.mark.parametrize(("reason", "message"), WAITING_FAILURES, ids=[r for r, _ in WAITING_FAILURES])
def test_init_container_waiting_for_a_failure_reason_makes_the_pod_failing(reason: str, message: str) -> None:
    pod = init_pod(POD, init=waiting("migrate", reason, message, restarts=2))
    cause = only(classify_pod(pod, [], now=NOW))
    assert cause == PodCause(
        pod=POD, container="migrate", init_container=True, reason=reason, message=message
    )
    assert cause.text == f"pod {POD}: init container migrate in {reason}: {message}"


def test_cause_names_pod_container_and_the_kubelets_words() -> None:
    cause = only(classify_pod(crashing_pod(POD, backoff="40s"), [], now=NOW))
    assert cause.text.startswith(
        f"pod {POD}: container asya-runtime in CrashLoopBackOff: back-off 40s restarting failed container"
    )


def test_crash_looping_sidecar_is_named_as_the_sidecar() -> None:
    cause = only(classify_pod(crashing_pod(POD, container=SIDECAR), [], now=NOW))
    assert (cause.container, cause.reason) == (SIDECAR, "CrashLoopBackOff")


def test_more_than_five_restarts_and_not_ready_is_failing() -> None:
    last = last_terminated(finished=NOW - 40 * MINUTE, reason="OOMKilled", exit_code=137)
    pod = not_ready_pod(POD, since=NOW - 30 * SECOND, restarts=6, last=last)
    cause = only(classify_pod(pod, [], now=NOW))
    assert (cause.container, cause.reason) == (RUNTIME, RESTARTING)
    assert cause.text == (
        f"pod {POD}: container asya-runtime restarting: restarted 6 times, last terminated with OOMKilled "
        "(exit code 137)"
    )


def test_ready_pod_that_restarted_in_the_last_ten_minutes_with_many_restarts_is_failing() -> None:
    """A container that flaps between crash and ready is failing even while it happens to be up."""
    pod = ready_pod(POD, since=NOW - 2 * MINUTE, restarts=9, last=last_terminated(finished=NOW - 2 * MINUTE))
    state = classify_pod(pod, [], now=NOW)
    assert state is not None
    assert state.phase == "failing"
    assert state.causes[0].reason == RESTARTING


def test_crash_loop_is_reported_once_not_also_as_restarting() -> None:
    state = classify_pod(crashing_pod(POD, restarts=12), [], now=NOW)
    assert state is not None
    assert [cause.reason for cause in state.causes] == ["CrashLoopBackOff"]


def test_every_failing_container_of_a_pod_is_a_cause() -> None:
    pod = crashing_pod(POD)
    pod["status"]["containerStatuses"][1] = crash_loop(SIDECAR, POD)
    state = classify_pod(pod, [], now=NOW)
    assert state is not None
    assert [cause.container for cause in state.causes] == [RUNTIME, SIDECAR]


def test_evicted_pod_is_failing_and_terminated() -> None:
    state = classify_pod(evicted_pod(POD), [], now=NOW)
    assert state is not None
    assert (state.phase, state.terminated) == ("failing", True)
    assert only(state).text.startswith(f"pod {POD}: Evicted: The node was low on resource: memory.")


# --- failing: scheduling ------------------------------------------------------------------------------------


def test_unschedulable_pod_is_failing_with_the_schedulers_event_message() -> None:
    pod = unschedulable_pod(POD, message=None)
    events = [scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - 2 * MINUTE)]
    cause = only(classify_pod(pod, events, now=NOW))
    assert cause == PodCause(pod=POD, reason="Unschedulable", message=INSUFFICIENT_CPU)
    assert cause.text == f"pod {POD}: Unschedulable: {INSUFFICIENT_CPU}"


def test_latest_scheduling_event_wins_over_older_ones_and_the_condition() -> None:
    pod = unschedulable_pod(POD, message="0/3 nodes are available: 3 node(s) had untolerated taint.")
    events = [
        scheduler_event(
            POD, "0/3 nodes are available: 3 node(s) had untolerated taint.", first=NOW - 8 * MINUTE
        ),
        scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - 4 * MINUTE, last=NOW - 30 * SECOND),
    ]
    assert only(classify_pod(pod, events, now=NOW)).message == INSUFFICIENT_CPU


def test_unschedulable_pod_without_recent_events_keeps_the_condition_message() -> None:
    message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    pod = unschedulable_pod(POD, message=message, age=HOUR)
    events = [scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - HOUR)]
    assert only(classify_pod(pod, events, now=NOW)).message == message


def test_recent_scheduling_failure_of_an_unscheduled_pod_without_condition_is_failing() -> None:
    pod = unschedulable_pod(POD, message=None)
    pod["status"]["conditions"] = []
    events = [scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - 10 * SECOND)]
    assert only(classify_pod(pod, events, now=NOW)).reason == "Unschedulable"


def test_old_scheduling_failure_of_a_scheduled_pod_is_ignored() -> None:
    events = [scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - 3 * MINUTE)]
    assert phase(starting_pod(POD), events) == "pending"


def test_scheduler_series_keeps_an_old_event_recent() -> None:
    event = scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - HOUR, last=NOW - MINUTE)
    assert event_time(event) == NOW - MINUTE


# --- failing: events ----------------------------------------------------------------------------------------


def test_failed_mount_event_makes_a_creating_pod_failing() -> None:
    """Issue 2, case 11: the kubelet's FailedMount is the only sign of the missing ConfigMap."""
    pod = starting_pod(POD, age=3 * MINUTE)
    events = [
        kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, first=NOW - 3 * MINUTE, last=NOW - MINUTE, count=5)
    ]
    assert only(classify_pod(pod, events, now=NOW)) == PodCause(
        pod=POD, reason="FailedMount", message=CONFIGMAP_MOUNT
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("FailedAttachVolume", 'AttachVolume.Attach failed for volume "pvc-3f1c" : rpc error: timed out'),
        (
            "FailedCreatePodSandBox",
            "Failed to create pod sandbox: rpc error: code = Unknown desc = "
            'failed to setup network for sandbox "9a1"',
        ),
        ("Failed", "Error: context deadline exceeded"),
    ],
)
def test_recent_warning_events_that_mean_failure(reason: str, message: str) -> None:
    events = [kubelet_event(POD, reason, message, last=NOW - 20 * SECOND)]
    assert only(classify_pod(starting_pod(POD, age=MINUTE), events, now=NOW)).reason == reason


def test_event_older_than_ten_minutes_is_ignored() -> None:
    pod = starting_pod(POD, age=HOUR)
    events = [kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW - 10 * MINUTE - SECOND)]
    assert phase(pod, events) == "pending"


def test_event_exactly_ten_minutes_old_still_counts() -> None:
    events = [kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW - 10 * MINUTE)]
    assert phase(starting_pod(POD, age=HOUR), events) == "failing"


def test_normal_event_with_a_failure_reason_is_ignored() -> None:
    events = [kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW, kind="Normal")]
    assert phase(starting_pod(POD), events) == "pending"


def test_events_of_another_pod_are_ignored() -> None:
    events = [kubelet_event("text-processor-7d9c8b6f5-zzzzz", "FailedMount", CONFIGMAP_MOUNT, last=NOW)]
    assert phase(starting_pod(POD), events) == "pending"


def test_events_of_a_previous_pod_with_the_same_name_are_ignored() -> None:
    """A StatefulSet pod returns under its old name; its predecessor's events are not about it."""
    events = [kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW, pod_uid="0000-old")]
    assert phase(starting_pod(POD), events) == "pending"


def test_ready_pod_is_not_made_failing_by_events_it_got_past() -> None:
    events = [kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW - 4 * MINUTE)]
    assert phase(ready_pod(POD, since=NOW - 2 * MINUTE), events) == "running"


def test_failed_event_names_the_container_from_its_field_path() -> None:
    message = 'Failed to pull image "registry.example.com/text-processor:v3": 429 Too Many Requests'
    events = [kubelet_event(POD, "Failed", message, last=NOW, container=RUNTIME)]
    cause = only(classify_pod(starting_pod(POD), events, now=NOW))
    assert (cause.container, cause.reason, cause.message) == (RUNTIME, "Failed", message)


def test_event_about_a_container_whose_state_already_explains_it_is_not_repeated() -> None:
    pod = waiting_pod(POD, container=RUNTIME, reason="ImagePullBackOff", message='Back-off pulling image "x"')
    events = [kubelet_event(POD, "Failed", "Error: ImagePullBackOff", last=NOW, container=RUNTIME)]
    assert only(classify_pod(pod, events, now=NOW)).reason == "ImagePullBackOff"


def test_repeated_events_with_the_same_message_are_one_cause() -> None:
    events = [
        kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW - 2 * MINUTE),
        kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW - MINUTE),
    ]
    only(classify_pod(starting_pod(POD, age=3 * MINUTE), events, now=NOW))


# --- not part of the actor ----------------------------------------------------------------------------------


def test_pod_being_shut_down_counts_as_running_while_ready() -> None:
    pod = ready_pod(POD)
    pod["metadata"]["deletionTimestamp"] = ts(NOW - 5 * SECOND)
    assert classify_pod(pod, [], now=NOW) == PodState(name=POD, phase="running")


def test_pod_being_shut_down_is_pending_not_failing_whatever_its_containers_do() -> None:
    pod = crashing_pod(POD)
    pod["metadata"]["deletionTimestamp"] = ts(NOW - 5 * SECOND)
    assert classify_pod(pod, [], now=NOW) == PodState(name=POD, phase="pending")


def test_failed_pod_being_deleted_is_not_counted() -> None:
    pod = evicted_pod(POD)
    pod["metadata"]["deletionTimestamp"] = ts(NOW - 5 * SECOND)
    assert classify_pod(pod, [], now=NOW) is None


def test_succeeded_pod_is_not_counted() -> None:
    pod = ready_pod(POD)
    pod["status"]["phase"] = "Succeeded"
    assert classify_pod(pod, [], now=NOW) is None


# --- many pods and their events -----------------------------------------------------------------------------


def test_classify_pods_sorts_by_name_and_gives_each_pod_its_own_events() -> None:
    pods = [starting_pod("tp-c", age=MINUTE), ready_pod("tp-a"), starting_pod("tp-b", age=MINUTE)]
    events = [
        kubelet_event("tp-b", "FailedMount", CONFIGMAP_MOUNT, last=NOW),
        kubelet_event("tp-c", "Pulled", "Successfully pulled image", last=NOW, kind="Normal"),
    ]
    states = classify_pods(pods, events, now=NOW)
    assert [(s.name, s.phase) for s in states] == [
        ("tp-a", "running"),
        ("tp-b", "failing"),
        ("tp-c", "pending"),
    ]


def test_events_about_other_kinds_are_ignored() -> None:
    event = kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW)
    event["involvedObject"]["kind"] = "Node"
    assert classify_pods([starting_pod(POD)], [event], now=NOW)[0].phase == "pending"


def test_event_time_reads_both_event_styles() -> None:
    classic = kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, first=NOW - HOUR, last=NOW - MINUTE)
    modern = scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - 2 * MINUTE + timedelta(microseconds=250))
    assert event_time(classic) == NOW - MINUTE
    assert event_time(modern) == NOW - 2 * MINUTE + timedelta(microseconds=250)
    assert micro(NOW).endswith(".000000Z")


def test_event_without_any_time_is_not_recent() -> None:
    event = kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW)
    for key in ("firstTimestamp", "lastTimestamp"):
        event[key] = None
    del event["metadata"]["creationTimestamp"]
    assert phase(starting_pod(POD), [event]) == "pending"


# --- trimmed objects and bad data ---------------------------------------------------------------------------

SCENARIOS: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "ready": (ready_pod(POD), []),
    "ready-old-restarts": (ready_pod(POD, restarts=7, last=last_terminated(finished=NOW - 2 * HOUR)), []),
    "flapping": (
        ready_pod(POD, since=NOW - MINUTE, restarts=9, last=last_terminated(finished=NOW - MINUTE)),
        [],
    ),
    "starting": (starting_pod(POD), []),
    "crash-loop": (crashing_pod(POD), []),
    "init-crash": (init_pod(POD, init=crash_loop("migrate", POD)), []),
    "image-pull": (waiting_pod(POD, container=SIDECAR, reason="ErrImagePull", message="not found"), []),
    "unschedulable": (
        unschedulable_pod(POD, message=None),
        [scheduler_event(POD, INSUFFICIENT_CPU, first=NOW)],
    ),
    "unschedulable-condition": (
        unschedulable_pod(POD, message="0/3 nodes are available: 3 Insufficient memory."),
        [],
    ),
    "unschedulable-series": (
        unschedulable_pod(POD, message="0/3 nodes are available: 3 node(s) had untolerated taint."),
        [scheduler_event(POD, INSUFFICIENT_CPU, first=NOW - HOUR, last=NOW - MINUTE)],
    ),
    "failed-mount": (
        starting_pod(POD, age=MINUTE),
        [kubelet_event(POD, "FailedMount", CONFIGMAP_MOUNT, last=NOW)],
    ),
    "failed-event": (
        starting_pod(POD),
        [kubelet_event(POD, "Failed", "Error: x", last=NOW, container=SIDECAR)],
    ),
    "evicted": (evicted_pod(POD), []),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pods_and_events_trimmed_to_the_exported_fields_classify_the_same(scenario: str) -> None:
    """POD_FIELDS and EVENT_FIELDS list everything classification reads."""
    pod, events = SCENARIOS[scenario]
    trimmed_pod = trim(pod, POD_FIELDS)
    trimmed_events = [trim(event, EVENT_FIELDS) for event in events]
    assert len(str(trimmed_pod)) < len(str(pod)) / 2
    assert classify_pod(trimmed_pod, trimmed_events, now=NOW) == classify_pod(pod, events, now=NOW)


@pytest.mark.parametrize(
    "pod",
    [
        {},
        {"metadata": "x", "status": []},
        {
            "metadata": {"name": POD},
            "status": {"phase": 3, "conditions": "Ready", "containerStatuses": ["x", None]},
        },
        {
            "metadata": {"name": POD},
            "status": {"containerStatuses": [{"state": {"waiting": None}, "restartCount": "9"}]},
        },
        {"metadata": {"name": POD}, "status": {"conditions": [{"type": "Ready"}, None, {"status": "True"}]}},
    ],
    ids=["empty", "wrong-types", "bad-lists", "bad-container", "bad-conditions"],
)
def test_malformed_pods_read_as_pending_instead_of_failing_the_controller(pod: dict[str, Any]) -> None:
    garbage_events: list[Any] = [
        None,
        "x",
        {"involvedObject": "x"},
        {"involvedObject": {"kind": "Pod", "name": 5}},
    ]
    states = classify_pods([pod, None, "x"], garbage_events, now=NOW)
    assert [state.phase for state in states] == ["pending"]
