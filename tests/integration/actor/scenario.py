"""The stage of the end-to-end scenarios: the real controller on a simulated cluster, with a real broker.

``stage(...)`` starts the Kubernetes API emulator, the simulated cluster on it (``tests.kubeapi.sim``: the
workload controllers, scheduler, kubelet, HPA and KEDA), installs the AsyncActor CRD and runs the controller
in-process exactly as ``asya-controller run`` builds it (``harness.running_controller``). A ``Stage`` then
offers what a person has: a namespace with the transport's credentials (``namespace``), a controller restart
(``controller_stopped``), kubectl (``kubectl``), and recorders of every status an actor passes through and
every ``spec.replicas`` a Deployment takes (``Trail``, a kubernetes-asyncio watch), for states that last a
moment.

``scenario_actor`` builds an AsyncActor as users write them, with the simulated cluster's failure modes as a
pod-template annotation (``fail="crash-loop:asya-sidecar"``); ``publish`` sends messages to an actor the way
the gateway and sidecars do; ``reconciles``, ``reconcile_errors`` and ``settled`` read the controller's own
reconcile counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import aio_pika
from kubernetes_asyncio import watch
from kubernetes_asyncio.client import CustomObjectsApi

from controller.actor import resources as r
from controller.api import constants as c
from controller.app import Controller
from controller.kube.client import MERGE_PATCH, KubeClient
from controller.kube.resources import Obj, Resource
from tests.integration.actor.harness import (
    actor,
    create_namespace,
    create_secret,
    get,
    install_crd,
    running_controller,
    status_of,
)
from tests.kubeapi import KubeAPI
from tests.kubeapi.sim import FAIL_ANNOTATION, SimConfig, SimulatedCluster, Timings
from tests.kubectl import Kubectl
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost

CREDENTIALS = "rabbitmq-credentials"
# Fast, but slow enough to watch: a slow-start pod is Ready after 2 s, a failing readiness probe reports
# every 30 s (a probe event every 100 ms would keep the controller busy for nothing).
TIMINGS = replace(Timings.fast(), slow_start=2.0, probe_period=30.0)


def sim_config(**overrides: Any) -> SimConfig:
    """Two nodes of 4 CPUs and 8 GiB, KEDA installed, scenario timings."""
    return SimConfig(
        **{"nodes": 2, "cpu": "4", "memory": "8Gi", "timings": TIMINGS, "keda": True, **overrides}
    )


def scenario_actor(
    name: str,
    namespace: str,
    *,
    replicas: int = 1,
    kind: str = "Deployment",
    fail: str | None = None,
    runtime: Mapping[str, Any] | None = None,
    containers: list[dict[str, Any]] | None = None,
    volumes: list[dict[str, Any]] | None = None,
    scaling: Mapping[str, Any] | None = None,
    timeout: Mapping[str, Any] | None = None,
    transport: str = "rabbitmq",
) -> Obj:
    """An AsyncActor; ``runtime`` overrides fields of the ``asya-runtime`` container, ``containers`` adds
    containers after it, ``fail`` is the simulated cluster's failure annotation on the pods."""
    body = actor(name, namespace=namespace, transport=transport)
    workload = body["spec"]["workload"]
    workload.update(replicas=replicas, kind=kind)
    template = workload["template"]
    template["spec"]["containers"][0].update(runtime or {})
    template["spec"]["containers"].extend(containers or [])
    if volumes:
        template["spec"]["volumes"] = volumes
    if fail:
        template["metadata"] = {"annotations": {FAIL_ANNOTATION: fail}}
    if scaling is not None:
        body["spec"]["scaling"] = {"enabled": True, **scaling}
    if timeout is not None:
        body["spec"]["timeout"] = dict(timeout)
    return body


async def wait_for(
    kube: KubeClient, namespace: str, name: str, expected: str, *, within: float = 20.0
) -> dict[str, Any]:
    """The actor's status once ``status.status`` is ``expected``."""
    return await eventually(
        lambda: status_of(kube, name, namespace),
        lambda s: s.get("status") == expected,
        within=within,
        interval=0.1,
    )


async def patch_actor(
    kube: KubeClient, namespace: str, name: str, patch: Obj, *, status: bool = False
) -> Obj:
    return await kube.request(
        "PATCH",
        r.ASYNC_ACTORS.path(namespace=namespace, name=name, subresource="status" if status else None),
        body=patch,
        content_type=MERGE_PATCH,
    )


async def all_pods(kube: KubeClient, namespace: str, name: str) -> list[Obj]:
    """The actor's pods, those being shut down included."""
    listing = await kube.request(
        "GET", r.PODS.path(namespace=namespace), query={"labelSelector": f"{c.LABEL_ASYA}={name}"}
    )
    return list(listing.get("items") or [])


async def live_pods(kube: KubeClient, namespace: str, name: str) -> list[Obj]:
    """The actor's pods that are not being deleted."""
    return [p for p in await all_pods(kube, namespace, name) if not p["metadata"].get("deletionTimestamp")]


async def publish(vhost: VirtualHost, routing_key: str, count: int) -> None:
    """Messages sent as the gateway and sidecars send them: to exchange ``asya``, keyed by actor name."""
    connection = await aio_pika.connect(vhost.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("asya")
        for index in range(count):
            await exchange.publish(aio_pika.Message(b'{"payload": %d}' % index), routing_key=routing_key)


def reconciles(controller: Controller) -> int:
    """Reconciles the controller has finished, whatever their result."""
    registry = controller.manager.metrics.registry
    return int(
        sum(
            registry.get_sample_value(
                "controller_runtime_reconcile_total", {"controller": "asyncactor", "result": result}
            )
            or 0
            for result in ("success", "requeue", "requeue_after", "error")
        )
    )


def reconcile_errors(controller: Controller) -> int:
    """Reconciles that raised (a programming error or an unexpected API answer), as the metric counts them."""
    registry = controller.manager.metrics.registry
    value = registry.get_sample_value(
        "controller_runtime_reconcile_errors_total", {"controller": "asyncactor"}
    )
    return int(value or 0)


async def settled(controller: Controller, *, quiet: float = 1.0, within: float = 20.0) -> int:
    """The reconcile count, once no reconcile has finished for ``quiet`` seconds."""
    last = {"count": reconciles(controller), "since": time.monotonic()}

    async def probe() -> float:
        count = reconciles(controller)
        if count != last["count"]:
            last.update(count=count, since=time.monotonic())
        return time.monotonic() - last["since"]

    await eventually(probe, lambda idle: idle >= quiet, within=within, interval=0.1)
    return int(last["count"])


@dataclass
class Trail:
    """Every distinct value ``read(obj)`` takes, per object name, as a watch of one collection delivers them.

    The collection is ``/apis/<group>/<version>/namespaces/<namespace>/<plural>``, watched through
    kubernetes-asyncio; it catches states too short-lived for polling (a Terminating actor, a workload's
    ``spec.replicas`` during a hand-over). ``None`` values are not recorded.
    """

    api: KubeAPI
    namespace: str
    group: str = c.GROUP
    version: str = c.VERSION
    plural: str = c.PLURAL
    read: Callable[[Obj], Any] = lambda obj: (obj.get("status") or {}).get("status")
    seen: dict[str, list[Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    _task: asyncio.Task[None] | None = None

    def of(self, name: str) -> list[Any]:
        return self.seen.get(name, [])

    async def until(self, name: str, value: Any, *, within: float = 20.0) -> list[Any]:
        """The values ``name`` went through, once the latest is ``value``."""

        async def values() -> list[Any]:
            return list(self.of(name))

        return await eventually(values, lambda seen: seen[-1:] == [value], within=within, interval=0.05)

    async def _follow(self) -> None:
        async with self.api.api_client() as client:
            objects = CustomObjectsApi(client)
            while True:
                stream = watch.Watch()
                async with stream:
                    async for event in stream.stream(
                        objects.list_namespaced_custom_object,
                        self.group,
                        self.version,
                        self.namespace,
                        self.plural,
                        timeout_seconds=300,
                    ):
                        obj = event["object"]
                        name = obj["metadata"]["name"]
                        if event["type"] == "DELETED":
                            self.deleted.add(name)
                        value = self.read(obj)
                        values = self.seen.setdefault(name, [])
                        if value is not None and (not values or values[-1] != value):
                            values.append(value)

    async def __aenter__(self) -> Trail:
        self._task = asyncio.create_task(self._follow())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@dataclass
class Stage:
    api: KubeAPI
    cluster: SimulatedCluster
    kube: KubeClient
    env: dict[str, str]
    queue_check_interval: float
    _running: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _controller: Controller | None = None

    @property
    def controller(self) -> Controller:
        assert self._controller is not None, "the controller is not running"
        return self._controller

    async def start_controller(self) -> None:
        self._running = contextlib.AsyncExitStack()
        self._controller = await self._running.enter_async_context(
            running_controller(self.api, self.env, queue_check_interval=self.queue_check_interval)
        )

    async def stop_controller(self) -> None:
        self._controller = None
        await self._running.aclose()

    @contextlib.asynccontextmanager
    async def controller_stopped(self) -> AsyncIterator[None]:
        """The controller process is gone inside the block and starts afresh after it."""
        await self.stop_controller()
        yield
        await self.start_controller()

    async def namespace(self, name: str, *, credentials: bool = True) -> str:
        """A new namespace, with the RabbitMQ password Secret the transport configuration refers to."""
        await create_namespace(self.kube, name)
        if credentials:
            await create_secret(self.kube, CREDENTIALS, namespace=name, password="guest")
        return name

    def trail(self, namespace: str) -> Trail:
        """The ``status.status`` values of the namespace's actors."""
        return Trail(self.api, namespace)

    def replicas_trail(self, namespace: str) -> Trail:
        """The ``spec.replicas`` values of the namespace's Deployments."""
        return Trail(
            self.api,
            namespace,
            group="apps",
            version="v1",
            plural="deployments",
            read=lambda obj: (obj.get("spec") or {}).get("replicas"),
        )

    @property
    def kubectl(self) -> Kubectl:
        """kubectl pointed at the emulator: ``await scene.kubectl("get", "asya")``."""
        return Kubectl(self.api.kubeconfig_path)

    async def get(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        return await get(self.kube, resource, name, namespace)


@contextlib.asynccontextmanager
async def stage(
    *, env: Mapping[str, str], sim: SimConfig | None = None, queue_check_interval: float = 300.0
) -> AsyncIterator[Stage]:
    """A running simulated cluster with the AsyncActor CRD and the controller, configured by ``env``."""
    async with (
        KubeAPI() as api,
        api.api_client() as sim_client,
        SimulatedCluster(sim_client, sim or sim_config()) as cluster,
    ):
        kube = await KubeClient.connect(kubeconfig=str(api.kubeconfig_path))
        scene = Stage(
            api=api, cluster=cluster, kube=kube, env=dict(env), queue_check_interval=queue_check_interval
        )
        try:
            await install_crd(kube)
            await scene.start_controller()
            yield scene
        finally:
            await scene.stop_controller()
            await kube.close()
