"""The `--simulate` options of `python -m tests.kubeapi serve`: the emulator plus the whole simulated cluster.

    python -m tests.kubeapi serve --kubeconfig /tmp/kc --simulate --nodes 3 --cpu 4 --memory 16Gi
    KUBECONFIG=/tmp/kc kubectl create deployment web --image=nginx:1.27 --replicas=3
    KUBECONFIG=/tmp/kc kubectl get pods,rs,nodes,events

Timings default to the real-looking ones; `--fast` compresses them as tests do, and the individual knobs
(`--start-delay`, `--ready-delay`, `--backoff-scale`, `--autoscaler-scale`, `--grace-scale`) override either.
`--no-keda` runs a cluster without KEDA (its CRDs are not installed); `--registry` adds a registry host the
kubelet can pull from (pattern, repeatable). A person sets a queue depth for KEDA with
`kubectl annotate scaledobject <name> sim.asya.sh/queue-depth=23`.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.kubeapi.sim.failures import KNOWN_REGISTRIES
from tests.kubeapi.sim.timing import Timings

_KNOBS = ("start_delay", "ready_delay", "backoff_scale", "autoscaler_scale", "grace_scale")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("simulated cluster")
    group.add_argument(
        "--simulate", action="store_true", help="run nodes, controllers, kubelet, HPA and KEDA too"
    )
    group.add_argument("--nodes", type=int, default=3, help="number of nodes (default 3)")
    group.add_argument("--cpu", default="4", help="allocatable CPU per node, a quantity (default 4)")
    group.add_argument(
        "--memory", default="16Gi", help="allocatable memory per node, a quantity (default 16Gi)"
    )
    group.add_argument("--max-pods", type=int, default=110, help="pods per node (default 110)")
    group.add_argument("--no-keda", action="store_true", help="do not install KEDA's CRDs nor run KEDA")
    group.add_argument(
        "--registry", action="append", default=[], help="another registry host pattern to pull from"
    )
    group.add_argument("--fast", action="store_true", help="the compressed timings the tests use")
    for knob in _KNOBS:
        group.add_argument(f"--{knob.replace('_', '-')}", type=float, default=None, help=f"Timings.{knob}")


def config_from(args: argparse.Namespace) -> SimConfig:
    timings = Timings.fast() if args.fast else Timings()
    changes = {knob: getattr(args, knob) for knob in _KNOBS if getattr(args, knob) is not None}
    return SimConfig(
        nodes=args.nodes,
        cpu=args.cpu,
        memory=args.memory,
        max_pods=args.max_pods,
        timings=replace(timings, **changes),
        keda=not args.no_keda,
        known_registries=(*KNOWN_REGISTRIES, *args.registry),
    )


@contextlib.asynccontextmanager
async def simulated(api: Any, args: argparse.Namespace) -> AsyncIterator[SimulatedCluster | None]:
    """Runs the simulated cluster against a started emulator when `--simulate` was given."""
    if not args.simulate:
        yield None
        return
    config = config_from(args)
    async with api.api_client() as client, SimulatedCluster(client, config) as cluster:
        keda = "with KEDA" if config.keda else "without KEDA"
        print(f"simulating {config.nodes} nodes of {config.cpu} CPU and {config.memory} {keda}", flush=True)
        yield cluster
