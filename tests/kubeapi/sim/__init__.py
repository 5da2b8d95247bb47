"""A simulated cluster on the Kubernetes API emulator: the controllers, scheduler, kubelet and KEDA that turn
workloads into pods, pods into statuses and Events, and queue depth into replicas.

Every simulator talks to the emulator only through its HTTP API with kubernetes-asyncio, as the real
components do. The module docstrings state what each one simplifies. Public interface:

- `SimulatedCluster(api_client, SimConfig(...))`: async context manager running everything (`cluster`);
  `cluster.queues.set(queue, depth)`, `install_keda()`, `uninstall_keda()`, `events_written()`;
- `SimConfig(nodes, cpu, memory, max_pods, timings, keda, known_registries)` and `Timings` (`Timings()` looks
  real, `Timings.fast()` is for tests);
- the pytest fixtures `cluster` and `sim_config` (`fixtures`), the CLI options of `serve --simulate` (`cli`);
- the failure-mode annotation `sim.asya.sh/fail` (`failures`) and the queue-depth annotation
  `sim.asya.sh/queue-depth` (`queues`).
"""

from __future__ import annotations

from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.kubeapi.sim.failures import ANNOTATION as FAIL_ANNOTATION
from tests.kubeapi.sim.queues import ANNOTATION as QUEUE_DEPTH_ANNOTATION
from tests.kubeapi.sim.queues import QueueDepths
from tests.kubeapi.sim.timing import Timings

__all__ = [
    "FAIL_ANNOTATION",
    "QUEUE_DEPTH_ANNOTATION",
    "QueueDepths",
    "SimConfig",
    "SimulatedCluster",
    "Timings",
]
