"""List+watch consistency under concurrent writes: what a cache built from LIST then WATCH events (resumed
after cuts, filtered by a selector) ends with equals a fresh LIST, as a controller's cache needs."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import eventually

NAMESPACES = ("default", "other")


async def _writer(v1: client.CoreV1Api, seed: int, operations: int) -> None:
    rng = random.Random(seed)
    for _ in range(operations):
        namespace, name = rng.choice(NAMESPACES), f"cm{rng.randrange(8)}"
        labels = {"app": rng.choice(["x", "y"])}
        try:
            action = rng.random()
            if action < 0.4:
                await v1.create_namespaced_config_map(
                    namespace, {"metadata": {"name": name, "labels": labels}}
                )
            elif action < 0.8:
                await v1.patch_namespaced_config_map(
                    name, namespace, {"metadata": {"labels": labels}, "data": {"n": str(rng.random())}}
                )
            else:
                await v1.delete_namespaced_config_map(name, namespace)
        except ApiException as exc:  # the object was not there, or was already there
            if exc.status not in (404, 409):
                raise


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return (obj["metadata"]["namespace"], obj["metadata"]["name"])


async def _follow(
    v1: client.CoreV1Api,
    cache: dict[tuple[str, str], str],
    version: str,
    selector: str | None,
) -> None:
    """Apply watch events to ``cache`` (key → resourceVersion), resuming from the last version seen."""
    while True:
        async with watch.Watch() as w:
            stream = w.stream(
                v1.list_config_map_for_all_namespaces,
                resource_version=version,
                timeout_seconds=2,
                allow_watch_bookmarks=True,
                label_selector=selector,
            )
            async for event in stream:
                obj = event["raw_object"]
                version = obj["metadata"]["resourceVersion"]
                if event["type"] == "DELETED":
                    cache.pop(_key(obj), None)
                elif event["type"] in ("ADDED", "MODIFIED"):
                    cache[_key(obj)] = version


async def _run(api: KubeAPI, *, selector: str | None) -> None:
    async with api.api_client() as api_client:
        v1 = client.CoreV1Api(api_client)
        await v1.create_namespace({"metadata": {"name": "other"}})
        await asyncio.gather(*(_writer(v1, seed, 20) for seed in range(3)))
        listed = await v1.list_config_map_for_all_namespaces(label_selector=selector)
        cache = {(o.metadata.namespace, o.metadata.name): o.metadata.resource_version for o in listed.items}
        follower = asyncio.create_task(_follow(v1, cache, listed.metadata.resource_version, selector))
        await asyncio.gather(*(_writer(v1, seed, 40) for seed in range(10, 16)))
        final = await v1.list_config_map_for_all_namespaces(label_selector=selector)
        expected = {(o.metadata.namespace, o.metadata.name): o.metadata.resource_version for o in final.items}

        async def caught_up() -> None:
            assert cache == expected

        try:
            await eventually(caught_up)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


async def test_watch_after_list_reproduces_the_final_list(kubeapi: KubeAPI) -> None:
    await _run(kubeapi, selector=None)


async def test_filtered_watch_reproduces_the_filtered_list(kubeapi: KubeAPI) -> None:
    await _run(kubeapi, selector="app=x")


async def test_resumed_watches_reproduce_the_final_list_despite_cuts(kubeapi: KubeAPI) -> None:
    kubeapi.faults.cut_watches(after_events=5)
    await _run(kubeapi, selector=None)
    assert kubeapi.requests.count(verb="watch") > 3
