"""What the simulated cluster of the controller's benchmark costs: the baseline and the floor alone.

The same set-up as the convergence figure of :mod:`tests.bench.bench_controller` (1 000 actors, the emulator
and the simulators in processes of their own, a real RabbitMQ node), without the controller: the baseline's
minimum requests run and the clock stops when every pod is Ready. Printed: the baseline's duration, the floor,
the emulator + simulators' CPU seconds meanwhile, and the write requests the simulators sent per pod, by kind;
then the floor and CPU once more with the simulators in the emulator's process (``--simulators inline`` of
:mod:`tests.bench.rig.cluster`), the set-up the rig had before.
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
        inline = await measure_floor(
            rabbitmq=rabbitmq,
            workdir=Path(tmp),
            names=names,
            concurrency=WORKERS,
            vhost="inline",
            simulators="inline",
        )
    figures = [
        Figure("baseline: the minimum requests alone", floor.requests_s, "s"),
        Figure("floor: baseline start → the cluster's pods all ready", floor.floor_s, "s"),
        Figure("emulator + simulators: CPU meanwhile", sum(floor.cluster_cpu), "cpu-s"),
        Figure("emulator's process: CPU meanwhile", floor.cluster_cpu[0], "cpu-s"),
        Figure("simulators' process: CPU meanwhile", sum(floor.cluster_cpu[1:]), "cpu-s"),
    ]
    simulated = sorted((what, n) for (agent, what), n in floor.writes.items() if agent == SIMULATOR_AGENT)
    figures.append(Figure("simulators: writes per pod", sum(n for _, n in simulated) / ACTORS, "writes"))
    figures += [Figure(f"simulators: {what} per pod", n / ACTORS, "writes") for what, n in simulated]
    figures += [
        Figure("simulators inline: floor", inline.floor_s, "s"),
        Figure("simulators inline: CPU meanwhile", sum(inline.cluster_cpu), "cpu-s"),
    ]
    return figures
