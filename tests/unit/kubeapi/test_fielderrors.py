"""Field errors and Status bodies are worded as apimachinery words them."""

from __future__ import annotations

import pytest

from tests.kubeapi import fielderrors as fe


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (fe.invalid("spec.a", "", "detail"), 'spec.a: Invalid value: "": detail'),
        (fe.invalid("spec.a", 0, "too small"), "spec.a: Invalid value: 0: too small"),
        (fe.invalid("spec.a", 1.5, "x"), "spec.a: Invalid value: 1.5: x"),
        (fe.invalid("spec.a", True, "x"), "spec.a: Invalid value: true: x"),
        (fe.invalid(None, None, "x"), '<nil>: Invalid value: "null": x'),
        (fe.invalid(None, "object", "rule failed"), '<nil>: Invalid value: "object": rule failed'),
        (fe.required("spec.transport"), "spec.transport: Required value"),
        (fe.required("spec.x", "because"), "spec.x: Required value: because"),
        (fe.forbidden("spec.x", "not here"), "spec.x: Forbidden: not here"),
        (fe.duplicate("spec.l[1]", "a"), 'spec.l[1]: Duplicate value: "a"'),
        (
            fe.duplicate("spec.l[1]", {"type": "Ready"}),
            'spec.l[1]: Duplicate value: map[string]interface {}{"type":"Ready"}',
        ),
        (
            fe.not_supported("spec.kind", "Job", ["Deployment", "StatefulSet"]),
            'spec.kind: Unsupported value: "Job": supported values: "Deployment", "StatefulSet"',
        ),
        (fe.too_long("spec.name", 5), "spec.name: Too long: may not be more than 5 bytes"),
        (fe.too_long("spec.name", 1), "spec.name: Too long: may not be more than 1 byte"),
        (fe.too_many("spec.items", 4, 3), "spec.items: Too many: 4: must have at most 3 items"),
        (fe.too_many("spec.items", 2, 1), "spec.items: Too many: 2: must have at most 1 item"),
        (fe.invalid("spec.s", 'a"b\n', "x"), 'spec.s: Invalid value: "a\\"b\\n": x'),
    ],
)
def test_error_text_matches_go(error: fe.FieldError, text: str) -> None:
    assert str(error) == text


@pytest.mark.parametrize(
    ("number", "text"),
    [(1.0, "1"), (1.5, "1.5"), (1e6, "1e+06"), (123456.0, "123456"), (0.0001, "0.0001"), (1e-05, "1e-05")],
)
def test_floats_print_as_go_percent_v(number: float, text: str) -> None:
    assert fe.go_float(number) == text


def test_go_json_sorts_keys_and_escapes_html() -> None:
    assert fe.go_json({"b": 1.0, "a": ["<x>", None, True]}) == '{"a":["\\u003cx\\u003e",null,true],"b":1}'


def test_invalid_status_lists_every_cause_and_aggregates_the_message() -> None:
    causes = [
        fe.invalid("spec.transport", "", "spec.transport in body should be at least 1 chars long"),
        fe.required("spec.workload"),
    ]
    status = fe.invalid_status(group="asya.sh", kind="AsyncActor", name="x", causes=causes)
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'AsyncActor.asya.sh "x" is invalid: [spec.transport: Invalid value: "": spec.transport in '
        "body should be at least 1 chars long, spec.workload: Required value]",
        "reason": "Invalid",
        "details": {
            "name": "x",
            "group": "asya.sh",
            "kind": "AsyncActor",
            "causes": [
                {
                    "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "": spec.transport in body should be at least 1 chars long',
                    "field": "spec.transport",
                },
                {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.workload"},
            ],
        },
        "code": 422,
    }


def test_a_single_cause_is_not_bracketed_and_duplicates_collapse() -> None:
    error = fe.required("spec.a")
    status = fe.invalid_status(group="", kind="Pod", name="p", causes=[error, error])
    assert status["message"] == 'Pod "p" is invalid: spec.a: Required value'
    assert "group" not in status["details"]


def test_strict_decoding_status_names_every_unknown_field() -> None:
    status = fe.strict_decoding_status(kind="AsyncActor", version="v1alpha1", fields=["spec.a", "spec.b"])
    assert status["code"] == 400
    assert status["reason"] == "BadRequest"
    assert status["message"] == (
        'AsyncActor in version "v1alpha1" cannot be handled as a AsyncActor: strict decoding error: '
        'unknown field "spec.a", unknown field "spec.b"'
    )
