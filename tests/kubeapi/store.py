"""Object storage with one global, strictly increasing resourceVersion, a bounded event history per resource,
and synchronous fan-out to watchers.

Stored objects are plain dicts in the storage version, treated as immutable: every write stores a new dict
(writers clone before they change anything), so readers and watch events share them without copying, and each
object's JSON is serialised at most once. Each committed change is an :class:`Event` kept in its resource's
history (``history`` events per resource, default 1000) together with the object it replaced, which lets a
list or continue token be served exactly as of an older resourceVersion still inside the window.

``horizon`` of a bucket is the resourceVersion after which every event of that resource is still in its
history; a watch or a continue token from an older version gets 410 Expired. ``compact()`` empties the
histories (the way etcd compaction does), which is how tests force 410s.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

Key = tuple[str, str]  # (group, plural)
ObjKey = tuple[str, str]  # (namespace, name)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> bytes:
    return _dumps(value).encode()


@dataclass(slots=True, eq=False)
class Event:
    type: str  # ADDED, MODIFIED, DELETED
    rv: int
    key: Key
    obj: dict[str, Any]
    prev: dict[str, Any] | None
    _json: dict[str, bytes] = field(default_factory=dict)

    def object_json(
        self, api_version: str, convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> bytes:
        """The JSON of this event's object as served at ``api_version``, serialised once for the write's
        answer and every watcher's line."""
        cached = self._json.get(api_version)
        if cached is None:
            if convert is not None:
                obj = convert(self.obj)
            elif self.obj.get("apiVersion") == api_version:
                obj = self.obj
            else:
                obj = {**self.obj, "apiVersion": api_version}
            cached = self._json[api_version] = dumps(obj)
        return cached

    def line(
        self,
        event_type: str,
        api_version: str,
        convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> bytes:
        """The watch-stream line for this event (``{"type":…,"object":…}``, as ``dumps`` writes it)."""
        return (
            b'{"type":' + dumps(event_type) + b',"object":' + self.object_json(api_version, convert) + b"}\n"
        )


class Watcher(Protocol):
    def push(self, event: Event) -> None: ...

    def close(self) -> None: ...


class Bucket:
    """Objects and history of one resource (all its versions)."""

    __slots__ = ("history", "horizon", "objects", "raw", "watchers")

    def __init__(self, *, history: int, horizon: int) -> None:
        self.objects: dict[ObjKey, dict[str, Any]] = {}
        self.raw: dict[int, bytes] = {}  # id(obj) -> JSON without kind/apiVersion, for list items
        self.history: deque[Event] = deque(maxlen=history)
        self.horizon = horizon
        self.watchers: set[Watcher] = set()


def obj_key(obj: dict[str, Any]) -> ObjKey:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


class Store:
    def __init__(self, *, history: int = 1000) -> None:
        self.rv = 0
        self._history = history
        self._buckets: dict[Key, Bucket] = {}
        self.listeners: list[Callable[[Event], None]] = []
        self._dropped: set[Key] = set()
        self.uids: dict[str, tuple[Key, ObjKey]] = {}
        self.dependents: dict[str, set[tuple[Key, ObjKey]]] = {}
        self.last: Event | None = None
        """The event committed last (the answer to the write that made it reuses its object's JSON)."""

    def bucket(self, key: Key) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            # A resource seen for the first time has no history to miss; one re-created after its CRD was
            # deleted lost its past.
            horizon = self.rv if key in self._dropped else 0
            bucket = self._buckets[key] = Bucket(history=self._history, horizon=horizon)
        return bucket

    def buckets(self) -> Iterable[tuple[Key, Bucket]]:
        return list(self._buckets.items())

    def get(self, key: Key, namespace: str, name: str) -> dict[str, Any] | None:
        bucket = self._buckets.get(key)
        return None if bucket is None else bucket.objects.get((namespace, name))

    def by_uid(self, uid: str) -> tuple[Key, dict[str, Any]] | None:
        where = self.uids.get(uid)
        if where is None:
            return None
        obj = self.get(where[0], *where[1])
        return None if obj is None else (where[0], obj)

    def objects(self, key: Key, namespace: str | None = None) -> list[dict[str, Any]]:
        bucket = self._buckets.get(key)
        if bucket is None:
            return []
        if namespace is None:
            return list(bucket.objects.values())
        return [obj for (ns, _), obj in bucket.objects.items() if ns == namespace]

    def raw_item(self, bucket: Bucket, obj: dict[str, Any]) -> bytes:
        """The JSON of ``obj`` without ``kind``/``apiVersion`` (how lists of built-in types carry items)."""
        raw = bucket.raw.get(id(obj))
        if raw is None:
            raw = bucket.raw[id(obj)] = dumps(
                {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
            )
        return raw

    def commit(self, key: Key, event_type: str, obj: dict[str, Any], prev: dict[str, Any] | None) -> Event:
        """Store ``obj`` (a dict nobody else holds) under a new resourceVersion and notify watchers.

        For DELETED, ``obj`` is the final state, which also gets the new resourceVersion, as on a real server.
        """
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        bucket = self.bucket(key)
        okey = obj_key(obj)
        if prev is not None:
            bucket.raw.pop(id(prev), None)
            self._unindex(key, okey, prev)
        if event_type == "DELETED":
            bucket.objects.pop(okey, None)
        else:
            bucket.objects[okey] = obj
            self._index(key, okey, obj)
        event = self.last = Event(event_type, self.rv, key, obj, prev)
        if len(bucket.history) == bucket.history.maxlen:
            bucket.horizon = bucket.history[0].rv
        bucket.history.append(event)
        for watcher in list(bucket.watchers):
            watcher.push(event)
        for listener in self.listeners:
            listener(event)
        return event

    def _index(self, key: Key, okey: ObjKey, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.uids[meta["uid"]] = (key, okey)
        for ref in meta.get("ownerReferences") or ():
            self.dependents.setdefault(ref.get("uid", ""), set()).add((key, okey))

    def _unindex(self, key: Key, okey: ObjKey, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.uids.pop(meta.get("uid", ""), None)
        for ref in meta.get("ownerReferences") or ():
            deps = self.dependents.get(ref.get("uid", ""))
            if deps is not None:
                deps.discard((key, okey))
                if not deps:
                    del self.dependents[ref.get("uid", "")]

    def events_since(self, key: Key, rv: int) -> list[Event] | None:
        """Events of ``key`` after ``rv``, or None when ``rv`` is older than the history keeps."""
        bucket = self.bucket(key)
        if rv < bucket.horizon:
            return None
        return [event for event in bucket.history if event.rv > rv]

    def state_at(self, key: Key, rv: int) -> dict[ObjKey, dict[str, Any]] | None:
        """The objects of ``key`` as of ``rv``, or None when that is older than the history keeps."""
        later = self.events_since(key, rv)
        if later is None:
            return None
        state = dict(self.bucket(key).objects)
        for event in reversed(later):
            okey = obj_key(event.obj)
            if event.prev is None:
                state.pop(okey, None)
            else:
                state[okey] = event.prev
        return state

    def compact(self, key: Key | None = None) -> None:
        """Forget history up to now: watches and continue tokens from older versions get 410."""
        for bucket_key, bucket in self._buckets.items():
            if key is None or key == bucket_key:
                bucket.history.clear()
                bucket.horizon = self.rv

    def drop(self, key: Key) -> None:
        """Remove a whole bucket (a CRD went away; its objects were deleted one by one before) and end its
        watches, as the server does when it stops serving a resource."""
        bucket = self._buckets.pop(key, None)
        if bucket is not None:
            for watcher in list(bucket.watchers):
                watcher.close()
        self._dropped.add(key)
