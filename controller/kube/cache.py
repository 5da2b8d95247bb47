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
- With a ``Retention`` (Events), an object older than ``max_age`` by its own timestamp is not kept; ``expire``
  removes the ones that aged since, returning their ``DELETED`` changes.
- ``Cache`` holds one store per resource and tells its subscribers about every change; it never calls the API.
  A subscriber must not raise (a failing subscriber is logged and the others still run).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from controller.kube.resources import Obj, Resource, object_key, split_key
from controller.logs import get_logger

TrimFn = Callable[[Obj], Obj]
IndexFn = Callable[[Obj], Iterable[str]]
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


def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp as seconds since the epoch, or ``None`` when it is missing or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def event_timestamp(obj: Obj) -> float | None:
    """When a core/v1 Event last happened: lastTimestamp, series, eventTime, firstTimestamp, or creation."""
    series = obj.get("series") or {}
    meta = obj.get("metadata") or {}
    for value in (
        obj.get("lastTimestamp"),
        series.get("lastObservedTime"),
        obj.get("eventTime"),
        obj.get("firstTimestamp"),
        meta.get("creationTimestamp"),
    ):
        stamp = parse_time(value)
        if stamp is not None:
            return stamp
    return None


@dataclass(frozen=True, kw_only=True)
class Retention:
    """Keep objects for ``max_age`` seconds after their ``timestamp`` (objects with none are kept)."""

    max_age: float
    timestamp: Callable[[Obj], float | None] = event_timestamp


# -- trim and index helpers --

_ALWAYS = ("metadata.name", "metadata.namespace", "metadata.uid", "metadata.resourceVersion")


def _intern(value: Any) -> Any:
    # Names, namespaces, label values and phases repeat across thousands of objects: share one copy of each.
    if isinstance(value, str) and len(value) <= 64:
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(k): _intern(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_intern(v) for v in value]
    return value


def _pick(source: Any, parts: list[str]) -> Any:
    """The sub-tree of ``source`` at ``parts``; ``name[]`` maps over a list. ``_MISSING`` when absent."""
    if not parts:
        return _intern(source)
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = source.get(head[:-2]) if isinstance(source, dict) else None
        if not isinstance(items, list):
            return _MISSING
        picked = [_pick(item, rest) for item in items]
        return {sys.intern(head[:-2]): [p if p is not _MISSING else {} for p in picked]}
    if not isinstance(source, dict) or head not in source:
        return _MISSING
    inner = _pick(source[head], rest)
    return _MISSING if inner is _MISSING else {sys.intern(head): inner}


_MISSING: Any = object()


def _merge(into: Obj, part: Obj) -> None:
    for key, value in part.items():
        if key in into and isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value)
        elif key in into and isinstance(into[key], list) and isinstance(value, list):
            for target, item in zip(into[key], value, strict=False):
                if isinstance(target, dict) and isinstance(item, dict):
                    _merge(target, item)
        else:
            into[key] = value


def trimmer(*paths: str) -> TrimFn:
    """A trim function keeping the dotted ``paths`` (``spec.containers[].name`` maps over a list) plus
    apiVersion, kind, and the name, namespace, uid and resourceVersion of the object."""
    split = [p.split(".") for p in ("apiVersion", "kind", *_ALWAYS, *paths)]

    def trim(obj: Obj) -> Obj:
        kept: Obj = {}
        for parts in split:
            part = _pick(obj, parts)
            if part is not _MISSING:
                _merge(kept, part)
        return kept

    return trim


def label_index(label: str) -> IndexFn:
    """Index by the value of ``label``."""

    def index(obj: Obj) -> Iterable[str]:
        value = ((obj.get("metadata") or {}).get("labels") or {}).get(label)
        return (value,) if isinstance(value, str) else ()

    return index


def owner_uid_index(obj: Obj) -> Iterable[str]:
    """Index by the uid of every owner reference."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [ref["uid"] for ref in refs if isinstance(ref, dict) and isinstance(ref.get("uid"), str)]


def involved_object_index(obj: Obj) -> Iterable[str]:
    """Index an Event by its involved object, as ``Kind/namespace/name`` and as its uid."""
    ref = obj.get("involvedObject") or obj.get("regarding") or {}
    if not isinstance(ref, dict):
        return ()
    values = []
    if ref.get("kind") and ref.get("name"):
        values.append(f"{ref['kind']}/{ref.get('namespace') or ''}/{ref['name']}")
    if isinstance(ref.get("uid"), str) and ref["uid"]:
        values.append(ref["uid"])
    return values


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.resource = resource
        self._trim = trim
        self._index_fns = dict(indexes or {})
        self._retention = retention
        self._clock = clock
        self._objects: dict[str, Obj] = {}
        self._indexes: dict[str, dict[str, set[str]]] = {name: {} for name in self._index_fns}
        self._indexed: dict[str, dict[str, tuple[str, ...]]] = {name: {} for name in self._index_fns}

    def __len__(self) -> int:
        return len(self._objects)

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
