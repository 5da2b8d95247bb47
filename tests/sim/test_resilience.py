"""The simulators keep converging when the API server misbehaves as real ones do."""

from __future__ import annotations

from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimulatedCluster
from tests.kubeapi.testing import eventually
from tests.sim.helpers import container, create_deployment, deployment, is_ready, pods

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


async def test_a_deleted_pods_final_status_is_retried_before_the_pod_goes(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    """The kubelet's write of the terminated status fails once: it is written again, then the pod deleted."""
    async with kubeapi.api_client() as client:
        core = CoreV1Api(client)
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "last-words"}}
        await core.create_namespaced_pod(NS, {**body, "spec": {"containers": [container()]}})

        async def ready() -> None:
            assert is_ready(await core.read_namespaced_pod("last-words", NS))

        await eventually(ready, within=30)
        kubeapi.faults.fail(500, verb="patch", path=r"/pods/last-words/status$", count=1)
        mark = len(list(kubeapi.requests))
        await core.delete_namespaced_pod("last-words", NS)

        async def gone() -> None:
            listing = await core.list_namespaced_pod(NS, field_selector="metadata.name=last-words")
            assert not listing.items

        await eventually(gone, within=30)
    writes = [
        r.status
        for r in list(kubeapi.requests)[mark:]
        if r.name == "last-words" and r.subresource == "status"
    ]
    assert writes == [500, 200]
