"""``make demo``: the controller on an emulated cluster, with a real RabbitMQ node, and actors to look at.

    python -m tests.demo [--dir .demo] [--port 0] [--fast] [--check [--timeout 180]]

It starts, all on this machine: the Kubernetes API emulator with the simulated cluster (3 nodes, the
Deployment/StatefulSet controllers, a kubelet, KEDA and its HPA), an isolated RabbitMQ node on free loopback
ports, and the controller itself as a child process (``asya-controller run``, its log in
``<dir>/controller.log``). It installs the CRD, creates namespace ``demo`` with the broker's credentials
Secret, and a handful of actors that each end in a different status: Running, Napping (scaled to zero by
KEDA), scaled up by KEDA on a real queue of 23 messages, RuntimeError, ImagePullError, PendingResources,
VolumeError and TransportError. Then it prints their table every few seconds until interrupted; point
kubectl at ``<dir>/kubeconfig`` meanwhile.

``--check`` waits until every actor shows its expected status, prints the table and exits 0 (1 after
``--timeout`` seconds): the demo's own test. ``--fast`` compresses the cluster's timings as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika

from controller.actor import resources as r
from controller.api.crd import crd_manifest
from controller.kube.client import ApiError, KubeClient
from tests.kubeapi import KubeAPI
from tests.kubeapi.sim import SimConfig, SimulatedCluster, Timings
from tests.services.rabbitmq import RabbitMQNode, running_node

NAMESPACE = "demo"
SECRET = "rabbitmq-credentials"
BACKLOG = 23  # messages waiting for text-processor: KEDA scales it to ceil(23 / 5) = 5 replicas


def _runtime(**extra: Any) -> dict[str, Any]:
    return {
        "name": "asya-runtime",
        "image": "python:3.13-slim",
        "env": [{"name": "ASYA_HANDLER", "value": "handlers.process"}],
        **extra,
    }


def _actor(
    name: str,
    *,
    transport: str = "rabbitmq",
    annotations: dict[str, str] | None = None,
    pod: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    template: dict[str, Any] = {"spec": pod or {"containers": [_runtime()]}}
    if annotations:
        template["metadata"] = {"annotations": annotations}
    workload = {"template": template, **spec.pop("workload", {})}
    return {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"transport": transport, "workload": workload, **spec},
    }


KEDA = {"enabled": True, "minReplicas": 0, "maxReplicas": 10, "queueLength": 5, "cooldownPeriod": 30}

# name → (AsyncActor, the status it settles in)
ACTORS: dict[str, tuple[dict[str, Any], str]] = {
    "text-processor": (_actor("text-processor", scaling=KEDA), "Running"),
    "napper": (_actor("napper", scaling=KEDA), "Napping"),
    "batch-indexer": (_actor("batch-indexer", workload={"kind": "StatefulSet", "replicas": 2}), "Running"),
    "image-resizer": (
        _actor("image-resizer", annotations={"sim.asya.sh/fail": "crash-loop:asya-runtime"}),
        "RuntimeError",
    ),
    "pdf-renderer": (
        _actor("pdf-renderer", pod={"containers": [_runtime(image="registry.invalid/pdf-renderer:1.0")]}),
        "ImagePullError",
    ),
    "gpu-trainer": (
        _actor("gpu-trainer", pod={"containers": [_runtime(resources={"requests": {"cpu": "64"}})]}),
        "PendingResources",
    ),
    "report-mailer": (
        _actor(
            "report-mailer",
            pod={
                "containers": [_runtime(volumeMounts=[{"name": "templates", "mountPath": "/etc/mailer"}])],
                "volumes": [{"name": "templates", "configMap": {"name": "mailer-templates"}}],
            },
        ),
        "VolumeError",
    ),
    "legacy-bridge": (_actor("legacy-bridge", transport="kafka"), "TransportError"),
}


def transport_config(node: RabbitMQNode) -> dict[str, Any]:
    return {
        "transports": {
            "rabbitmq": {
                "type": "rabbitmq",
                "config": {
                    "host": node.host,
                    "port": node.amqp_port,
                    "username": "guest",
                    "passwordSecretRef": {"name": SECRET, "key": "password"},
                    "managementUrl": node.management_url,
                },
            }
        }
    }


async def prepare(client: KubeClient) -> None:
    await client.request("POST", r.CRDS.path(), body=crd_manifest())
    await client.request(
        "POST",
        "/api/v1/namespaces",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET, "namespace": NAMESPACE},
        "data": {"password": base64.b64encode(b"guest").decode()},
    }
    await client.request("POST", r.SECRETS.path(namespace=NAMESPACE), body=secret)
    for _ in range(100):  # the CRD's resource is served a moment after it is created
        with contextlib.suppress(ApiError):
            if (await client.request("GET", "/apis/asya.sh/v1alpha1")).get("resources"):
                break
        await asyncio.sleep(0.05)
    for body, _ in ACTORS.values():
        await client.request("POST", r.ASYNC_ACTORS.path(namespace=NAMESPACE), body=body)


async def fill_queue(node: RabbitMQNode, queue: str, count: int, *, within: float = 60.0) -> None:
    """Publish ``count`` messages the way the gateway does, once the controller has created the queue."""
    deadline = time.monotonic() + within
    connection = await aio_pika.connect(node.amqp_url)
    async with connection:
        while True:
            channel = await connection.channel()
            try:
                await channel.declare_queue(queue, passive=True)
                break
            except aio_pika.exceptions.ChannelNotFoundEntity:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        channel = await connection.channel()
        exchange = await channel.get_exchange("asya")
        for number in range(count):
            message = aio_pika.Message(json.dumps({"payload": {"n": number}}).encode())
            await exchange.publish(message, routing_key=queue.removeprefix("asya-"))


async def table(client: KubeClient) -> tuple[str, dict[str, str]]:
    listing = await client.request("GET", r.ASYNC_ACTORS.path(namespace=NAMESPACE))
    rows = [("NAME", "STATUS", "RUNNING", "TOTAL", "DESIRED", "LAST-SCALE", "QUEUED")]
    statuses: dict[str, str] = {}
    for item in sorted(listing.get("items") or [], key=lambda obj: obj["metadata"]["name"]):
        status = item.get("status") or {}
        name = item["metadata"]["name"]
        statuses[name] = str(status.get("status") or "")
        rows.append(
            (
                name,
                statuses[name],
                *(str(status.get(field, "")) for field in ("replicas", "totalReplicas", "desiredReplicas")),
                str(status.get("lastScaleFormatted", "")),
                str(status.get("queuedMessages", "")),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    ), statuses


@contextlib.asynccontextmanager
async def controller_process(directory: Path, kubeconfig: Path, env: dict[str, str]) -> AsyncIterator[None]:
    log = (directory / "controller.log").open("w")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "controller",
        "run",
        "--kubeconfig",
        str(kubeconfig),
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--health-probe-bind-address",
        "127.0.0.1:0",
        "--log-format",
        "console",
        env={**os.environ, **env},
        stdout=log,
        stderr=log,
    )
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 35)
            except TimeoutError:
                process.kill()
        log.close()


def _banner(directory: Path, kubeconfig: Path, node: RabbitMQNode) -> str:
    return (
        f"The demo cluster is up. In another terminal:\n"
        f"  export KUBECONFIG={kubeconfig}\n"
        f"  kubectl get asya -n {NAMESPACE} -o wide\n"
        f"  kubectl describe asya image-resizer -n {NAMESPACE}\n"
        f"  kubectl get pods,scaledobjects,hpa -n {NAMESPACE}\n"
        f"Controller log: {directory / 'controller.log'}; RabbitMQ management: {node.management_url} "
        f"(guest/guest).\nCtrl-C stops everything.\n"
    )


async def demo(args: argparse.Namespace, directory: Path) -> int:
    kubeconfig = directory / "kubeconfig"
    print("starting RabbitMQ, the emulated cluster and the controller ...", flush=True)
    timings = Timings.fast() if args.fast else Timings()
    with running_node() as node:
        api = KubeAPI(port=args.port, kubeconfig_path=kubeconfig)
        async with api, api.api_client() as sim_client:
            config = SimConfig(nodes=3, cpu="4", memory="16Gi", timings=timings, keda=True)
            async with SimulatedCluster(sim_client, config):
                client = await KubeClient.connect(kubeconfig=str(kubeconfig))
                try:
                    await prepare(client)
                    env = {
                        "ASYA_TRANSPORT_CONFIG": json.dumps(transport_config(node)),
                        # Refresh the queue figures often, so that the table shows the backlog soon.
                        "ASYA_QUEUE_HEALTH_CHECK_INTERVAL": "15s",
                    }
                    async with controller_process(directory, kubeconfig, env):
                        await fill_queue(node, "asya-text-processor", BACKLOG)
                        if args.check:
                            return await check(client, within=args.timeout)
                        print(_banner(directory, kubeconfig, node), flush=True)
                        return await watch(client)
                finally:
                    await client.close()


async def check(client: KubeClient, *, within: float) -> int:
    expected = {name: status for name, (_, status) in ACTORS.items()}
    deadline = time.monotonic() + within
    while True:
        text, statuses = await table(client)
        if statuses == expected:
            print(text, flush=True)
            return 0
        if time.monotonic() > deadline:
            print(text, flush=True)
            wrong = {n: statuses.get(n) for n, s in expected.items() if statuses.get(n) != s}
            print(f"not as expected after {within:g} s: {wrong}", file=sys.stderr, flush=True)
            return 1
        await asyncio.sleep(1.0)


async def watch(client: KubeClient) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    while not stop.is_set():
        text, _ = await table(client)
        print(f"\n{time.strftime('%H:%M:%S')}\n{text}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5.0)
    print("stopping ...", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", default=".demo", help="where the kubeconfig and the controller log go")
    parser.add_argument("--port", type=int, default=0, help="port of the API emulator (0: a free one)")
    parser.add_argument("--fast", action="store_true", help="compressed cluster timings")
    parser.add_argument("--check", action="store_true", help="exit once every actor shows its status")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds --check waits")
    args = parser.parse_args(argv)
    directory = Path(args.dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return asyncio.run(demo(args, directory))


if __name__ == "__main__":
    raise SystemExit(main())
