"""How an object's fields merge: the subset of OpenAPI v3 schema that patches and server-side apply read.

One navigator serves both built-in types and custom resources. A schema node may carry
``x-kubernetes-list-type`` (``atomic`` by default, ``set`` or ``map``) with ``x-kubernetes-list-map-keys``,
``x-kubernetes-map-type: atomic`` (a struct or map owned and replaced as a whole), and, for strategic merge
patches of built-in types, ``x-kubernetes-patch-merge-key`` / ``x-kubernetes-patch-strategy``. A field the
schema does not describe is a granular map when it is an object and an atomic list when it is a list, which is
what the real server assumes for unknown (preserved) fields. Every object's ``metadata`` follows ObjectMeta:
``finalizers`` a set, ``ownerReferences`` a map list keyed by ``uid``, ``labels``/``annotations`` granular.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Schema = Mapping[str, Any]

GENERIC: Schema = {}
STRUCT = "x-emulator-struct"


def child(schema: Schema, field: str) -> Schema:
    properties = schema.get("properties")
    if properties and field in properties:
        node: Schema = properties[field]
        return node
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        return additional
    return GENERIC


def items(schema: Schema) -> Schema:
    node = schema.get("items")
    return node if isinstance(node, Mapping) else GENERIC


def list_type(schema: Schema) -> str:
    return str(schema.get("x-kubernetes-list-type", "atomic"))


def list_keys(schema: Schema) -> list[str]:
    return list(schema.get("x-kubernetes-list-map-keys") or [])


def is_atomic_map(schema: Schema) -> bool:
    return schema.get("x-kubernetes-map-type") == "atomic"


def patch_merge_key(schema: Schema) -> str | None:
    """The strategic-merge-patch key of a list of objects, or None when the list is replaced."""
    if "merge" not in str(schema.get("x-kubernetes-patch-strategy", "")).split(","):
        return None
    key = schema.get("x-kubernetes-patch-merge-key")
    return str(key) if key else None


def patch_merges_primitives(schema: Schema) -> bool:
    return "merge" in str(schema.get("x-kubernetes-patch-strategy", "")).split(",") and not schema.get(
        "x-kubernetes-patch-merge-key"
    )


# Builders for the sparse schemas of built-in types.


def obj(**properties: Schema) -> Schema:
    """A Go struct of a built-in type: always present, so an update never "adds" it (no ``.`` entry)."""
    return {"type": "object", "properties": properties, STRUCT: True}


def atomic() -> Schema:
    return {"type": "object", "x-kubernetes-map-type": "atomic"}


def map_list(keys: list[str], item: Schema | None = None, *, smp_key: str | None = None) -> Schema:
    return {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": keys,
        "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-patch-merge-key": smp_key or keys[0],
        "items": item or {"type": "object"},
    }


def set_list(*, smp_merge: bool = True) -> Schema:
    node: dict[str, Any] = {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
    if smp_merge:
        node["x-kubernetes-patch-strategy"] = "merge"
    return node


OBJECT_META = obj(
    finalizers=set_list(),
    ownerReferences=map_list(["uid"]),
    managedFields={"type": "array", "x-kubernetes-list-type": "atomic"},
)


def with_metadata(schema: Schema) -> Schema:
    """The schema of a whole object: ``schema`` with ObjectMeta at ``metadata``."""
    properties = dict(schema.get("properties") or {})
    properties["metadata"] = OBJECT_META
    return {**schema, "type": "object", "properties": properties}


def key_of(item: Any, schema: Schema) -> str:
    """The canonical key of an item of the map list ``schema``, as it appears in ``k:{...}`` of fieldsV1.

    A key field the item leaves out takes the schema's default (``protocol: TCP`` of ports), as
    structured-merge-diff does, so an applied item without it matches the stored, defaulted one.
    """
    if not isinstance(item, Mapping):
        return json.dumps(item, sort_keys=True, separators=(",", ":"))
    properties = items(schema).get("properties") or {}
    key = {}
    for name in list_keys(schema):
        if name in item:
            key[name] = item[name]
        elif "default" in (properties.get(name) or {}):
            key[name] = properties[name]["default"]
    # The same few keys (container names, condition types) come back on every write: remember their JSON.
    # The type is part of the memo's key because 1, 1.0 and True are equal but serialise apart.
    try:
        memo = tuple((name, type(value), value) for name, value in key.items())
        known = _KEYS.get(memo)
    except TypeError:  # an unhashable key value (a map or a list)
        return json.dumps(key, sort_keys=True, separators=(",", ":"))
    if known is None:
        if len(_KEYS) > 50_000:
            _KEYS.clear()
        known = _KEYS[memo] = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return known


_KEYS: dict[tuple[tuple[str, type, Any], ...], str] = {}
