"""Custom-resource admission: pruning, defaulting, validation and CEL, worded as kube-apiserver words them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.kubeapi.fielderrors import Invalid
from tests.kubeapi.schema import admit, unknown_fields
from tests.unit.kubeapi.samples import actor

RULES_SKIPPED = (
    '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; '
    "correct the existing errors to complete validation"
)
TEMPLATE = "spec.workload.template.spec"


def rejection(schema: dict[str, Any], obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(Invalid) as caught:
        admit(schema=schema, obj=obj, old=old)
    return [str(cause) for cause in caught.value.causes]


def edited(change: Callable[[dict[str, Any]], None], base: dict[str, Any] | None = None) -> dict[str, Any]:
    obj = copy.deepcopy(base or actor())
    change(obj)
    return obj


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = obj["spec"]["workload"]["template"]["spec"]["containers"]
    return found


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = obj["spec"]["workload"]["template"]["spec"]
    return found


def spec_schema(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A root schema whose `spec` object has `properties` (and `extra` keywords)."""
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": properties, **extra}}}


def with_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec}


# --- pruning and defaulting ---------------------------------------------------------------------------------


def test_a_valid_actor_is_admitted_as_a_new_object(schema: dict[str, Any]) -> None:
    """admit returns a new dict and leaves its input alone."""
    given = actor()
    before = copy.deepcopy(given)
    admitted = admit(schema=schema, obj=given)
    assert given == before
    assert admitted is not given
    assert admitted["spec"]["transport"] == "rabbitmq"


def test_unknown_fields_are_pruned_but_preserved_under_the_pod_spec(schema: dict[str, Any]) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["spec"]["bogus"] = 1
        obj["spec"]["timeout"] = {"processing": 5, "nope": True}
        obj["status"] = {"replicas": 1, "unknownStatus": "x"}
        pod_spec(obj)["nodeSelector"] = {"disk": "ssd"}
        containers(obj)[0]["resources"] = {"limits": {"cpu": "1"}}

    admitted = admit(schema=schema, obj=edited(change))
    assert "bogus" not in admitted["spec"]
    assert admitted["spec"]["timeout"] == {"processing": 5, "gracefulShutdown": 30}
    assert admitted["status"] == {"replicas": 1}
    assert pod_spec(admitted)["nodeSelector"] == {"disk": "ssd"}
    assert containers(admitted)[0]["resources"] == {"limits": {"cpu": "1"}}


def test_unknown_fields_reports_each_pruned_path(schema: dict[str, Any]) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["spec"]["bogus"] = 1
        obj["spec"]["sidecar"] = {"env": [{"name": "A", "value": "1"}], "imageTag": "x"}
        obj["spec"]["workload"]["template"]["metadata"] = {"labels": {"a": "b"}, "finalizers": ["kept"]}

    assert unknown_fields(schema=schema, obj=edited(change)) == ["spec.bogus", "spec.sidecar.imageTag"]


def test_root_metadata_apiversion_and_kind_are_never_pruned() -> None:
    obj = with_spec({})
    obj["metadata"]["labels"] = {"a": "b"}
    obj["extra"] = 1
    admitted = admit(schema=spec_schema({}), obj=obj)
    assert admitted == {
        "apiVersion": "x.io/v1",
        "kind": "Thing",
        "metadata": {"name": "t", "labels": {"a": "b"}},
        "spec": {},
    }


def test_an_embedded_resource_keeps_its_type_and_metadata() -> None:
    schema = spec_schema(
        {
            "template": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "properties": {"spec": {"type": "object"}},
            }
        }
    )
    template = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}, "junk": 1}
    admitted = admit(schema=schema, obj=with_spec({"template": template}))
    assert admitted["spec"]["template"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {},
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param({}, {}, id="absent parents get no defaults"),
        pytest.param(
            {"timeout": {}}, {"timeout": {"processing": 300, "gracefulShutdown": 30}}, id="empty parent"
        ),
        pytest.param(
            {"timeout": {"processing": 10}},
            {"timeout": {"processing": 10, "gracefulShutdown": 30}},
            id="partial",
        ),
        pytest.param(
            {"scaling": {"enabled": True}},
            {
                "scaling": {
                    "enabled": True,
                    "minReplicas": 0,
                    "maxReplicas": 50,
                    "pollingInterval": 10,
                    "cooldownPeriod": 60,
                    "queueLength": 5,
                }
            },
            id="scaling",
        ),
        pytest.param({"sidecar": {}}, {"sidecar": {"imagePullPolicy": "IfNotPresent"}}, id="sidecar"),
        pytest.param(
            {"sidecar": {"imagePullPolicy": None}},
            {"sidecar": {"imagePullPolicy": "IfNotPresent"}},
            id="null",
        ),
    ],
)
def test_nested_defaults_apply_only_where_the_parent_is_present(
    schema: dict[str, Any], given: dict[str, Any], expected: dict[str, Any]
) -> None:
    admitted = admit(schema=schema, obj=actor(**given))
    sections = {k: v for k, v in admitted["spec"].items() if k in ("timeout", "scaling", "sidecar")}
    assert sections == expected


def test_workload_defaults_fill_kind_replicas_and_python(schema: dict[str, Any]) -> None:
    workload = admit(schema=schema, obj=actor())["spec"]["workload"]
    assert (workload["kind"], workload["replicas"], workload["pythonExecutable"]) == (
        "Deployment",
        1,
        "python3",
    )


def test_a_default_parent_gets_its_own_nested_defaults() -> None:
    schema = spec_schema(
        {
            "limits": {
                "type": "object",
                "default": {},
                "properties": {"cpu": {"type": "string", "default": "1"}},
            }
        }
    )
    assert admit(schema=schema, obj=with_spec({}))["spec"] == {"limits": {"cpu": "1"}}


def test_defaults_are_pruned_like_the_request() -> None:
    schema = spec_schema(
        {
            "a": {
                "type": "object",
                "default": {"known": 1, "unknown": 2},
                "properties": {"known": {"type": "integer"}},
            }
        }
    )
    assert admit(schema=schema, obj=with_spec({}))["spec"] == {"a": {"known": 1}}


def test_nulls_of_non_nullable_fields_are_dropped_and_nullable_ones_kept() -> None:
    schema = spec_schema({"plain": {"type": "string"}, "maybe": {"type": "string", "nullable": True}})
    assert admit(schema=schema, obj=with_spec({"plain": None, "maybe": None}))["spec"] == {"maybe": None}


# --- OpenAPI validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda o: o["spec"].update(transport=""),
            ['spec.transport: Invalid value: "": spec.transport in body should be at least 1 chars long'],
            id="minLength",
        ),
        pytest.param(
            lambda o: o["spec"].pop("transport"),
            ["spec.transport: Required value", RULES_SKIPPED],
            id="required",
        ),
        pytest.param(
            lambda o: o["spec"]["workload"].update(kind="Job"),
            [
                'spec.workload.kind: Unsupported value: "Job": supported values: "Deployment", "StatefulSet"',
                RULES_SKIPPED,
            ],
            id="enum",
        ),
        pytest.param(
            lambda o: o["spec"]["workload"].update(replicas="3"),
            [
                'spec.workload.replicas: Invalid value: "string": '
                'spec.workload.replicas in body must be of type integer: "string"',
                RULES_SKIPPED,
            ],
            id="type",
        ),
        pytest.param(
            lambda o: o["spec"]["workload"].update(replicas=-1),
            [
                "spec.workload.replicas: Invalid value: -1: spec.workload.replicas in body should be "
                "greater than or equal to 0"
            ],
            id="minimum",
        ),
        pytest.param(
            lambda o: o["spec"].update(timeout={"processing": 0}),
            [
                "spec.timeout.processing: Invalid value: 0: spec.timeout.processing in body should be "
                "greater than or equal to 1"
            ],
            id="nested minimum",
        ),
        pytest.param(
            lambda o: o["spec"]["workload"].update(replicas=2.0),
            [],
            id="a whole float is an integer",
        ),
        pytest.param(
            lambda o: o["spec"]["workload"].update(replicas=2.5),
            [
                'spec.workload.replicas: Invalid value: "number": '
                'spec.workload.replicas in body must be of type integer: "number"',
                RULES_SKIPPED,
            ],
            id="integer vs number",
        ),
        pytest.param(
            lambda o: containers(o)[0].pop("name"),
            [f"{TEMPLATE}.containers[0].name: Required value", RULES_SKIPPED],
            id="required in a list item",
        ),
        pytest.param(
            lambda o: o["spec"]["workload"]["template"].update(metadata={"labels": {"app": 7}}),
            [
                'spec.workload.template.metadata.labels.app: Invalid value: "integer": '
                'spec.workload.template.metadata.labels.app in body must be of type string: "integer"',
                RULES_SKIPPED,
            ],
            id="additionalProperties",
        ),
        pytest.param(
            lambda o: pod_spec(o).update(containers=[]),
            [
                f"{TEMPLATE}.containers: Invalid value: 0: {TEMPLATE}.containers in body should have at "
                "least 1 items",
                f'{TEMPLATE}: Invalid value: "object": exactly one container must be named asya-runtime',
            ],
            id="minItems then CEL",
        ),
        pytest.param(
            lambda o: containers(o).append({"name": "asya-runtime"}),
            [
                f"{TEMPLATE}.containers[1]: Duplicate value: map[string]interface "
                f'{{}}{{"name":"asya-runtime"}}',
                f'{TEMPLATE}: Invalid value: "object": exactly one container must be named asya-runtime',
            ],
            id="map list key",
        ),
    ],
)
def test_openapi_violations_are_worded_as_the_server_words_them(
    schema: dict[str, Any], change: Callable[[dict[str, Any]], Any], expected: list[str]
) -> None:
    obj = edited(change)
    if not expected:
        admit(schema=schema, obj=obj)
        return
    assert rejection(schema, obj) == expected


@pytest.mark.parametrize(
    ("prop", "value", "expected"),
    [
        ({"type": "string", "maxLength": 3}, "abcd", "spec.v: Too long: may not be more than 3 bytes"),
        (
            {"type": "string", "pattern": "^[a-z]+$"},
            "A1",
            "spec.v: Invalid value: \"A1\": spec.v in body should match '^[a-z]+$'",
        ),
        (
            {"type": "array", "maxItems": 1, "items": {"type": "string"}},
            ["a", "b"],
            "spec.v: Too many: 2: must have at most 1 item",
        ),
        (
            {"type": "integer", "maximum": 10},
            11,
            "spec.v: Invalid value: 11: spec.v in body should be less than or equal to 10",
        ),
        (
            {"type": "integer", "maximum": 10, "exclusiveMaximum": True},
            10,
            "spec.v: Invalid value: 10: spec.v in body should be less than 10",
        ),
        (
            {"type": "number", "minimum": 0.5, "exclusiveMinimum": True},
            0.5,
            "spec.v: Invalid value: 0.5: spec.v in body should be greater than 0.5",
        ),
        (
            {"type": "integer", "multipleOf": 5},
            7,
            "spec.v: Invalid value: 7: spec.v in body should be a multiple of 5",
        ),
        (
            {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
            {},
            "spec.v: Invalid value: 0: spec.v in body should have at least 1 properties",
        ),
        (
            {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
            {"a": "1", "b": "2"},
            "spec.v: Too many: 2: must have at most 1 item",
        ),
        (
            {"type": "string", "format": "date-time"},
            "yesterday",
            'spec.v: Invalid value: "yesterday": spec.v in body must be of type date-time: "yesterday"',
        ),
        ({"type": "integer", "enum": [1, 2]}, 3, 'spec.v: Unsupported value: 3: supported values: "1", "2"'),
        (
            {"x-kubernetes-int-or-string": True},
            True,
            'spec.v: Invalid value: "boolean": spec.v in body must be of type integer,string: "boolean"',
        ),
        (
            {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            ["a", "b", "a", "a"],
            'spec.v[2]: Duplicate value: "a"',
        ),
        (
            {"type": "array", "items": {"type": "string"}},
            ["a", None],
            'spec.v[1]: Invalid value: "null": spec.v[1] in body must be of type string: "null"',
        ),
    ],
)
def test_each_keyword_fails_with_the_servers_message(prop: dict[str, Any], value: Any, expected: str) -> None:
    messages = rejection(spec_schema({"v": prop}), with_spec({"v": value}))
    assert messages[0] == expected


@pytest.mark.parametrize("value", [1, "50%"])
def test_int_or_string_accepts_both(value: Any) -> None:
    admit(schema=spec_schema({"v": {"x-kubernetes-int-or-string": True}}), obj=with_spec({"v": value}))


def test_a_string_reports_only_its_first_failing_check() -> None:
    prop = {"type": "string", "minLength": 5, "pattern": "^[0-9]+$"}
    assert rejection(spec_schema({"v": prop}), with_spec({"v": "ab"})) == [
        'spec.v: Invalid value: "ab": spec.v in body should be at least 5 chars long'
    ]


def test_format_is_checked_apart_from_the_string_checks() -> None:
    prop = {"type": "string", "pattern": "^[0-9]+$", "format": "date"}
    assert rejection(spec_schema({"v": prop}), with_spec({"v": "x"})) == [
        "spec.v: Invalid value: \"x\": spec.v in body should match '^[0-9]+$'",
        'spec.v: Invalid value: "x": spec.v in body must be of type date: "x"',
        RULES_SKIPPED,  # a format error is a type error, which stops the CEL rules
    ]


# --- CEL ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda o: o["metadata"].update(name="n" * 64),
            [
                '<nil>: Invalid value: "object": metadata.name must be at most 63 characters (it becomes a '
                "label "
                "value and a queue name)"
            ],
            id="root rule sees metadata.name",
        ),
        pytest.param(
            lambda o: o["spec"].update(scaling={"minReplicas": 5, "maxReplicas": 2}),
            [
                'spec.scaling.minReplicas: Invalid value: "object": scaling.minReplicas must not exceed '
                "scaling.maxReplicas"
            ],
            id="fieldPath",
        ),
        pytest.param(
            lambda o: o["spec"].update(scaling={"advanced": {"formula": "queue * 2"}}),
            [
                'spec.scaling.advanced: Invalid value: "object": scaling.advanced.formula requires '
                "scaling.advanced.target"
            ],
            id="has()",
        ),
        pytest.param(
            lambda o: containers(o).append({"name": "asya-sidecar"}),
            [
                f'{TEMPLATE}: Invalid value: "object": the name asya-sidecar is reserved for the sidecar '
                "the controller adds"
            ],
            id="all()",
        ),
        pytest.param(
            lambda o: pod_spec(o).update(initContainers=[{"name": "asya-sidecar"}]),
            [
                f'{TEMPLATE}: Invalid value: "object": the name asya-sidecar is reserved for the sidecar '
                "the controller adds"
            ],
            id="optional list",
        ),
        pytest.param(
            lambda o: containers(o)[0].update(command=["python"]),
            [
                f'{TEMPLATE}: Invalid value: "object": the asya-runtime container must not set command '
                "(the controller sets it)"
            ],
            id="filter()",
        ),
        pytest.param(
            lambda o: containers(o).__setitem__(0, {"name": "main"}),
            [f'{TEMPLATE}: Invalid value: "object": exactly one container must be named asya-runtime'],
            id="exists_one()",
        ),
        pytest.param(
            lambda o: pod_spec(o).update(volumes=[{"name": "data"}, {"name": "tmp"}, {"name": "socket-dir"}]),
            [f'{TEMPLATE}: Invalid value: "object": volume names tmp, socket-dir are reserved'],
            id="messageExpression",
        ),
    ],
)
def test_cel_rules_reject_with_their_message(
    schema: dict[str, Any], change: Callable[[dict[str, Any]], Any], expected: list[str]
) -> None:
    assert rejection(schema, edited(change)) == expected


def test_every_failing_rule_is_reported_together(schema: dict[str, Any]) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["metadata"]["name"] = "n" * 70
        obj["spec"]["transport"] = ""
        containers(obj).append({"name": "asya-sidecar"})

    messages = rejection(schema, edited(change))
    assert [m.split(":")[0] for m in messages] == ["spec.transport", "<nil>", TEMPLATE]


def test_a_rule_reading_a_missing_field_fails_with_cel_gos_words() -> None:
    schema = spec_schema(
        {"mode": {"type": "string"}}, **{"x-kubernetes-validations": [{"rule": "self.mode == 'a'"}]}
    )
    assert rejection(schema, with_spec({})) == [
        "spec: Invalid value: \"object\": no such key: mode evaluating rule: self.mode == 'a'"
    ]


def test_a_rule_without_message_reports_the_rule() -> None:
    schema = spec_schema({"n": {"type": "integer"}}, **{"x-kubernetes-validations": [{"rule": "self.n > 1"}]})
    assert rejection(schema, with_spec({"n": 1})) == [
        'spec: Invalid value: "object": failed rule: self.n > 1'
    ]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("FieldValueForbidden", "spec: Forbidden: no"),
        ("FieldValueRequired", "spec: Required value: no"),
        ("FieldValueDuplicate", 'spec: Duplicate value: "object"'),
    ],
)
def test_a_rule_reason_picks_the_cause_type(reason: str, expected: str) -> None:
    rules = [{"rule": "false", "message": "no", "reason": reason}]
    assert rejection(spec_schema({}, **{"x-kubernetes-validations": rules}), with_spec({})) == [expected]


def test_message_expression_falls_back_to_the_message_when_it_is_not_a_string() -> None:
    rules = [{"rule": "false", "message": "plain", "messageExpression": "1 + 1"}]
    assert rejection(spec_schema({}, **{"x-kubernetes-validations": rules}), with_spec({})) == [
        'spec: Invalid value: "object": plain'
    ]


@pytest.mark.parametrize(
    ("rule", "spec"),
    [
        ("self.tags.isSorted() && self.tags.indexOf('b') == 1", {"tags": ["a", "b"]}),
        ("self.name.lowerAscii() == 'abc' && self.name.split('B').size() == 2", {"name": "ABC"}),
        ("self.tags.map(t, t.upperAscii()).join('-') == 'A-B'", {"tags": ["a", "b"]}),
        ("self.tags.exists(t, t == 'b') && !self.tags.exists_one(t, t == 'c')", {"tags": ["a", "b"]}),
        ("self.name.matches('^[A-Z]+$') && self.name.startsWith('AB')", {"name": "ABC"}),
    ],
)
def test_kubernetes_library_functions_work(rule: str, spec: dict[str, Any]) -> None:
    properties = {"tags": {"type": "array", "items": {"type": "string"}}, "name": {"type": "string"}}
    admit(
        schema=spec_schema(properties, **{"x-kubernetes-validations": [{"rule": rule}]}), obj=with_spec(spec)
    )


def test_cel_is_skipped_when_the_schema_already_failed_hard(schema: dict[str, Any]) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["metadata"]["name"] = "n" * 70
        obj["spec"]["workload"]["kind"] = "Job"

    assert rejection(schema, edited(change))[-1] == RULES_SKIPPED


IMMUTABLE = spec_schema(
    {
        "mode": {
            "type": "string",
            "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "mode is immutable"}],
        }
    }
)


def test_a_transition_rule_is_skipped_on_create() -> None:
    admit(schema=IMMUTABLE, obj=with_spec({"mode": "a"}))


def test_a_transition_rule_compares_with_the_old_object() -> None:
    old = with_spec({"mode": "a"})
    admit(schema=IMMUTABLE, obj=with_spec({"mode": "a"}), old=old)
    assert rejection(IMMUTABLE, with_spec({"mode": "b"}), old=old) == [
        'spec.mode: Invalid value: "string": mode is immutable'
    ]


def test_a_transition_rule_is_skipped_when_the_old_value_is_absent() -> None:
    admit(schema=IMMUTABLE, obj=with_spec({"mode": "b"}), old=with_spec({}))


# --- updates: ratcheting and the status subresource ---------------------------------------------------------


def test_an_unchanged_invalid_field_does_not_block_an_update(schema: dict[str, Any]) -> None:
    """Ratcheting: the old object already had the error; the update touches something else."""
    old = actor(transport="")
    new = actor(transport="", timeout={"processing": 9})
    assert admit(schema=schema, obj=new, old=old)["spec"]["transport"] == ""


def test_a_changed_field_is_validated_again(schema: dict[str, Any]) -> None:
    old = actor(transport="")
    new = actor(transport="")
    new["spec"]["workload"]["replicas"] = -2
    assert rejection(schema, new, old=old) == [
        "spec.workload.replicas: Invalid value: -2: spec.workload.replicas in body should be greater than "
        "or equal to 0"
    ]


def test_an_unchanged_failing_cel_rule_does_not_block_an_update(schema: dict[str, Any]) -> None:
    old = edited(lambda o: containers(o).append({"name": "asya-sidecar"}))
    new = copy.deepcopy(old)
    new["spec"]["transport"] = "sqs"
    admit(schema=schema, obj=new, old=old)


def test_a_status_write_validates_only_the_status(schema: dict[str, Any]) -> None:
    old = actor(transport="")  # an invalid spec stored earlier, e.g. under an older CRD
    new = copy.deepcopy(old)
    new["status"] = {"replicas": 1, "status": "Running"}
    assert admit(schema=schema, obj=new, old=old, subresource="status")["status"] == new["status"]


def test_status_errors_keep_the_path_relative_to_the_status_schema(schema: dict[str, Any]) -> None:
    """The server validates `.status` against the status schema alone, so details lose the `status.` "
    "prefix."""
    old = actor()
    new = copy.deepcopy(old)
    new["status"] = {"replicas": -1, "scalingMode": "Auto"}
    assert rejection_of_status(schema, new, old) == [
        "status.replicas: Invalid value: -1: replicas in body should be greater than or equal to 0",
        'status.scalingMode: Unsupported value: "Auto": supported values: "KEDA", "Manual"',
        RULES_SKIPPED,
    ]


def test_status_conditions_are_a_map_list_keyed_by_type(schema: dict[str, Any]) -> None:
    condition = {
        "type": "Ready",
        "status": "True",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "reason": "Ok",
        "message": "",
    }
    old = actor()
    new = copy.deepcopy(old)
    new["status"] = {"conditions": [condition, dict(condition, status="False")]}
    assert rejection_of_status(schema, new, old) == [
        'status.conditions[1]: Duplicate value: map[string]interface {}{"type":"Ready"}'
    ]


def rejection_of_status(schema: dict[str, Any], new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    with pytest.raises(Invalid) as caught:
        admit(schema=schema, obj=new, old=old, subresource="status")
    return [str(cause) for cause in caught.value.causes]
