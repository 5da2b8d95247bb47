"""LIST: label and field selectors, pagination with continue tokens, resourceVersion semantics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi import KubeAPI


async def _configmaps(
    v1: client.CoreV1Api, labels: dict[str, dict[str, str]], namespace: str = "default"
) -> None:
    for name, values in labels.items():
        await v1.create_namespaced_config_map(namespace, {"metadata": {"name": name, "labels": values}})


async def _names(v1: client.CoreV1Api, **kwargs: Any) -> list[str]:
    result = await v1.list_namespaced_config_map("default", **kwargs)
    return [item.metadata.name for item in result.items]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=x", ["a", "c"]),
        ("app==x", ["a", "c"]),
        ("app!=x", ["b", "d"]),
        ("app in (x, y)", ["a", "b", "c"]),
        ("app notin (x)", ["b", "d"]),
        ("tier", ["c"]),
        ("!tier", ["a", "b", "d"]),
        ("app=x,tier=web", ["c"]),
        ("app in (x),!tier", ["a"]),
    ],
)
async def test_label_selectors_match_like_the_server(
    kubeapi_client: Any, selector: str, expected: list[str]
) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await _configmaps(v1, {"a": {"app": "x"}, "b": {"app": "y"}, "c": {"app": "x", "tier": "web"}, "d": {}})
    assert await _names(v1, label_selector=selector) == expected


async def test_malformed_label_selector_is_400(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).list_namespaced_config_map("default", label_selector="a in b")
    assert caught.value.status == 400


async def test_field_selectors_on_name_and_namespace(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespace({"metadata": {"name": "other"}})
    await _configmaps(v1, {"a": {}, "b": {}})
    await _configmaps(v1, {"a": {}}, namespace="other")
    assert await _names(v1, field_selector="metadata.name=b") == ["b"]
    assert await _names(v1, field_selector="metadata.name!=b") == ["a"]
    everywhere = await v1.list_config_map_for_all_namespaces(field_selector="metadata.namespace=other")
    assert [(i.metadata.namespace, i.metadata.name) for i in everywhere.items] == [("other", "a")]


async def test_event_field_selectors_on_involved_object(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    for name, pod in [("e1", "p1"), ("e2", "p2")]:
        await v1.create_namespaced_event(
            "default",
            {
                "metadata": {"name": name},
                "reason": "Started",
                "involvedObject": {"kind": "Pod", "name": pod, "namespace": "default", "uid": f"uid-{pod}"},
            },
        )
    events = await v1.list_namespaced_event(
        "default", field_selector="involvedObject.kind=Pod,involvedObject.name=p2"
    )
    assert [e.metadata.name for e in events.items] == ["e2"]
    by_uid = await v1.list_namespaced_event("default", field_selector="involvedObject.uid=uid-p1")
    assert [e.metadata.name for e in by_uid.items] == ["e1"]


async def test_pod_field_selectors_on_phase_and_node(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    spec = {"containers": [{"name": "c", "image": "i"}]}
    await v1.create_namespaced_pod(
        "default", {"metadata": {"name": "p1"}, "spec": {**spec, "nodeName": "n1"}}
    )
    await v1.create_namespaced_pod("default", {"metadata": {"name": "p2"}, "spec": spec})
    on_node = await v1.list_namespaced_pod("default", field_selector="spec.nodeName=n1")
    assert [p.metadata.name for p in on_node.items] == ["p1"]
    pending = await v1.list_namespaced_pod("default", field_selector="status.phase=Pending")
    assert len(pending.items) == 2


async def test_unsupported_field_selector_is_400(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).list_namespaced_config_map(
            "default", field_selector="data.k=v"
        )
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["message"] == "field label not supported: data.k"


async def test_list_pages_with_limit_and_continue_from_one_snapshot(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await _configmaps(v1, {name: {} for name in "abcde"})
    first = await v1.list_namespaced_config_map("default", limit=2)
    assert [i.metadata.name for i in first.items] == ["a", "b"]
    assert first.metadata.remaining_item_count == 3
    await v1.delete_namespaced_config_map("d", "default")
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "f"}})
    second = await v1.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    third = await v1.list_namespaced_config_map("default", limit=2, _continue=second.metadata._continue)
    assert [i.metadata.name for i in second.items + third.items] == ["c", "d", "e"]
    assert third.metadata._continue is None
    assert second.metadata.resource_version == first.metadata.resource_version


async def test_continue_token_expires_after_compaction(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await _configmaps(v1, {name: {} for name in "abc"})
    first = await v1.list_namespaced_config_map("default", limit=1)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "z"}})
    kubeapi.faults.compact()
    with pytest.raises(ApiException) as caught:
        await v1.list_namespaced_config_map("default", limit=1, _continue=first.metadata._continue)
    assert caught.value.status == 410
    assert json.loads(caught.value.body)["reason"] == "Expired"


async def test_list_resource_version_is_the_latest_write(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    listed = await v1.list_namespaced_config_map("default", resource_version="0")
    assert listed.metadata.resource_version == created.metadata.resource_version


async def test_exact_list_is_served_as_of_that_version(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    first = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    past = await v1.list_namespaced_config_map(
        "default", resource_version=first.metadata.resource_version, resource_version_match="Exact"
    )
    assert [i.metadata.name for i in past.items] == ["a"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"resource_version_match": "NotOlderThan"}, "forbidden unless resourceVersion is provided"),
        ({"resource_version": "0", "resource_version_match": "Exact"}, 'forbidden for resourceVersion "0"'),
        ({"resource_version": "1", "resource_version_match": "Sometimes"}, "Unsupported value"),
    ],
)
async def test_resource_version_match_errors_are_422(
    kubeapi_client: Any, kwargs: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).list_namespaced_config_map("default", **kwargs)
    assert caught.value.status == 422
    assert fragment in json.loads(caught.value.body)["message"]


async def test_list_items_of_built_in_types_omit_kind(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    await client.CoreV1Api(kubeapi_client).create_namespaced_config_map(
        "default", {"metadata": {"name": "a"}}
    )
    response = await client.CoreV1Api(kubeapi_client).list_namespaced_config_map(
        "default", _preload_content=False
    )
    body = json.loads(await response.read())
    assert body["kind"] == "ConfigMapList"
    assert body["apiVersion"] == "v1"
    assert "kind" not in body["items"][0]
