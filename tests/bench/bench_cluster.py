"""What the simulated cluster of the controller's benchmark costs: the baseline and the floor alone.

The same set-up as the convergence figure of :mod:`tests.bench.bench_controller` (1 000 actors, the emulator
and simulators in their own process, a real RabbitMQ node), without the controller: the baseline's minimum
requests run and the clock stops when every pod is Ready. Printed: the baseline's duration, the floor, the
emulator + simulators' CPU seconds meanwhile, and the write requests the simulators sent per pod, by kind.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from controller import logs
from tests.bench import Figure
from tests.bench.rig.cluster import SIMULATOR_AGENT
from tests.bench.rig.floor import measure_floor
from tests.bench.rig.stage import actor_name
from tests.services.rabbitmq import running_node

ACTORS = 1000
WORKERS = 10


async def run() -> list[Figure]:
    logs.configure(format="console", level="error")
    names = [actor_name(i) for i in range(ACTORS)]
    with tempfile.TemporaryDirectory(prefix="asya-bench-") as tmp, running_node() as rabbitmq:
        floor = await measure_floor(rabbitmq=rabbitmq, workdir=Path(tmp), names=names, concurrency=WORKERS)
    figures = [
        Figure("baseline: the minimum requests alone", floor.requests_s, "s"),
        Figure("floor: baseline start → the cluster's pods all ready", floor.floor_s, "s"),
        Figure("emulator + simulators: CPU meanwhile", floor.cluster_cpu, "cpu-s"),
    ]
    simulated = sorted((what, n) for (agent, what), n in floor.writes.items() if agent == SIMULATOR_AGENT)
    figures.append(Figure("simulators: writes per pod", sum(n for _, n in simulated) / ACTORS, "writes"))
    figures += [Figure(f"simulators: {what} per pod", n / ACTORS, "writes") for what, n in simulated]
    return figures
