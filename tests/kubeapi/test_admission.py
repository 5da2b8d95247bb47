"""Custom-resource admission through the real kubernetes-asyncio client: defaults, pruning, 422 causes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi.testing import eventually

CRD_PATH = Path(__file__).parents[2] / "manifests" / "crd" / "asyncactors.asya.sh.yaml"
GROUP, VERSION, PLURAL = "asya.sh", "v1alpha1", "asyncactors"
MERGE = "application/merge-patch+json"


def actor(name: str = "echo", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AsyncActor",
        "metadata": {"name": name},
        "spec": {
            "transport": "rabbitmq",
            "workload": {
                "template": {"spec": {"containers": [{"name": "asya-runtime", "image": "python:3.13"}]}}
            },
        },
    }
    body["spec"].update(spec)
    return body


async def install_crd(api_client: Any) -> client.CustomObjectsApi:
    crd = yaml.safe_load(CRD_PATH.read_text())
    await client.ApiextensionsV1Api(api_client).create_custom_resource_definition(crd)
    objects = client.CustomObjectsApi(api_client)

    async def served() -> None:
        resources = await objects.get_api_resources(GROUP, VERSION)
        assert PLURAL in {r.name for r in resources.resources}

    await eventually(served)
    return objects


async def create(objects: client.CustomObjectsApi, body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = await objects.create_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, body
    )
    return created


def rejection(caught: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    assert caught.value.status == 422
    status: dict[str, Any] = json.loads(caught.value.body)
    return status


async def test_create_applies_defaults_and_prunes_unknown_fields(kubeapi_client: Any) -> None:
    objects = await install_crd(kubeapi_client)
    body = actor(scaling={"enabled": True}, replicaCount=3)
    created = await create(objects, body)
    assert "replicaCount" not in created["spec"]
    assert created["spec"]["scaling"]["maxReplicas"] == 50
    assert created["spec"]["workload"]["kind"] == "Deployment"
    stored = await objects.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "echo")
    assert stored["spec"] == created["spec"]


async def test_an_invalid_actor_is_rejected_with_422_and_every_cause(kubeapi_client: Any) -> None:
    objects = await install_crd(kubeapi_client)
    body = actor("bad", transport="")
    body["spec"]["workload"]["template"]["spec"]["volumes"] = [{"name": "tmp"}]
    with pytest.raises(ApiException) as caught:
        await create(objects, body)
    status = rejection(caught)
    assert status["reason"] == "Invalid"
    assert status["message"].startswith(
        'AsyncActor.asya.sh "bad" is invalid: [spec.transport: Invalid value: "": '
    )
    assert status["details"]["name"] == "bad"
    assert status["details"]["group"] == GROUP
    assert status["details"]["kind"] == "AsyncActor"
    assert [(c["reason"], c["field"]) for c in status["details"]["causes"]] == [
        ("FieldValueInvalid", "spec.transport"),
        ("FieldValueInvalid", "spec.workload.template.spec"),
    ]
    with pytest.raises(ApiException) as missing:
        await objects.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "bad")
    assert missing.value.status == 404


async def test_a_patch_that_breaks_a_rule_is_rejected_and_leaves_the_object(kubeapi_client: Any) -> None:
    objects = await install_crd(kubeapi_client)
    created = await create(objects, actor(scaling={"enabled": True}))
    patch = {"spec": {"scaling": {"minReplicas": 80}}}
    with pytest.raises(ApiException) as caught:
        await objects.patch_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, "echo", patch, _content_type=MERGE
        )
    causes = rejection(caught)["details"]["causes"]
    assert [c["field"] for c in causes] == ["spec.scaling"]
    assert "minReplicas" in causes[0]["message"]
    stored = await objects.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "echo")
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_status_writes_are_validated_against_the_status_schema(kubeapi_client: Any) -> None:
    objects = await install_crd(kubeapi_client)
    created = await create(objects, actor())
    good = copy.deepcopy(created)
    good["status"] = {"status": "Creating", "replicas": 0}
    written = await objects.replace_namespaced_custom_object_status(
        GROUP, VERSION, "default", PLURAL, "echo", good
    )
    assert written["status"] == {"status": "Creating", "replicas": 0}
    bad = copy.deepcopy(written)
    bad["status"]["status"] = "Sleeping"
    with pytest.raises(ApiException) as caught:
        await objects.replace_namespaced_custom_object_status(GROUP, VERSION, "default", PLURAL, "echo", bad)
    causes = rejection(caught)["details"]["causes"]
    assert [(c["reason"], c["field"]) for c in causes] == [
        ("FieldValueNotSupported", "status.status"),
        ("FieldValueInvalid", "<nil>"),  # the CEL rules were skipped, as the server says
    ]
    assert causes[0]["message"].startswith('Unsupported value: "Sleeping": supported values: "Creating", ')


async def test_generation_ignores_writes_that_admission_undoes(kubeapi_client: Any) -> None:
    """Only unknown fields added: after pruning the spec is unchanged, so the generation stays."""
    objects = await install_crd(kubeapi_client)
    created = await create(objects, actor())
    assert created["metadata"]["generation"] == 1
    patched = await objects.patch_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, "echo", {"spec": {"replicaCount": 2}}, _content_type=MERGE
    )
    assert patched["metadata"]["generation"] == 1
    patched = await objects.patch_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, "echo", {"spec": {"transport": "sqs"}}, _content_type=MERGE
    )
    assert patched["metadata"]["generation"] == 2
