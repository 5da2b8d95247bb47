"""The AsyncActor CRD: what `kubectl` shows, the defaults and bounds of contract §1.1, the status schema,
and a structural schema that the apiextensions.k8s.io/v1 API accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
import yaml
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.models import V1JSONSchemaProps, V1ValidationRule

from controller.api.crd import crd_manifest, crd_yaml, root_schema, schema_node
from controller.api.models import (
    AsyncActorSpec,
    AsyncActorStatus,
    Condition,
    ScaledObjectRef,
    WorkloadRef,
)
from controller.api.rules import ALL_RULES
from tests.admission import actor_object, actor_schema, admit
from tests.corpus import spec

MANIFEST = Path(__file__).parents[3] / "manifests" / "crd" / "asyncactors.asya.sh.yaml"
VALIDATIONS = "x-kubernetes-validations"


def _version() -> dict[str, Any]:
    version: dict[str, Any] = crd_manifest()["spec"]["versions"][0]
    return version


def _nodes(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node with its path."""
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from _nodes(sub, f"{path}.{name}")
    if "items" in node:
        yield from _nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _nodes(node["additionalProperties"], f"{path}{{}}")


# --- the checked-in manifest ------------------------------------------------------------------------------


def test_checked_in_manifest_is_the_generated_one() -> None:
    """Run `make crd` when this fails: the models changed and the manifest did not."""
    assert MANIFEST.read_text() == crd_yaml()


def test_manifest_yaml_reads_back_as_the_crd() -> None:
    assert yaml.safe_load(MANIFEST.read_text()) == crd_manifest()


async def test_kubernetes_client_reads_the_manifest_as_a_crd_without_loss() -> None:
    """Deserialised into the client's apiextensions v1 models and back, nothing is dropped or renamed."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    async with ApiClient() as api:
        crd = api.deserialize(SimpleNamespace(data=json.dumps(manifest)), "V1CustomResourceDefinition")
        assert type(crd).__name__ == "V1CustomResourceDefinition"
        assert api.sanitize_for_serialization(crd) == manifest


def test_every_schema_key_is_a_field_of_json_schema_props() -> None:
    known = set(V1JSONSchemaProps.attribute_map.values())
    rule_keys = set(V1ValidationRule.attribute_map.values())
    for path, node in _nodes(root_schema()):
        assert set(node) <= known, path
        for rule in node.get(VALIDATIONS, []):
            assert set(rule) <= rule_keys, path


# --- names and versions -----------------------------------------------------------------------------------


def test_names_group_and_scope_are_the_contracts() -> None:
    crd = crd_manifest()
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["metadata"]["name"] == "asyncactors.asya.sh"
    assert crd["spec"]["group"] == "asya.sh"
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["names"] == {
        "kind": "AsyncActor",
        "listKind": "AsyncActorList",
        "plural": "asyncactors",
        "singular": "asyncactor",
        "shortNames": ["asya", "asyas", "asyncactor"],
        "categories": ["asya"],
    }


def test_one_served_storage_version_with_the_status_subresource() -> None:
    (version,) = crd_manifest()["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


# --- printer columns --------------------------------------------------------------------------------------

COLUMNS = [
    ("Status", "string", ".status.status", 0),
    ("Running", "integer", ".status.replicas", 0),
    ("Pending", "integer", ".status.pendingReplicas", 0),
    ("Failing", "integer", ".status.failingPods", 0),
    ("Total", "integer", ".status.totalReplicas", 0),
    ("Desired", "integer", ".status.desiredReplicas", 0),
    ("Min", "integer", ".spec.scaling.minReplicas", 0),
    ("Max", "integer", ".spec.scaling.maxReplicas", 0),
    ("Last-Scale", "string", ".status.lastScaleFormatted", 0),
    ("Age", "date", ".metadata.creationTimestamp", 0),
    ("Ready", "string", '.status.conditions[?(@.type=="Ready")].status', 1),
    ("Workload", "string", ".spec.workload.kind", 1),
    ("Transport", "string", ".status.transportStatus", 1),
    ("Scaling", "string", ".status.scalingMode", 1),
    ("Queued", "integer", ".status.queuedMessages", 1),
    ("Processing", "integer", ".status.processingMessages", 1),
]


def test_printer_columns_in_the_contracts_order_with_six_wide_ones() -> None:
    columns = _version()["additionalPrinterColumns"]
    assert [(c["name"], c["type"], c["jsonPath"], c.get("priority", 0)) for c in columns] == COLUMNS
    assert all(column["description"] for column in columns)


@pytest.mark.parametrize("path", [path for _, _, path, _ in COLUMNS if not path.startswith(".metadata")])
def test_each_column_reads_a_field_the_schema_declares(path: str) -> None:
    """A column whose field was renamed would silently show nothing; its path must resolve in the schema."""
    node = root_schema()
    for part in re.sub(r"\[\?\(.*?\)\]", "[]", path).strip(".").split("."):
        many = part.endswith("[]")
        node = node["properties"][part.removesuffix("[]")]
        if many:
            node = node["items"]
    assert node["type"] in {"string", "integer"}


# --- spec: defaults, bounds, required ---------------------------------------------------------------------

CONTRACT_DEFAULTS = {
    ".sidecar.imagePullPolicy": "IfNotPresent",
    ".timeout.processing": 300,
    ".timeout.gracefulShutdown": 30,
    ".scaling.enabled": False,
    ".scaling.minReplicas": 0,
    ".scaling.maxReplicas": 50,
    ".scaling.pollingInterval": 10,
    ".scaling.cooldownPeriod": 60,
    ".scaling.queueLength": 5,
    ".workload.kind": "Deployment",
    ".workload.replicas": 1,
    ".workload.pythonExecutable": "python3",
}


def _spec_schema() -> dict[str, Any]:
    return schema_node(root_schema(), "spec")


def test_spec_defaults_are_exactly_the_contracts() -> None:
    defaults = {path: node["default"] for path, node in _nodes(_spec_schema()) if "default" in node}
    assert defaults == CONTRACT_DEFAULTS


def test_no_object_has_a_default_so_nested_defaults_apply_only_under_a_given_parent() -> None:
    for path, node in _nodes(root_schema()):
        assert not (node.get("type") == "object" and "default" in node), path


def test_status_has_no_defaults() -> None:
    assert [path for path, node in _nodes(schema_node(root_schema(), "status")) if "default" in node] == []


def test_each_default_passes_its_own_schema() -> None:
    for _, node in _nodes(root_schema()):
        if "default" in node:
            jsonschema.validate(node["default"], node, cls=jsonschema.Draft4Validator)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("transport", {"type": "string", "minLength": 1}),
        ("sidecar.imagePullPolicy", {"enum": ["Always", "IfNotPresent", "Never"]}),
        ("timeout.processing", {"minimum": 1, "format": "int64"}),
        ("timeout.gracefulShutdown", {"minimum": 0, "format": "int64"}),
        ("scaling.minReplicas", {"minimum": 0, "format": "int32"}),
        ("scaling.maxReplicas", {"minimum": 1, "format": "int32"}),
        ("scaling.pollingInterval", {"minimum": 1, "format": "int64"}),
        ("scaling.cooldownPeriod", {"minimum": 0, "format": "int64"}),
        ("scaling.queueLength", {"minimum": 1, "format": "int64"}),
        ("scaling.advanced.metricType", {"enum": ["AverageValue", "Value", "Utilization"]}),
        ("scaling.advanced.restoreToOriginalReplicaCount", {"type": "boolean"}),
        ("workload.kind", {"enum": ["Deployment", "StatefulSet"]}),
        ("workload.replicas", {"minimum": 0, "format": "int32", "maximum": 2**31 - 1}),
    ],
)
def test_bounds_enums_and_formats_of_the_contract(path: str, expected: dict[str, Any]) -> None:
    node = schema_node(_spec_schema(), path)
    assert {key: node.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    ("path", "required"),
    [
        ("", ["transport", "workload"]),
        ("workload", ["template"]),
        ("workload.template", ["spec"]),
        ("workload.template.spec", ["containers"]),
    ],
)
def test_required_fields(path: str, required: list[str]) -> None:
    assert schema_node(_spec_schema(), path)["required"] == required


def test_the_whole_object_requires_a_spec() -> None:
    assert root_schema()["required"] == ["spec"]


def test_sidecar_env_items_need_a_name_and_keep_other_fields() -> None:
    item = schema_node(_spec_schema(), "sidecar.env")["items"]
    assert item["required"] == ["name"]
    assert item["x-kubernetes-preserve-unknown-fields"] is True


def test_sidecar_resources_are_kept_whole() -> None:
    assert schema_node(_spec_schema(), "sidecar.resources") == {
        "description": "Resource requests and limits of the sidecar (core/v1 ResourceRequirements).",
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_pod_spec_is_partial_and_keeps_every_other_field() -> None:
    pod = schema_node(_spec_schema(), "workload.template.spec")
    container = pod["properties"]["containers"]["items"]
    assert pod["x-kubernetes-preserve-unknown-fields"] is True
    assert container["x-kubernetes-preserve-unknown-fields"] is True
    assert pod["properties"]["initContainers"]["items"] == container
    assert {"name", "image", "command", "args", "env", "envFrom", "volumeMounts", "resources"} <= set(
        container["properties"]
    )
    assert container["properties"]["env"]["items"]["required"] == ["name"]
    assert container["properties"]["volumeMounts"]["items"]["required"] == ["name", "mountPath"]


def test_lists_the_rules_iterate_over_are_bounded() -> None:
    """Unbounded lists and strings make the API server's cost estimate of a rule refuse the CRD."""
    pod = schema_node(_spec_schema(), "workload.template.spec")
    for field in ("containers", "initContainers", "volumes"):
        node = pod["properties"][field]
        assert node["maxItems"] > 0
        assert node["items"]["properties"]["name"]["maxLength"] == 63


def test_pod_template_metadata_has_string_labels_and_annotations() -> None:
    metadata = schema_node(_spec_schema(), "workload.template.metadata")
    for field in ("labels", "annotations"):
        node = metadata["properties"][field]
        assert (node["type"], node["additionalProperties"]) == ("object", {"type": "string"})
    assert metadata["x-kubernetes-preserve-unknown-fields"] is True


def test_each_rule_sits_at_the_level_it_names() -> None:
    for rule in ALL_RULES:
        assert rule.schema() in schema_node(root_schema(), rule.level)[VALIDATIONS]


# --- status -----------------------------------------------------------------------------------------------


def test_conditions_are_a_map_list_keyed_by_type() -> None:
    conditions = schema_node(root_schema(), "status.conditions")
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    assert "type" in conditions["items"]["required"]


def test_condition_items_are_metav1_conditions() -> None:
    item = schema_node(root_schema(), "status.conditions")["items"]
    assert set(item["required"]) == {"type", "status", "lastTransitionTime", "reason", "message"}
    properties = item["properties"]
    assert properties["status"]["enum"] == ["True", "False", "Unknown"]
    assert properties["lastTransitionTime"]["format"] == "date-time"
    assert properties["observedGeneration"] == {"format": "int64", "minimum": 0, "type": "integer"}
    assert properties["reason"]["pattern"] == "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
    assert properties["message"]["maxLength"] == 32768


def _undeclared(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """Fields of ``value`` that ``schema`` does not declare: the API server would drop them silently."""
    if isinstance(value, dict) and not schema.get("x-kubernetes-preserve-unknown-fields"):
        declared = schema.get("properties", {})
        return [
            problem
            for key, item in value.items()
            for problem in (
                _undeclared(declared[key], item, f"{path}.{key}") if key in declared else [f"{path}.{key}"]
            )
        ]
    if isinstance(value, list):
        return [problem for item in value for problem in _undeclared(schema["items"], item, f"{path}[]")]
    return []


def test_every_status_the_model_writes_is_accepted_whole() -> None:
    moment = datetime(2026, 11, 27, 4, 22, 21, tzinfo=UTC)
    status = AsyncActorStatus(
        status="ScalingUp",
        conditions=[
            Condition(
                type=kind, status="False", last_transition_time=moment, reason="Wait", observed_generation=2
            )
            for kind in ("TransportReady", "WorkloadReady", "ScalingReady", "Ready")
        ],
        observed_generation=2,
        replicas=1,
        pending_replicas=1,
        failing_pods=0,
        total_replicas=2,
        ready_replicas=1,
        desired_replicas=3,
        last_scale_time=moment,
        last_scale_direction="up",
        last_scale_formatted="5m ago (up)",
        transport_status="Ready",
        scaling_mode="KEDA",
        queued_messages=12,
        processing_messages=3,
        workload_ref=WorkloadRef(api_version="apps/v1", kind="Deployment", name="tp", namespace="default"),
        scaled_object_ref=ScaledObjectRef(name="tp", namespace="default"),
        unready_since=moment,
    )
    body = status.to_body()
    schema = schema_node(root_schema(), "status")
    assert len(body) == len(AsyncActorStatus.model_fields), "fill every field, so that every one is checked"
    jsonschema.validate(body, schema, cls=jsonschema.Draft4Validator)
    assert _undeclared(schema, body) == []


# --- structural ---------------------------------------------------------------------------------------------

FORBIDDEN = {"$ref", "anyOf", "oneOf", "allOf", "not", "nullable", "definitions", "$defs", "title"}


def test_schema_is_structural() -> None:
    for path, node in _nodes(root_schema()):
        assert node.get("type") or node.get("x-kubernetes-preserve-unknown-fields"), f"{path}: no type"
        assert not FORBIDDEN & set(node), path
        assert node.get("additionalProperties") is not False, path
        assert not ("properties" in node and "additionalProperties" in node), path
        if node.get("type") == "array":
            assert "items" in node, path
    assert schema_node(root_schema(), "metadata") == {"type": "object"}


def test_crd_defaulting_gives_what_the_models_read_from_the_bare_spec() -> None:
    """Where the parents are given, the API server's defaults are exactly the models' defaults."""
    bare = spec()
    with_parents = spec(sidecar={}, timeout={}, scaling={})
    stored = admit(actor_schema(), actor_object("a", with_parents))
    assert stored.allowed
    read = AsyncActorSpec.model_validate(bare).model_dump(mode="json", by_alias=True, exclude_none=True)
    assert stored.object["spec"] == read
