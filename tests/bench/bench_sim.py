"""How fast the simulated cluster turns 1 000 Deployments of 3 replicas into 3 000 Ready pods, at what cost.

The emulator and every simulator run in this one process (as `python -m tests.kubeapi serve --simulate`
runs them), with the default, real-looking timings. Deployments are created through kubernetes-asyncio;
the clock stops when every Deployment reports 3 ready replicas. Memory is this process's resident set
(emulator + simulators + the benchmark's own client), read from /proc.
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any

from kubernetes_asyncio.client import AppsV1Api

from tests.bench import Figure
from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.client import DEPLOYMENTS as DEPLOYMENTS_RESOURCE
from tests.kubeapi.sim.client import Kube
from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.sim.helpers import container, deployment

DEPLOYMENTS = 1000
REPLICAS = 3
CONCURRENCY = 32


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _deployment(index: int) -> dict[str, Any]:
    return deployment(f"bench-{index:04d}", REPLICAS, containers=[container(image="python:3.13-slim")])


async def _all_ready(kube: Kube, version: str) -> None:
    """Watches Deployments until every one reports all replicas ready (a watch: polling lists would load the
    emulator with the benchmark's own work)."""
    ready: set[str] = set()
    while len(ready) < DEPLOYMENTS:
        async for event in kube.watch(DEPLOYMENTS_RESOURCE, "default", resource_version=version):
            deployment = event["object"]
            version = deployment["metadata"]["resourceVersion"]
            if event["type"] == "BOOKMARK":
                continue
            if (deployment.get("status") or {}).get("readyReplicas") == REPLICAS:
                ready.add(deployment["metadata"]["name"])
                if len(ready) == DEPLOYMENTS:
                    return


async def run() -> list[Figure]:
    # 3 000 pods need room: 30 nodes of 110 pods
    config = SimConfig(nodes=30, cpu="32", memory="128Gi")
    before = rss_mib()
    async with KubeAPI() as api, api.api_client() as client, SimulatedCluster(client, config) as cluster:
        apps = AppsV1Api(client)
        _, version = await Kube(client).list(DEPLOYMENTS_RESOURCE, "default")
        watcher = asyncio.create_task(_all_ready(Kube(client), version))
        started = time.perf_counter()
        gate = asyncio.Semaphore(CONCURRENCY)

        async def create(index: int) -> None:
            async with gate:
                await apps.create_namespaced_deployment("default", _deployment(index), _preload_content=False)

        await asyncio.gather(*(create(i) for i in range(DEPLOYMENTS)))
        created = time.perf_counter() - started
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        await watcher
        elapsed = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        backlog = cluster.event_backlog
        at_ready = rss_mib()
        await cluster.events_written()
        drained = time.perf_counter() - started
        requests = len(api.requests)
        writes = api.requests.count(writes=True)
        peak = rss_mib()
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    figures = [
        Figure("deployments created", created, "s"),
        Figure("1000x3 pods all ready", elapsed, "s", "leave room for the controller on 2 cores"),
        Figure("cpu while converging", cpu, "cpu-s"),
        Figure("events queued at all-ready", backlog, "events"),
        Figure("every event written", drained, "s"),
        Figure("rss at all-ready", at_ready, "MiB"),
        Figure("rss with every event written", peak, "MiB"),
        Figure("rss before the cluster started", before, "MiB"),
    ]
    figures.append(Figure("api requests", requests, "req"))
    figures.append(Figure("api writes", writes, "req"))
    return figures
