"""Each failure mode shows the pod status fields and Events a real cluster shows, in its exact words."""

from __future__ import annotations

import base64
from typing import Any

from kubernetes_asyncio.client import CoreV1Api

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimulatedCluster
from tests.kubeapi.testing import eventually
from tests.sim.helpers import (
    condition,
    container,
    container_status,
    create_deployment,
    deployment,
    events,
    is_ready,
    only_pod,
)
from tests.sim.helpers import pods as pods_of

NS = "default"


def waiting(pod: Any, index: int = 0) -> Any:
    state = container_status(pod, index).state
    assert state.waiting is not None, state
    return state.waiting


async def reasons(client: Any, pod: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in await events(client, NS, pod.metadata.name):
        found.setdefault(event.reason, []).append(event.message)
    return found


async def test_crash_loop_restarts_on_the_back_off_schedule_with_back_off_events(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("crash", fail="crash-loop"))

        async def looping() -> Any:
            pod = await only_pod(client, "crash")
            status = container_status(pod)
            assert status.restart_count >= 2
            assert waiting(pod).reason == "CrashLoopBackOff"
            assert status.last_state.terminated is not None
            assert status.last_state.terminated.exit_code == 1
            assert status.last_state.terminated.reason == "Error"
            assert pod.status.phase == "Running"
            assert not is_ready(pod)
            return pod

        pod = await eventually(looping)
        full = f"{pod.metadata.name}_{NS}({pod.metadata.uid})"
        assert waiting(pod).message.endswith(f"restarting failed container=app pod={full}")
        assert waiting(pod).message.split()[1] in ("10s", "20s", "40s", "1m20s")
        seen = await reasons(client, pod)
        assert f"Back-off restarting failed container app in pod {full}" in seen["BackOff"]
        back_off = next(e for e in await events(client, NS, pod.metadata.name) if e.reason == "BackOff")
        assert back_off.type == "Warning"
        assert back_off.involved_object.field_path == "spec.containers{app}"
        assert "Created container: app" in seen["Created"]
        assert "Started container app" in seen["Started"]


async def test_oom_kill_terminates_with_137(cluster: SimulatedCluster, kubeapi: KubeAPI) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("oom", fail="oom-kill"))

        async def killed() -> None:
            last = container_status(await only_pod(client, "oom")).last_state.terminated
            assert last is not None
            assert (last.reason, last.exit_code) == ("OOMKilled", 137)

        await eventually(killed)


async def test_image_pull_failure_goes_err_image_pull_then_image_pull_back_off(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("pull", fail="image-pull"))

        async def backing_off() -> Any:
            pod = await only_pod(client, "pull")
            assert waiting(pod).reason == "ImagePullBackOff"
            assert waiting(pod).message.startswith(
                'Back-off pulling image "nginx:1.27": ErrImagePull: rpc error'
            )
            assert pod.status.phase == "Pending"
            return pod

        pod = await eventually(backing_off)
        seen = await reasons(client, pod)
        assert "Error: ErrImagePull" in seen["Failed"]
        assert "Error: ImagePullBackOff" in seen["Failed"]
        assert any(
            m.startswith('Failed to pull image "nginx:1.27": rpc error: code = NotFound')
            for m in seen["Failed"]
        )
        assert 'Back-off pulling image "nginx:1.27"' in seen["BackOff"]
        assert 'Pulling image "nginx:1.27"' in seen["Pulling"]


async def test_image_from_an_unknown_registry_fails_by_itself(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        image = "registry.invalid/team/app:1.0"
        await create_deployment(client, NS, deployment("unknown", containers=[container(image=image)]))

        async def failed() -> None:
            pod = await only_pod(client, "unknown")
            assert waiting(pod).reason in ("ErrImagePull", "ImagePullBackOff")
            seen = await reasons(client, pod)
            assert any("lookup registry.invalid" in m and "no such host" in m for m in seen["Failed"])

        await eventually(failed)


async def test_invalid_image_name(cluster: SimulatedCluster, kubeapi: KubeAPI) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("bad", containers=[container(image="Team/App")]))

        async def invalid() -> None:
            assert waiting(await only_pod(client, "bad")).reason == "InvalidImageName"

        await eventually(invalid)


async def test_missing_configmap_volume_fails_to_mount_until_it_exists(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        volumes = [{"name": "cfg", "configMap": {"name": "settings"}}]
        await create_deployment(client, NS, deployment("mnt", volumes=volumes))

        async def failing() -> Any:
            pod = await only_pod(client, "mnt")
            assert waiting(pod).reason == "ContainerCreating"
            assert pod.status.phase == "Pending"
            mounts = [e for e in await events(client, NS, pod.metadata.name) if e.reason == "FailedMount"]
            assert mounts
            assert (
                mounts[0].message
                == 'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found'
            )
            assert mounts[0].type == "Warning"
            return pod

        await eventually(failing)
        await CoreV1Api(client).create_namespaced_config_map(
            NS, {"metadata": {"name": "settings"}, "data": {"a": "1"}}
        )

        async def started() -> None:
            assert is_ready(await only_pod(client, "mnt"))

        await eventually(started)


async def test_missing_secret_key_in_env_is_create_container_config_error(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await CoreV1Api(client).create_namespaced_secret(
            NS, {"metadata": {"name": "creds"}, "data": {"user": base64.b64encode(b"u").decode()}}
        )
        env = [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}}]
        await create_deployment(client, NS, deployment("cfg", containers=[container(env=env)]))
        message = f"couldn't find key password in Secret {NS}/creds"

        async def config_error() -> None:
            pod = await only_pod(client, "cfg")
            assert (waiting(pod).reason, waiting(pod).message) == ("CreateContainerConfigError", message)
            assert f"Error: {message}" in (await reasons(client, pod))["Failed"]

        await eventually(config_error)


async def test_config_mode_without_references_reports_a_missing_secret(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("cfgmode", fail="config"))

        async def config_error() -> None:
            pod = await only_pod(client, "cfgmode")
            assert (waiting(pod).reason, waiting(pod).message) == (
                "CreateContainerConfigError",
                'secret "app-config" not found',
            )

        await eventually(config_error)


async def test_never_ready_runs_with_unhealthy_events(cluster: SimulatedCluster, kubeapi: KubeAPI) -> None:
    async with kubeapi.api_client() as client:
        probe = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 10}
        await create_deployment(
            client, NS, deployment("nr", fail="never-ready", containers=[container(readinessProbe=probe)])
        )

        async def unhealthy() -> None:
            pod = await only_pod(client, "nr")
            assert pod.status.phase == "Running"
            assert container_status(pod).state.running is not None
            assert not is_ready(pod)
            ready = condition(pod, "Ready")
            assert (ready.reason, ready.message) == (
                "ContainersNotReady",
                "containers with unready status: [app]",
            )
            found = [e for e in await events(client, NS, pod.metadata.name) if e.reason == "Unhealthy"]
            assert found
            assert found[0].message == "Readiness probe failed: HTTP probe failed with statuscode: 503"
            assert found[0].type == "Warning"

        await eventually(unhealthy)


async def test_never_ready_annotated_on_a_running_pod_fails_its_readiness_until_removed(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        core = CoreV1Api(client)
        await create_deployment(client, NS, deployment("flaky", 2))

        async def both_ready() -> list[Any]:
            pods = await pods_of(client, NS, "flaky")
            assert len(pods) == 2
            assert all(is_ready(pod) for pod in pods)
            return pods

        first, second = await eventually(both_ready)
        annotation = {"metadata": {"annotations": {"sim.asya.sh/fail": "never-ready"}}}
        await core.patch_namespaced_pod(first.metadata.name, NS, annotation)

        async def one_unready() -> None:
            pod = await core.read_namespaced_pod(first.metadata.name, NS)
            assert not is_ready(pod)
            assert container_status(pod).state.running is not None
            assert container_status(pod).restart_count == 0
            assert is_ready(await core.read_namespaced_pod(second.metadata.name, NS))
            found = [e for e in await events(client, NS, pod.metadata.name) if e.reason == "Unhealthy"]
            assert found
            assert found[0].message.startswith("Readiness probe failed")

        await eventually(one_unready)
        await core.patch_namespaced_pod(
            first.metadata.name, NS, {"metadata": {"annotations": {"sim.asya.sh/fail": None}}}
        )

        async def ready_again() -> None:
            assert is_ready(await core.read_namespaced_pod(first.metadata.name, NS))

        await eventually(ready_again)


async def test_slow_start_is_pending_then_ready(cluster: SimulatedCluster, kubeapi: KubeAPI) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("slow", fail="slow-start"))

        async def running_not_ready() -> None:
            pod = await only_pod(client, "slow")
            assert container_status(pod).state.running is not None
            assert not is_ready(pod)

        await eventually(running_not_ready)

        async def ready() -> None:
            assert is_ready(await only_pod(client, "slow"))

        await eventually(ready)


async def test_a_pod_that_fails_after_being_ready_restarts(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("flaky", fail="fail-after-ready"))

        async def was_ready() -> None:
            assert is_ready(await only_pod(client, "flaky"))

        await eventually(was_ready)

        async def restarted() -> None:
            status = container_status(await only_pod(client, "flaky"))
            assert status.restart_count >= 1
            assert status.last_state.terminated is not None
            assert status.last_state.terminated.reason == "Error"

        await eventually(restarted)


async def test_deletion_stops_containers_with_killing_events_and_honours_the_grace_period(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        core = CoreV1Api(client)
        await create_deployment(
            client, NS, deployment("stubborn", fail="slow-stop", terminationGracePeriodSeconds=30)
        )

        async def ready() -> Any:
            pod = await only_pod(client, "stubborn")
            assert is_ready(pod)
            return pod

        pod = await eventually(ready)
        await core.delete_namespaced_pod(pod.metadata.name, NS)
        terminating = await core.read_namespaced_pod(pod.metadata.name, NS)
        assert terminating.metadata.deletion_timestamp is not None
        assert terminating.metadata.deletion_grace_period_seconds == 30

        async def removed() -> None:
            names = [
                p.metadata.name
                for p in (await core.list_namespaced_pod(NS, label_selector="app=stubborn")).items
            ]
            assert pod.metadata.name not in names

        await eventually(removed)
        assert "Stopping container app" in (await reasons(client, pod))["Killing"]
