"""Fault injection through ``api.faults``, observed through kubernetes-asyncio."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi import KubeAPI


@pytest.mark.parametrize(
    ("status", "reason"), [(500, "InternalError"), (503, "ServiceUnavailable"), (429, "TooManyRequests")]
)
async def test_matching_requests_fail_with_the_chosen_status(
    kubeapi: KubeAPI, kubeapi_client: Any, status: int, reason: str
) -> None:
    kubeapi.faults.fail(status, verb="list", resource="configmaps")
    v1 = client.CoreV1Api(kubeapi_client)
    with pytest.raises(ApiException) as caught:
        await v1.list_namespaced_config_map("default")
    assert caught.value.status == status
    assert json.loads(caught.value.body)["reason"] == reason
    if status == 429:
        assert caught.value.headers["Retry-After"] == "1"
    await v1.list_namespaced_secret("default")  # other requests are served


async def test_a_fraction_of_requests_fails_repeatably(kubeapi_client: Any) -> None:
    outcomes = []
    for _ in range(2):
        async with KubeAPI(seed=7) as api, api.api_client() as api_client:
            api.faults.fail(500, fraction=0.3)
            v1 = client.CoreV1Api(api_client)
            run = []
            for _ in range(40):
                try:
                    await v1.list_namespace()
                    run.append(True)
                except ApiException:
                    run.append(False)
            outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert 4 <= outcomes[0].count(False) <= 20


async def test_count_limits_how_often_a_rule_fires(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    kubeapi.faults.fail(503, path=r"/namespaces$", count=2)
    v1 = client.CoreV1Api(kubeapi_client)
    for _ in range(2):
        with pytest.raises(ApiException):
            await v1.list_namespace()
    await v1.list_namespace()


async def test_removed_rules_stop_firing(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    rule = kubeapi.faults.fail(500)
    kubeapi.faults.remove(rule)
    await client.CoreV1Api(kubeapi_client).list_namespace()


async def test_latency_is_added(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    kubeapi.faults.delay(0.3, verb="get")
    v1 = client.CoreV1Api(kubeapi_client)
    started = time.monotonic()
    await v1.read_namespace("default")
    assert time.monotonic() - started >= 0.3


async def test_watches_are_cut_after_a_number_of_events(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    kubeapi.faults.cut_watches(after_events=2, resource="namespaces")
    v1 = client.CoreV1Api(kubeapi_client)
    async with watch.Watch() as w:
        events = [e async for e in w.stream(v1.list_namespace, timeout_seconds=10)]
    assert len(events) == 2


async def test_watches_are_cut_after_some_seconds(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    kubeapi.faults.cut_watches(after_seconds=0.2)
    v1 = client.CoreV1Api(kubeapi_client)
    started = time.monotonic()
    async with watch.Watch() as w:
        events = [e async for e in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=10)]
    assert events == []
    assert time.monotonic() - started < 5


async def test_open_watches_can_be_closed_at_once(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)

    async def consume() -> list[Any]:
        async with watch.Watch() as w:
            return [e async for e in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=30)]

    task = asyncio.create_task(consume())
    while not kubeapi.watches:  # noqa: ASYNC110 - the stream is opened by another task
        await asyncio.sleep(0.01)
    assert kubeapi.faults.close_watches() == 1
    assert await asyncio.wait_for(task, 5) == []


async def test_a_stalled_watch_sends_nothing_but_stays_open(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    kubeapi.faults.stall_watches(after_events=0)
    v1 = client.CoreV1Api(kubeapi_client)
    async with watch.Watch() as w:
        stream = w.stream(v1.list_namespace, timeout_seconds=1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(stream.__anext__(), 1.5)  # even its timeoutSeconds passes unanswered
    assert len(kubeapi.watches) <= 1


async def test_a_stall_with_a_duration_resumes_the_stream(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    kubeapi.faults.stall_watches(after_events=1, seconds=0.3)
    v1 = client.CoreV1Api(kubeapi_client)
    arrivals = []
    started = time.monotonic()
    async with watch.Watch() as w:
        async for _ in w.stream(v1.list_namespace, timeout_seconds=2):
            arrivals.append(time.monotonic())
    assert len(arrivals) == 4
    assert arrivals[1] - started >= 0.3  # the second event cannot leave before the stall ends


async def test_compaction_makes_resumes_410(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    listed = await v1.list_namespaced_config_map("default")
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    kubeapi.faults.compact("configmaps")
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_config_map,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=5,
        )
        with pytest.raises(ApiException) as caught:
            await stream.__anext__()
    assert caught.value.status == 410
