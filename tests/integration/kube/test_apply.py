"""Server-side apply and delete against the emulator: skipped writes, removed fields, status apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from controller.kube.apply import Applier, apply_paths, with_digest
from controller.kube.cache import Cache, Change, Store
from controller.kube.client import MERGE_PATCH, ApiError, KubeClient
from controller.kube.objects import trimmer
from controller.kube.resources import Resource
from controller.kube.watch import Watcher
from controller.metrics import Metrics
from tests.integration.kube.helpers import CONFIGMAPS, configmap, eventually
from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import widget, widget_crd

WIDGETS = Resource(group="example.com", version="v1", plural="widgets", kind="Widget")
ANNOTATION = "example.com/applied"
TRIM = trimmer(*apply_paths(ANNOTATION), "status")


@pytest_asyncio.fixture
async def cache(client: KubeClient) -> AsyncIterator[Cache]:
    """A cache of widgets and configmaps, kept by real watchers."""
    await client.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body=widget_crd())
    cache = Cache()
    watchers = []
    for resource in (WIDGETS, CONFIGMAPS):
        cache.add(Store(resource=resource, trim=TRIM))
        watchers.append(Watcher(client=client, resource=resource, sink=cache))
    tasks = [asyncio.create_task(w.run()) for w in watchers]
    await asyncio.wait_for(asyncio.gather(*(w.synced.wait() for w in watchers)), 10)
    yield cache
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest_asyncio.fixture
async def applier(client: KubeClient, cache: Cache, metrics: Metrics) -> Applier:
    return Applier(
        client=client, field_manager="tester", cache=cache, digest_annotation=ANNOTATION, metrics=metrics
    )


async def cached(cache: Cache, resource: Resource, key: str, **expect: Any) -> dict[str, Any]:
    """The cached object once it shows each ``expect`` path (``a__b`` for ``a.b``) with that value."""
    found: dict[str, Any] = {}

    async def check() -> None:
        obj = cache.get(resource, key)
        assert obj is not None
        for path, value in expect.items():
            node: Any = obj
            for part in path.split("__"):
                node = node.get(part) if isinstance(node, dict) else None
            assert node == value, (path, node)
        found.update(obj)

    await eventually(check)
    return found


def writes(api: KubeAPI, resource: Resource) -> list[str]:
    return [f"{r.verb} {r.name}" for r in api.requests.filter(writes=True, resource=resource.plural)]


async def test_a_second_apply_of_the_same_object_writes_nothing(
    kubeapi: KubeAPI, applier: Applier, cache: Cache, metrics: Metrics
) -> None:
    body = configmap("c", a="1", b="2")
    assert await applier.apply(CONFIGMAPS, body) is not None
    await cached(cache, CONFIGMAPS, "default/c")
    assert await applier.apply(CONFIGMAPS, body) is None
    assert writes(kubeapi, CONFIGMAPS) == ["patch c"]
    patch = kubeapi.requests.filter(verb="patch", resource="configmaps")[0]
    assert patch.patch_type == "apply"
    assert (patch.query["fieldManager"], patch.query["force"]) == ("tester", "true")
    text = metrics.exposition().decode()
    assert 'controller_applies_total{controller="test",resource="configmaps",result="done"} 1.0' in text
    assert 'controller_applies_total{controller="test",resource="configmaps",result="skipped"} 1.0' in text


async def test_a_prepared_body_is_applied_and_skipped_as_the_plain_body_is(
    kubeapi: KubeAPI, applier: Applier, cache: Cache
) -> None:
    body = configmap("c", script="x" * 30_000)
    prepared = applier.prepare(body)
    assert prepared.body == with_digest(body, ANNOTATION)[0]

    assert await applier.apply(CONFIGMAPS, prepared) is not None
    await cached(cache, CONFIGMAPS, "default/c")
    assert await applier.apply(CONFIGMAPS, body) is None
    assert await applier.apply(CONFIGMAPS, prepared) is None
    assert writes(kubeapi, CONFIGMAPS) == ["patch c"]
    with pytest.raises(ValueError, match=r"metadata\.name"):
        applier.prepare({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})


async def test_a_restarted_controller_writes_nothing_for_converged_objects(
    kubeapi: KubeAPI, client: KubeClient, applier: Applier, cache: Cache
) -> None:
    body = configmap("c", a="1")
    await applier.apply(CONFIGMAPS, body)
    await cached(cache, CONFIGMAPS, "default/c")
    fresh = Applier(client=client, field_manager="tester", cache=cache, digest_annotation=ANNOTATION)
    assert await fresh.apply(CONFIGMAPS, body) is None
    assert writes(kubeapi, CONFIGMAPS) == ["patch c"]


async def test_a_field_dropped_from_the_desired_object_is_removed_on_the_server(
    client: KubeClient, applier: Applier, cache: Cache
) -> None:
    await applier.apply(CONFIGMAPS, configmap("c", a="1", b="2"))
    await cached(cache, CONFIGMAPS, "default/c")
    await applier.apply(CONFIGMAPS, configmap("c", a="1"))
    live = await client.request("GET", CONFIGMAPS.path(namespace="default", name="c"))
    assert live["data"] == {"a": "1"}


async def test_a_spec_changed_by_someone_else_is_put_back(
    client: KubeClient, applier: Applier, cache: Cache
) -> None:
    body = widget("w", size=3)
    await applier.apply(WIDGETS, body)
    await cached(cache, WIDGETS, "default/w", metadata__generation=1)
    await client.request(
        "PATCH",
        WIDGETS.path(namespace="default", name="w"),
        body={"spec": {"size": 99}},
        content_type=MERGE_PATCH,
    )
    await cached(cache, WIDGETS, "default/w", metadata__generation=2)
    assert await applier.apply(WIDGETS, body) is not None
    live = await client.request("GET", WIDGETS.path(namespace="default", name="w"))
    assert live["spec"]["size"] == 3


async def test_a_status_apply_never_touches_spec(
    kubeapi: KubeAPI, client: KubeClient, applier: Applier, cache: Cache
) -> None:
    await applier.apply(WIDGETS, widget("w", size=3))
    full = {
        **widget("w", size=1000),
        "status": {"replicas": 2, "conditions": [{"type": "Ready", "status": "True"}]},
    }
    assert await applier.apply_status(WIDGETS, full) is not None
    live = await client.request("GET", WIDGETS.path(namespace="default", name="w"))
    assert live["spec"] == {"size": 3}
    assert live["status"]["replicas"] == 2
    status_patch = kubeapi.requests.filter(verb="patch", resource="widgets", subresource="status")
    assert len(status_patch) == 1
    entries = [m for m in live["metadata"]["managedFields"] if m.get("subresource") == "status"]
    assert [m["manager"] for m in entries] == ["tester"]
    assert set(entries[0]["fieldsV1"]) == {"f:status"}


async def test_a_status_apply_equal_to_the_cached_status_writes_nothing(
    kubeapi: KubeAPI, client: KubeClient, applier: Applier, cache: Cache
) -> None:
    await applier.apply(WIDGETS, widget("w", size=3))
    status = {"replicas": 2, "conditions": [{"type": "Ready", "status": "True"}]}
    await applier.apply_status(WIDGETS, {**widget("w"), "status": status})
    await cached(cache, WIDGETS, "default/w", status=status)
    fresh = Applier(client=client, field_manager="tester", cache=cache, digest_annotation=ANNOTATION)
    assert await fresh.apply_status(WIDGETS, {**widget("w"), "status": status}) is None
    assert await applier.apply_status(WIDGETS, {**widget("w"), "status": status}) is None
    assert len(kubeapi.requests.filter(verb="patch", resource="widgets", subresource="status")) == 1
    assert (
        await applier.apply_status(WIDGETS, {**widget("w"), "status": {**status, "replicas": 3}}) is not None
    )


async def test_a_status_apply_repeated_before_the_cache_shows_the_first_writes_nothing(
    kubeapi: KubeAPI, applier: Applier, cache: Cache
) -> None:
    await applier.apply(WIDGETS, widget("w", size=3))
    await cached(cache, WIDGETS, "default/w")
    status = {"replicas": 2}
    await applier.apply_status(WIDGETS, {**widget("w"), "status": status})
    assert await applier.apply_status(WIDGETS, {**widget("w"), "status": status}) is None  # the cache lags
    await cached(cache, WIDGETS, "default/w", status=status)
    assert await applier.apply_status(WIDGETS, {**widget("w"), "status": status}) is None
    assert len(kubeapi.requests.filter(verb="patch", resource="widgets", subresource="status")) == 1


async def test_the_echo_of_its_own_status_write_is_told_from_other_changes(
    client: KubeClient, applier: Applier, cache: Cache
) -> None:
    changes: list[Change] = []
    cache.subscribe(lambda change: changes.append(change) if change.resource == WIDGETS else None)
    await applier.apply(WIDGETS, widget("w", size=3))
    await cached(cache, WIDGETS, "default/w")
    await applier.apply_status(WIDGETS, {**widget("w"), "status": {"replicas": 2}})
    await cached(cache, WIDGETS, "default/w", status={"replicas": 2})
    assert applier.echoes(changes[-1])
    path = WIDGETS.path(namespace="default", name="w")
    status_path = WIDGETS.path(namespace="default", name="w", subresource="status")
    await client.request("PATCH", status_path, body={"status": {"replicas": 5}}, content_type=MERGE_PATCH)
    await cached(cache, WIDGETS, "default/w", status={"replicas": 5})
    assert not applier.echoes(changes[-1])  # someone else's status
    await client.request("PATCH", status_path, body={"status": {"replicas": 2}}, content_type=MERGE_PATCH)
    await cached(cache, WIDGETS, "default/w", status={"replicas": 2})
    assert applier.echoes(changes[-1])  # back to what it wrote: nothing a reconcile would not know
    await client.request("PATCH", path, body={"spec": {"size": 4}}, content_type=MERGE_PATCH)
    await cached(cache, WIDGETS, "default/w", metadata__generation=2)
    assert not applier.echoes(changes[-1])  # a spec change, though the status is its own


async def test_delete_with_preconditions_and_absent_objects(
    kubeapi: KubeAPI, client: KubeClient, applier: Applier, cache: Cache
) -> None:
    created = await applier.apply(CONFIGMAPS, configmap("c"))
    assert created is not None
    with pytest.raises(ApiError) as refused:
        await applier.delete(CONFIGMAPS, namespace="default", name="c", uid="not-its-uid")
    assert refused.value.conflict
    assert await applier.delete(CONFIGMAPS, namespace="default", name="c", uid=created["metadata"]["uid"])
    delete = kubeapi.requests.filter(verb="delete", resource="configmaps")[-1]
    assert delete.status == 200
    assert not await applier.delete(CONFIGMAPS, namespace="default", name="c")  # 404: already gone


async def test_delete_of_an_object_the_synced_cache_lacks_sends_nothing(
    kubeapi: KubeAPI, applier: Applier
) -> None:
    assert not await applier.delete(CONFIGMAPS, namespace="default", name="never-was")
    assert writes(kubeapi, CONFIGMAPS) == []


async def test_delete_right_after_an_apply_is_sent_though_the_cache_may_lag(
    kubeapi: KubeAPI, applier: Applier
) -> None:
    await applier.apply(CONFIGMAPS, configmap("fresh"))
    assert await applier.delete(CONFIGMAPS, namespace="default", name="fresh")
    assert writes(kubeapi, CONFIGMAPS) == ["patch fresh", "delete fresh"]
