"""The controller assembled: settings → API client, transports, manager and the AsyncActor reconciler.

``build`` wires the parts without starting anything (tests, the demo and benchmarks run the result in their
own process); ``run`` is ``asya-controller run``: it reads the transport configuration (a bad one stops the
process at start with the message naming the field, exit status 2), connects, and runs until SIGTERM.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass

from controller.actor import resources as r
from controller.actor.metrics import ActorMetrics
from controller.actor.reconciler import ActorSettings, AsyncActorReconciler
from controller.actor.secrets import ApiSecretReader
from controller.actor.watches import DIGEST_ANNOTATION, watches
from controller.api import constants as c
from controller.kube.client import KubeClient
from controller.kube.events import EventSettings
from controller.kube.leader import LeaderSettings, default_identity
from controller.logs import configure, get_logger
from controller.manager import Manager, ManagerSettings
from controller.metrics import Metrics
from controller.runtime import runtime_script
from controller.settings import LEASE_NAME, Settings
from controller.transports import TransportConfigError, TransportRegistry

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Controller:
    manager: Manager
    reconciler: AsyncActorReconciler

    async def run(self) -> int:
        return await self.manager.run(self.reconciler)


def manager_settings(settings: Settings, *, handle_signals: bool = True) -> ManagerSettings:
    identity = settings.pod_name or default_identity()
    return ManagerSettings(
        name=c.CONTROLLER_NAME,
        field_manager=c.FIELD_MANAGER,
        digest_annotation=DIGEST_ANNOTATION,
        max_concurrent_reconciles=settings.max_concurrent_reconciles,
        namespaces=settings.namespaces,
        leader=LeaderSettings(name=LEASE_NAME, namespace=settings.lease_namespace, identity=identity)
        if settings.leader_elect
        else None,
        metrics_bind=settings.metrics_bind,
        probes_bind=settings.probes_bind,
        handle_signals=handle_signals,
        events=EventSettings(component=c.FIELD_MANAGER, instance=identity),
    )


def build(
    settings: Settings,
    *,
    client: KubeClient,
    env: Mapping[str, str],
    handle_signals: bool = True,
    metrics: Metrics | None = None,
) -> Controller:
    """The manager and reconciler; raises ``TransportConfigError`` on a bad transport configuration.
    ``metrics`` should be those the client counts its requests in."""
    metrics = metrics or Metrics(controller=c.CONTROLLER_NAME)
    manager = Manager(
        client=client,
        primary=r.ASYNC_ACTORS,
        watches=watches(),
        settings=manager_settings(settings, handle_signals=handle_signals),
        metrics=metrics,
    )
    transports = TransportRegistry.from_env(env, secrets=ApiSecretReader(client))
    manager.add_cleanup(transports.aclose)
    reconciler = AsyncActorReconciler(
        cache=manager.cache,
        applier=manager.applier,
        events=manager.events,
        client=client,
        transports=transports,
        settings=ActorSettings(
            runtime_script=runtime_script(),
            sidecar_image=settings.sidecar_image,
            gateway_url=settings.gateway_url,
            queue_check_interval=settings.queue_health_check_interval,
        ),
        metrics=ActorMetrics(metrics.registry, actors=manager.cache.store(r.ASYNC_ACTORS).values),
    )
    return Controller(manager=manager, reconciler=reconciler)


async def run(settings: Settings, env: Mapping[str, str] | None = None) -> int:
    environ = os.environ if env is None else env
    configure(format=settings.log_format, level=settings.log_level)
    metrics = Metrics(controller=c.CONTROLLER_NAME)
    client = await KubeClient.connect(
        kubeconfig=settings.kubeconfig, context=settings.context, metrics=metrics
    )
    try:
        controller = build(settings, client=client, env=environ, metrics=metrics)
    except TransportConfigError as exc:
        await client.close()
        log.error("invalid transport configuration", error=str(exc))
        return 2
    log.info(
        "starting",
        namespaces=list(settings.namespaces) or "all",
        leader_elect=settings.leader_elect,
        workers=settings.max_concurrent_reconciles,
    )
    # What is imported and built by now lives as long as the process: out of the cyclic collector's sight,
    # a full collection no longer scans it again each time (a pause of 100 ms or more on a busy machine).
    gc.freeze()
    return await controller.run()
