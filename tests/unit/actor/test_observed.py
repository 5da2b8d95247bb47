"""The status engine's inputs are read from cached objects without ever failing on them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controller.actor.observed import (
    ACTOR_FIELDS,
    HPA_FIELDS,
    KEDA_NOT_INSTALLED,
    SCALED_OBJECT_APPLY_FAILED,
    SCALED_OBJECT_FIELDS,
    WORKLOAD_FIELDS,
    ActorState,
    ScalingOutcome,
    TransportOutcome,
    WorkloadState,
    hpa_desired_replicas,
)
from tests.unit.actor.objects import (
    ACTOR,
    MINUTE,
    NAMESPACE,
    NOW,
    actor_object,
    deployment,
    hpa,
    scaled_object,
    trim,
    ts,
)


def test_actor_identity_generation_and_deletion_are_read() -> None:
    state = ActorState.from_object(actor_object(generation=4, deleting=NOW - MINUTE))
    assert (state.name, state.namespace, state.generation) == (ACTOR, NAMESPACE, 4)
    assert state.deletion_timestamp == NOW - MINUTE


def test_actor_spec_is_read_with_its_defaults() -> None:
    state = ActorState.from_object(actor_object(scaling=True, kind="StatefulSet"))
    assert state.spec is not None
    assert (state.spec.scaling.enabled, state.spec.workload.kind, state.spec_errors) == (
        True,
        "StatefulSet",
        (),
    )


def test_previous_status_is_read_back_with_its_clocks() -> None:
    status = {
        "status": "ScalingUp",
        "desiredReplicas": 5,
        "unreadySince": ts(NOW - 2 * MINUTE),
        "lastScaleTime": ts(NOW - 7 * MINUTE),
        "lastScaleDirection": "up",
    }
    previous = ActorState.from_object(actor_object(status=status)).previous
    assert (previous.status, previous.desired_replicas) == ("ScalingUp", 5)
    assert previous.unready_since == NOW - 2 * MINUTE
    assert (previous.last_scale_time, previous.last_scale_direction) == (NOW - 7 * MINUTE, "up")


def test_unreadable_spec_reads_as_none_with_messages_naming_the_fields() -> None:
    obj = actor_object()
    del obj["spec"]["workload"]
    obj["spec"]["scaling"]["minReplicas"] = -1
    state = ActorState.from_object(obj)
    assert state.spec is None
    assert "spec.workload: Field required" in state.spec_errors
    assert any(error.startswith("spec.scaling.minReplicas: ") for error in state.spec_errors)


def test_status_mangled_by_another_client_reads_as_empty() -> None:
    state = ActorState.from_object(actor_object(status={"status": "Sleeping", "replicas": "many"}))
    assert state.previous.status is None
    assert state.previous.conditions == []


def test_actor_without_metadata_does_not_fail() -> None:
    state = ActorState.from_object({"spec": "nonsense", "status": 7})
    assert (state.name, state.generation, state.spec, state.deletion_timestamp) == ("", 0, None, None)


def test_workload_is_observed_once_its_controller_wrote_observed_generation() -> None:
    assert WorkloadState.from_object(deployment(observed=1)).observed
    assert not WorkloadState.from_object(deployment(observed=None)).observed


def test_workload_replicas_default_to_one_as_the_api_server_defaults_them() -> None:
    assert WorkloadState.from_object(deployment(replicas=None)).replicas == 1
    assert WorkloadState.from_object(deployment(replicas=0)).replicas == 0


def test_workload_generations_are_read() -> None:
    state = WorkloadState.from_object(deployment(generation=3, observed=2))
    assert (state.name, state.generation, state.observed_generation) == (ACTOR, 3, 2)


def test_hpa_desired_replicas() -> None:
    assert hpa_desired_replicas(hpa(desired=7)) == 7
    assert hpa_desired_replicas(None) is None
    assert hpa_desired_replicas({"status": {}}) is None
    assert hpa_desired_replicas({"status": {"desiredReplicas": True}}) is None


@pytest.mark.parametrize(("ready", "expected"), [("True", True), ("False", False), ("Unknown", None)])
def test_scaled_object_ready_condition_is_mirrored(ready: str, expected: bool | None) -> None:
    outcome = ScalingOutcome.from_scaled_object(
        scaled_object(
            ready=ready,
            reason="ScaledObjectCheckFailed",
            message="Triggers defined in ScaledObject are not OK",
        )
    )
    assert outcome == ScalingOutcome(
        ready=expected,
        reason="ScaledObjectCheckFailed",
        message="Triggers defined in ScaledObject are not OK",
        exists=True,
    )


def test_scaled_object_keda_has_not_reported_on_is_pending() -> None:
    outcome = ScalingOutcome.from_scaled_object(scaled_object(ready=None))
    assert (outcome.ready, outcome.exists) == (None, True)
    assert ACTOR in outcome.message


def test_keda_missing_and_apply_failures_are_not_ready() -> None:
    assert ScalingOutcome.keda_not_installed().reason == KEDA_NOT_INSTALLED
    failed = ScalingOutcome.apply_failed("admission webhook denied the request", exists=True)
    assert (failed.ready, failed.reason, failed.exists) == (False, SCALED_OBJECT_APPLY_FAILED, True)


def test_transport_outcomes() -> None:
    assert TransportOutcome.ready(queued=3).state == "ready"
    assert TransportOutcome.failed(reason="BrokerUnavailable", message="x").state == "failed"
    assert TransportOutcome.unknown(reason="NotChecked", message="x").state == "unknown"


def test_objects_trimmed_to_the_exported_fields_read_the_same() -> None:
    status = {"status": "Degraded", "unreadySince": ts(NOW - 9 * MINUTE), "desiredReplicas": 2}
    actor = actor_object(status=status, deleting=NOW - timedelta(seconds=3))
    assert ActorState.from_object(trim(actor, ACTOR_FIELDS)) == ActorState.from_object(actor)
    workload = deployment(replicas=4, generation=6, observed=5)
    assert WorkloadState.from_object(trim(workload, WORKLOAD_FIELDS)) == WorkloadState.from_object(workload)
    assert hpa_desired_replicas(trim(hpa(desired=9), HPA_FIELDS)) == 9
    for ready in ("True", "False", None):
        so = scaled_object(ready=ready)
        assert ScalingOutcome.from_scaled_object(
            trim(so, SCALED_OBJECT_FIELDS)
        ) == ScalingOutcome.from_scaled_object(so)
