"""kubectl against the simulated cluster: the CLI that starts it, rollout, describe, wait, scale, annotate."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimulatedCluster
from tests.kubeapi.testing import eventually
from tests.kubectl import Kubectl
from tests.sim.helpers import deployment

ROOT = Path(__file__).resolve().parents[2]


async def kubectl(kubeconfig: Path, *args: str) -> str:
    return await Kubectl(kubeconfig)(*args)


def manifest(path: Path, *documents: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


async def test_serve_simulate_runs_a_cluster_kubectl_can_roll_out_on(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.kubeapi",
        "serve",
        "--kubeconfig",
        str(kubeconfig),
        "--simulate",
        "--fast",
        "--nodes",
        "2",
        "--no-keda",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        lines = [(await asyncio.wait_for(server.stdout.readline(), 30)).decode() for _ in range(2)]
        assert lines[0].startswith("serving http://127.0.0.1:")
        assert lines[1].startswith("simulating 2 nodes")
        assert (await kubectl(kubeconfig, "get", "nodes", "-o", "name")).split() == [
            "node/sim-node-1",
            "node/sim-node-2",
        ]
        await kubectl(kubeconfig, "apply", "-f", manifest(tmp_path / "web.yaml", deployment("web", 3)))
        out = await kubectl(kubeconfig, "rollout", "status", "deployment/web", "--timeout=30s")
        assert 'deployment "web" successfully rolled out' in out
        await kubectl(kubeconfig, "scale", "deployment/web", "--replicas=1")

        async def one() -> None:
            pods = json.loads(await kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o", "json"))[
                "items"
            ]
            assert len([p for p in pods if not p["metadata"].get("deletionTimestamp")]) == 1

        await eventually(one, within=30)
        groups = await kubectl(kubeconfig, "api-versions")
        assert "keda.sh/v1alpha1" not in groups
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 30) == 0


async def test_describe_shows_the_crash_loop_as_a_cluster_would(
    cluster: SimulatedCluster, kubeapi: KubeAPI, tmp_path: Path
) -> None:
    kubeconfig = kubeapi.kubeconfig_path
    await kubectl(
        kubeconfig, "apply", "-f", manifest(tmp_path / "c.yaml", deployment("crash", fail="crash-loop"))
    )

    async def looping() -> str:
        out = await kubectl(kubeconfig, "describe", "pods", "-l", "app=crash")
        assert "Reason:       CrashLoopBackOff" in out
        assert "Back-off restarting failed container app in pod crash-" in out
        return out

    out = await eventually(looping)
    assert "Last State:     Terminated" in out
    assert "Successfully assigned default/crash-" in out


async def test_kubectl_wait_sees_pods_become_ready(
    cluster: SimulatedCluster, kubeapi: KubeAPI, tmp_path: Path
) -> None:
    kubeconfig = kubeapi.kubeconfig_path
    await kubectl(kubeconfig, "apply", "-f", manifest(tmp_path / "w.yaml", deployment("waited", 2)))

    async def created() -> None:
        pods = json.loads(await kubectl(kubeconfig, "get", "pods", "-l", "app=waited", "-o", "json"))["items"]
        assert len(pods) == 2

    await eventually(created)
    out = await kubectl(
        kubeconfig, "wait", "--for=condition=Ready", "pod", "-l", "app=waited", "--timeout=30s"
    )
    assert out.count("condition met") == 2


async def test_annotating_a_scaled_object_sets_the_queue_depth(
    cluster: SimulatedCluster, kubeapi: KubeAPI, tmp_path: Path
) -> None:
    kubeconfig = kubeapi.kubeconfig_path
    scaled_object = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "queued"},
        "spec": {
            "scaleTargetRef": {"name": "queued"},
            "maxReplicaCount": 10,
            "triggers": [
                {
                    "type": "rabbitmq",
                    "metadata": {
                        "queueName": "asya-queued",
                        "mode": "QueueLength",
                        "value": "5",
                        "hostFromEnv": "RMQ",
                    },
                }
            ],
        },
    }
    env = [{"name": "RMQ", "value": "amqp://guest:guest@127.0.0.1:1/"}]
    target = deployment("queued", 1, containers=[{"name": "app", "image": "nginx:1.27", "env": env}])
    await kubectl(kubeconfig, "apply", "-f", manifest(tmp_path / "so.yaml", target, scaled_object))
    await kubectl(kubeconfig, "annotate", "scaledobject", "queued", "sim.asya.sh/queue-depth=23")

    async def five() -> None:
        out = await kubectl(kubeconfig, "get", "deployment", "queued", "-o", "jsonpath={.spec.replicas}")
        assert out == "5"

    await eventually(five)
    out = await kubectl(
        kubeconfig, "get", "so", "queued", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}"
    )
    assert out == "True"
