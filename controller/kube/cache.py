"""The cache: trimmed objects by key, secondary indexes, change notifications, bounded retention.

Contract:
- A ``Store`` holds the objects of one resource by ``namespace/name``, each passed through the resource's
  *trim* function first (keep only what the controller reads: a Pod is a few hundred bytes, not its whole
  spec).
- Index functions map a trimmed object to index values; ``Store.by_index(name, value)`` answers "pods of actor
  X", "events of pod Y", "objects owned by uid Z" in O(1) plus the size of the answer.
- ``upsert``/``delete``/``replace`` return the ``Change`` they made, or nothing when the trimmed object did
  not change (ignoring ``metadata.resourceVersion``): a status update of a field the trim drops costs no
  reconcile. ``replace`` (a relist) also returns a ``DELETED`` change for every object that vanished, within
  the namespace it lists when the watch is restricted to one.
- A store is ``synced`` once each namespace it is filled from (``namespaces``; ``None`` means all) has been
  listed by ``replace``: only then does a missing object mean the object does not exist.
- With a ``Retention`` (Events), an object older than ``max_age`` by its own timestamp is not kept; ``expire``
  removes the ones that aged since, returning their ``DELETED`` changes.
- Key mappers (``own_key``, ``owner_keys``, ``label_keys``, ``involved_keys``, or the caller's own) turn a
  change into the keys of the primary objects it concerns.
- ``Cache`` holds one store per resource and tells its subscribers about every change; it never calls the API.
  A subscriber must not raise (a failing subscriber is logged and the others still run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from controller.kube.objects import IndexFn, TrimFn, event_timestamp
from controller.kube.resources import Obj, Resource, make_key, object_key, split_key
from controller.logs import get_logger

ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the cache: ``old`` is absent for ADDED, ``new`` for DELETED."""

    type: ChangeType
    resource: Resource
    key: str
    old: Obj | None
    new: Obj | None

    @property
    def obj(self) -> Obj:
        """The object as it is now, or as it was last seen when deleted."""
        obj = self.new if self.new is not None else self.old
        assert obj is not None
        return obj


@dataclass(frozen=True, kw_only=True)
class Retention:
    """Keep objects for ``max_age`` seconds after their ``timestamp`` (objects with none are kept)."""

    max_age: float
    timestamp: Callable[[Obj], float | None] = event_timestamp


def _without_rv(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "resourceVersion" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"}}


# -- the store --


class Store:
    """The trimmed objects of one resource, with their indexes."""

    def __init__(
        self,
        *,
        resource: Resource,
        trim: TrimFn | None = None,
        indexes: Mapping[str, IndexFn] | None = None,
        retention: Retention | None = None,
        namespaces: Iterable[str | None] = (None,),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.resource = resource
        self._unlisted: set[str | None] = set(namespaces)
        self._trim = trim
        self._index_fns = dict(indexes or {})
        self._retention = retention
        self._clock = clock
        self._objects: dict[str, Obj] = {}
        self._indexes: dict[str, dict[str, set[str]]] = {name: {} for name in self._index_fns}
        self._indexed: dict[str, dict[str, tuple[str, ...]]] = {name: {} for name in self._index_fns}

    def __len__(self) -> int:
        return len(self._objects)

    @property
    def synced(self) -> bool:
        """Whether every namespace this store is filled from (``None``: all) has been listed once."""
        return not self._unlisted

    def __contains__(self, key: object) -> bool:
        return key in self._objects

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._objects))

    def get(self, key: str) -> Obj | None:
        return self._objects.get(key)

    def values(self) -> list[Obj]:
        return list(self._objects.values())

    def by_index(self, index: str, value: str) -> list[Obj]:
        """Objects whose ``index`` function yielded ``value``."""
        return [self._objects[key] for key in sorted(self._indexes[index].get(value, ()))]

    def keys_by_index(self, index: str, value: str) -> set[str]:
        return set(self._indexes[index].get(value, ()))

    def upsert(self, raw: Obj) -> Change | None:
        """Store ``raw`` (trimmed); the change, or ``None`` when nothing the controller reads changed."""
        try:
            obj = self._trim(raw) if self._trim is not None else raw
        except Exception:  # the controller never crashes on data it reads: log it and keep going
            log.exception(
                "trim function failed; object not cached", resource=str(self.resource), key=object_key(raw)
            )
            return None
        key = object_key(obj)
        if self._expired(obj):
            return self.delete(key)
        old = self._objects.get(key)
        self._put(key, obj)
        if old is None:
            return Change("ADDED", self.resource, key, None, obj)
        if _without_rv(old) == _without_rv(obj):
            return None
        return Change("MODIFIED", self.resource, key, old, obj)

    def delete(self, raw_or_key: Obj | str) -> Change | None:
        key = raw_or_key if isinstance(raw_or_key, str) else object_key(raw_or_key)
        old = self._objects.pop(key, None)
        if old is None:
            return None
        self._unindex(key)
        return Change("DELETED", self.resource, key, old, None)

    def replace(self, raws: Iterable[Obj], *, namespace: str | None = None) -> list[Change]:
        """Make the store equal ``raws`` (all of ``namespace`` when given); the changes that took."""
        self._unlisted.discard(namespace)
        changes: list[Change] = []
        seen: set[str] = set()
        for raw in raws:
            change = self.upsert(raw)
            seen.add(object_key(raw))
            if change is not None:
                changes.append(change)
        for key in list(self._objects):
            if key not in seen and (namespace is None or split_key(key)[0] == namespace):
                change = self.delete(key)
                if change is not None:
                    changes.append(change)
        return changes

    def expire(self) -> list[Change]:
        """Drop the objects older than the retention allows."""
        if self._retention is None:
            return []
        expired = [key for key, obj in self._objects.items() if self._expired(obj)]
        return [change for key in expired if (change := self.delete(key)) is not None]

    def _expired(self, obj: Obj) -> bool:
        if self._retention is None:
            return False
        stamp = self._retention.timestamp(obj)
        return stamp is not None and stamp < self._clock() - self._retention.max_age

    def _put(self, key: str, obj: Obj) -> None:
        self._objects[key] = obj
        for name, fn in self._index_fns.items():
            try:
                values = tuple(dict.fromkeys(fn(obj)))
            except Exception:  # a bad object must not break the cache: it is just not indexed
                log.exception("index function failed", resource=str(self.resource), index=name, key=key)
                values = ()
            previous = self._indexed[name].get(key, ())
            if values == previous:
                continue
            self._drop_values(name, key, previous)
            for value in values:
                self._indexes[name].setdefault(value, set()).add(key)
            if values:
                self._indexed[name][key] = values
            else:
                self._indexed[name].pop(key, None)

    def _unindex(self, key: str) -> None:
        for name in self._index_fns:
            self._drop_values(name, key, self._indexed[name].pop(key, ()))

    def _drop_values(self, name: str, key: str, values: tuple[str, ...]) -> None:
        index = self._indexes[name]
        for value in values:
            keys = index.get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[value]


# -- mapping changes to the keys of the primary objects they concern --

KeyMapper = Callable[[Change, "Cache"], Iterable[str]]
"""The primary keys (``namespace/name``) a change concerns; it may read the cache to find them."""


def own_key(change: Change, _cache: Cache) -> Iterable[str]:
    """A change to a primary object concerns that object."""
    return (change.key,)


def owner_keys(kind: str) -> KeyMapper:
    """A change concerns the owners of kind ``kind`` named in the object's ownerReferences."""

    def keys(change: Change, _cache: Cache) -> Iterable[str]:
        meta = change.obj.get("metadata") or {}
        refs = meta.get("ownerReferences") or []
        return [
            make_key(meta.get("namespace"), str(ref["name"]))
            for ref in refs
            if isinstance(ref, dict) and ref.get("kind") == kind and ref.get("name")
        ]

    return keys


def label_keys(label: str) -> KeyMapper:
    """A change concerns the primary object named by the value of ``label``, in the object's namespace."""

    def keys(change: Change, _cache: Cache) -> Iterable[str]:
        meta = change.obj.get("metadata") or {}
        value = (meta.get("labels") or {}).get(label)
        return (make_key(meta.get("namespace"), value),) if isinstance(value, str) and value else ()

    return keys


def involved_keys(kind: str) -> KeyMapper:
    """An Event concerns its involved object when that is of kind ``kind``."""

    def keys(change: Change, _cache: Cache) -> Iterable[str]:
        ref = change.obj.get("involvedObject") or change.obj.get("regarding") or {}
        if not isinstance(ref, dict) or ref.get("kind") != kind or not ref.get("name"):
            return ()
        return (make_key(ref.get("namespace"), str(ref["name"])),)

    return keys


# -- the cache --

Subscriber = Callable[[Change], None]


@dataclass
class Cache:
    """One store per resource; every change is passed to the subscribers."""

    stores: dict[Resource, Store] = field(default_factory=dict)
    subscribers: list[Subscriber] = field(default_factory=list)

    def add(self, store: Store) -> Store:
        self.stores[store.resource] = store
        return store

    def store(self, resource: Resource) -> Store:
        return self.stores[resource]

    def get(self, resource: Resource, key: str) -> Obj | None:
        store = self.stores.get(resource)
        return store.get(key) if store is not None else None

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def upsert(self, resource: Resource, raw: Obj) -> None:
        self._publish([change] if (change := self.stores[resource].upsert(raw)) else [])

    def delete(self, resource: Resource, raw: Obj) -> None:
        self._publish([change] if (change := self.stores[resource].delete(raw)) else [])

    def replace(self, resource: Resource, raws: Iterable[Obj], *, namespace: str | None = None) -> None:
        self._publish(self.stores[resource].replace(raws, namespace=namespace))

    def expire(self) -> None:
        for store in list(self.stores.values()):
            self._publish(store.expire())

    def _publish(self, changes: list[Change]) -> None:
        for change in changes:
            for subscriber in self.subscribers:
                try:
                    subscriber(change)
                except Exception:
                    log.exception("cache subscriber failed", resource=str(change.resource), key=change.key)
