"""A cluster without KEDA serves no ScaledObjects, until KEDA is installed."""

from __future__ import annotations

import pytest
from kubernetes_asyncio.client import ApisApi, CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.kubeapi.sim.timing import Timings
from tests.kubeapi.testing import eventually


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(timings=Timings.fast(), keda=False)


async def test_scaled_objects_are_not_served_until_keda_is_installed(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        groups = {group.name for group in (await ApisApi(client).get_api_versions()).groups}
        assert "keda.sh" not in groups
        with pytest.raises(ApiException) as missing:
            await CustomObjectsApi(client).list_namespaced_custom_object(
                "keda.sh", "v1alpha1", "default", "scaledobjects"
            )
        assert missing.value.status == 404

        await cluster.install_keda()
        listing = await CustomObjectsApi(client).list_namespaced_custom_object(
            "keda.sh", "v1alpha1", "default", "scaledobjects"
        )
        assert listing["items"] == []


async def test_uninstalling_keda_removes_its_resources_and_their_objects(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await cluster.install_keda()
        objects = CustomObjectsApi(client)
        body = {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "orphan"},
            "spec": {
                "scaleTargetRef": {"name": "missing"},
                "triggers": [{"type": "rabbitmq", "metadata": {}}],
            },
        }
        await objects.create_namespaced_custom_object("keda.sh", "v1alpha1", "default", "scaledobjects", body)

        async def finalized() -> None:
            so = await objects.get_namespaced_custom_object(
                "keda.sh", "v1alpha1", "default", "scaledobjects", "orphan"
            )
            assert "finalizer.keda.sh" in so["metadata"].get("finalizers", [])

        await eventually(finalized)
        await cluster.uninstall_keda()
        groups = {group.name for group in (await ApisApi(client).get_api_versions()).groups}
        assert "keda.sh" not in groups
