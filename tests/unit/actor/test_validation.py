"""The controller's own check of an actor agrees with the CRD's admission, and adds what only it can check."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.actor.validation import validate_actor
from tests.admission import actor_object, actor_schema, admit
from tests.corpus import RULE_CASES, SCHEMA_INVALID, Case, spec


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda case: case.id)
def test_cel_rules_and_controller_agree_on_the_corpus(case: Case) -> None:
    verdict = admit(actor_schema(), actor_object(case.name, case.spec))
    problems = validate_actor(name=case.name, spec=case.spec)
    assert verdict.schema_errors == []
    assert sorted(problems) == sorted(verdict.rule_messages) == case.messages


@pytest.mark.parametrize("case", SCHEMA_INVALID, ids=lambda case: case.id)
def test_controller_refuses_what_the_openapi_schema_refuses(case: Case) -> None:
    assert admit(actor_schema(), actor_object(case.name, case.spec)).schema_errors
    assert validate_actor(name=case.name, spec=case.spec)


# --- what the schema says, in short messages naming the field ---------------------------------------------


@pytest.mark.parametrize(
    ("given_spec", "message"),
    [
        (spec(sidecar={"env": [{"value": "1"}]}), "spec.sidecar.env[0].name: field required"),
        (
            spec(scaling={"maxReplicas": 0}),
            "spec.scaling.maxReplicas: input should be greater than or equal to 1",
        ),
        (
            spec(workload={"kind": "Job", "template": {"spec": {"containers": [{"name": "asya-runtime"}]}}}),
            "spec.workload.kind: input should be 'Deployment' or 'StatefulSet'",
        ),
        (
            spec(
                workload={"template": {"spec": {"containers": [{"name": "asya-runtime"}, {"command": "x"}]}}}
            ),
            "spec.workload.template.spec.containers[1].name: field required",
        ),
        (spec(transport=""), "spec.transport: string should have at least 1 character"),
        ({"transport": "rabbitmq"}, "spec.workload: field required"),
        (None, "spec: the AsyncActor has no spec object"),
    ],
)
def test_a_spec_that_does_not_read_gets_a_message_naming_the_field(given_spec: Any, message: str) -> None:
    assert message in validate_actor(name="a", spec=given_spec)


def test_each_field_problem_is_reported_once_in_its_own_message() -> None:
    problems = validate_actor(
        name="a", spec=spec(transport="", timeout={"processing": 0, "gracefulShutdown": -1})
    )
    assert [problem.split(":")[0] for problem in problems] == [
        "spec.transport",
        "spec.timeout.processing",
        "spec.timeout.gracefulShutdown",
    ]


def test_a_null_field_reads_as_left_out_as_on_the_api_server() -> None:
    assert validate_actor(name="a", spec=spec(sidecar={"imagePullPolicy": None}, scaling=None)) == []


# --- selector labels --------------------------------------------------------------------------------------


def _labelled(labels: dict[str, str], kind: str = "Deployment") -> dict[str, Any]:
    return spec(
        workload={
            "kind": kind,
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "asya-runtime"}]}},
        }
    )


def test_template_label_that_changes_a_selector_label_is_refused() -> None:
    assert validate_actor(name="text-processor", spec=_labelled({"app": "other"})) == [
        "the label app=other in spec.workload.template.metadata.labels conflicts with the selector label "
        "app=text-processor that the controller sets; remove it or set it to text-processor"
    ]


def test_every_selector_label_is_guarded() -> None:
    labels = {"app": "x", "asya.sh/asya": "x", "asya.sh/workload": "deployment"}
    problems = validate_actor(name="text-processor", spec=_labelled(labels, kind="StatefulSet"))
    assert [problem.split()[2] for problem in problems] == [
        "app=x",
        "asya.sh/asya=x",
        "asya.sh/workload=deployment",
    ]


def test_template_labels_equal_to_the_selector_or_unrelated_are_fine() -> None:
    labels = {"app": "tp", "asya.sh/asya": "tp", "asya.sh/workload": "statefulset", "team": "nlp"}
    assert validate_actor(name="tp", spec=_labelled(labels, kind="StatefulSet")) == []


def test_template_without_labels_is_fine() -> None:
    assert validate_actor(name="tp", spec=_labelled({})) == []


# --- agreement on generated actors ------------------------------------------------------------------------


def _mostly(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """Values the schema accepts (some break a rule) twelve times as often as values it refuses, so that
    many actors get past the schema to the rules."""
    return st.sampled_from(valid * 12 + invalid)


_ints = _mostly([0, 1, 3, 50, 51, 60], [-1, 2**31, True, "3", None])
_other_container = st.fixed_dictionaries(
    {"name": _mostly(["app", "asya-sidecar"], ["c" * 64, None])},
    optional={"command": _mostly([["sh"], []], ["sh", None]), "image": _mostly(["busybox"], [5])},
)
_runtime = st.fixed_dictionaries(
    {"name": st.just("asya-runtime")}, optional={"command": _mostly([[], ["python"]], ["python", None])}
)
_containers = st.tuples(
    st.lists(_runtime, min_size=1, max_size=1) | st.lists(_runtime, max_size=2),
    st.lists(_other_container, max_size=2),
).map(lambda parts: parts[0] + parts[1])
_volume = st.fixed_dictionaries(
    {},
    optional={"name": _mostly(["data", "tmp", "socket-dir", "asya-runtime"], ["v" * 64, None])},
)
_pod = st.fixed_dictionaries(
    {"containers": _containers},
    optional={
        "initContainers": st.lists(_other_container, max_size=2),
        "volumes": st.lists(_volume, max_size=2),
    },
)
_scaling = st.fixed_dictionaries(
    {},
    optional={
        "enabled": _mostly([True, False], ["yes", None]),
        "minReplicas": _ints,
        "maxReplicas": _ints,
        "queueLength": _ints,
        "advanced": st.fixed_dictionaries(
            {},
            optional={
                "formula": _mostly(["queue", ""], [None, 1]),
                "target": _mostly(["1"], [2]),
                "metricType": _mostly(["Value"], ["Bogus"]),
            },
        ),
    },
)
_sidecar = st.fixed_dictionaries(
    {},
    optional={
        "imagePullPolicy": _mostly(["Always"], ["Sometimes", None]),
        "env": st.lists(
            st.fixed_dictionaries({}, optional={"name": _mostly(["A"], ["", None]), "value": st.just("v")}),
            max_size=2,
        ),
    },
)
_spec = st.fixed_dictionaries(
    {
        "transport": _mostly(["rabbitmq", "sqs"], ["", 5]),
        "workload": st.fixed_dictionaries(
            {"template": st.fixed_dictionaries({"spec": _pod})},
            optional={"kind": _mostly(["Deployment", "StatefulSet"], ["Job"]), "replicas": _ints},
        ),
    },
    optional={
        "scaling": _scaling,
        "sidecar": _sidecar,
        "timeout": st.fixed_dictionaries({}, optional={"processing": _ints, "gracefulShutdown": _ints}),
    },
)


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["a", "a" * 63, "a" * 64]), actor_spec=_spec)
def test_controller_and_api_server_agree_on_generated_actors(name: str, actor_spec: dict[str, Any]) -> None:
    """Whatever the schema and the rules refuse, the controller refuses, with the rules' own messages."""
    verdict = admit(actor_schema(), actor_object(name, actor_spec))
    problems = validate_actor(name=name, spec=actor_spec)
    if verdict.schema_errors:
        assert problems
    else:
        assert sorted(problems) == sorted(verdict.rule_messages)
