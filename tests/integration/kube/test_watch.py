"""Watch loops against the emulator with its fault injection: resume, relist, watchdog, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from controller.kube.cache import Cache, Store
from controller.kube.client import KubeClient
from controller.kube.resources import Resource, object_key
from controller.kube.watch import Watcher, WatchSettings
from controller.metrics import Metrics
from tests.integration.kube.helpers import CONFIGMAPS, configmap, eventually, watcher_lists
from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import widget, widget_crd

FAST = WatchSettings(backoff_initial=0.05, backoff_max=0.2, min_restart_interval=0.05)


@pytest_asyncio.fixture
async def cache() -> Cache:
    cache = Cache()
    cache.add(Store(resource=CONFIGMAPS))
    return cache


@pytest_asyncio.fixture
async def start(client: KubeClient, cache: Cache, metrics: Metrics) -> AsyncIterator[Callable[..., Watcher]]:
    tasks: list[asyncio.Task[None]] = []

    def start(settings: WatchSettings = FAST, namespace: str | None = None) -> Watcher:
        watcher = Watcher(
            client=client,
            resource=CONFIGMAPS,
            sink=cache,
            namespace=namespace,
            settings=settings,
            metrics=metrics,
        )
        tasks.append(asyncio.create_task(watcher.run()))
        return watcher

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def create(client: KubeClient, name: str, *, namespace: str = "default", **data: str) -> None:
    await client.request(
        "POST", CONFIGMAPS.path(namespace=namespace), body=configmap(name, namespace=namespace, **data)
    )


async def server_state(client: KubeClient) -> dict[str, dict[str, str]]:
    listed = await client.request("GET", CONFIGMAPS.path())
    return {object_key(item): item.get("data") or {} for item in listed["items"]}


def cache_state(cache: Cache) -> dict[str, dict[str, str]]:
    store = cache.store(CONFIGMAPS)
    return {key: (store.get(key) or {}).get("data") or {} for key in store}


async def converged(client: KubeClient, cache: Cache) -> None:
    async def check() -> None:
        assert cache_state(cache) == await server_state(client)

    await eventually(check, within=15)


async def test_list_then_watch_fills_the_cache_and_follows_changes(
    kubeapi: KubeAPI, client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    await create(client, "before", k="1")
    watcher = start()
    await asyncio.wait_for(watcher.synced.wait(), 5)
    assert cache_state(cache) == {"default/before": {"k": "1"}}
    await create(client, "after", k="2")
    await client.request(
        "PATCH",
        CONFIGMAPS.path(namespace="default", name="before"),
        body={"data": {"k": "changed"}},
        content_type="application/merge-patch+json",
    )
    await client.request("DELETE", CONFIGMAPS.path(namespace="default", name="after"))
    await converged(client, cache)
    assert cache_state(cache) == {"default/before": {"k": "changed"}}
    assert watcher_lists(kubeapi) == 1
    watch = kubeapi.requests.filter(verb="watch", resource="configmaps")[0]
    assert watch.query["allowWatchBookmarks"] == "true"
    assert 300 <= int(watch.query["timeoutSeconds"]) <= 600


async def test_a_cut_watch_resumes_without_a_new_list(
    kubeapi: KubeAPI, client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    watcher = start()
    await asyncio.wait_for(watcher.synced.wait(), 5)
    kubeapi.faults.cut_watches(after_events=3)
    for i in range(20):
        await create(client, f"cm-{i}", n=str(i))
    await converged(client, cache)
    assert len(cache_state(cache)) == 20
    assert watcher_lists(kubeapi) == 1
    assert kubeapi.requests.count(verb="watch", resource="configmaps") >= 5
    assert watcher.restarts["closed"] >= 4


async def test_a_resume_refused_as_expired_relists_once_and_catches_up_with_deletions(
    kubeapi: KubeAPI, client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    for name in ("keep", "gone", "changed"):
        await create(client, name, v="old")
    watcher = start()
    await converged(client, cache)
    blocked = kubeapi.faults.fail(503, verb="watch", resource="configmaps")  # keep it disconnected
    kubeapi.faults.close_watches("configmaps")
    await client.request("DELETE", CONFIGMAPS.path(namespace="default", name="gone"))
    await client.request(
        "PATCH",
        CONFIGMAPS.path(namespace="default", name="changed"),
        body={"data": {"v": "new"}},
        content_type="application/merge-patch+json",
    )
    await create(client, "new", v="new")
    kubeapi.faults.compact("configmaps")
    kubeapi.faults.remove(blocked)
    await converged(client, cache)
    assert cache_state(cache) == {
        "default/keep": {"v": "old"},
        "default/changed": {"v": "new"},
        "default/new": {"v": "new"},
    }
    assert watcher_lists(kubeapi) == 2
    assert watcher.restarts["expired"] == 1


async def test_a_stalled_stream_is_detected_and_replaced(
    client: KubeClient, cache: Cache, metrics: Metrics
) -> None:
    async with KubeAPI(bookmark_interval=0.1) as api:
        own = await KubeClient.connect(kubeconfig=str(api.kubeconfig_path), metrics=metrics)
        watcher = Watcher(
            client=own,
            resource=CONFIGMAPS,
            sink=cache,
            settings=WatchSettings(inactivity_timeout=0.5, min_restart_interval=0.05),
            metrics=metrics,
        )
        task = asyncio.create_task(watcher.run())
        try:
            await asyncio.wait_for(watcher.synced.wait(), 5)
            await asyncio.sleep(1.0)  # bookmarks every 0.1 s keep an idle stream alive
            assert watcher.restarts["stalled"] == 0
            stall = api.faults.stall_watches(after_events=0, count=1)
            api.faults.close_watches()
            await eventually(_stalled_once(watcher), within=5)
            api.faults.remove(stall)
            await own.request("POST", CONFIGMAPS.path(namespace="default"), body=configmap("late"))
            await converged(own, cache)
            assert watcher_lists(api) == 1
            text = metrics.exposition().decode()
            assert (
                'controller_watch_restarts_total{cause="stalled",controller="test",resource="configmaps"}'
                in text
            )
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await own.close()


def _stalled_once(watcher: Watcher) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        assert watcher.restarts["stalled"] >= 1

    return check


async def test_a_wedged_watcher_is_reported_for_the_liveness_probe(client: KubeClient, cache: Cache) -> None:
    watcher = Watcher(
        client=client, resource=CONFIGMAPS, sink=cache, settings=WatchSettings(inactivity_timeout=0.1)
    )
    watcher.connected = True
    watcher.last_activity = asyncio.get_running_loop().time() - 1.0
    problem = watcher.problem()
    assert problem is not None
    assert "silent" in problem
    watcher.connected = False
    assert watcher.problem() is None


async def test_two_percent_of_requests_failing_loses_no_event(
    kubeapi: KubeAPI, client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    """Every watch is cut after one event, so each event costs a request; 2 % fail with 500, 2 % with 429."""
    for verb in ("list", "watch"):
        kubeapi.faults.fail(500, fraction=0.02, verb=verb)
        kubeapi.faults.fail(429, fraction=0.02, verb=verb, retry_after=0)  # honouring it is tested below
    kubeapi.faults.cut_watches(after_events=1)
    watcher = start(WatchSettings(backoff_initial=0.05, backoff_max=0.2, min_restart_interval=0.005))
    await asyncio.wait_for(watcher.synced.wait(), 10)
    expected: dict[str, dict[str, str]] = {}
    for i in range(150):
        name = f"cm-{i}"
        await create(client, name, n=str(i))
        expected[f"default/{name}"] = {"n": str(i)}
        if i % 3 == 0:
            await client.request(
                "PATCH",
                CONFIGMAPS.path(namespace="default", name=name),
                body={"data": {"n": f"{i}-changed"}},
                content_type="application/merge-patch+json",
            )
            expected[f"default/{name}"] = {"n": f"{i}-changed"}
        if i % 5 == 0:
            await client.request("DELETE", CONFIGMAPS.path(namespace="default", name=name))
            del expected[f"default/{name}"]

    async def check() -> None:
        assert cache_state(cache) == expected

    await eventually(check, within=30)
    statuses = [
        r.status for r in kubeapi.requests.filter(resource="configmaps") if r.verb in ("list", "watch")
    ]
    assert statuses.count(500) >= 1
    assert statuses.count(429) >= 1


async def test_a_namespace_restricted_watch_sees_only_its_namespace(
    client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    for ns in ("one", "two"):
        await client.request("POST", "/api/v1/namespaces", body={"metadata": {"name": ns}})
    await create(client, "a", namespace="one")
    await create(client, "b", namespace="two")
    watcher = start(namespace="one")
    await asyncio.wait_for(watcher.synced.wait(), 5)
    await create(client, "c", namespace="one")
    await create(client, "d", namespace="two")

    async def check() -> None:
        assert set(cache_state(cache)) == {"one/a", "one/c"}

    await eventually(check)


async def test_a_failing_first_list_is_retried_with_backoff_until_it_succeeds(
    kubeapi: KubeAPI, client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    await create(client, "x")
    kubeapi.faults.fail(500, verb="list", count=3)
    watcher = start()
    await asyncio.wait_for(watcher.synced.wait(), 10)
    assert cache_state(cache) == {"default/x": {}}
    assert watcher.restarts["error"] == 3


async def test_a_throttled_list_waits_for_retry_after(
    kubeapi: KubeAPI, client: KubeClient, cache: Cache, start: Callable[..., Watcher]
) -> None:
    kubeapi.faults.fail(429, verb="list", count=1, retry_after=1)
    watcher = start()
    await asyncio.wait_for(watcher.synced.wait(), 10)
    throttled, served = kubeapi.requests.filter(verb="list", resource="configmaps")
    assert (throttled.status, served.status) == (429, 200)
    assert served.time - throttled.time >= 1.0
    assert watcher.restarts["throttled"] == 1


async def test_an_optional_resource_not_served_is_synced_empty_until_its_crd_arrives(
    client: KubeClient,
) -> None:
    widgets = Resource(group="example.com", version="v1", plural="widgets", kind="Widget")
    cache = Cache()
    cache.add(Store(resource=widgets))
    watcher = Watcher(client=client, resource=widgets, sink=cache, settings=FAST, optional=True)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.synced.wait(), 5)
        assert len(cache.store(widgets)) == 0
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        await client.request("POST", crds, body=widget_crd())
        await client.request("POST", widgets.path(namespace="default"), body=widget("w"))

        async def cached() -> None:
            assert "default/w" in cache.store(widgets)

        await eventually(cached, within=10)
        assert watcher.restarts["absent"] >= 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_retry_absent_cuts_the_backoff_of_a_resource_not_served_short(client: KubeClient) -> None:
    """With 30 s of backoff, the widget is cached within seconds once the watcher is told to retry."""
    widgets = Resource(group="example.com", version="v1", plural="widgets", kind="Widget")
    cache = Cache()
    cache.add(Store(resource=widgets))
    slow = WatchSettings(backoff_initial=30.0, backoff_max=30.0, min_restart_interval=0.05)
    watcher = Watcher(client=client, resource=widgets, sink=cache, settings=slow, optional=True)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.synced.wait(), 5)
        await eventually(lambda: _assert(watcher.restarts["absent"] == 1))
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        await client.request("POST", crds, body=widget_crd())
        await client.request("POST", widgets.path(namespace="default"), body=widget("w"))
        watcher.retry_absent()

        async def cached() -> None:
            assert "default/w" in cache.store(widgets)

        await eventually(cached, within=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _assert(condition: bool) -> None:
    assert condition
