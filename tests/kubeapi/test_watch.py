"""WATCH through kubernetes-asyncio's Watch: initial state, resume, 410, bookmarks, timeouts, selectors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, eventually, widget, widget_crd


async def _collect(stream: watch.Watch, count: int, within: float = 5.0) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []

    async def run() -> None:
        async for event in stream:
            seen.append((event["type"], event["raw_object"]["metadata"].get("name", "")))
            if len(seen) == count:
                return

    await asyncio.wait_for(run(), within)
    return seen


async def test_watch_from_empty_version_lists_then_streams(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    async with watch.Watch() as w:
        stream = w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=5)
        first = await _collect(stream, 1)
        await v1.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
        await v1.patch_namespaced_config_map("b", "default", {"data": {"k": "v"}})
        await v1.delete_namespaced_config_map("a", "default")
        rest = await _collect(stream, 3)
    assert first == [("ADDED", "a")]
    assert rest == [("ADDED", "b"), ("MODIFIED", "b"), ("DELETED", "a")]


async def test_watch_from_a_version_replays_exactly_the_later_events(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    a = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    await v1.patch_namespaced_config_map("a", "default", {"data": {"k": "v"}})
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_config_map,
            "default",
            resource_version=a.metadata.resource_version,
            timeout_seconds=5,
        )
        events = await _collect(stream, 2)
    assert events == [("ADDED", "b"), ("MODIFIED", "a")]


async def test_deleted_event_carries_a_new_resource_version(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_config_map,
            "default",
            resource_version=created.metadata.resource_version,
            timeout_seconds=5,
        )
        await v1.delete_namespaced_config_map("a", "default")
        event = await stream.__anext__()
    assert event["type"] == "DELETED"
    assert int(event["raw_object"]["metadata"]["resourceVersion"]) > int(created.metadata.resource_version)


async def test_resume_older_than_history_is_410_expired(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    old = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    kubeapi.faults.compact()
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_config_map,
            "default",
            resource_version=old.metadata.resource_version,
            timeout_seconds=5,
        )
        with pytest.raises(ApiException) as caught:
            await stream.__anext__()
    assert caught.value.status == 410
    current = int(old.metadata.resource_version) + 1
    assert (
        caught.value.reason
        == f"Expired: too old resource version: {old.metadata.resource_version} ({current})"
    )


async def test_history_is_bounded() -> None:
    async with KubeAPI(history=3) as api, api.api_client() as api_client:
        v1 = client.CoreV1Api(api_client)
        first = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a0"}})
        for index in range(1, 5):
            await v1.create_namespaced_config_map("default", {"metadata": {"name": f"a{index}"}})
        async with watch.Watch() as w:
            stream = w.stream(
                v1.list_namespaced_config_map,
                "default",
                resource_version=first.metadata.resource_version,
                timeout_seconds=5,
            )
            with pytest.raises(ApiException) as caught:
                await stream.__anext__()
        assert caught.value.status == 410


async def test_bookmarks_are_sent_when_allowed() -> None:
    async with KubeAPI(bookmark_interval=0.1) as api, api.api_client() as api_client:
        v1 = client.CoreV1Api(api_client)
        created = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
        async with watch.Watch() as w:
            stream = w.stream(
                v1.list_namespaced_config_map,
                "default",
                allow_watch_bookmarks=True,
                resource_version=created.metadata.resource_version,
                timeout_seconds=5,
            )
            event = await asyncio.wait_for(stream.__anext__(), 5)
            assert event["type"] == "BOOKMARK"
            assert event["raw_object"]["kind"] == "ConfigMap"
            assert w.resource_version == created.metadata.resource_version


async def test_no_bookmarks_unless_allowed() -> None:
    async with KubeAPI(bookmark_interval=0.05) as api, api.api_client() as api_client:
        v1 = client.CoreV1Api(api_client)
        async with watch.Watch() as w:
            stream = w.stream(
                v1.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=1
            )
            events = [event async for event in stream]
    assert events == []


async def test_a_bookmark_comes_two_seconds_before_the_deadline() -> None:
    async with KubeAPI() as api, api.api_client() as api_client:
        v1 = client.CoreV1Api(api_client)
        started = asyncio.get_running_loop().time()
        async with watch.Watch() as w:
            stream = w.stream(
                v1.list_namespaced_config_map,
                "default",
                resource_version="1",
                allow_watch_bookmarks=True,
                timeout_seconds=3,
            )
            event = await asyncio.wait_for(stream.__anext__(), 5)
        assert event["type"] == "BOOKMARK"
        assert 0.9 <= asyncio.get_running_loop().time() - started < 2.9  # before the 3 s deadline


async def test_timeout_seconds_ends_the_stream(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with watch.Watch() as w:
        events = [
            e
            async for e in w.stream(
                v1.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=1
            )
        ]
    assert events == []
    assert 0.9 <= loop.time() - started < 5


@pytest.mark.parametrize("spelling", ["1", "true", "True"])
async def test_watch_parameter_spellings(kubeapi: KubeAPI, spelling: str) -> None:
    url = f"{kubeapi.url}/api/v1/namespaces?watch={spelling}&timeoutSeconds=10"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        lines = [await response.content.readline() for _ in range(4)]
    assert [json.loads(line)["type"] for line in lines] == ["ADDED"] * 4


async def test_selector_transitions_become_added_and_deleted(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_config_map(
        "default", {"metadata": {"name": "a", "labels": {"app": "y"}}}
    )
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_config_map,
            "default",
            label_selector="app=x",
            timeout_seconds=5,
            resource_version=created.metadata.resource_version,
        )
        await v1.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"app": "x"}}})
        await v1.patch_namespaced_config_map("a", "default", {"data": {"k": "v"}})
        await v1.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"app": "z"}}})
        events = await _collect(stream, 3)
    assert events == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


async def test_namespaced_watch_sees_only_its_namespace(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    namespace = await v1.create_namespace({"metadata": {"name": "other"}})
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_config_map,
            "other",
            timeout_seconds=5,
            resource_version=namespace.metadata.resource_version,
        )
        await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
        await v1.create_namespaced_config_map("other", {"metadata": {"name": "b"}})
        events = await _collect(stream, 1)
    assert events == [("ADDED", "b")]


async def test_custom_resources_are_watched_with_custom_objects_api(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    args = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)
    async with watch.Watch() as w:
        stream = w.stream(custom.list_namespaced_custom_object, *args, timeout_seconds=5)
        await custom.create_namespaced_custom_object(*args, widget("w", size=1))
        event = await asyncio.wait_for(stream.__anext__(), 5)
    assert event["type"] == "ADDED"
    assert event["object"]["kind"] == "Widget"
    assert event["object"]["apiVersion"] == "example.com/v1"


async def test_send_initial_events_ends_with_an_annotated_bookmark(kubeapi: KubeAPI) -> None:
    url = (
        f"{kubeapi.url}/api/v1/namespaces?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
        "&resourceVersionMatch=NotOlderThan&resourceVersion=&timeoutSeconds=1"
    )
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        events = [json.loads(line) for line in (await response.read()).splitlines()]
    assert [e["type"] for e in events[:5]] == ["ADDED"] * 4 + ["BOOKMARK"]
    assert events[4]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_resource_version_match_on_watch_without_initial_events_is_422(kubeapi: KubeAPI) -> None:
    url = f"{kubeapi.url}/api/v1/namespaces?watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 422


async def test_ten_watchers_see_the_same_events(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    watchers = [watch.Watch() for _ in range(10)]
    streams = [w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=5) for w in watchers]
    collectors = [asyncio.create_task(_collect(s, 3)) for s in streams]

    async def all_open() -> None:
        assert len(kubeapi.watches) == 10

    await eventually(all_open)
    for name in "abc":
        await v1.create_namespaced_config_map("default", {"metadata": {"name": name}})
    results = await asyncio.gather(*collectors)
    for w in watchers:
        await w.close()
    assert all(r == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")] for r in results)
