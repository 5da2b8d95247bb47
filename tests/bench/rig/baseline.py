"""The floor the controller's convergence is compared with: the minimum requests 1 000 new actors require.

``python -m tests.bench.rig.baseline --kubeconfig PATH --namespace NS [--concurrency 10]`` (transport
configuration in ``ASYA_TRANSPORT_CONFIG``, as for the controller) lists the AsyncActors of ``NS`` and sends,
with the controller's own API client (``KubeClient``) and ``--concurrency`` requests in flight (the
controller's default number of workers):

- once: the read of the transport's password Secret, the AMQP connection with one channel per worker, the
  declaration of the exchange, the apply of the namespace's ``asya-runtime`` ConfigMap;
- per actor, in the controller's order: the finalizer patch (a merge patch of ``metadata.finalizers`` with the
  resourceVersion, as the controller sends it), the queue declaration and its binding to the exchange, the
  server-side apply of the Deployment (the very body the controller applies, built by the controller's own
  pure builders), and one server-side apply of the final status (``Running``, computed by the controller's
  status engine for a ready workload).

It does nothing else: no watch, no cache, no decision, no Event, no intermediate status. Bodies are built
before the clock starts. It prints one JSON line: ``{"started": t0, "finished": t1, "api": n, "amqp": m}``
(wall-clock seconds; requests sent to the API server and to the broker).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiormq.abc

from controller.actor import resources as r
from controller.actor.desired import desired_objects
from controller.actor.observed import ActorState, Observed, TransportOutcome, WorkloadState
from controller.actor.pods import classify_pods
from controller.actor.secrets import ApiSecretReader
from controller.actor.status import compute_status
from controller.actor.watches import DIGEST_ANNOTATION
from controller.actor.workload import Actor
from controller.api import constants as c
from controller.kube.apply import status_body, with_digest
from controller.kube.client import APPLY_PATCH, MERGE_PATCH, KubeClient
from controller.kube.resources import Obj
from controller.runtime import runtime_script
from controller.transports import ActorRef, TransportRegistry
from controller.transports.rabbitmq import RabbitMQTransport

APPLY_QUERY = {"fieldManager": c.FIELD_MANAGER, "force": True}


def ready_pod(name: str) -> Obj:
    """A pod whose containers all run and are ready, as the status engine reads it."""
    statuses = [
        {"name": n, "ready": True, "restartCount": 0, "state": {"running": {}}}
        for n in (c.RUNTIME_CONTAINER, c.SIDECAR_CONTAINER)
    ]
    return {
        "metadata": {"name": name, "uid": name},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": statuses,
        },
    }


def running_status(actor: Obj, *, replicas: int, now: datetime) -> Obj:
    """The status apply body the controller writes once ``actor``'s workload is ready: status Running."""
    state = ActorState.from_object(actor)
    workload = WorkloadState(name=state.name, replicas=replicas, generation=1, observed_generation=1)
    pods = classify_pods([ready_pod(f"{state.name}-{i}") for i in range(replicas)], [], now=now)
    observed = Observed(
        actor=state,
        transport=TransportOutcome.ready(queued=0, processing=0),
        now=now,
        workload=workload,
        pods=pods,
    )
    result = compute_status(observed)
    return status_body(
        {
            "apiVersion": c.API_VERSION,
            "kind": c.KIND,
            "metadata": {"name": state.name, "namespace": state.namespace},
            "status": result.status.to_body(),
        }
    )


class Baseline:
    def __init__(self, client: KubeClient, transport: RabbitMQTransport, *, concurrency: int) -> None:
        self.client = client
        self.transport = transport
        self.concurrency = concurrency
        self.api = 0
        self.amqp = 0

    async def _request(self, method: str, path: str, **kwargs: Any) -> Obj:
        self.api += 1
        return await self.client.request(method, path, **kwargs)

    def plan(self, actors: list[Obj]) -> list[dict[str, Obj]]:
        """Per actor, the bodies the controller would send (built before the clock starts)."""
        now, script = datetime.now(UTC), runtime_script()
        plans = []
        for obj in actors:
            state = ActorState.from_object(obj)
            assert state.spec is not None
            meta = obj["metadata"]
            actor = Actor(name=state.name, namespace=state.namespace, uid=meta["uid"])
            desired = desired_objects(
                actor=actor,
                spec=state.spec,
                transport=self.transport,
                replicas=state.spec.workload.replicas,
                sidecar_image=None,
                gateway_url=None,
                runtime_script=script,
            )
            plans.append(
                {
                    "actor": obj,
                    "finalizer": {
                        "metadata": {
                            "finalizers": [c.FINALIZER],
                            "resourceVersion": meta["resourceVersion"],
                        }
                    },
                    "workload": with_digest(desired.workload, DIGEST_ANNOTATION)[0],
                    "configmap": with_digest(desired.configmap, DIGEST_ANNOTATION)[0],
                    "status": running_status(obj, replicas=state.spec.workload.replicas, now=now),
                }
            )
        return plans

    async def run(self, plans: list[dict[str, Obj]], namespace: str) -> tuple[float, float]:
        started = time.time()
        config = self.transport.config
        password = await ApiSecretReader(self.client).read(
            namespace, config.password_secret_ref.name, config.password_secret_ref.key
        )
        self.api += 1
        connection = await aio_pika.connect(
            host=config.host,
            port=config.port,
            login=config.plain_username or "guest",
            password=password or "",
            virtualhost=config.vhost,
        )
        async with connection:
            assert connection.transport is not None
            channels = [await connection.transport.connection.channel() for _ in range(self.concurrency)]
            self.amqp += len(channels)
            await channels[0].exchange_declare(config.exchange, exchange_type="topic", durable=True)
            self.amqp += 1
            if plans:
                configmap = plans[0]["configmap"]
                await self._request(
                    "PATCH",
                    r.CONFIGMAPS.path(namespace=namespace, name=configmap["metadata"]["name"]),
                    query=APPLY_QUERY,
                    body=configmap,
                    content_type=APPLY_PATCH,
                )
            todo = list(reversed(plans))
            await asyncio.gather(*(self._worker(todo, channel) for channel in channels))
        return started, time.time()

    async def _worker(self, todo: list[dict[str, Obj]], channel: aiormq.abc.AbstractChannel) -> None:
        config = self.transport.config
        while todo:
            plan = todo.pop()
            meta = plan["actor"]["metadata"]
            namespace, name = meta["namespace"], meta["name"]
            await self._request(
                "PATCH",
                r.ASYNC_ACTORS.path(namespace=namespace, name=name),
                body=plan["finalizer"],
                content_type=MERGE_PATCH,
            )
            queue = ActorRef(name=name, namespace=namespace).queue_name
            await channel.queue_declare(queue, durable=True)
            await channel.queue_bind(queue, config.exchange, routing_key=name)
            self.amqp += 2
            await self._request(
                "PATCH",
                r.DEPLOYMENTS.path(namespace=namespace, name=name),
                query=APPLY_QUERY,
                body=plan["workload"],
                content_type=APPLY_PATCH,
            )
            await self._request(
                "PATCH",
                r.ASYNC_ACTORS.path(namespace=namespace, name=name, subresource="status"),
                query=APPLY_QUERY,
                body=plan["status"],
                content_type=APPLY_PATCH,
            )


async def _main(args: argparse.Namespace) -> int:
    client = await KubeClient.connect(kubeconfig=args.kubeconfig)
    try:
        transports = TransportRegistry.from_env(os.environ, secrets=ApiSecretReader(client))
        transport = transports.get(args.transport)
        assert isinstance(transport, RabbitMQTransport)
        listing = await client.request("GET", r.ASYNC_ACTORS.path(namespace=args.namespace))
        actors = [{"apiVersion": c.API_VERSION, "kind": c.KIND, **item} for item in listing["items"]]
        baseline = Baseline(client, transport, concurrency=args.concurrency)
        plans = baseline.plan(actors)
        started, finished = await baseline.run(plans, args.namespace)
        await transports.aclose()
    finally:
        await client.close()
    print(json.dumps({"started": started, "finished": finished, "api": baseline.api, "amqp": baseline.amqp}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.rig.baseline", description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--transport", default="rabbitmq")
    parser.add_argument("--concurrency", type=int, default=10)
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
