"""KubeAPI start/stop, kubeconfig and client wiring."""

from __future__ import annotations

import socket

import pytest
from kubernetes_asyncio import client, config

from tests.kubeapi import KubeAPI


async def test_starts_on_a_free_loopback_port_and_stops() -> None:
    async with KubeAPI() as api:
        assert api.url.startswith("http://127.0.0.1:")
        assert api.port > 0
        async with api.api_client() as api_client:
            version = await client.VersionApi(api_client).get_code()
        assert version.major == "1"
    with pytest.raises(ConnectionRefusedError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", api.port), timeout=1)


async def test_two_emulators_are_independent() -> None:
    async with KubeAPI() as first, KubeAPI() as second:
        assert first.port != second.port
        async with first.api_client() as c1, second.api_client() as c2:
            await client.CoreV1Api(c1).create_namespace({"metadata": {"name": "only-here"}})
            names2 = [n.metadata.name for n in (await client.CoreV1Api(c2).list_namespace()).items]
        assert "only-here" not in names2


async def test_kubeconfig_is_accepted_by_kubernetes_asyncio(kubeapi: KubeAPI) -> None:
    configuration = client.Configuration()
    await config.load_kube_config(
        config_file=str(kubeapi.kubeconfig_path), client_configuration=configuration
    )
    assert configuration.host == kubeapi.url
    async with client.ApiClient(configuration) as api_client:
        namespaces = await client.CoreV1Api(api_client).list_namespace()
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= {
        n.metadata.name for n in namespaces.items
    }


async def test_kubeconfig_file_is_removed_on_stop() -> None:
    async with KubeAPI() as api:
        path = api.kubeconfig_path
        assert path.exists()
    assert not path.exists()


async def test_kubeconfig_can_be_written_to_a_given_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "config"
    async with KubeAPI(kubeconfig_path=target) as api:
        assert api.kubeconfig_path == target
        assert api.url in target.read_text()
