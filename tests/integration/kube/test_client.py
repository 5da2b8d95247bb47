"""The API client against the emulator: plain dicts, errors, timeouts, request metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from kubernetes_asyncio import client as k8s

from controller.kube.client import ApiError, KubeClient
from controller.metrics import Metrics
from tests.integration.kube.helpers import CONFIGMAPS, configmap
from tests.kubeapi import KubeAPI


async def test_requests_return_plain_dicts(client: KubeClient) -> None:
    created = await client.request("POST", CONFIGMAPS.path(namespace="default"), body=configmap("a", k="v"))
    assert isinstance(created, dict)
    assert created["metadata"]["name"] == "a"
    listed = await client.request("GET", CONFIGMAPS.path(namespace="default"))
    assert [item["data"] for item in listed["items"]] == [{"k": "v"}]


async def test_a_typed_api_body_of_model_objects_is_still_turned_into_json(client: KubeClient) -> None:
    body = k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="typed"), data={"k": "v"})
    await k8s.CoreV1Api(client.api_client).create_namespaced_config_map("default", body)
    got = await client.request("GET", CONFIGMAPS.path(namespace="default", name="typed"))
    assert got["data"] == {"k": "v"}


async def test_a_refusal_raises_api_error_with_the_status_reason(client: KubeClient) -> None:
    with pytest.raises(ApiError) as caught:
        await client.request("GET", CONFIGMAPS.path(namespace="default", name="missing"))
    assert caught.value.not_found
    assert caught.value.reason == "NotFound"


async def test_a_throttled_request_carries_retry_after(kubeapi: KubeAPI, client: KubeClient) -> None:
    kubeapi.faults.fail(429, retry_after=7, count=1)
    with pytest.raises(ApiError) as caught:
        await client.request("GET", CONFIGMAPS.path(namespace="default"))
    assert caught.value.throttled
    assert caught.value.retry_after == 7.0


async def test_every_request_has_a_timeout(kubeapi: KubeAPI, client: KubeClient) -> None:
    kubeapi.faults.delay(5.0, count=1)
    with pytest.raises(TimeoutError):
        await client.request("GET", CONFIGMAPS.path(namespace="default"), request_timeout=0.2)


async def test_typed_api_calls_get_the_default_timeout_too(kubeapi: KubeAPI, metrics: Metrics) -> None:
    from controller.kube.client import ClientSettings

    client = await KubeClient.connect(
        kubeconfig=str(kubeapi.kubeconfig_path), metrics=metrics, settings=ClientSettings(request_timeout=0.2)
    )
    try:
        kubeapi.faults.delay(5.0, count=1)
        with pytest.raises(TimeoutError):
            await k8s.CoreV1Api(client.api_client).list_namespace()
    finally:
        await client.close()


async def test_requests_are_counted_by_code_method_and_host(client: KubeClient, metrics: Metrics) -> None:
    await client.request("GET", CONFIGMAPS.path(namespace="default"))
    with pytest.raises(ApiError):
        await client.request("GET", CONFIGMAPS.path(namespace="default", name="missing"))
    await k8s.CoreV1Api(client.api_client).list_namespace()
    text = metrics.exposition().decode()
    assert f'rest_client_requests_total{{code="200",host="{client.host}",method="GET"}} 2.0' in text
    assert f'rest_client_requests_total{{code="404",host="{client.host}",method="GET"}} 1.0' in text
    assert f'rest_client_request_duration_seconds_count{{host="{client.host}",verb="GET"}} 3.0' in text


async def test_close_is_idempotent(client: KubeClient) -> None:
    await client.close()
    await client.close()
    assert client.closed


@pytest.fixture
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


async def test_a_netrc_entry_for_the_api_host_is_ignored(
    kubeapi: KubeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_proxy_variables: None
) -> None:
    """The client authenticates as its kubeconfig says; a ~/.netrc entry neither adds to nor breaks that."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    client = await KubeClient.connect(kubeconfig=str(kubeapi.kubeconfig_path))
    try:
        listed = await client.request("GET", CONFIGMAPS.path(namespace="default"))
    finally:
        await client.close()
    assert listed["items"] == []


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP proxy on a free port that answers every request with an empty list; the URLs it was asked."""
    asked: list[str] = []

    async def answer(request: web.BaseRequest) -> web.Response:
        asked.append(str(request.url))
        return web.json_response({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []})

    runner = web.ServerRunner(web.Server(answer))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", asked
    finally:
        await runner.cleanup()


async def test_the_proxy_named_in_the_environment_carries_the_requests(
    kubeapi: KubeAPI, proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, no_proxy_variables: None
) -> None:
    url, asked = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    client = await KubeClient.connect(kubeconfig=str(kubeapi.kubeconfig_path))
    try:
        await client.request("GET", CONFIGMAPS.path(namespace="default"))
    finally:
        await client.close()
    assert asked == [f"{kubeapi.url}{CONFIGMAPS.path(namespace='default')}"]
