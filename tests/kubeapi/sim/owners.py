"""The wiring every workload controller shares: a queue of owners, fed by the owners' own changes and by
changes of the objects they control (found through their controller ownerReference), with an index of the
dependents by owner uid — client-go's `enqueueController` / `resolveControllerRef` pattern.
"""

from __future__ import annotations

from typing import Any

from tests.kubeapi.sim.client import Resource, controller_uid
from tests.kubeapi.sim.informer import Informer, Key, WorkQueue, key_of
from tests.kubeapi.sim.shared import Shared


class OwnerController:
    """Subclasses implement `sync(key)`; `dependents(owner)` lists what an owner controls."""

    def __init__(
        self, shared: Shared, owners: Resource, dependents: Resource, *, component: str, workers: int
    ) -> None:
        self.shared = shared
        self.kube = shared.kube
        self.owners: Informer = shared.informer(owners)
        self.dependent_informer: Informer = shared.informer(dependents)
        self.dependent_informer.add_index(
            "controller", lambda obj: [uid] if (uid := controller_uid(obj)) else []
        )
        self.events = shared.recorder(component)
        self.queue: WorkQueue[Key] = WorkQueue(owners.plural, self.sync, workers=workers)
        self._by_uid: dict[str, Key] = {}
        self.owners.on_change(self._on_owner)
        self.dependent_informer.on_change(self._on_dependent)

    def dependents(self, owner: dict[str, Any]) -> list[dict[str, Any]]:
        return self.dependent_informer.by_index("controller", owner["metadata"]["uid"])

    def owner_deleted(self, key: Key) -> None:
        """Hook: forget per-owner state."""

    def dependent_changed(
        self, key: Key, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None
    ) -> None:
        """Hook: called for a dependent's change before its owner is queued."""

    def _on_owner(self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None) -> None:
        key = key_of(obj)
        if kind == "DELETED":
            self._by_uid.pop(obj["metadata"]["uid"], None)
            self.queue.forget(key)
            self.owner_deleted(key)
            return
        self._by_uid[obj["metadata"]["uid"]] = key
        self.queue.add(key)

    def _on_dependent(self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None) -> None:
        uid = controller_uid(obj) or (controller_uid(previous) if previous else None)
        key = self._by_uid.get(uid or "")
        if key is not None:
            self.dependent_changed(key, kind, obj, previous)
            self.queue.add(key)

    async def sync(self, key: Key) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        await self.queue.run()
