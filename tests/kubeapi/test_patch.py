"""PATCH with merge, JSON and strategic merge patches, through the typed clients (explicit content types)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, widget, widget_crd

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)


async def _widgets(api_client: Any) -> client.CustomObjectsApi:
    await client.ApiextensionsV1Api(api_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(api_client)
    await custom.create_namespaced_custom_object(*ARGS, widget("w", size=1, tags=["a", "b"]))
    return custom


def _deployment(*containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": list(containers)}},
        },
    }


async def test_merge_patch_merges_maps_and_null_deletes(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    patched = await custom.patch_namespaced_custom_object(
        *ARGS, "w", {"spec": {"size": None, "replicas": 2}}, _content_type=MERGE
    )
    assert patched["spec"] == {"tags": ["a", "b"], "replicas": 2}


async def test_merge_patch_replaces_lists(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    patched = await custom.patch_namespaced_custom_object(
        *ARGS, "w", {"spec": {"tags": ["c"]}}, _content_type=MERGE
    )
    assert patched["spec"]["tags"] == ["c"]


async def test_json_patch_applies_operations_in_order(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    operations = [
        {"op": "test", "path": "/spec/size", "value": 1},
        {"op": "replace", "path": "/spec/size", "value": 5},
        {"op": "add", "path": "/spec/tags/-", "value": "c"},
        {"op": "remove", "path": "/spec/tags/0"},
        {"op": "copy", "from": "/spec/size", "path": "/spec/replicas"},
    ]
    patched = await custom.patch_namespaced_custom_object(*ARGS, "w", operations, _content_type=JSON_PATCH)
    assert patched["spec"] == {"size": 5, "tags": ["b", "c"], "replicas": 5}


async def test_failing_json_patch_test_is_422(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    with pytest.raises(ApiException) as caught:
        await custom.patch_namespaced_custom_object(
            *ARGS, "w", [{"op": "test", "path": "/spec/size", "value": 9}], _content_type=JSON_PATCH
        )
    assert caught.value.status == 422


async def test_strategic_merge_patch_is_refused_for_custom_resources(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    with pytest.raises(ApiException) as caught:
        await custom.patch_namespaced_custom_object(
            *ARGS, "w", {"spec": {"size": 2}}, _content_type=STRATEGIC
        )
    assert caught.value.status == 415
    assert json.loads(caught.value.body)["reason"] == "UnsupportedMediaType"


async def test_patch_carrying_a_stale_resource_version_is_409(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    with pytest.raises(ApiException) as caught:
        await custom.patch_namespaced_custom_object(
            *ARGS, "w", {"metadata": {"resourceVersion": "1"}, "spec": {"size": 2}}, _content_type=MERGE
        )
    assert caught.value.status == 409


async def test_strategic_merge_patches_containers_by_name(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.create_namespaced_deployment(
        "default",
        _deployment(
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
            {"name": "b", "image": "b:1"},
        ),
    )
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "a", "image": "a:2", "env": [{"name": "Y", "value": "3"}]}]}
            }
        }
    }
    patched = await apps.patch_namespaced_deployment("d", "default", patch)  # the client's default is SMP
    containers = patched.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("a", "a:2"), ("b", "b:1")]
    assert [(e.name, e.value) for e in containers[0].env] == [("X", "1"), ("Y", "3")]


async def test_strategic_merge_directives_delete_and_order(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.create_namespaced_deployment(
        "default",
        _deployment({"name": "a", "image": "a"}, {"name": "b", "image": "b"}, {"name": "c", "image": "c"}),
    )
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                    "containers": [{"name": "b", "$patch": "delete"}],
                }
            }
        }
    }
    patched = await apps.patch_namespaced_deployment("d", "default", patch, _content_type=STRATEGIC)
    assert [c.name for c in patched.spec.template.spec.containers] == ["c", "a"]


async def test_strategic_merge_unions_finalizers_and_merges_conditions_by_type(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "p", "finalizers": ["a/x"]},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        },
    )
    patched = await v1.patch_namespaced_pod("p", "default", {"metadata": {"finalizers": ["b/y"]}})
    assert patched.metadata.finalizers == ["a/x", "b/y"]
    conditions = {
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]
        }
    }
    await v1.patch_namespaced_pod_status("p", "default", conditions)
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    pod = await v1.patch_namespaced_pod_status("p", "default", ready)
    assert [(c.type, c.status) for c in pod.status.conditions] == [("Ready", "True"), ("Initialized", "True")]


async def test_patch_of_a_missing_object_is_404(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).patch_namespaced_config_map("nope", "default", {"data": {}})
    assert caught.value.status == 404


async def test_unknown_patch_content_type_is_415(kubeapi: KubeAPI) -> None:
    url = f"{kubeapi.url}/api/v1/namespaces/default/configmaps/x"
    async with (
        aiohttp.ClientSession() as session,
        session.patch(url, data=b"{}", headers={"Content-Type": "text/plain"}) as response,
    ):
        assert response.status == 415


async def test_patch_through_main_resource_ignores_status(kubeapi_client: Any) -> None:
    custom = await _widgets(kubeapi_client)
    patched = await custom.patch_namespaced_custom_object(
        *ARGS, "w", {"status": {"replicas": 3}, "spec": {"size": 2}}, _content_type=MERGE
    )
    assert "status" not in patched
    assert patched["spec"]["size"] == 2
