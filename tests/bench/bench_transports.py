"""What queue management costs the reconciler: ensure, metrics and delete against a real broker and moto.

Starts its own RabbitMQ node and moto server (as the tests do). Figures:
- RabbitMQ: wall time to ensure 200 new actors with 10 concurrent callers (as 10 workers would), latency of an
  ensure that changes nothing (the periodic health check), of a metrics read, of a delete; AMQP connections
  the broker saw for those 200 actors (one is the target: they share credentials);
- SQS (moto, so only relative): the same for 50 actors.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from moto.server import ThreadedMotoServer

from controller.transports.base import ActorRef
from controller.transports.config import RabbitMQConfig, SQSConfig
from controller.transports.rabbitmq import RabbitMQTransport
from controller.transports.sqs import SQSTransport
from tests.bench import Figure
from tests.services.polling import eventually
from tests.services.rabbitmq import RabbitMQNode, running_node
from tests.services.secrets import DictSecrets

WORKERS = 10


async def _concurrently(calls: list[Callable[[], Awaitable[Any]]]) -> float:
    """Wall time of running ``calls`` with at most WORKERS at a time."""
    gate = asyncio.Semaphore(WORKERS)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(one(call) for call in calls))
    return time.perf_counter() - started


async def _median_ms(calls: list[Callable[[], Awaitable[Any]]]) -> float:
    timings = []
    for call in calls:
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def _rabbitmq(node: RabbitMQNode) -> list[Figure]:
    vhost = "bench"
    await asyncio.to_thread(node.add_vhost, vhost)
    config = RabbitMQConfig.model_validate(
        {
            "host": node.host,
            "port": node.amqp_port,
            "vhost": vhost,
            "managementUrl": node.management_url,
            "passwordSecretRef": {"name": "rabbitmq", "key": "password"},
            "queues": {"autoCreate": True, "dlq": {"enabled": True}},
        }
    )
    transport = RabbitMQTransport(
        "bench", config, secrets=DictSecrets({("ns", "rabbitmq"): {"password": "guest"}})
    )
    actors = [ActorRef(name=f"actor-{i}", namespace="ns") for i in range(200)]
    try:
        create = await _concurrently([lambda a=a: transport.ensure_queue(a) for a in actors])
        noop = await _median_ms([lambda a=a: transport.ensure_queue(a) for a in actors[:50]])
        metrics = await _median_ms([lambda a=a: transport.queue_metrics(a) for a in actors[:50]])
        path = f"/api/vhosts/{urllib.parse.quote(vhost, safe='')}/connections"

        async def listed() -> list[Any]:
            found: list[Any] = await asyncio.to_thread(node.management, "GET", path)
            return found

        connections = len(await eventually(listed, lambda found: len(found) > 0))  # the API lags behind
        delete = await _median_ms([lambda a=a: transport.delete_queue(a) for a in actors[:50]])
    finally:
        await transport.aclose()
    return [
        Figure("rabbitmq ensure 200 new actors", create, "s", f"{WORKERS} concurrent callers"),
        Figure("rabbitmq ensure, nothing to do (p50)", noop, "ms"),
        Figure("rabbitmq metrics (p50)", metrics, "ms", "management API, else AMQP"),
        Figure("rabbitmq delete queue + DLQ (p50)", delete, "ms"),
        Figure("rabbitmq AMQP connections for 200 actors", connections, "", "1 (shared per credentials)"),
    ]


async def _sqs(endpoint: str) -> list[Figure]:
    config = SQSConfig.model_validate(
        {
            "region": "us-east-1",
            "accountId": "123456789012",
            "endpoint": endpoint,
            "credentials": {
                "accessKeyIdSecretRef": {"name": "aws", "key": "id"},
                "secretAccessKeySecretRef": {"name": "aws", "key": "secret"},
            },
            "queues": {"autoCreate": True, "dlq": {"enabled": True}},
        }
    )
    secrets = DictSecrets({("ns", "aws"): {"id": "AKID", "secret": "secret"}})
    transport = SQSTransport("bench", config, secrets=secrets)
    actors = [ActorRef(name=f"actor-{i}", namespace="ns") for i in range(50)]
    try:
        create = await _concurrently([lambda a=a: transport.ensure_queue(a) for a in actors])
        noop = await _median_ms([lambda a=a: transport.ensure_queue(a) for a in actors])
        metrics = await _median_ms([lambda a=a: transport.queue_metrics(a) for a in actors])
        delete = await _median_ms([lambda a=a: transport.delete_queue(a) for a in actors])
    finally:
        await transport.aclose()
    return [
        Figure("sqs (moto) ensure 50 new actors", create, "s", f"{WORKERS} concurrent callers"),
        Figure("sqs (moto) ensure, nothing to do (p50)", noop, "ms"),
        Figure("sqs (moto) metrics (p50)", metrics, "ms"),
        Figure("sqs (moto) delete (p50)", delete, "ms"),
    ]


async def run() -> list[Figure]:
    figures = []
    with running_node() as node:
        figures += await _rabbitmq(node)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        figures += await _sqs(f"http://{host}:{port}")
    finally:
        server.stop()
    return figures
