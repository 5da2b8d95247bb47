"""The admission rules, read out of the generated CRD and evaluated the way an API server does."""

from __future__ import annotations

from typing import Any

import celpy
import pytest

from controller.api import rules
from controller.api.crd import schema_node
from tests.admission import VALIDATIONS, actor_object, actor_schema, admit
from tests.corpus import RULE_CASES, SCHEMA_INVALID, Case, pod, runtime, spec


def _crd_rules() -> list[dict[str, str]]:
    found: list[dict[str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        found.extend(node.get(VALIDATIONS, []))
        for sub in node.get("properties", {}).values():
            walk(sub)
        if "items" in node:
            walk(node["items"])

    walk(actor_schema())
    return found


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda case: case.id)
def test_rules_refuse_exactly_what_the_case_breaks(case: Case) -> None:
    verdict = admit(actor_schema(), actor_object(case.name, case.spec))
    assert verdict.schema_errors == []
    assert sorted(verdict.rule_messages) == case.messages


@pytest.mark.parametrize("case", SCHEMA_INVALID, ids=lambda case: case.id)
def test_openapi_schema_refuses_malformed_specs(case: Case) -> None:
    assert admit(actor_schema(), actor_object(case.name, case.spec)).schema_errors


def test_every_rule_of_the_contract_is_in_the_crd_once() -> None:
    assert sorted(rule["rule"] for rule in _crd_rules()) == sorted(rule.rule for rule in rules.ALL_RULES)


def test_every_rule_compiles_as_cel() -> None:
    environment = celpy.Environment()
    for rule in _crd_rules():
        environment.compile(rule["rule"])


def test_every_rule_is_broken_by_some_case() -> None:
    broken = {rule for case in RULE_CASES for rule in case.breaks}
    assert broken == set(rules.ALL_RULES)


def test_scaling_rule_sees_defaults_of_the_fields_left_out() -> None:
    """minReplicas 51 with maxReplicas left out breaks the rule, because maxReplicas defaults to 50."""
    verdict = admit(actor_schema(), actor_object("a", spec(scaling={"minReplicas": 51})))
    assert verdict.object["spec"]["scaling"]["maxReplicas"] == 50
    assert verdict.rule_messages == [rules.MIN_NOT_ABOVE_MAX.message]


def test_runtime_command_rule_ignores_other_containers_commands() -> None:
    actor = actor_object("a", pod(containers=[{"name": "helper", "command": ["sh"]}, runtime()]))
    assert admit(actor_schema(), actor).allowed


def test_rules_see_fields_inside_a_schema_that_preserves_unknown_fields() -> None:
    """The pod spec keeps unknown fields, yet the rules still read containers, names and commands."""
    node = schema_node(actor_schema(), "spec.workload.template.spec")
    assert node["x-kubernetes-preserve-unknown-fields"] is True
    assert {"containers", "initContainers", "volumes"} <= set(node["properties"])
    assert {"name", "command"} <= set(node["properties"]["containers"]["items"]["properties"])
