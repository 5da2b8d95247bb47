"""The scheduler places pods on nodes with room for their requests, and says why when none has room."""

from __future__ import annotations

import pytest
from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.kubeapi.sim.timing import Timings
from tests.kubeapi.testing import eventually
from tests.sim.helpers import (
    condition,
    container,
    create_deployment,
    deployment,
    events,
    is_ready,
    only_pod,
    pods,
)

NS = "default"


async def test_the_unschedulable_mode_keeps_a_small_pod_pending(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("nowhere", fail="unschedulable"))

        async def pending() -> None:
            pod = await only_pod(client, "nowhere")
            scheduled = condition(pod, "PodScheduled")
            assert (scheduled.status, scheduled.reason) == ("False", "Unschedulable")
            assert scheduled.message.startswith("0/2 nodes are available: 2 Insufficient cpu.")

        await eventually(pending)


async def test_requests_beyond_every_node_stay_pending_unschedulable(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        big = container(resources={"requests": {"cpu": "64"}})
        await create_deployment(client, NS, deployment("huge", containers=[big]))
        expected = (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
            "2 Preemption is not helpful for scheduling."
        )

        async def pending() -> None:
            pod = await only_pod(client, "huge")
            scheduled = condition(pod, "PodScheduled")
            assert (scheduled.status, scheduled.reason, scheduled.message) == (
                "False",
                "Unschedulable",
                expected,
            )
            assert pod.status.phase == "Pending"
            assert pod.spec.node_name is None
            failed = [
                e for e in await events(client, NS, pod.metadata.name) if e.reason == "FailedScheduling"
            ]
            assert failed
            assert failed[0].message == expected
            assert failed[0].type == "Warning"
            assert failed[0].reporting_component == "default-scheduler"

        await eventually(pending)


async def test_full_nodes_leave_the_next_pod_pending_until_room_is_made(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        half = container(resources={"requests": {"cpu": "600m", "memory": "1Gi"}})
        await create_deployment(client, NS, deployment("fill", 2, containers=[half]))

        async def filled() -> None:
            found = await pods(client, NS, "fill")
            assert len(found) == 2
            assert all(is_ready(p) for p in found)

        await eventually(filled)
        await create_deployment(client, NS, deployment("late", 1, containers=[half]))
        expected = (
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
            "2 No preemption victims found for incoming pod."
        )

        async def stuck() -> None:
            pod = await only_pod(client, "late")
            assert pod.spec.node_name is None
            assert condition(pod, "PodScheduled").message == expected

        await eventually(stuck)
        await AppsV1Api(client).patch_namespaced_deployment_scale("fill", NS, {"spec": {"replicas": 1}})

        async def placed() -> None:
            pod = await only_pod(client, "late")
            assert pod.spec.node_name
            assert is_ready(pod)
            assert condition(pod, "PodScheduled").status == "True"

        await eventually(placed)


@pytest.fixture
def sim_config() -> SimConfig:
    """Two small nodes: three pods of 600m fill them."""
    return SimConfig(timings=Timings.fast(), nodes=2, cpu="1", memory="4Gi")


async def test_cordoned_nodes_take_no_pods_until_uncordoned(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        core = CoreV1Api(client)
        for node in ("sim-node-1", "sim-node-2"):
            await core.patch_node(node, {"spec": {"unschedulable": True}})
        await create_deployment(client, NS, deployment("cordoned"))
        expected = (
            "0/2 nodes are available: 2 node(s) were unschedulable. preemption: 0/2 nodes are available: "
            "2 Preemption is not helpful for scheduling."
        )

        async def stuck() -> None:
            assert condition(await only_pod(client, "cordoned"), "PodScheduled").message == expected

        await eventually(stuck)
        await core.patch_node("sim-node-2", {"spec": {"unschedulable": False}})

        async def placed() -> None:
            pod = await only_pod(client, "cordoned")
            assert pod.spec.node_name == "sim-node-2"
            assert is_ready(pod)

        await eventually(placed)
