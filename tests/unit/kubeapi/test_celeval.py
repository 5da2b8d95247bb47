"""CEL values and evaluation: what a rule sees, and results that do not depend on the memo."""

from __future__ import annotations

from typing import Any

import pytest
from celpy import celtypes

from tests.kubeapi.celeval import cel_value, compile_error, error_text, escape, evaluate

ROOT = {
    "type": "object",
    "properties": {"spec": {"type": "object", "properties": {"n": {"type": "integer"}}}},
}


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("plain", "plain"),
        ("a-b", "a__dash__b"),
        ("a.b/c", "a__dot__b__slash__c"),
        ("x__y", "x__underscores__y"),
        ("namespace", "__namespace__"),
        ("if", "__if__"),
    ],
)
def test_property_names_are_escaped_as_the_server_does(name: str, escaped: str) -> None:
    assert escape(name) == escaped


def test_the_resource_root_shows_only_name_and_generate_name_of_metadata() -> None:
    obj = {
        "apiVersion": "x/v1",
        "kind": "K",
        "metadata": {"name": "a", "labels": {"l": "v"}},
        "spec": {"n": 1},
    }
    value = cel_value(obj, ROOT, resource_root=True)
    assert set(value) == {"apiVersion", "kind", "metadata", "spec"}
    assert dict(value["metadata"]) == {"name": "a"}


def test_undeclared_properties_are_invisible_and_formats_become_cel_types() -> None:
    schema = {
        "type": "object",
        "properties": {"at": {"type": "string", "format": "date-time"}, "my-key": {"type": "integer"}},
    }
    value = cel_value({"at": "2026-01-01T00:00:00Z", "my-key": 3, "other": 1}, schema)
    assert set(value) == {"at", "my__dash__key"}
    assert isinstance(value["at"], celtypes.TimestampType)


def test_results_follow_the_value_the_rule_reads() -> None:
    """The same rule on names of different lengths, with other metadata changing, gives the right answer."""
    results = []
    for index, name in enumerate(["short", "x" * 64, "short", "x" * 64]):
        obj = {"metadata": {"name": name, "resourceVersion": str(index)}, "spec": {"n": index}}
        results.append(bool(evaluate("self.metadata.name.size() <= 63", obj, ROOT, resource_root=True)))
    assert results == [True, False, True, False]


def test_a_rule_using_self_whole_sees_every_field() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    }
    assert bool(
        evaluate("self == oldSelf", {"a": 1, "b": 2}, schema, resource_root=False, old={"a": 1, "b": 2})
    )
    assert not bool(
        evaluate("self == oldSelf", {"a": 1, "b": 3}, schema, resource_root=False, old={"a": 1, "b": 2})
    )


def test_evaluation_errors_are_worded_as_cel_go_words_them() -> None:
    missing = evaluate(
        "self.a == 1", {}, {"type": "object", "properties": {"a": {"type": "integer"}}}, resource_root=False
    )
    assert isinstance(missing, Exception)
    assert error_text(missing) == "no such key: a"
    divided = evaluate(
        "1 / self.a == 1",
        {"a": 0},
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        resource_root=False,
    )
    assert error_text(divided) == "division by zero"


def test_a_syntax_error_is_a_compile_error() -> None:
    assert compile_error("self.a ==") is not None
    assert compile_error("self.a == 1") is None
