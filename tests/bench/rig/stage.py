"""The stage of the controller's benchmark: one emulator + simulated cluster process, a RabbitMQ virtual host,
the benchmark's own API client, and a watch of the AsyncActors of the benchmark's namespace.

``Stage.open(...)`` (an async context manager) starts the cluster process, installs the AsyncActor CRD,
creates the namespace and the RabbitMQ password Secret, and starts the watch (``stage.actors``, a
:class:`~tests.bench.rig.actors.Board`). Its requests retry answers a faulty API server gives (5xx, 429), so
that the same helpers serve the fault-recovery phase. ``controller()`` makes an ``asya-controller run``
child for this stage.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from controller.actor import resources as r
from controller.kube.client import ApiError, KubeClient
from controller.kube.resources import Obj, Resource, make_key
from controller.kube.watch import Watcher, WatchSettings
from tests.bench.rig.actors import Board, actor_manifest
from tests.bench.rig.cluster_client import ClusterProcess
from tests.bench.rig.process import ControllerProcess
from tests.integration.actor.harness import (
    create_namespace,
    create_secret,
    install_crd,
    rabbitmq_transport,
    transport_env,
)
from tests.services.rabbitmq import RabbitMQNode, VirtualHost

NAMESPACE = "bench"
DRIVER_AGENT = "asya-bench-driver"
CREATE_CONCURRENCY = 32
SECRET = "rabbitmq-credentials"  # the password Secret that rabbitmq_transport names
T = TypeVar("T")


def actor_name(index: int) -> str:
    return f"actor-{index:04d}"


async def retrying(call: Callable[[], Awaitable[T]], *, attempts: int = 20) -> T:
    """``call()``, again after an answer a faulty server gives (5xx, 429, a dropped connection)."""
    for attempt in range(attempts):
        try:
            return await call()
        except ApiError as exc:
            if (exc.status < 500 and exc.status != 429) or attempt == attempts - 1:
                raise
            await asyncio.sleep(exc.retry_after or 0.05)
        except (OSError, TimeoutError, aiohttp.ClientError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def gather_limited(calls: Iterable[Callable[[], Awaitable[T]]], *, limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


@dataclass
class Stage:
    cluster: ClusterProcess
    client: KubeClient
    rabbitmq: RabbitMQNode
    vhost: str
    workdir: Path
    actors: Board
    _watch: asyncio.Task[None] | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.cluster.kubeconfig

    @property
    def transport_env(self) -> dict[str, str]:
        """The controller's transport configuration: RabbitMQ ``rabbitmq`` on the stage's virtual host."""
        return transport_env(rabbitmq_transport(VirtualHost(node=self.rabbitmq, name=self.vhost)))

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.transport_env}

    def controller(self, label: str) -> ControllerProcess:
        return ControllerProcess(
            kubeconfig=self.kubeconfig, env=self.env(), log_path=self.workdir / f"controller-{label}.log"
        )

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, *, rabbitmq: RabbitMQNode, vhost: str, workdir: Path, simulators: str = "process"
    ) -> AsyncIterator[Stage]:
        """``simulators``: the simulated cluster ``inline`` with the emulator, or in a ``process`` apart."""
        await asyncio.to_thread(rabbitmq.add_vhost, vhost)
        cluster = ClusterProcess(workdir / f"kubeconfig-{vhost}", simulators=simulators)
        await cluster.start()
        client = await KubeClient.connect(kubeconfig=str(cluster.kubeconfig))
        client.api_client.user_agent = DRIVER_AGENT
        stage = cls(
            cluster=cluster, client=client, rabbitmq=rabbitmq, vhost=vhost, workdir=workdir, actors=Board()
        )
        try:
            await stage._prepare()
            yield stage
        finally:
            if stage._watch is not None:
                stage._watch.cancel()
                await asyncio.gather(stage._watch, return_exceptions=True)
            await client.close()
            await cluster.stop()

    async def _prepare(self) -> None:
        await install_crd(self.client)
        await create_namespace(self.client, NAMESPACE)
        await create_secret(self.client, SECRET, NAMESPACE, password="guest")
        self._watch = self.watch(r.ASYNC_ACTORS, self.actors)

    def watch(self, resource: Resource, board: Board) -> asyncio.Task[None]:
        """A watch of ``resource`` in the benchmark's namespace feeding ``board`` (until the stage closes)."""
        settings = WatchSettings(backoff_initial=0.05, backoff_max=0.5, min_restart_interval=0.05)
        watcher = Watcher(
            client=self.client, resource=resource, sink=board, namespace=NAMESPACE, settings=settings
        )
        return asyncio.create_task(watcher.run(), name=f"bench watch {resource}")

    # -- requests --

    async def create_actors(self, names: Iterable[str], *, replicas: int = 1) -> None:
        path = r.ASYNC_ACTORS.path(namespace=NAMESPACE)

        def create(name: str) -> Callable[[], Awaitable[Obj]]:
            body = actor_manifest(name, namespace=NAMESPACE, replicas=replicas)
            return lambda: retrying(lambda: self.client.request("POST", path, body=body))

        await gather_limited([create(name) for name in names], limit=CREATE_CONCURRENCY)

    async def patch(self, resource: Resource, name: str, body: Obj, *, subresource: str | None = None) -> Obj:
        path = resource.path(namespace=NAMESPACE, name=name, subresource=subresource)
        return await retrying(
            lambda: self.client.request("PATCH", path, body=body, content_type="application/merge-patch+json")
        )

    async def delete_actor(self, name: str) -> None:
        path = r.ASYNC_ACTORS.path(namespace=NAMESPACE, name=name)
        await retrying(lambda: self.client.request("DELETE", path))

    async def list(self, resource: Resource, **query: Any) -> list[Obj]:
        path = resource.path(namespace=NAMESPACE)
        listing = await retrying(lambda: self.client.request("GET", path, query=query or None))
        return list(listing.get("items") or [])

    def queues(self) -> set[str]:
        """The names of the queues of the stage's virtual host, from the broker's management API."""
        quoted = urllib.parse.quote(self.vhost, safe="")
        return {q["name"] for q in self.rabbitmq.management("GET", f"/api/queues/{quoted}?columns=name")}

    def keys(self, names: Iterable[str]) -> list[str]:
        return [make_key(NAMESPACE, name) for name in names]


async def wait_for(future: Awaitable[T], *, within: float, what: str) -> T:
    try:
        return await asyncio.wait_for(future, within)
    except TimeoutError:
        raise TimeoutError(f"{what}: not within {within:g} s") from None
