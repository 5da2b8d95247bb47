"""The control loops a real cluster runs that the emulator must run too: garbage collection through
ownerReferences, namespace termination and CRD cleanup.

They react to committed changes (a store listener queues work) and run as one asyncio task, after the request
that caused the change has been answered — so, as on a cluster, their effects arrive as later watch events.

- Garbage collector: a dependent whose owners (matched by ``uid``) are all gone is deleted (Background); one
  that still has a live owner loses the dangling references (an update by ``kube-controller-manager``). An
  owner with the ``foregroundDeletion`` finalizer gets its dependents deleted (Foreground) and keeps the
  finalizer until no dependent with ``blockOwnerDeletion: true`` remains; one with ``orphan`` has the
  references to it removed from its dependents, then loses the finalizer. Owners are looked up by uid only
  (the real collector also checks kind and namespace); a reference to a kind that is not served is left
  alone, as the real collector cannot resolve it either.
- Namespace controller: a namespace with ``deletionTimestamp`` (phase ``Terminating``) has every namespaced
  object in it deleted (default options); once none is left, ``kubernetes`` is removed from
  ``spec.finalizers`` and the namespace disappears (if ``metadata.finalizers`` is empty). Objects with
  finalizers, and scheduled pods waiting for a kubelet, hold the namespace in Terminating, as on a cluster.
  Simplification: the namespace's status conditions are not written.
- CRD cleanup: a CRD with ``deletionTimestamp`` has all its custom resources deleted; once none is left its
  ``customresourcecleanup.apiextensions.k8s.io`` finalizer is removed, the CRD disappears and its resource is
  no longer served.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tests.kubeapi import errors
from tests.kubeapi.cluster import CRD_KEY, NS_KEY, Cluster
from tests.kubeapi.deletion import FOREGROUND, ORPHAN, DeleteOptions, delete
from tests.kubeapi.resources import CRD_FINALIZER
from tests.kubeapi.store import Event, Key, ObjKey, obj_key

logger = logging.getLogger(__name__)

Work = tuple[str, Any]


class Controllers:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._work: dict[Work, None] = {}
        self._wake = asyncio.Event()
        cluster.store.listeners.append(self._on_event)

    def _queue(self, item: Work) -> None:
        self._work[item] = None
        self._wake.set()

    def _on_event(self, event: Event) -> None:
        obj, meta = event.obj, event.obj["metadata"]
        deleting = bool(meta.get("deletionTimestamp"))
        if event.type == "DELETED":
            for dependent in self.cluster.store.dependents.get(meta["uid"], ()):
                self._queue(("dependent", dependent))
            for ref in meta.get("ownerReferences") or ():
                self._queue(("owner", ref.get("uid", "")))  # a foreground owner may be waiting for it
            namespace = meta.get("namespace")
            if namespace:
                self._queue(("namespace", namespace))
            if event.key not in (NS_KEY, CRD_KEY):
                rt = self.cluster.registry.by_key(event.key)
                if rt is not None and rt.custom:
                    self._queue(("crd", rt.crd_name))
            return
        if meta.get("ownerReferences"):
            self._queue(("dependent", (event.key, obj_key(obj))))
        if deleting:
            if event.key == NS_KEY:
                self._queue(("namespace", meta["name"]))
            elif event.key == CRD_KEY:
                self._queue(("crd", meta["name"]))
            finalizers = meta.get("finalizers") or ()
            if FOREGROUND in finalizers or ORPHAN in finalizers:
                self._queue(("owner", meta["uid"]))

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(0)
            budget = 10_000
            while self._work and budget:
                budget -= 1
                item = next(iter(self._work))
                del self._work[item]
                try:
                    self._process(item)
                except errors.StatusError as exc:
                    logger.debug("controller work %s: %s", item, exc.message)
                except Exception:
                    logger.exception("controller work %s failed", item)
                if budget % 100 == 0:
                    await asyncio.sleep(0)

    def _process(self, item: Work) -> None:
        kind, what = item
        if kind == "dependent":
            self._check_dependent(*what)
        elif kind == "owner":
            self._process_owner(what)
        elif kind == "namespace":
            self._process_namespace(what)
        elif kind == "crd":
            self._process_crd(what)

    def _check_dependent(self, key: Key, okey: ObjKey) -> None:
        store = self.cluster.store
        obj = store.get(key, *okey)
        rt = self.cluster.registry.by_key(key)
        if obj is None or rt is None:
            return
        refs = obj["metadata"].get("ownerReferences") or []
        alive = [ref for ref in refs if self._owner_may_exist(ref)]
        if len(alive) == len(refs):
            return
        if not alive:
            if not obj["metadata"].get("deletionTimestamp"):
                delete(self.cluster, rt, okey[0], okey[1], DeleteOptions(propagation_policy="Background"))
            return

        def drop_dangling(new: dict[str, Any]) -> dict[str, Any]:
            new["metadata"]["ownerReferences"] = alive
            return new

        self.cluster.controller_update(rt, obj, drop_dangling, manager="generic-garbage-collector")

    def _owner_may_exist(self, ref: dict[str, Any]) -> bool:
        """An owner is gone when its uid is unknown and its kind is served; the collector cannot look up a
        kind the server does not serve, so it leaves such references alone (as the real one does)."""
        if self.cluster.store.by_uid(ref.get("uid", "")) is not None:
            return True
        return self.cluster.registry.by_kind(str(ref.get("apiVersion", "")), str(ref.get("kind", ""))) is None

    def _process_owner(self, uid: str) -> None:
        store = self.cluster.store
        found = store.by_uid(uid)
        if found is None:
            return
        key, owner = found
        finalizers = owner["metadata"].get("finalizers") or []
        dependents = sorted(store.dependents.get(uid, ()))
        if ORPHAN in finalizers:
            for dkey, dokey in dependents:
                dependent, drt = store.get(dkey, *dokey), self.cluster.registry.by_key(dkey)
                if dependent is None or drt is None:
                    continue

                def orphan(new: dict[str, Any]) -> dict[str, Any]:
                    refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
                    if refs:
                        new["metadata"]["ownerReferences"] = refs
                    else:
                        new["metadata"].pop("ownerReferences", None)
                    return new

                self.cluster.controller_update(drt, dependent, orphan, manager="generic-garbage-collector")
            self._drop_finalizer(key, owner, ORPHAN)
            return
        if FOREGROUND not in finalizers:
            return
        blocking = 0
        for dkey, dokey in dependents:
            dependent, drt = store.get(dkey, *dokey), self.cluster.registry.by_key(dkey)
            if dependent is None or drt is None:
                continue
            ref: dict[str, Any] = next(
                (r for r in dependent["metadata"].get("ownerReferences") or [] if r.get("uid") == uid), {}
            )
            if ref.get("blockOwnerDeletion"):
                blocking += 1
            if not dependent["metadata"].get("deletionTimestamp"):
                delete(self.cluster, drt, dokey[0], dokey[1], DeleteOptions(propagation_policy="Foreground"))
        if blocking == 0 or not any(store.get(k, *o) is not None for k, o in dependents):
            found = store.by_uid(uid)
            if found is not None:
                self._drop_finalizer(found[0], found[1], FOREGROUND)

    def _drop_finalizer(self, key: Key, obj: dict[str, Any], finalizer: str) -> None:
        rt = self.cluster.registry.by_key(key)
        if rt is None:
            return

        def without(new: dict[str, Any]) -> dict[str, Any]:
            new["metadata"]["finalizers"] = [
                f for f in new["metadata"].get("finalizers") or [] if f != finalizer
            ]
            return new

        self.cluster.controller_update(rt, obj, without)

    def _process_namespace(self, name: str) -> None:
        cluster = self.cluster
        ns = cluster.store.get(NS_KEY, "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        for key, bucket in cluster.store.buckets():
            rt = cluster.registry.by_key(key)
            if rt is None or not rt.namespaced:
                continue
            for (namespace, obj_name), obj in list(bucket.objects.items()):
                if namespace == name and not obj["metadata"].get("deletionTimestamp"):
                    delete(cluster, rt, namespace, obj_name, DeleteOptions())
        if any(
            namespace == name
            for key, bucket in cluster.store.buckets()
            if key != NS_KEY
            for namespace, _ in bucket.objects
        ):
            return
        ns_rt = cluster.type_of(NS_KEY)
        if "kubernetes" in ((ns.get("spec") or {}).get("finalizers") or []):

            def finalize(new: dict[str, Any]) -> dict[str, Any]:
                new["spec"] = {**(new.get("spec") or {}), "finalizers": []}
                return new

            ns = cluster._finish_update(
                ns_rt, ns, finalize(_copy(ns)), manager="kube-controller-manager", subresource=""
            )
        if not ns["metadata"].get("finalizers"):
            current = cluster.store.get(NS_KEY, "", name)
            if current is not None:
                cluster.store.commit(NS_KEY, "DELETED", _copy(current), current)

    def _process_crd(self, name: str) -> None:
        cluster = self.cluster
        crd = cluster.store.get(CRD_KEY, "", name)
        if crd is None or not crd["metadata"].get("deletionTimestamp"):
            return
        types = cluster.registry.crd_types(name)
        left = 0
        for rt in types[:1]:
            for obj in cluster.store.objects(rt.key):
                left += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    meta = obj["metadata"]
                    delete(cluster, rt, meta.get("namespace", ""), meta["name"], DeleteOptions())
            left = len(cluster.store.objects(rt.key))
        if left == 0 and CRD_FINALIZER in (crd["metadata"].get("finalizers") or []):
            self._drop_finalizer(CRD_KEY, crd, CRD_FINALIZER)


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    from tests.kubeapi.meta import clone

    copied: dict[str, Any] = clone(obj)
    return copied
