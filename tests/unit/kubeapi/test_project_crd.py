"""Admission with the project's own CRD (manifests/crd), as the emulator runs it for every AsyncActor write.

The rule messages are read from the CRD itself, so these tests follow the CRD as it evolves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kubeapi.fielderrors import Invalid
from tests.kubeapi.schema import admit, unknown_fields
from tests.unit.kubeapi.samples import actor

CRD_PATH = Path(__file__).parents[3] / "manifests" / "crd" / "asyncactors.asya.sh.yaml"
TEMPLATE = "spec.workload.template.spec"


@pytest.fixture(scope="module")
def project_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD_PATH.read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for part in filter(None, path.split(".")):
        schema = schema["properties"][part]
    return schema


def rule_message(schema: dict[str, Any], path: str, fragment: str) -> str:
    """The message of the rule at `path` whose expression contains `fragment`."""
    rule = next(r for r in node(schema, path)["x-kubernetes-validations"] if fragment in r["rule"])
    return str(rule["message"]).strip()


def causes(schema: dict[str, Any], obj: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(Invalid) as caught:
        admit(schema=schema, obj=obj)
    return [(c.field, c.body) for c in caught.value.causes]


def changed(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    obj = actor()
    change(obj)
    return obj


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = obj["spec"]["workload"]["template"]["spec"]
    return found


def test_a_plain_actor_is_admitted_with_the_crd_defaults(project_schema: dict[str, Any]) -> None:
    admitted = admit(schema=project_schema, obj=actor(scaling={"enabled": True}))
    workload, scaling = admitted["spec"]["workload"], admitted["spec"]["scaling"]
    assert (workload["kind"], workload["replicas"], workload["pythonExecutable"]) == (
        "Deployment",
        1,
        "python3",
    )
    assert (scaling["minReplicas"], scaling["maxReplicas"], scaling["queueLength"]) == (0, 50, 5)
    assert "timeout" not in admitted["spec"]


def test_unknown_spec_fields_are_pruned_and_the_pod_template_is_kept(project_schema: dict[str, Any]) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["spec"]["replicaCount"] = 3
        pod_spec(obj)["nodeSelector"] = {"disk": "ssd"}

    obj = changed(change)
    assert unknown_fields(schema=project_schema, obj=obj) == ["spec.replicaCount"]
    admitted = admit(schema=project_schema, obj=obj)
    assert "replicaCount" not in admitted["spec"]
    assert pod_spec(admitted)["nodeSelector"] == {"disk": "ssd"}


@pytest.mark.parametrize(
    ("change", "field", "path", "fragment"),
    [
        (lambda o: o["metadata"].update(name="a" * 64), "<nil>", "", "metadata.name"),
        (
            lambda o: o["spec"].update(scaling={"minReplicas": 9, "maxReplicas": 3}),
            "spec.scaling",
            "spec.scaling",
            "minReplicas",
        ),
        (
            lambda o: o["spec"].update(scaling={"advanced": {"formula": "queue"}}),
            "spec.scaling.advanced",
            "spec.scaling.advanced",
            "formula",
        ),
        (
            lambda o: pod_spec(o)["containers"].__setitem__(0, {"name": "main"}),
            TEMPLATE,
            TEMPLATE,
            "size() == 1",
        ),
        (
            lambda o: pod_spec(o)["containers"].append({"name": "asya-sidecar"}),
            TEMPLATE,
            TEMPLATE,
            "asya-sidecar",
        ),
        (
            lambda o: pod_spec(o).update(initContainers=[{"name": "asya-sidecar"}]),
            TEMPLATE,
            TEMPLATE,
            "asya-sidecar",
        ),
        (lambda o: pod_spec(o)["containers"][0].update(command=["python3"]), TEMPLATE, TEMPLATE, "command"),
        (lambda o: pod_spec(o).update(volumes=[{"name": "tmp"}]), TEMPLATE, TEMPLATE, "volumes"),
    ],
)
def test_each_admission_rule_of_the_contract_rejects_with_its_message(
    project_schema: dict[str, Any],
    change: Callable[[dict[str, Any]], Any],
    field: str,
    path: str,
    fragment: str,
) -> None:
    message = rule_message(project_schema, path, fragment)
    assert causes(project_schema, changed(change)) == [(field, f'Invalid value: "object": {message}')]


def test_transport_must_not_be_empty(project_schema: dict[str, Any]) -> None:
    assert causes(project_schema, actor(transport="")) == [
        ("spec.transport", 'Invalid value: "": spec.transport in body should be at least 1 chars long')
    ]


def test_a_status_write_is_checked_against_the_status_schema(project_schema: dict[str, Any]) -> None:
    old = admit(schema=project_schema, obj=actor())
    new = copy.deepcopy(old)
    new["status"] = {"status": "Sleeping"}
    with pytest.raises(Invalid) as caught:
        admit(schema=project_schema, obj=new, old=old, subresource="status")
    assert str(caught.value.causes[0]).startswith(
        'status.status: Unsupported value: "Sleeping": supported values:'
    )
