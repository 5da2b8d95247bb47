"""Pure functions on API objects: trimming, index values, timestamps.

Contract: nothing here does I/O or keeps state. ``trimmer(*paths)`` builds the per-resource trim functions the
cache applies before storing (keeping only the fields the controller reads, with repeated short strings
shared); ``label_index``, ``owner_uid_index`` and ``involved_object_index`` are ready-made index functions;
``event_timestamp`` tells when an Event last happened. Malformed input yields an empty answer, never an
exception.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
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


def trimmer(*paths: str | tuple[str, ...]) -> TrimFn:
    """A trim function keeping the dotted ``paths`` (``spec.containers[].name`` maps over a list; a tuple
    of parts spells a path whose keys contain dots, such as an annotation) plus apiVersion, kind, and the
    name, namespace, uid and resourceVersion of the object."""
    split = [
        list(p) if isinstance(p, tuple) else p.split(".") for p in ("apiVersion", "kind", *_ALWAYS, *paths)
    ]

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
