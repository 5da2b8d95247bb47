"""The actors' own Prometheus metrics (contract §8), registered beside the machinery's.

- ``asya_actors{status}``: actors by their ``status.status``, counted from the cache at scrape time, so it is
  never out of step with what ``kubectl get asya`` shows.
- ``asya_queue_messages{namespace,actor,state=queued|processing}``: the last queue figures of each actor.
- ``asya_transport_up{transport}``: 1 when the last queue check on that transport succeeded, else 0.
"""

from __future__ import annotations

import contextlib
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from controller.kube.resources import Obj


class _ActorsByStatus(Collector):
    def __init__(self, actors: Callable[[], Iterable[Obj]]) -> None:
        self._actors = actors

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("asya_actors", "AsyncActors by status", labels=["status"])
        tally = Tally(str((actor.get("status") or {}).get("status") or "Unknown") for actor in self._actors())
        for status, count in sorted(tally.items()):
            family.add_metric([status], count)
        yield family


class ActorMetrics:
    def __init__(self, registry: CollectorRegistry, *, actors: Callable[[], Iterable[Obj]]) -> None:
        registry.register(_ActorsByStatus(actors))
        self.queue_messages = Gauge(
            "asya_queue_messages",
            "Messages in an actor's queue: queued (waiting) and processing (delivered, not yet acknowledged)",
            ["namespace", "actor", "state"],
            registry=registry,
        )
        self.transport_up = Gauge(
            "asya_transport_up",
            "1 when the last queue check on the transport succeeded",
            ["transport"],
            registry=registry,
        )

    def queue_figures(
        self, namespace: str, actor: str, *, queued: int | None, processing: int | None
    ) -> None:
        for state, value in (("queued", queued), ("processing", processing)):
            if value is None:
                self._remove(namespace, actor, state)
            else:
                self.queue_messages.labels(namespace=namespace, actor=actor, state=state).set(value)

    def forget(self, namespace: str, actor: str) -> None:
        for state in ("queued", "processing"):
            self._remove(namespace, actor, state)

    def _remove(self, namespace: str, actor: str, state: str) -> None:
        with contextlib.suppress(KeyError):  # never set
            self.queue_messages.remove(namespace, actor, state)
