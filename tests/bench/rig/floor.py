"""The baseline and the floor of the controller's benchmark, with what the simulated cluster spent on them.

``measure_floor(...)`` opens a fresh stage, creates the actors, runs :mod:`tests.bench.rig.baseline` (the
minimum requests, in a child process) and waits until every pod is Ready on a watch. It returns the
baseline's duration, the floor (the baseline's start until every pod is Ready), the CPU seconds the
emulator + simulators process used from the baseline's spawn until every pod was Ready, and the write
requests logged meanwhile, counted by client (User-Agent) and ``verb resource[/subresource]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from controller.actor import resources as r
from tests.bench.rig.actors import Board, pod_ready
from tests.bench.rig.stage import NAMESPACE, Stage, wait_for
from tests.services.rabbitmq import RabbitMQNode


@dataclass
class Floor:
    requests_s: float
    """The baseline's start → its last answer."""
    floor_s: float
    """The baseline's start → every pod Ready."""
    cluster_cpu: list[float]
    """The CPU seconds of the emulator's process (and the simulators', when apart), the baseline's spawn →
    every pod Ready."""
    writes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Write requests logged meanwhile, by (User-Agent, ``verb resource[/subresource]``)."""


async def measure_floor(
    *,
    rabbitmq: RabbitMQNode,
    workdir: Path,
    names: list[str],
    concurrency: int,
    vhost: str = "baseline",
    simulators: str = "process",
) -> Floor:
    async with Stage.open(rabbitmq=rabbitmq, vhost=vhost, workdir=workdir, simulators=simulators) as stage:
        await stage.create_actors(names)
        pods = Board()
        watch = stage.watch(r.PODS, pods)
        ready = pods.when_count(pod_ready, len(names))
        _, mark = await stage.cluster.writes()
        cpu = stage.cluster.cpu_seconds_each()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.rig.baseline",
            "--kubeconfig",
            str(stage.kubeconfig),
            "--namespace",
            NAMESPACE,
            "--concurrency",
            str(concurrency),
            env=stage.env(),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        if process.returncode:
            raise RuntimeError(f"the baseline failed ({process.returncode})")
        result = json.loads(out.splitlines()[-1])
        all_ready = await wait_for(ready, within=300, what="the baseline's pods ready")
        cpu = [after - before for after, before in zip(stage.cluster.cpu_seconds_each(), cpu, strict=True)]
        watch.cancel()
        rows, _ = await stage.cluster.writes(mark)
    writes: Counter[tuple[str, str]] = Counter(
        (
            str(row["agent"]).split("/")[0],
            " ".join((row["verb"], "/".join(filter(None, (row["resource"], row["subresource"]))))),
        )
        for row in rows
    )
    return Floor(
        requests_s=result["finished"] - result["started"],
        floor_s=all_ready - result["started"],
        cluster_cpu=cpu,
        writes=writes,
    )
