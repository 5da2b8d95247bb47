"""What one convergence costs per actor, for quick iteration on the controller's cost without the whole
benchmark: ``python -m tests.bench.rig.probe --actors 200``.

Stages ``--actors`` actors (1 replica each) on a fresh emulator and simulated cluster, starts
``asya-controller run`` as :mod:`tests.bench.bench_controller` does, waits until every actor is ``Running``
and the controller is idle, and prints, per actor: the controller's writes by verb, resource[/subresource]
and HTTP status (from the emulator's request log), its reconciles, API requests by method and applies done
or skipped (from its metrics); and the CPU-seconds of the controller and of the emulator process from the
controller's readiness until every actor was ``Running``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from controller import logs
from tests.bench.rig.actors import status_is
from tests.bench.rig.phases import CONTROLLER_AGENT
from tests.bench.rig.process import metric_sum
from tests.bench.rig.procfs import cpu_seconds
from tests.bench.rig.stage import Stage, actor_name, wait_for
from tests.services.rabbitmq import running_node

METRICS = (
    ("reconciles", "controller_runtime_reconcile_total", {}),
    ("requests GET", "rest_client_requests_total", {"method": "GET"}),
    ("requests PATCH", "rest_client_requests_total", {"method": "PATCH"}),
    ("requests POST", "rest_client_requests_total", {"method": "POST"}),
    ("requests DELETE", "rest_client_requests_total", {"method": "DELETE"}),
    ("applies done", "controller_applies_total", {"result": "done"}),
    ("applies skipped", "controller_applies_total", {"result": "skipped"}),
)


def tally(rows: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str, int]]:
    """The controller's writes in the emulator's log, by (verb, resource[/subresource], status)."""
    return Counter(
        (str(row["verb"]), "/".join(filter(None, (row["resource"], row["subresource"]))), int(row["status"]))
        for row in rows
        if str(row["agent"]).startswith(CONTROLLER_AGENT)
    )


async def probe(actors: int) -> list[str]:
    names = [actor_name(i) for i in range(actors)]
    with tempfile.TemporaryDirectory(prefix="asya-probe-") as tmp, running_node() as rabbitmq:
        async with Stage.open(rabbitmq=rabbitmq, vhost="probe", workdir=Path(tmp)) as stage:
            await stage.create_actors(names)
            controller = stage.controller("probe")
            running = stage.actors.when_all(stage.keys(names), status_is("Running"))
            _, mark = await stage.cluster.writes()
            await controller.start()
            try:
                ready_at = await controller.wait_ready()
                cpu, cluster_cpu = cpu_seconds(controller.pid), cpu_seconds(stage.cluster.pid)
                done_at = await wait_for(running, within=600, what=f"{actors} actors Running")
                cpu = cpu_seconds(controller.pid) - cpu
                cluster_cpu = cpu_seconds(stage.cluster.pid) - cluster_cpu
                samples = await controller.wait_idle(at_least=actors)
                rows, _ = await stage.cluster.writes(mark)
            finally:
                await controller.stop()
    lines = [
        f"{actors} actors: ready → all Running {done_at - ready_at:.1f} s; CPU meanwhile: controller "
        f"{cpu:.2f} s, emulator + simulators {cluster_cpu:.2f} s",
        "controller writes per actor (verb resource status):",
    ]
    for (verb, resource, status), count in sorted(tally(rows).items()):
        lines.append(f"  {verb:7} {resource:28} {status}  {count / actors:.3f}")
    lines.append("per actor, from the controller's metrics:")
    for label, name, labels in METRICS:
        lines.append(f"  {label:16} {metric_sum(samples, name, **labels) / actors:.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.rig.probe", description=__doc__)
    parser.add_argument("--actors", type=int, default=200)
    args = parser.parse_args(argv)
    logs.configure(format="console", level="error")
    print("\n".join(asyncio.run(probe(args.actors))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
