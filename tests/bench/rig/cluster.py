"""The API emulator and the simulated cluster in processes of their own, for the controller's benchmark.

``python -m tests.bench.rig.cluster --kubeconfig PATH --nodes N`` serves the emulator on a free port of
127.0.0.1 with the simulated cluster (fast timings) against it, plus a small control server, and prints one
JSON line ``{"api": url, "control": url, "pid": pid, "pids": [pid, ...]}`` once both accept connections. It
runs until SIGTERM.

By default (``--simulators process``) the simulated cluster runs in a child process of its own (``python
-m tests.bench.rig.cluster --simulate URL``, which prints ``{"pid": pid}`` once its caches are filled and runs
until SIGTERM), as a real cluster's kubelets and controllers run apart from its API server; ``pids`` lists
both processes, whose CPU the benchmark adds up. With 1 000 actors on two cores this brought the floor from
31 s to 24 s and the controller's convergence from 50 s to 27 s (same CPU in all); ``--simulators inline``
runs everything in the one process, as before.

Running it apart from the controller keeps the emulator's and simulators' work off the controller's event
loop and interpreter: on two cores each process gets what the scheduler gives it, as on a real cluster where
the API server and the kubelets are other machines.

The simulators' client sends the User-Agent ``SIMULATOR_AGENT`` so that the request log tells their writes
from the controller's. The control server answers:

- ``GET /writes?since=N``: the write requests logged from index ``N`` on (verb, resource, subresource,
  namespace, name, status, user agent, wall time) and the index to continue from;
- ``POST /events`` ``{"namespace", "pods": [name, ...], "count", "reason", "message", "labels"}``: creates
  ``count`` core/v1 Warning Events about the pods in turn, straight in the emulator's store (its HTTP write
  path would take longer than the measurement), each going out to watches as usual;
- ``POST /copy-pods`` ``{"namespace", "selector", "copies", "drop_label", "labels", "node"}``: for each pod
  matching ``selector``, that many copies (see ``pod_copy``) created and given the original's status, in
  the store likewise;
- ``POST /touch-pod`` ``{"namespace", "name", "count"}``: changes the pod's ``status.message`` that many
  times in a row, in the store likewise (a burst far inside 100 ms, whatever the HTTP path's latency); the
  seconds it took;
- ``GET /usage``: this process's resident set (MiB) and CPU seconds so far.

With ``ASYA_BENCH_CLUSTER_PROFILE=PATH`` in its environment the process runs under :mod:`cProfile` and
writes the statistics (:mod:`pstats` format) to ``PATH`` when it stops (``PATH.sim`` for a simulators'
process): where the emulator and the simulators spend their CPU.

``tests.bench.rig.cluster_client.ClusterProcess`` is the parent's side.

Its cyclic garbage collector is kept from stopping the world: every 2 s everything alive is frozen (out of
the collector's sight). The emulator holds hundreds of thousands of objects (the store, the watch history),
and a full collection of them stopped every stream for up to a second (1 036 ms measured with 1 000 actors;
51 ms at most with the freezing), which the reaction figures would have blamed on the controller. Garbage
cycles still young are collected as usual; the few that outlive a freeze stay until the process ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import os
import resource
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from kubernetes_asyncio import client as k8s_client

from tests.bench.rig.process import terminate
from tests.bench.rig.procfs import rss_mib
from tests.kubeapi import KubeAPI
from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.kubeapi.sim.events import rfc3339
from tests.kubeapi.sim.timing import Timings

SIMULATOR_AGENT = "asya-bench-simulator"
FREEZE_EVERY = 2.0
PROFILE_ENV = "ASYA_BENCH_CLUSTER_PROFILE"


def warning_event(
    *, namespace: str, pod: str, index: int, reason: str, message: str, labels: dict[str, str]
) -> dict[str, Any]:
    """A kubelet-style Warning Event about ``pod`` (named after the pod and ``index``)."""
    now = rfc3339()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod}.bench{index:05d}", "namespace": namespace, "labels": labels},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": namespace, "name": pod},
        "type": "Warning",
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


def pod_copy(
    pod: dict[str, Any], *, suffix: str, drop_label: str, labels: dict[str, str], node: str
) -> dict[str, Any]:
    """A new pod made from ``pod``: its spec and labels (less ``drop_label``, plus ``labels``), on ``node``,
    owned by nobody; without ``status``, which the API server resets on create."""
    meta = pod["metadata"]
    kept = {k: v for k, v in (meta.get("labels") or {}).items() if k != drop_label}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{meta['name']}-{suffix}",
            "namespace": meta["namespace"],
            "labels": {**kept, **labels},
        },
        "spec": {**pod["spec"], "nodeName": node},
    }


# -- the child --


def _control_app(api: KubeAPI) -> web.Application:
    events = api.cluster.type_of(("", "events"))
    pods = api.cluster.type_of(("", "pods"))

    async def writes(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        logged = list(api.requests)
        rows = [
            {
                "verb": r.verb,
                "resource": r.resource,
                "subresource": r.subresource,
                "namespace": r.namespace,
                "name": r.name,
                "status": r.status,
                "agent": r.user_agent,
                "time": r.time,
            }
            for r in logged[since:]
            if r.write
        ]
        return web.json_response({"next": len(logged), "writes": rows})

    async def create_events(request: web.Request) -> web.Response:
        body = await request.json()
        about = body["pods"]
        for index in range(int(body["count"])):
            event = warning_event(
                namespace=body["namespace"],
                pod=about[index % len(about)],
                index=index,
                reason=body["reason"],
                message=body["message"],
                labels=body["labels"],
            )
            api.cluster.create(events, body["namespace"], event, manager="kubelet")
            if index % 100 == 99:
                await asyncio.sleep(0)  # let the watch streams flow meanwhile
        return web.json_response({"created": int(body["count"])})

    async def copy_pods(request: web.Request) -> web.Response:
        body = await request.json()
        namespace = body["namespace"]
        listed = api.cluster.list_objects(pods, namespace, labels=body["selector"])
        created = 0
        for pod in listed.objects:
            for index in range(int(body["copies"])):
                copy = pod_copy(
                    pod,
                    suffix=f"copy{index}",
                    drop_label=body["drop_label"],
                    labels=body["labels"],
                    node=body["node"],
                )
                api.cluster.create(pods, namespace, copy, manager="kubelet")
                status = {"status": pod.get("status") or {}}
                name = copy["metadata"]["name"]
                api.cluster.patch(
                    pods, namespace, name, status, patch_type="merge", manager="kubelet", subresource="status"
                )
                created += 1
            await asyncio.sleep(0)
        return web.json_response({"created": created})

    async def touch_pod(request: web.Request) -> web.Response:
        body = await request.json()
        started = time.perf_counter()
        for index in range(int(body["count"])):
            change = {"status": {"message": f"change {index}"}}
            api.cluster.patch(
                pods,
                body["namespace"],
                body["name"],
                change,
                patch_type="merge",
                manager="kubelet",
                subresource="status",
            )
        return web.json_response({"seconds": time.perf_counter() - started})

    async def usage(_request: web.Request) -> web.Response:
        used = resource.getrusage(resource.RUSAGE_SELF)
        return web.json_response({"rss_mib": rss_mib(), "cpu_s": used.ru_utime + used.ru_stime})

    app = web.Application()
    app.router.add_get("/writes", writes)
    app.router.add_post("/events", create_events)
    app.router.add_post("/copy-pods", copy_pods)
    app.router.add_post("/touch-pod", touch_pod)
    app.router.add_get("/usage", usage)
    return app


async def _freeze_every(seconds: float) -> None:
    """Freezes everything alive, again and again (see the module docstring)."""
    while True:
        gc.freeze()
        await asyncio.sleep(seconds)


def _config(nodes: int) -> SimConfig:
    return SimConfig(nodes=nodes, cpu="64", memory="256Gi", max_pods=110, timings=Timings.fast(), keda=True)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


@contextlib.asynccontextmanager
async def _simulators(url: str, nodes: int) -> AsyncIterator[None]:
    """The simulated cluster against the emulator at ``url``, in this process."""
    async with k8s_client.ApiClient(k8s_client.Configuration(host=url)) as sim_client:
        sim_client.user_agent = SIMULATOR_AGENT
        async with SimulatedCluster(sim_client, _config(nodes)):
            yield


@contextlib.asynccontextmanager
async def _simulator_process(url: str, nodes: int) -> AsyncIterator[int]:
    """The simulated cluster in a child process (see the module docstring); its pid."""
    command = [sys.executable, "-m", "tests.bench.rig.cluster", "--simulate", url, "--nodes", str(nodes)]
    env = dict(os.environ)
    if env.get(PROFILE_ENV):
        env[PROFILE_ENV] += ".sim"
    child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, env=env)
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        if not line:
            raise RuntimeError("the simulators' process ended before it was ready")
        yield child.pid
    finally:
        await terminate(child, within=30)


async def _simulate(args: argparse.Namespace) -> None:
    stop = _stop_on_signals()
    async with _simulators(args.simulate, args.nodes):
        print(json.dumps({"pid": os.getpid()}), flush=True)
        freezer = asyncio.create_task(_freeze_every(FREEZE_EVERY))
        try:
            await stop.wait()
        finally:
            freezer.cancel()


async def _serve(args: argparse.Namespace) -> None:
    stop = _stop_on_signals()
    async with (
        KubeAPI(kubeconfig_path=args.kubeconfig, history=args.history) as api,
        contextlib.AsyncExitStack() as stack,
    ):
        pids = [os.getpid()]
        if args.simulators == "process":
            pids.append(await stack.enter_async_context(_simulator_process(api.url, args.nodes)))
        else:
            await stack.enter_async_context(_simulators(api.url, args.nodes))
        runner = web.AppRunner(_control_app(api), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        ready = {"api": api.url, "control": f"http://127.0.0.1:{port}", "pid": os.getpid(), "pids": pids}
        print(json.dumps(ready), flush=True)
        freezer = asyncio.create_task(_freeze_every(FREEZE_EVERY))
        try:
            await stop.wait()
        finally:
            freezer.cancel()
            await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.rig.cluster", description=__doc__)
    parser.add_argument("--kubeconfig", type=Path, help="where to write the emulator's kubeconfig")
    parser.add_argument("--nodes", type=int, default=40)
    parser.add_argument("--history", type=int, default=50_000, help="watch events kept per resource")
    parser.add_argument(
        "--simulators",
        choices=("inline", "process"),
        default="process",
        help="run the simulated cluster in a child process of its own (default) or in this one",
    )
    parser.add_argument("--simulate", metavar="URL", help="run only the simulated cluster, against URL")
    args = parser.parse_args(argv)
    if not (args.simulate or args.kubeconfig):
        parser.error("--kubeconfig is required unless --simulate is given")
    serve = _simulate(args) if args.simulate else _serve(args)
    profile_path = os.environ.get(PROFILE_ENV)
    if not profile_path:
        asyncio.run(serve)
        return 0
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(serve)
    finally:
        profiler.disable()
        profiler.dump_stats(profile_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
