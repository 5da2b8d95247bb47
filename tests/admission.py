"""What an API server does when it admits a custom resource, driven by nothing but the CRD's schema.

``admit(schema, obj)`` drops nulls of declared fields, applies the structural defaults (a nested default
only where its parent object is present), validates against the OpenAPI schema and evaluates every
``x-kubernetes-validations`` rule with ``self`` bound to the value at the rule's level.

Simplifications against a real API server: the OpenAPI check is jsonschema's Draft 4 validator (the JSON
Schema that OpenAPI v3.0's schema object is built on), which ignores ``format`` and the
``x-kubernetes-*`` keys; unknown fields are not pruned (pruning never changes a verdict); CEL runs in
cel-python, without Kubernetes' CEL extension library and without cost limits; and, as a shortcut, no rule
is evaluated once the OpenAPI check has failed.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
import jsonschema
import yaml

from controller.api.crd import crd_yaml

VALIDATIONS = "x-kubernetes-validations"


@dataclass(frozen=True)
class Verdict:
    object: dict[str, Any]
    """The object as stored: nulls dropped, defaults applied."""
    schema_errors: list[str] = field(default_factory=list)
    rule_messages: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.schema_errors and not self.rule_messages


@functools.cache
def generated_crd() -> dict[str, Any]:
    """The CRD exactly as ``python -m controller crd`` prints it, read back from its YAML."""
    crd: dict[str, Any] = yaml.safe_load(crd_yaml())
    return crd


def actor_schema() -> dict[str, Any]:
    schema: dict[str, Any] = generated_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def actor_object(name: str, spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def admit(schema: Mapping[str, Any], obj: Mapping[str, Any]) -> Verdict:
    stored = defaulted(schema, obj)
    validator = jsonschema.Draft4Validator(schema)
    errors = [
        f"{'.'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(stored)
    ]
    if errors:
        return Verdict(stored, schema_errors=errors)
    return Verdict(stored, rule_messages=rule_violations(schema, stored))


def defaulted(schema: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, Mapping):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in properties:
                if item is not None:
                    out[key] = defaulted(properties[key], item)
            else:
                out[key] = defaulted(extra, item) if isinstance(extra, Mapping) else item
        for key, sub in properties.items():
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
        return out
    if isinstance(value, list) and "items" in schema:
        return [defaulted(schema["items"], item) for item in value]
    return value


def rule_violations(schema: Mapping[str, Any], value: Any) -> list[str]:
    """The messages of the rules that ``value`` breaks, at every level of the schema."""
    broken = [
        rule["message"]
        for rule in schema.get(VALIDATIONS, [])
        if not _program(rule["rule"]).evaluate({"self": celpy.json_to_cel(value)})
    ]
    if isinstance(value, Mapping):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                broken += rule_violations(sub, value[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            for item in value.values():
                broken += rule_violations(extra, item)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            broken += rule_violations(schema["items"], item)
    return broken


# One environment, made at import: making one raises the recursion limit, which Hypothesis warns about
# when it happens inside a test.
_CEL = celpy.Environment()


@functools.cache
def _program(rule: str) -> Any:
    return _CEL.program(_CEL.compile(rule))
