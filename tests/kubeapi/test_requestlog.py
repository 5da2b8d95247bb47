"""The request log counts what clients asked for."""

from __future__ import annotations

import contextlib
from typing import Any

from kubernetes_asyncio import client, watch

from tests.kubeapi import KubeAPI


async def test_requests_are_counted_by_verb_and_resource(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    await v1.list_namespaced_config_map("default")
    await v1.list_namespaced_config_map("default", label_selector="x=y")
    await v1.read_namespaced_config_map("a", "default")
    await v1.patch_namespaced_config_map("a", "default", {"data": {"k": "v"}})
    async with watch.Watch() as w:
        [_ async for _ in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=1)]
    log = kubeapi.requests
    assert log.count(verb="list", resource="configmaps") == 2
    assert log.count(verb="watch", resource="configmaps") == 1
    assert log.count(verb="get", resource="configmaps") == 1
    assert log.count(resource="configmaps", writes=True) == 2
    assert log.count(verb="patch", patch_type="strategic") == 1
    assert log.filter(verb="list")[1].query["labelSelector"] == "x=y"


async def test_status_codes_and_subresources_are_recorded(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    with contextlib.suppress(client.exceptions.ApiException):
        await v1.read_namespaced_pod_status("missing", "default")
    (entry,) = kubeapi.requests.filter(resource="pods")
    assert (entry.verb, entry.subresource, entry.status, entry.namespace) == ("get", "status", 404, "default")


async def test_the_log_can_be_cleared(kubeapi: KubeAPI, kubeapi_client: Any) -> None:
    await client.CoreV1Api(kubeapi_client).list_namespace()
    kubeapi.requests.clear()
    assert len(kubeapi.requests) == 0
