"""The spec models read an AsyncActor as the controller must see it."""

from __future__ import annotations

from datetime import UTC, datetime

from controller.api.models import AsyncActorSpec, AsyncActorStatus, Condition

MINIMAL = {
    "transport": "rabbitmq",
    "workload": {
        "template": {"spec": {"containers": [{"name": "asya-runtime", "image": "python:3.13-slim"}]}}
    },
}


def test_sections_left_out_read_as_their_defaults() -> None:
    spec = AsyncActorSpec.model_validate(MINIMAL)
    assert spec.timeout.processing == 300
    assert spec.timeout.graceful_shutdown == 30
    assert spec.scaling.enabled is False
    assert spec.scaling.max_replicas == 50
    assert spec.workload.kind == "Deployment"
    assert spec.workload.replicas == 1
    assert spec.sidecar.image_pull_policy == "IfNotPresent"


def test_unknown_fields_are_ignored_not_fatal() -> None:
    spec = AsyncActorSpec.model_validate({**MINIMAL, "futureField": {"x": 1}})
    assert spec.transport == "rabbitmq"


def test_status_body_uses_camel_case_rfc3339_and_omits_unset() -> None:
    moment = datetime(2026, 11, 27, 4, 22, 21, 123456, tzinfo=UTC)
    status = AsyncActorStatus(
        status="Running",
        desired_replicas=3,
        conditions=[Condition(type="Ready", status="True", last_transition_time=moment, reason="Running")],
    )
    assert status.to_body() == {
        "status": "Running",
        "desiredReplicas": 3,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": "2026-11-27T04:22:21Z",
                "reason": "Running",
                "message": "",
            }
        ],
    }
