"""The spec models read an AsyncActor as the controller must see it."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

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


def _with_pod(pod: dict[str, object]) -> dict[str, object]:
    return {"transport": "rabbitmq", "workload": {"template": {"spec": pod}}}


def test_pod_template_is_kept_exactly_as_written() -> None:
    """Unknown fields, their order and values survive: the controller passes the template on as given."""
    pod = {
        "nodeSelector": {"gpu": "true"},
        "containers": [{"name": "asya-runtime", "lifecycle": {"preStop": {}}, "image": "py"}],
        "tolerations": [{"key": "k", "operator": "Exists"}],
    }
    spec = AsyncActorSpec.model_validate(_with_pod(pod))
    assert spec.workload.template.spec == pod
    assert list(spec.workload.template.spec) == list(pod)
    assert type(spec.workload.template.spec) is dict


def test_pod_template_is_a_copy_of_the_input() -> None:
    pod: dict[str, Any] = {"containers": [{"name": "asya-runtime"}]}
    spec = AsyncActorSpec.model_validate(_with_pod(pod))
    pod["containers"][0]["name"] = "changed"
    assert spec.workload.template.spec["containers"][0]["name"] == "asya-runtime"


def test_spec_dumps_to_json_without_warnings() -> None:
    spec = AsyncActorSpec.model_validate(MINIMAL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert body["workload"]["template"]["spec"] == MINIMAL["workload"]["template"]["spec"]  # type: ignore[index]


@pytest.mark.parametrize(
    "section",
    [
        {"scaling": {"maxReplicas": "10"}},
        {"scaling": {"enabled": "true"}},
        {"timeout": {"processing": True}},
        {"scaling": {"maxReplicas": 2**31}},
    ],
)
def test_spec_types_are_as_strict_as_the_api_server(section: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        AsyncActorSpec.model_validate({**MINIMAL, **section})


def test_a_null_field_reads_as_its_default() -> None:
    spec = AsyncActorSpec.model_validate({**MINIMAL, "scaling": {"maxReplicas": None}, "timeout": None})
    assert spec.scaling.max_replicas == 50
    assert spec.timeout.processing == 300


def test_pod_template_fields_the_rules_read_are_checked() -> None:
    with pytest.raises(ValidationError) as error:
        AsyncActorSpec.model_validate(_with_pod({"containers": [{"image": "x"}], "volumes": [{"name": 1}]}))
    assert {detail["loc"] for detail in error.value.errors()} == {
        ("workload", "template", "spec", "containers", 0, "name"),
        ("workload", "template", "spec", "volumes", 0, "name"),
    }
