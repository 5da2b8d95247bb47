"""The simulators keep converging when the API server misbehaves as real ones do."""

from __future__ import annotations

from kubernetes_asyncio.client import AppsV1Api

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimulatedCluster
from tests.kubeapi.testing import eventually
from tests.sim.helpers import create_deployment, deployment, is_ready, pods

NS = "default"


async def test_a_deployment_converges_through_failing_writes_cut_watches_and_compaction(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    kubeapi.faults.fail(503, fraction=0.3, verb="create", resource="pods")
    kubeapi.faults.fail(500, fraction=0.3, verb="patch")
    kubeapi.faults.cut_watches(after_events=3, count=20)
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("sturdy", 4))
        kubeapi.faults.compact()

        async def converged() -> None:
            found = await pods(client, NS, "sturdy")
            assert len(found) == 4
            assert all(is_ready(pod) for pod in found)
            status = (await AppsV1Api(client).read_namespaced_deployment("sturdy", NS)).status
            assert status.ready_replicas == 4

        await eventually(converged, within=30)
    assert kubeapi.requests.count(status=503) + kubeapi.requests.count(status=500) > 0
