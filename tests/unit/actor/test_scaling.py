"""The ScaledObject of an actor (contract §7)."""

from __future__ import annotations

from typing import Any

from controller.actor.scaling import HPA_BEHAVIOR, hpa_name, scaled_object
from controller.actor.workload import Actor
from controller.api.models import AsyncActorSpec

ACTOR = Actor(name="text-processor", namespace="team-a", uid="uid-1")
TRIGGER = {
    "type": "rabbitmq",
    "metadata": {"queueName": "asya-text-processor", "mode": "QueueLength", "value": "5"},
    "authenticationRef": {"name": "text-processor-trigger-auth"},
}


def spec(scaling: dict[str, Any], kind: str = "Deployment") -> AsyncActorSpec:
    return AsyncActorSpec.model_validate(
        {
            "transport": "rabbitmq",
            "scaling": {"enabled": True, **scaling},
            "workload": {"kind": kind, "template": {"spec": {"containers": [{"name": "asya-runtime"}]}}},
        }
    )


def test_scale_target_bounds_and_timings_come_from_the_spec() -> None:
    body = scaled_object(
        actor=ACTOR,
        spec=spec(
            {"minReplicas": 1, "maxReplicas": 7, "pollingInterval": 15, "cooldownPeriod": 90}, "StatefulSet"
        ),
        trigger=TRIGGER,
    )
    assert body["apiVersion"] == "keda.sh/v1alpha1"
    assert body["metadata"]["name"] == "text-processor"
    assert body["metadata"]["ownerReferences"][0]["kind"] == "AsyncActor"
    assert body["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "text-processor",
    }
    assert (
        body["spec"]["minReplicaCount"],
        body["spec"]["maxReplicaCount"],
        body["spec"]["pollingInterval"],
        body["spec"]["cooldownPeriod"],
    ) == (1, 7, 15, 90)


def test_exactly_one_trigger_named_queue() -> None:
    body = scaled_object(actor=ACTOR, spec=spec({}), trigger=TRIGGER)
    assert body["spec"]["triggers"] == [{**TRIGGER, "name": "queue"}]


def test_hpa_behavior_scales_down_slowly_and_up_fast() -> None:
    behavior = scaled_object(actor=ACTOR, spec=spec({}), trigger=TRIGGER)["spec"]["advanced"][
        "horizontalPodAutoscalerConfig"
    ]["behavior"]
    assert behavior == HPA_BEHAVIOR
    assert behavior["scaleDown"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 60}]
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0


def test_formula_becomes_scaling_modifiers() -> None:
    advanced = {"formula": "queue * 2", "target": "10", "activationTarget": "1", "metricType": "Value"}
    body = scaled_object(actor=ACTOR, spec=spec({"advanced": advanced}), trigger=TRIGGER)
    assert body["spec"]["advanced"]["scalingModifiers"] == advanced
    assert "metricType" not in body["spec"]["triggers"][0]


def test_metric_type_without_formula_goes_on_the_trigger() -> None:
    body = scaled_object(
        actor=ACTOR, spec=spec({"advanced": {"metricType": "AverageValue"}}), trigger=TRIGGER
    )
    assert body["spec"]["triggers"][0]["metricType"] == "AverageValue"
    assert "scalingModifiers" not in body["spec"]["advanced"]


def test_restore_to_original_replica_count_is_passed_through() -> None:
    body = scaled_object(
        actor=ACTOR, spec=spec({"advanced": {"restoreToOriginalReplicaCount": True}}), trigger=TRIGGER
    )
    assert body["spec"]["advanced"]["restoreToOriginalReplicaCount"] is True


def test_hpa_name_follows_keda() -> None:
    assert hpa_name("text-processor") == "keda-hpa-text-processor"
