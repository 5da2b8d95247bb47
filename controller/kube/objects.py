"""Pure functions on API objects: trimming, index values, timestamps.

Contract: nothing here does I/O or keeps state. ``trimmer(*paths)`` builds the per-resource trim functions the
cache applies before storing (keeping only the fields the controller reads, with repeated short strings
shared); ``label_index``, ``owner_uid_index`` and ``involved_object_index`` are ready-made index functions;
``event_timestamp`` tells when an Event last happened; ``equal_except`` tells whether two versions of an
object differ only in given fields. Malformed input yields an empty answer, never an exception.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controller.kube.resources import Obj

TrimFn = Callable[[Obj], Obj]
IndexFn = Callable[[Obj], Iterable[str]]


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


_MISSING: Any = object()


@dataclass(slots=True)
class _Spec:
    """What to keep of one value: all of it (``children is None``) or some keys, of it or of each item."""

    each: bool = False
    children: dict[str, _Spec] | None = None


def _compile(paths: list[list[str]]) -> dict[str, _Spec]:
    root: dict[str, _Spec] = {}
    for parts in paths:
        level: dict[str, _Spec] | None = root
        for index, part in enumerate(parts):
            if level is None:  # an ancestor is kept whole already
                break
            each = part.endswith("[]")
            key = part[:-2] if each else part
            spec = level.setdefault(key, _Spec(each=each, children={}))
            spec.each = spec.each or each
            if index == len(parts) - 1:
                spec.children = None  # keep it whole, whatever else was asked below it
            level = spec.children
    return root


def _keep(value: Any, spec: _Spec) -> Any:
    if spec.children is None:
        return _intern(value)
    # A path goes through a list item by item, whether or not it says so with ``[]``: the field lists of
    # the Asya layer spell ``status.conditions.type`` for "the type of each condition".
    if isinstance(value, list):
        return [_keep_fields(item, spec.children) if isinstance(item, dict) else {} for item in value]
    if spec.each:
        return _MISSING
    return _keep_fields(value, spec.children) if isinstance(value, dict) else _MISSING


def _keep_fields(obj: dict[str, Any], children: dict[str, _Spec]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, spec in children.items():
        if key in obj:
            value = _keep(obj[key], spec)
            if value is not _MISSING:
                kept[sys.intern(key)] = value
    return kept


def trimmer(*paths: str | tuple[str, ...]) -> TrimFn:
    """A trim function keeping the dotted ``paths`` plus apiVersion, kind, and the name, namespace, uid and
    resourceVersion of the object. ``spec.containers.name`` (or ``spec.containers[].name``) keeps the name
    of each container; a tuple of parts spells a path whose keys contain dots, such as an annotation."""
    spec = _compile(
        [list(p) if isinstance(p, tuple) else p.split(".") for p in ("apiVersion", "kind", *_ALWAYS, *paths)]
    )

    def trim(obj: Obj) -> Obj:
        return _keep_fields(obj, spec) if isinstance(obj, dict) else {}

    return trim


def _without(obj: Any, path: tuple[str, ...]) -> Any:
    if not isinstance(obj, dict) or path[0] not in obj:
        return obj
    if len(path) == 1:
        return {k: v for k, v in obj.items() if k != path[0]}
    return {**obj, path[0]: _without(obj[path[0]], path[1:])}


def equal_except(old: Obj, new: Obj, *paths: tuple[str, ...]) -> bool:
    """Whether ``old`` and ``new`` are equal once each of ``paths`` (tuples of keys) and
    ``metadata.resourceVersion`` are left out of both: a change of nothing else."""
    for path in (("metadata", "resourceVersion"), *paths):
        old, new = _without(old, path), _without(new, path)
    return old == new


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
