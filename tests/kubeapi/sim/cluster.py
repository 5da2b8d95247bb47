"""The whole simulated cluster: nodes, the workload controllers, scheduler, kubelet, HPA and KEDA together.

`SimulatedCluster(api_client, config)` is an async context manager: on entry it creates the Node objects (when
the API serves nodes; otherwise the nodes exist only in the scheduler and kubelet), installs KEDA's CRDs when
`config.keda` is true, starts every simulator and waits until their caches are filled; on exit it stops them.
Everything goes through `api_client` (a kubernetes-asyncio ApiClient for the emulator), so the same cluster
could be pointed at any API server that lacks controllers.

Tests set queue depths for KEDA with `cluster.queues.set("asya-echo", 23)`, switch KEDA on later with
`install_keda()` (and off with `uninstall_keda()`), read the nodes the scheduler uses from `nodes`, and wait
for the Events recorded so far with `events_written()` (Events are written in the background).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from kubernetes_asyncio.client import ApiClient

from tests.kubeapi.sim.client import NODES, SCALEDOBJECTS, TRIGGERAUTHS, ApiError, Kube
from tests.kubeapi.sim.deployments import DeploymentController
from tests.kubeapi.sim.failures import KNOWN_REGISTRIES
from tests.kubeapi.sim.hpa import HpaController
from tests.kubeapi.sim.keda import FINALIZER as KEDA_FINALIZER
from tests.kubeapi.sim.keda import Keda
from tests.kubeapi.sim.keda_crds import install_keda_crds, uninstall_keda_crds
from tests.kubeapi.sim.kubelet import Kubelet
from tests.kubeapi.sim.quantity import parse_quantity
from tests.kubeapi.sim.queues import QueueDepths, QueueReader
from tests.kubeapi.sim.replicasets import ReplicaSetController
from tests.kubeapi.sim.scheduler import Node, Scheduler
from tests.kubeapi.sim.shared import Shared
from tests.kubeapi.sim.statefulsets import StatefulSetController
from tests.kubeapi.sim.timing import Timings

log = logging.getLogger(__name__)

KUBELET_VERSION = "v1.32.0"


@dataclass(frozen=True)
class SimConfig:
    """Shape of the simulated cluster. `cpu` and `memory` are per node, as quantities (`4`, `16Gi`)."""

    nodes: int = 3
    cpu: str = "4"
    memory: str = "16Gi"
    max_pods: int = 110
    timings: Timings = field(default_factory=Timings)
    keda: bool = True
    known_registries: tuple[str, ...] = KNOWN_REGISTRIES

    def node_names(self) -> list[str]:
        return [f"sim-node-{index + 1}" for index in range(self.nodes)]


def node_object(name: str, index: int, config: SimConfig) -> dict[str, Any]:
    """A Node as a kubelet registers it (status is written separately, through the status subresource)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "simulated",
            },
        },
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
    }


def node_status(index: int, config: SimConfig, now: str) -> dict[str, Any]:
    capacity = {
        "cpu": config.cpu,
        "memory": config.memory,
        "pods": str(config.max_pods),
        "ephemeral-storage": "100Gi",
    }

    def condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }

    return {
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": [
            condition(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition(
                "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"
            ),
            condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": f"172.18.0.{index + 1}"},
            {"type": "Hostname", "address": f"sim-node-{index}"},
        ],
        "nodeInfo": {
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": KUBELET_VERSION,
            "containerRuntimeVersion": "containerd://1.7.22",
            "osImage": "Debian GNU/Linux 12 (bookworm)",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "kernelVersion": "6.1.0-simulated",
            "machineID": f"{index:032x}",
            "systemUUID": f"00000000-0000-0000-0000-{index:012x}",
            "bootID": f"00000000-0000-0000-0001-{index:012x}",
        },
    }


def scheduler_node(obj: dict[str, Any]) -> Node:
    """The scheduler's view of a Node object."""
    allocatable = (obj.get("status") or {}).get("allocatable") or {}
    return Node(
        name=obj["metadata"]["name"],
        cpu=parse_quantity(allocatable.get("cpu", "0")),
        memory=parse_quantity(allocatable.get("memory", "0")),
        pods=int(allocatable.get("pods", 110)),
        unschedulable=bool((obj.get("spec") or {}).get("unschedulable")),
        taints=tuple((obj.get("spec") or {}).get("taints") or ()),
        labels=obj["metadata"].get("labels") or {},
    )


class SimulatedCluster:
    def __init__(self, api_client: ApiClient, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.kube = Kube(api_client)
        self.queues = QueueDepths()
        self._reader = QueueReader(self.queues)
        self._shared: Shared | None = None
        self._keda_task: asyncio.Task[None] | None = None
        self.keda: Keda | None = None
        self.scheduler: Scheduler | None = None
        self.kubelet: Kubelet | None = None

    @property
    def timings(self) -> Timings:
        return self.config.timings

    @property
    def nodes(self) -> list[Node]:
        return list(self.scheduler.nodes.values()) if self.scheduler else []

    async def _serves(self, path: str, plural: str) -> bool:
        try:
            listing = await self.kube.request("GET", path)
        except ApiError:
            return False
        return any(item.get("name") == plural for item in listing.get("resources") or [])

    async def _register_nodes(self) -> bool:
        if not await self._serves("/api/v1", "nodes"):
            return False
        from tests.kubeapi.sim.events import rfc3339

        for index, name in enumerate(self.config.node_names(), start=1):
            try:
                await self.kube.create(NODES, None, node_object(name, index, self.config))
            except ApiError as error:
                if error.status != 409:
                    raise
            await self.kube.patch(
                NODES,
                None,
                name,
                {"status": node_status(index, self.config, rfc3339())},
                subresource="status",
            )
        return True

    async def __aenter__(self) -> SimulatedCluster:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        shared = self._shared = Shared(self.kube, self.timings)
        names = self.config.node_names()
        fixed = [
            Node(n, parse_quantity(self.config.cpu), parse_quantity(self.config.memory), self.config.max_pods)
            for n in names
        ]
        self.scheduler = Scheduler(shared, fixed)
        if await self._register_nodes():
            nodes = shared.informer(NODES)
            nodes.on_change(lambda *_: self.scheduler.set_nodes([scheduler_node(n) for n in nodes.items()]))  # type: ignore[union-attr]
        self.kubelet = Kubelet(shared, names, known_registries=self.config.known_registries)
        simulators: list[Any] = [
            self.scheduler,
            self.kubelet,
            DeploymentController(shared),
            StatefulSetController(shared),
        ]
        simulators.append(ReplicaSetController(shared))
        simulators.append(HpaController(shared, self))
        await shared.start()
        for simulator in simulators:
            shared.spawn(simulator.run(), type(simulator).__name__)
        if self.config.keda:
            await self.install_keda()

    @property
    def event_backlog(self) -> int:
        """Events recorded by the simulated components but not yet written (sent in the background)."""
        return sum(r.backlog for r in self._shared.recorders.values()) if self._shared else 0

    async def events_written(self) -> None:
        """Returns once every event recorded so far has been written."""
        if self._shared:
            await asyncio.gather(*(r.drained() for r in self._shared.recorders.values()))

    def metric(self, namespace: str, so_name: str, metric_name: str) -> float | None:
        """The external metrics API the HPA reads: KEDA's, when it runs."""
        return self.keda.metric(namespace, so_name, metric_name) if self.keda else None

    async def install_keda(self) -> None:
        """Installs KEDA's CRDs and starts the simulated KEDA operator (no-op when it runs already). KEDA
        shares the cluster's informers: one watch per resource for every simulator."""
        if self.keda is not None or self._shared is None:
            return
        await install_keda_crds(self.kube)
        self.keda = Keda(self._shared, self._reader)
        await self._shared.wait_synced()
        self._keda_task = self._shared.spawn(self.keda.run(), "Keda")

    async def uninstall_keda(self) -> None:
        """Stops the simulated KEDA, drops its finalizers and deletes its CRDs, like uninstalling KEDA."""
        if self._keda_task is not None and self._shared is not None:
            self._keda_task.cancel()
            await asyncio.gather(self._keda_task, return_exceptions=True)
            self._keda_task = None
            for resource in (SCALEDOBJECTS, TRIGGERAUTHS):
                await self._shared.drop(resource)
        self.keda = None
        objects: list[dict[str, Any]] = []
        if await self._serves(f"/apis/{SCALEDOBJECTS.api_version}", SCALEDOBJECTS.plural):
            objects, _ = await self.kube.list(SCALEDOBJECTS)
        for so in objects:
            finalizers = [f for f in so["metadata"].get("finalizers") or [] if f != KEDA_FINALIZER]
            await self.kube.patch(
                SCALEDOBJECTS,
                so["metadata"]["namespace"],
                so["metadata"]["name"],
                {"metadata": {"finalizers": finalizers}},
            )
        await uninstall_keda_crds(self.kube)

    async def stop(self) -> None:
        if self._shared is not None:
            await self._shared.stop()
        self._shared = None
        self._keda_task = None
        self.keda = None
        await self._reader.close()
        await asyncio.sleep(0)
