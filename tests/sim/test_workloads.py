"""Deployments and StatefulSets become pods that start and become Ready, as on a real cluster."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from kubernetes_asyncio import watch
from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimulatedCluster
from tests.kubeapi.sim.naming import ALPHANUMS
from tests.kubeapi.testing import eventually
from tests.sim.helpers import (
    container,
    create_deployment,
    create_namespace,
    deployment,
    is_ready,
    pods,
    statefulset,
)

NS = "default"


async def test_deployment_of_three_becomes_three_ready_pods_and_status_three_of_three(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("web", 3))

        async def ready() -> None:
            found = await pods(client, NS, "web")
            assert len(found) == 3
            assert all(is_ready(pod) and pod.status.phase == "Running" for pod in found)
            status = (await AppsV1Api(client).read_namespaced_deployment("web", NS)).status
            assert (
                status.replicas,
                status.ready_replicas,
                status.available_replicas,
                status.updated_replicas,
            ) == (3, 3, 3, 3)
            assert status.observed_generation == 1
            available = next(c for c in status.conditions if c.type == "Available")
            progressing = next(c for c in status.conditions if c.type == "Progressing")
            assert (available.status, available.reason) == ("True", "MinimumReplicasAvailable")
            assert (progressing.status, progressing.reason) == ("True", "NewReplicaSetAvailable")

        await eventually(ready)
        found = await pods(client, NS, "web")
        hash_ = found[0].metadata.labels["pod-template-hash"]
        for pod in found:
            assert re.fullmatch(f"web-{hash_}-[{ALPHANUMS}]{{5}}", pod.metadata.name)
            assert pod.metadata.owner_references[0].kind == "ReplicaSet"
            assert pod.metadata.owner_references[0].name == f"web-{hash_}"
            assert pod.spec.node_name.startswith("sim-node-")
            assert [c.type for c in pod.status.conditions] == [
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            ]
            assert pod.status.container_statuses[0].state.running is not None
            assert pod.status.pod_ip.startswith("10.244.")


async def observe_pods(client: Any, listing: Any, app: str, seen: list[tuple[int, int]]) -> None:
    """Records (live pods, ready live pods) after every pod event, starting from `listing`."""
    live = {pod.metadata.name: pod for pod in listing.items}
    version = listing.metadata.resource_version
    async with watch.Watch() as stream:
        async for event in stream.stream(
            CoreV1Api(client).list_namespaced_pod, NS, label_selector=f"app={app}", resource_version=version
        ):
            pod = event["object"]
            if event["type"] == "DELETED" or pod.metadata.deletion_timestamp:
                live.pop(pod.metadata.name, None)
            else:
                live[pod.metadata.name] = pod
            seen.append((len(live), sum(1 for p in live.values() if is_ready(p))))


async def test_template_change_rolls_the_pods_to_a_new_replica_set(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        await create_deployment(client, NS, deployment("roll", 3))

        async def all_ready() -> set[str]:
            found = await pods(client, NS, "roll")
            assert len(found) == 3
            assert all(is_ready(pod) for pod in found)
            status = (await apps.read_namespaced_deployment("roll", NS)).status
            assert status.updated_replicas == status.ready_replicas == status.replicas == 3
            return {pod.metadata.labels["pod-template-hash"] for pod in found}

        before = await eventually(all_ready)
        seen: list[tuple[int, int]] = []  # (live pods, ready live pods) after every pod event of the rollout
        listing = await CoreV1Api(client).list_namespaced_pod(NS, label_selector="app=roll")
        observer = asyncio.create_task(observe_pods(client, listing, "roll", seen))
        patch = {"spec": {"template": {"spec": {"containers": [container(image="nginx:1.28")]}}}}
        await apps.patch_namespaced_deployment("roll", NS, patch)

        async def rolled() -> None:
            hashes = await all_ready()
            assert hashes.isdisjoint(before)
            assert len(hashes) == 1
            found = await pods(client, NS, "roll")
            assert all(pod.spec.containers[0].image == "nginx:1.28" for pod in found)

        await eventually(rolled)
        assert not observer.done()  # still watching: it did not fail
        observer.cancel()
        # maxSurge 25% of 3 rounds up to 1, maxUnavailable rounds down to 0: new pods first, never fewer than
        # three ready, never more than four alive
        assert max(live for live, _ in seen) == 4
        assert min(ready for _, ready in seen) >= 3
        replicasets = (await apps.list_namespaced_replica_set(NS, label_selector="app=roll")).items
        assert sorted(rs.spec.replicas for rs in replicasets) == [0, 3]
        deployed = await apps.read_namespaced_deployment("roll", NS)
        assert deployed.status.observed_generation == 2


async def test_scale_subresource_and_spec_replicas_both_resize(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        await create_deployment(client, NS, deployment("sized", 1))
        await apps.patch_namespaced_deployment_scale("sized", NS, {"spec": {"replicas": 4}})

        async def count(n: int) -> None:
            found = await pods(client, NS, "sized")
            assert len(found) == n
            assert all(is_ready(pod) for pod in found)
            assert (await apps.read_namespaced_deployment("sized", NS)).status.ready_replicas == (n or None)

        await eventually(lambda: count(4))
        await apps.patch_namespaced_deployment("sized", NS, {"spec": {"replicas": 2}})
        await eventually(lambda: count(2))
        scale = await apps.read_namespaced_deployment_scale("sized", NS)
        assert (scale.spec.replicas, scale.status.replicas) == (2, 2)


async def test_deleting_the_deployment_removes_its_replica_sets_and_pods(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        await create_deployment(client, NS, deployment("gone", 2))

        async def two() -> None:
            assert len([p for p in await pods(client, NS, "gone") if is_ready(p)]) == 2

        await eventually(two)
        await apps.delete_namespaced_deployment("gone", NS)

        async def empty() -> None:
            listing = await CoreV1Api(client).list_namespaced_pod(NS, label_selector="app=gone")
            assert listing.items == []
            assert (await apps.list_namespaced_replica_set(NS, label_selector="app=gone")).items == []

        await eventually(empty)


async def test_statefulset_makes_ordered_pods_zero_to_two(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        await apps.create_namespaced_stateful_set(NS, statefulset("x", 3))

        async def three() -> list[str]:
            found = await pods(client, NS, "x")
            assert sorted(pod.metadata.name for pod in found) == ["x-0", "x-1", "x-2"]
            assert all(is_ready(pod) for pod in found)
            status = (await apps.read_namespaced_stateful_set("x", NS)).status
            assert (status.replicas, status.ready_replicas, status.updated_replicas) == (3, 3, 3)
            assert status.current_revision == status.update_revision
            return [pod.metadata.name for pod in sorted(found, key=lambda p: p.metadata.creation_timestamp)]

        order = await eventually(three)
        assert order == ["x-0", "x-1", "x-2"]
        pod = await CoreV1Api(client).read_namespaced_pod("x-1", NS)
        assert (pod.spec.hostname, pod.spec.subdomain) == ("x-1", "x")
        assert pod.metadata.labels["statefulset.kubernetes.io/pod-name"] == "x-1"
        assert pod.metadata.labels["apps.kubernetes.io/pod-index"] == "1"

        await apps.patch_namespaced_stateful_set_scale("x", NS, {"spec": {"replicas": 1}})

        async def one() -> None:
            listing = await CoreV1Api(client).list_namespaced_pod(NS, label_selector="app=x")
            assert [p.metadata.name for p in listing.items] == ["x-0"]

        await eventually(one)


async def test_parallel_statefulset_creates_every_pod_at_once(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        # the pods never become Ready, so OrderedReady would stop at y-0
        await apps.create_namespaced_stateful_set(
            NS, statefulset("y", 3, policy="Parallel", fail="never-ready")
        )

        async def three() -> None:
            assert sorted(p.metadata.name for p in await pods(client, NS, "y")) == ["y-0", "y-1", "y-2"]

        await eventually(three)


async def test_namespace_deletion_completes_with_running_pods(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        core = CoreV1Api(client)
        await create_namespace(client, "doomed")
        await create_deployment(client, "doomed", deployment("w", 2))

        async def running() -> None:
            assert len([p for p in await pods(client, "doomed", "w") if is_ready(p)]) == 2

        await eventually(running)
        await core.delete_namespace("doomed")

        async def gone() -> None:
            names = [ns.metadata.name for ns in (await core.list_namespace()).items]
            assert "doomed" not in names

        await eventually(gone)


async def test_a_rollout_that_never_becomes_available_exceeds_its_progress_deadline(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        body = deployment("stuck", 1, fail="crash-loop")
        body["spec"]["progressDeadlineSeconds"] = 10  # 0.1 s with the tests' compressed deadlines
        await create_deployment(client, NS, body)

        async def exceeded() -> None:
            status = (await AppsV1Api(client).read_namespaced_deployment("stuck", NS)).status
            progressing = next(
                (c for c in (status.conditions if status else None) or [] if c.type == "Progressing"), None
            )
            assert progressing is not None
            assert (progressing.status, progressing.reason) == ("False", "ProgressDeadlineExceeded")
            assert progressing.message.startswith('ReplicaSet "stuck-')
            assert progressing.message.endswith('" has timed out progressing.')

        await eventually(exceeded)


async def test_statefulset_template_change_replaces_pods_with_the_new_revision(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        await apps.create_namespaced_stateful_set(NS, statefulset("z", 2))

        async def revision() -> str:
            status = (await apps.read_namespaced_stateful_set("z", NS)).status
            assert status is not None
            assert status.ready_replicas == 2
            assert status.updated_replicas == 2
            assert status.current_revision == status.update_revision
            return str(status.update_revision)

        first = await eventually(revision)
        patch = {"spec": {"template": {"spec": {"containers": [container(image="nginx:1.28")]}}}}
        await apps.patch_namespaced_stateful_set("z", NS, patch)

        async def updated() -> None:
            assert await revision() != first
            found = await pods(client, NS, "z")
            assert sorted(p.metadata.name for p in found) == ["z-0", "z-1"]
            assert all(p.spec.containers[0].image == "nginx:1.28" and is_ready(p) for p in found)
            assert all(p.metadata.labels["controller-revision-hash"] != first for p in found)

        await eventually(updated)


async def test_recreate_strategy_removes_old_pods_before_new_ones_start(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        apps = AppsV1Api(client)
        body = deployment("again", 2)
        body["spec"]["strategy"] = {"type": "Recreate"}
        await create_deployment(client, NS, body)

        async def ready(image: str) -> None:
            found = await pods(client, NS, "again")
            assert len(found) == 2
            assert all(is_ready(p) and p.spec.containers[0].image == image for p in found)

        await eventually(lambda: ready("nginx:1.27"))
        listing = await CoreV1Api(client).list_namespaced_pod(NS, label_selector="app=again")
        seen: list[tuple[int, int]] = []
        observer = asyncio.create_task(observe_pods(client, listing, "again", seen))
        patch = {"spec": {"template": {"spec": {"containers": [container(image="nginx:1.28")]}}}}
        await apps.patch_namespaced_deployment("again", NS, patch)
        await eventually(lambda: ready("nginx:1.28"))
        assert not observer.done()
        observer.cancel()
        assert max(live for live, _ in seen) == 2  # never old and new together
        assert min(live for live, _ in seen) == 0  # all old ones gone before the first new one
