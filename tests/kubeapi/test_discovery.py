"""Discovery documents, as kubernetes-asyncio and kubectl read them."""

from __future__ import annotations

from typing import Any

import aiohttp
from kubernetes_asyncio import client

from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import eventually, widget_crd


async def test_core_resource_list_declares_names_verbs_and_subresources(kubeapi_client: Any) -> None:
    resources = (await client.CoreV1Api(kubeapi_client).get_api_resources()).resources
    by_name = {r.name: r for r in resources}
    assert by_name["pods"].kind == "Pod"
    assert by_name["pods"].namespaced
    assert by_name["pods"].short_names == ["po"]
    assert by_name["pods"].categories == ["all"]
    assert set(by_name["pods"].verbs) >= {"create", "get", "list", "watch", "patch", "update", "delete"}
    assert "pods/status" in by_name
    assert by_name["namespaces"].namespaced is False
    for name in ("events", "configmaps", "secrets", "serviceaccounts", "services"):
        assert name in by_name


async def test_apps_declares_scale_subresources_as_autoscaling_scale(kubeapi_client: Any) -> None:
    resources = (await client.AppsV1Api(kubeapi_client).get_api_resources()).resources
    by_name = {r.name: r for r in resources}
    for name in ("deployments", "statefulsets"):
        assert by_name[f"{name}/status"].kind == by_name[name].kind
        scale = by_name[f"{name}/scale"]
        assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")


async def test_group_list_has_the_built_in_groups(kubeapi_client: Any) -> None:
    groups = {g.name: g for g in (await client.ApisApi(kubeapi_client).get_api_versions()).groups}
    for name, version in [
        ("apps", "v1"),
        ("autoscaling", "v2"),
        ("coordination.k8s.io", "v1"),
        ("events.k8s.io", "v1"),
        ("apiextensions.k8s.io", "v1"),
    ]:
        assert groups[name].preferred_version.group_version == f"{name}/{version}"


async def test_a_crd_is_served_until_it_is_deleted(kubeapi_client: Any) -> None:
    extensions = client.ApiextensionsV1Api(kubeapi_client)
    await extensions.create_custom_resource_definition(widget_crd())
    group = await client.ApisApi(kubeapi_client).get_api_versions()
    assert "example.com" in {g.name for g in group.groups}
    resources = await client.CustomObjectsApi(kubeapi_client).get_api_resources("example.com", "v1")
    by_name = {r.name: r for r in resources.resources}
    assert by_name["widgets"].short_names == ["wd"]
    assert by_name["widgets"].categories == ["all"]
    assert by_name["widgets"].singular_name == "widget"
    assert {"widgets/status", "widgets/scale"} <= set(by_name)

    await extensions.delete_custom_resource_definition("widgets.example.com")

    async def gone() -> None:
        groups = await client.ApisApi(kubeapi_client).get_api_versions()
        assert "example.com" not in {g.name for g in groups.groups}

    await eventually(gone)


async def test_aggregated_discovery_is_served_when_asked_for(kubeapi: KubeAPI) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{kubeapi.url}/apis", headers={"Accept": accept}) as response,
    ):
        assert response.headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
        body = await response.json(content_type=None)
    assert body["kind"] == "APIGroupDiscoveryList"
    apps = next(item for item in body["items"] if item["metadata"]["name"] == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["scope"] == "Namespaced"
    assert {s["subresource"] for s in deployments["subresources"]} == {"status", "scale"}


async def test_plain_accept_gets_the_legacy_group_list(kubeapi: KubeAPI) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{kubeapi.url}/apis") as response:
        body = await response.json()
    assert body["kind"] == "APIGroupList"


async def test_unknown_paths_are_404_status(kubeapi: KubeAPI) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{kubeapi.url}/apis/nope/v1/things") as response,
    ):
        assert response.status == 404
        body = await response.json()
    assert body["kind"] == "Status"
    assert body["reason"] == "NotFound"


async def test_simulator_resources_are_served(kubeapi_client: Any) -> None:
    core = {r.name for r in (await client.CoreV1Api(kubeapi_client).get_api_resources()).resources}
    apps = {r.name for r in (await client.AppsV1Api(kubeapi_client).get_api_resources()).resources}
    assert {"nodes", "nodes/status", "persistentvolumeclaims"} <= core
    assert {"replicasets", "replicasets/scale"} <= apps
