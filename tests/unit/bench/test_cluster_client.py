"""The benchmark's cluster process, with the simulated cluster in a process of its own."""

from __future__ import annotations

from pathlib import Path

from controller.actor import resources as r
from controller.kube.client import KubeClient
from controller.kube.resources import Obj
from tests.bench.rig.actors import pod_ready
from tests.bench.rig.cluster_client import ClusterProcess
from tests.bench.rig.procfs import cpu_seconds
from tests.services.polling import eventually

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "default"},
    "spec": {"containers": [{"name": "c", "image": "python:3.13-slim"}]},
}


async def test_simulators_in_their_own_process_run_the_emulators_pods(tmp_path: Path) -> None:
    """Two processes (the emulator's, then the simulators'); a pod created in the emulator is made Ready by
    the simulators' scheduler and kubelet; ``stop`` ends both."""
    cluster = ClusterProcess(tmp_path / "kubeconfig", nodes=2, simulators="process")
    await cluster.start()
    try:
        assert len(cluster.pids) == 2
        assert cluster.pids[0] == cluster.pid
        assert all(cpu_seconds(pid) > 0 for pid in cluster.pids)
        client = await KubeClient.connect(kubeconfig=str(cluster.kubeconfig))
        try:
            await client.request("POST", r.PODS.path(namespace="default"), body=POD)

            async def get() -> Obj:
                return await client.request("GET", r.PODS.path(namespace="default", name="p"))

            await eventually(get, pod_ready, within=30)
        finally:
            await client.close()
    finally:
        await cluster.stop()
    assert cluster.cpu_seconds() == 0
