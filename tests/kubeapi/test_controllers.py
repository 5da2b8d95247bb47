"""What the emulator's own control loops do: garbage collection, namespace termination, CRD cleanup."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, eventually, widget, widget_crd

ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)


async def _owner_and_dependents(v1: client.CoreV1Api, count: int = 2, *, block: bool = False) -> Any:
    owner = await v1.create_namespaced_config_map("default", {"metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    if block:
        ref["blockOwnerDeletion"] = True
    for index in range(count):
        await v1.create_namespaced_config_map(
            "default", {"metadata": {"name": f"dep{index}", "ownerReferences": [ref]}}
        )
    return owner


async def _names(v1: client.CoreV1Api) -> list[str]:
    return [i.metadata.name for i in (await v1.list_namespaced_config_map("default")).items]


async def test_background_deletion_collects_dependents(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await _owner_and_dependents(v1)
    await v1.delete_namespaced_config_map("owner", "default", propagation_policy="Background")

    async def collected() -> None:
        assert await _names(v1) == []

    await eventually(collected)


async def test_foreground_deletion_waits_for_blocking_dependents(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await _owner_and_dependents(v1, block=True)
    response = await v1.delete_namespaced_config_map(
        "owner", "default", body={"propagationPolicy": "Foreground"}, _preload_content=False
    )
    deleting = json.loads(await response.read())  # a pending deletion answers with the object
    assert deleting["metadata"]["finalizers"] == ["foregroundDeletion"]

    async def collected() -> None:
        assert await _names(v1) == []

    await eventually(collected)


async def test_orphan_deletion_keeps_dependents_without_the_reference(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await _owner_and_dependents(v1)
    await v1.delete_namespaced_config_map("owner", "default", propagation_policy="Orphan")

    async def orphaned() -> None:
        assert await _names(v1) == ["dep0", "dep1"]
        dependent = await v1.read_namespaced_config_map("dep0", "default")
        assert dependent.metadata.owner_references is None

    await eventually(orphaned)


async def test_dependent_of_a_missing_owner_is_collected(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "no-such-uid"}
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "dep", "ownerReferences": [ref]}})

    async def collected() -> None:
        assert await _names(v1) == []

    await eventually(collected)


async def test_dependent_with_a_live_owner_loses_only_the_dangling_reference(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    first = await v1.create_namespaced_config_map("default", {"metadata": {"name": "first"}})
    second = await v1.create_namespaced_config_map("default", {"metadata": {"name": "second"}})
    refs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": o.metadata.name, "uid": o.metadata.uid}
        for o in (first, second)
    ]
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "dep", "ownerReferences": refs}})
    await v1.delete_namespaced_config_map("first", "default")

    async def trimmed() -> None:
        dependent = await v1.read_namespaced_config_map("dep", "default")
        assert [r.name for r in dependent.metadata.owner_references] == ["second"]

    await eventually(trimmed)


async def test_custom_resource_owning_built_ins_collects_them(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    owner = await custom.create_namespaced_custom_object(*ARGS, widget("w", size=1))
    ref = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "name": "w",
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    apps = client.AppsV1Api(kubeapi_client)
    await apps.create_namespaced_deployment(
        "default",
        {
            "metadata": {"name": "w", "ownerReferences": [ref]},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        },
    )
    await custom.delete_namespaced_custom_object(*ARGS, "w")

    async def collected() -> None:
        assert (await apps.list_namespaced_deployment("default")).items == []

    await eventually(collected)


async def test_deleting_a_namespace_terminates_then_removes_it_and_its_contents(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespace({"metadata": {"name": "team"}})
    await v1.create_namespaced_config_map("team", {"metadata": {"name": "a", "finalizers": ["x/hold"]}})
    await v1.create_namespaced_secret("team", {"metadata": {"name": "s"}})
    await v1.delete_namespace("team")
    terminating = await v1.read_namespace("team")
    assert terminating.status.phase == "Terminating"

    async def emptied_but_held() -> None:
        assert (await v1.list_namespaced_secret("team")).items == []
        held = await v1.read_namespaced_config_map("a", "team")
        assert held.metadata.deletion_timestamp is not None

    await eventually(emptied_but_held)
    with pytest.raises(ApiException) as caught:
        await v1.create_namespaced_config_map("team", {"metadata": {"name": "late"}})
    assert caught.value.status == 403
    await v1.patch_namespaced_config_map("a", "team", {"metadata": {"finalizers": None}})

    async def gone() -> None:
        names = [n.metadata.name for n in (await v1.list_namespace()).items]
        assert "team" not in names

    await eventually(gone)


async def test_deleting_a_crd_deletes_its_objects_and_stops_serving(kubeapi_client: Any) -> None:
    extensions = client.ApiextensionsV1Api(kubeapi_client)
    await extensions.create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    held = widget("held", size=1)
    held["metadata"]["finalizers"] = ["x/hold"]
    await custom.create_namespaced_custom_object(*ARGS, held)
    await custom.create_namespaced_custom_object(*ARGS, widget("plain", size=1))
    await extensions.delete_custom_resource_definition("widgets.example.com")

    async def only_held_left() -> None:
        items = (await custom.list_namespaced_custom_object(*ARGS))["items"]
        assert [i["metadata"]["name"] for i in items] == ["held"]

    await eventually(only_held_left)
    with pytest.raises(ApiException) as caught:
        await custom.create_namespaced_custom_object(*ARGS, widget("late", size=1))
    assert caught.value.status == 405
    await custom.patch_namespaced_custom_object(
        *ARGS, "held", {"metadata": {"finalizers": None}}, _content_type="application/merge-patch+json"
    )

    async def unserved() -> None:
        with pytest.raises(ApiException) as caught:
            await custom.list_namespaced_custom_object(*ARGS)
        assert caught.value.status == 404

    await eventually(unserved)
    with pytest.raises(ApiException):
        await extensions.read_custom_resource_definition("widgets.example.com")


async def test_watches_of_a_deleted_crd_end(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    extensions = client.ApiextensionsV1Api(kubeapi_client)
    await extensions.create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    created = await custom.create_namespaced_custom_object(*ARGS, widget("w", size=1))

    async def consume() -> list[str]:
        async with watch.Watch() as w:
            stream = w.stream(
                custom.list_namespaced_custom_object,
                *ARGS,
                timeout_seconds=30,
                resource_version=created["metadata"]["resourceVersion"],
            )
            return [event["type"] async for event in stream]

    watching = asyncio.create_task(consume())

    async def watching_started() -> None:
        assert kubeapi.watches

    await eventually(watching_started)
    await extensions.delete_custom_resource_definition("widgets.example.com")
    assert await asyncio.wait_for(watching, 10) == ["DELETED"]


async def test_references_to_kinds_that_are_not_served_are_left_alone(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    unserved = {"apiVersion": "example.com/v1", "kind": "Gadget", "name": "g", "uid": "no-such-uid"}
    served = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "no-such-uid"}
    await v1.create_namespaced_config_map(
        "default", {"metadata": {"name": "kept", "ownerReferences": [unserved]}}
    )
    await v1.create_namespaced_config_map(
        "default", {"metadata": {"name": "marker", "ownerReferences": [served]}}
    )

    async def marker_collected() -> None:  # the collector works in order: "kept" was looked at before
        assert await _names(v1) == ["kept"]

    await eventually(marker_collected)
